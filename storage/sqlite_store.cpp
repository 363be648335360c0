#include "storage/sqlite_store.hpp"
#include "storage/rich_text_codec.hpp"

#include "storage/checkpointer.hpp"
#include "storage/lock_file.hpp"
#include "storage/migrations.hpp"
#include "storage/sql_helpers.hpp"
#include "storage/sqlite_store_impl.hpp"
#include "storage/stored_names.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace firebreak {

using namespace detail;

namespace {

// The invite list as one column: user ids never contain a newline on any platform.
std::string join_users(const std::vector<user_ref>& users) {
    std::string out;
    for (std::size_t i = 0; i < users.size(); ++i) {
        if (i) out += '\n';
        out += users[i].id;
    }
    return out;
}
std::vector<user_ref> split_users(const std::string& joined) {
    std::vector<user_ref> out;
    if (joined.empty()) return out;
    std::size_t start = 0;
    while (true) {
        const std::size_t nl = joined.find('\n', start);
        out.push_back(user_ref{joined.substr(start, nl - start)});
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    return out;
}

bool is_memory(const std::string& path) { return path.empty() || path == ":memory:"; }

// Opens, checks, migrates and configures the database file. The order matters:
// nothing is written before the file is known to be a firebreak database (or a new
// one), so refusing a file leaves it untouched.
// A second connection that only reads (the web view's), beside the process that owns the
// file: no lock, no migration, no journal change; a file of another schema is refused.
SQLite::Database open_reader(const std::string& path) {
    try {
        SQLite::Database db(path, SQLite::OPEN_READONLY, 2000);
        db.exec("SELECT count(*) FROM sqlite_master");
        int found = detail::read_schema_version(db);
        if (found != detail::latest_schema_version())
            throw store_error(fmt::format("cannot read database {}: schema version {}, this build reads {}", path,
                                          found, detail::latest_schema_version()));
        return db;
    } catch (const SQLite::Exception& e) {
        throw store_error(fmt::format("cannot read database {}: {}", path, e.what()));
    }
}

SQLite::Database open_database(const std::string& path, bool in_memory) {
    constexpr int busy_timeout_ms = 2000;  // we hold the file alone; waits come only from
                                           // an operator's sqlite3 shell or a backup tool
    std::optional<SQLite::Database> db;
    const auto step = [&](auto&& f) {
        try {
            f();
        } catch (const SQLite::Exception& e) {
            throw store_error(fmt::format("cannot open database {}: {}", path, e.what()));
        }
    };
    step([&] {
        db.emplace(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms);
        // Opening is lazy; reading the schema parses the file header, so a file that is
        // not a database, or one another program holds locked, fails here.
        db->exec("SELECT count(*) FROM sqlite_master");
        // FULL syncs on every commit: an event is acknowledged to the platform only after
        // its commit, so a commit must survive a power cut, not just a crash.
        db->exec("PRAGMA synchronous = FULL");
    });
    // Migrations run with foreign keys off (the default): a later step that rebuilds a
    // table, as SQLite's ALTER TABLE recipe does, must not cascade deletes.
    detail::migrate(*db, path);
    step([&] {
        if (!in_memory) {
            // WAL: readers (exports, an operator's sqlite3) never block the engine, and a
            // commit appends to the log instead of rewriting pages. The mode is stored in
            // the file, so this is a no-op after the first start.
            db->exec("PRAGMA journal_mode = WAL");
        }
        db->exec("PRAGMA foreign_keys = ON");
    });
    return std::move(*db);
}

}  // namespace

// ---------------------------------------------------------------------------

sqlite_store::impl::statements::statements(SQLite::Database& db)
    : insert_processed(db, "INSERT OR IGNORE INTO processed_events(event_id, at) VALUES (?1, ?2)"),
      find_processed(db, "SELECT 1 FROM processed_events WHERE event_id = ?1"),
      upsert_incident(db,
                      "INSERT INTO incidents(number, title, severity, status, is_private, "
                      "declared_by, declared_in_platform, declared_in_room, impact_started_at, "
                      "detected_at, declared_at, commander_assigned_at, identified_at, "
                      "mitigated_at, resolved_at, closed_at, next_update_due, message_count) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                      "?16, ?17, ?18) "
                      "ON CONFLICT(number) DO UPDATE SET title = excluded.title, "
                      "severity = excluded.severity, status = excluded.status, "
                      "is_private = excluded.is_private, declared_by = excluded.declared_by, "
                      "declared_in_platform = excluded.declared_in_platform, "
                      "declared_in_room = excluded.declared_in_room, "
                      "impact_started_at = excluded.impact_started_at, "
                      "detected_at = excluded.detected_at, declared_at = excluded.declared_at, "
                      "commander_assigned_at = excluded.commander_assigned_at, "
                      "identified_at = excluded.identified_at, "
                      "mitigated_at = excluded.mitigated_at, resolved_at = excluded.resolved_at, "
                      "closed_at = excluded.closed_at, next_update_due = excluded.next_update_due, "
                      "message_count = excluded.message_count"),
      clear_room_order(db, "UPDATE incident_rooms SET ord = NULL WHERE incident = ?1"),
      upsert_room(db,
                  "INSERT INTO incident_rooms(incident, platform, room_id, ord) "
                  "VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT(platform, room_id) DO UPDATE SET incident = excluded.incident, "
                  "ord = excluded.ord"),
      // Binding a room to the index keeps its place among the incident's dedicated rooms,
      // unless it moves to another incident.
      bind_room(db,
                "INSERT INTO incident_rooms(incident, platform, room_id, ord) "
                "VALUES (?1, ?2, ?3, NULL) "
                "ON CONFLICT(platform, room_id) DO UPDATE SET incident = excluded.incident, "
                "ord = CASE WHEN incident = excluded.incident THEN ord END"),
      delete_shifts(db, "DELETE FROM shifts WHERE incident = ?1"),
      insert_shift(db,
                   "INSERT INTO shifts(incident, ord, role, user_id, area, start_at, end_at, "
                   "assigned_by, ended_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
      delete_hypotheses(db, "DELETE FROM hypotheses WHERE incident = ?1"),
      insert_hypothesis(db,
                        "INSERT INTO hypotheses(incident, ord, n, text, opened_by, opened_at, "
                        "outcome, closed_at, closed_by, evidence, source_msg, closed_source_msg, "
                        "withdrawn, source_deleted) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
      delete_notes(db, "DELETE FROM notes WHERE incident = ?1"),
      insert_note(db,
                  "INSERT INTO notes(incident, ord, kind, text, author, at, source_msg) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      delete_actions(db, "DELETE FROM actions WHERE incident = ?1"),
      insert_action(db,
                    "INSERT INTO actions(incident, ord, n, text, owner, due, created_by, at, "
                    "source_msg, withdrawn) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
      delete_updates(db, "DELETE FROM status_updates WHERE incident = ?1"),
      insert_update(db,
                    "INSERT INTO status_updates(incident, ord, at, author, impact, actions, "
                    "needs, next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
      delete_snoozes(db, "DELETE FROM snoozes WHERE incident = ?1"),
      insert_snooze(db, "INSERT INTO snoozes(incident, nudge, until_at) VALUES (?1, ?2, ?3)"),
      delete_phases(db, "DELETE FROM phases WHERE incident = ?1"),
      insert_phase(db,
                   "INSERT INTO phases(incident, ord, at, severity, status, actor, reason) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      delete_nudges(db, "DELETE FROM nudge_progress WHERE incident = ?1"),
      insert_nudge(db,
                   "INSERT INTO nudge_progress(incident, sequence, sent, first_at, last_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)"),
      delete_members(db, "DELETE FROM incident_members WHERE incident = ?1"),
      insert_member(db, "INSERT INTO incident_members(incident, user_id) VALUES (?1, ?2)"),
      put_counter(db,
                  "INSERT INTO counters(name, value) VALUES (?1, ?2) "
                  "ON CONFLICT(name) DO UPDATE SET value = excluded.value"),
      // A NULL seq lets SQLite assign the next one; a caller-assigned seq is kept.
      insert_entry(db,
                   "INSERT INTO timeline(seq, incident, at, kind, tag, author, text, "
                   "room_platform, room_id, msg_id, thread_parent, highlight, edited, deleted) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
      copy_to_history(db,
                      "INSERT INTO timeline_edits(seq, at, previous_text, editor) "
                      "SELECT seq, ?4, text, ?5 FROM timeline "
                      "WHERE room_platform = ?1 AND room_id = ?2 AND msg_id = ?3 AND incident = ?6 "
                      "AND kind = 'message' AND text <> ?7"),
      forget_history(db,
                     "DELETE FROM timeline_edits WHERE seq IN (SELECT seq FROM timeline "
                     "WHERE room_platform = ?1 AND room_id = ?2 AND msg_id = ?3 AND incident = ?6 "
                     "AND kind = 'message')"),
      apply_edit(db,
                 "UPDATE timeline SET text = ?4, tag = ?5, edited = 1 "
                 "WHERE room_platform = ?1 AND room_id = ?2 AND msg_id = ?3 AND incident = ?6 "
                      "AND kind = 'message' AND text <> ?4"),
      apply_remove(db,
                   "UPDATE timeline SET text = '', tag = '', deleted = 1 "
                   "WHERE room_platform = ?1 AND room_id = ?2 AND msg_id = ?3 AND incident = ?6 "
                      "AND kind = 'message'"),
      apply_highlight(db,
                      "UPDATE timeline SET highlight = ?4 "
                      "WHERE room_platform = ?1 AND room_id = ?2 AND msg_id = ?3 AND incident = ?6 "
                      "AND kind = 'message'"),
      insert_outbox(db,
                    "INSERT INTO outbox(created_at, op, target, platform, room_platform, room_id, "
                    "incident, to_user, body, thread, room_name, invite, is_private, fallback, "
                    "reaction, reaction_to) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"),
      put_cursor(db,
                 "INSERT INTO cursors(key, value) VALUES (?1, ?2) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      get_cursor(db, "SELECT value FROM cursors WHERE key = ?1"),
      // Matches the partial index outbox_pending term for term, so it is used.
      pending(db,
              "SELECT id, created_at, op, target, platform, room_platform, room_id, incident, "
              "to_user, body, thread, room_name, invite, is_private, attempts, not_before, fallback, "
              "reaction, reaction_to "
              "FROM outbox WHERE sent_at IS NULL AND failed = 0 ORDER BY id LIMIT ?1"),
      mark_sent(db, "UPDATE outbox SET sent_at = ?2, platform_msg_id = ?3 WHERE id = ?1"),
      mark_failed(db,
                  "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, failed = ?3, "
                  "not_before = ?4 WHERE id = ?1"),
      timeline_all(db,
                   "SELECT seq, incident, at, kind, tag, author, text, room_platform, room_id, "
                   "msg_id, thread_parent, highlight, edited, deleted "
                   "FROM timeline WHERE incident = ?1 ORDER BY seq"),
      timeline_tail(db,
                    "SELECT seq, incident, at, kind, tag, author, text, room_platform, room_id, "
                    "msg_id, thread_parent, highlight, edited, deleted FROM ("
                    "SELECT * FROM timeline WHERE incident = ?1 ORDER BY seq DESC LIMIT ?2"
                    ") ORDER BY seq"),
      sync_lazily(db, "PRAGMA synchronous = NORMAL"),
      sync_fully(db, "PRAGMA synchronous = FULL"),
      upsert_card(db,
                  "INSERT INTO alert_cards(number, room_platform, room_id, group_key, title, severity, rule, "
                  "opened_at, last_at, incident, dismissed, decided_by, resolved_told) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                  "ON CONFLICT(number) DO UPDATE SET title = excluded.title, severity = excluded.severity, "
                  "last_at = excluded.last_at, incident = excluded.incident, dismissed = excluded.dismissed, "
                  "decided_by = excluded.decided_by, resolved_told = excluded.resolved_told"),
      upsert_card_alert(db,
                        "INSERT INTO card_alerts(card, alert_key, source, fingerprint, title, severity, summary, "
                        "link, labels, firing, started_at, resolved_at, received_at, notifications) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
                        "ON CONFLICT(card, alert_key) DO UPDATE SET title = excluded.title, "
                        "summary = excluded.summary, link = excluded.link, labels = excluded.labels, "
                        "firing = excluded.firing, resolved_at = excluded.resolved_at, "
                        "notifications = excluded.notifications") {}

sqlite_store::impl::impl(const std::string& path, bool reader)
    : path_(path),
      lock_(is_memory(path) || reader ? lock_file{} : lock_file{path}),
      db_(reader ? open_reader(path) : open_database(path, is_memory(path))),
      st_(db_) {
    if (is_memory(path) || reader) return;
    // A WAL that a burst grew is cut back to this size when it restarts.
    db_.exec("PRAGMA journal_size_limit = 16777216");
    ckpt_ = std::make_unique<checkpointer>(path);
    // Replaces SQLite's automatic checkpoint on this connection.
    sqlite3_wal_hook(db_.getHandle(), &checkpointer::on_commit, ckpt_.get());
}

// ---------------------------------------------------------------------------

sqlite_store::sqlite_store(const std::string& path, open_mode mode) try
    : impl_(std::make_unique<impl>(path, mode == open_mode::reader)) {
} catch (const SQLite::Exception& e) {
    // Preparing the statements is the only step left unwrapped; failing there means
    // the schema and this build disagree.
    throw store_error(fmt::format("cannot open database {}: {}", path, e.what()));
}

sqlite_store::~sqlite_store() = default;

int sqlite_store::schema_version() { return detail::latest_schema_version(); }

int sqlite_store::database_version() const {
    return guarded(impl_->path_, "reading the schema version",
                   [&] { return detail::read_schema_version(impl_->db_); });
}

const std::string& sqlite_store::path() const { return impl_->path_; }

bool sqlite_store::processed(const std::string& event_id) {
    return guarded(impl_->path_, "checking a processed event", [&] {
        scoped s(impl_->st_.find_processed);
        s->bind(1, event_id);
        return s->executeStep();
    });
}

bool sqlite_store::commit_lazily(change& c, const std::string& event_id, instant now) {
    impl& m = *impl_;
    if (m.group_) throw std::logic_error("commit_lazily inside a group");
    // As mark_sent: in the WAL at once, on the disk at the next sync(). The setting is
    // changed outside the transaction, and FULL is back before anything else runs.
    guarded(m.path_, "a lazy commit", [&] {
        scoped lazy(m.st_.sync_lazily);
        lazy->exec();
    });
    m.lazy_ = true;
    bool written = false;
    try {
        written = commit(c, event_id, now, std::nullopt);
    } catch (...) {
        m.lazy_ = false;
        guarded(m.path_, "restoring synchronous=FULL", [&] {
            scoped full(m.st_.sync_fully);
            full->exec();
        });
        throw;
    }
    m.lazy_ = false;
    guarded(m.path_, "restoring synchronous=FULL", [&] {
        scoped full(m.st_.sync_fully);
        full->exec();
    });
    return written;
}

bool sqlite_store::commit(change& c, const std::string& event_id, instant now,
                          const std::optional<std::pair<std::string, std::string>>& cursor) {
    return guarded(impl_->path_, "commit", [&] {
        impl& m = *impl_;
        auto& st = m.st_;
        // IMMEDIATE: take the write lock now rather than upgrading mid-transaction. In a
        // group the group's transaction holds it already, and its end commits.
        std::optional<SQLite::Transaction> tx;
        if (!m.group_) tx.emplace(m.db_, SQLite::TransactionBehavior::IMMEDIATE);
        const std::int64_t now_ms = to_unix_ms(now);

        if (!event_id.empty()) {
            scoped s(st.insert_processed);
            s->bind(1, event_id);
            s->bind(2, now_ms);
            // Already handled: a redelivery. Nothing is written yet, so the transaction's
            // destructor (or, in a group, nothing) undoes nothing, and the caller
            // acknowledges without acting again. In a group, an event id committed earlier
            // in the same group counts too: the open transaction sees its own rows.
            if (s->exec() == 0) return false;
        }

        // The value each incident had in the database before this change; a change
        // naming an incident twice is diffed against its own earlier value.
        std::map<std::int64_t, const incident*> staged;
        for (const incident& inc : c.incidents) {
            const incident* before = nullptr;
            if (const auto s = staged.find(inc.id.n); s != staged.end()) before = s->second;
            else if (const auto w = m.written_.find(inc.id.n); w != m.written_.end())
                before = &w->second;
            m.write_incident(inc, before);
            staged[inc.id.n] = &inc;
        }

        if (c.next_number != 0) {
            scoped s(st.put_counter);
            s->bind(1, next_number_counter);
            s->bind(2, c.next_number);
            s->exec();
        }

        for (const auto& [room, inc] : c.rooms_bound) {
            scoped s(st.bind_room);
            s->bind(1, inc.n);
            s->bind(2, room.platform);
            s->bind(3, room.id);
            s->exec();
        }

        std::vector<std::int64_t> seqs;
        seqs.reserve(c.entries.size());
        for (const timeline_entry& e : c.entries) {
            scoped s(st.insert_entry);
            if (e.seq != 0) s->bind(1, e.seq);
            else s->bind(1);
            s->bind(2, e.incident.n);
            bind_ms(*s, 3, e.at);
            s->bind(4, name_of(entry_kind_names, e.kind, "timeline entry kind"));
            s->bind(5, e.tag);
            s->bind(6, e.author.id);
            s->bind(7, e.text);
            s->bind(8, e.room.platform);
            s->bind(9, e.room.id);
            s->bind(10, e.msg.id);
            s->bind(11, e.thread_parent.id);
            bind_flag(*s, 12, e.highlight);
            bind_flag(*s, 13, e.edited);
            bind_flag(*s, 14, e.deleted);
            s->exec();
            seqs.push_back(m.db_.getLastInsertRowid());
        }

        m.write_cards(c);
        if (c.next_card != 0) {
            scoped s(st.put_counter);
            s->bind(1, next_card_counter);
            s->bind(2, c.next_card);
            s->exec();
        }

        // After the entries: an amendment may address a message appended by this change.
        for (const timeline_amendment& a : c.amendments) m.apply(a, to_unix_ms(a.at));

        for (const outbound& o : c.outbox) {
            scoped s(st.insert_outbox);
            s->bind(1, now_ms);
            s->bind(2, name_of(op_names, o.op, "outbound op"));
            s->bind(3, name_of(target_names, o.target, "target kind"));
            s->bind(4, o.platform);
            s->bind(5, o.room.platform);
            s->bind(6, o.room.id);
            s->bind(7, o.incident.n);
            s->bind(8, o.to_user.id);
            s->bind(9, encode_rich_text(o.body));
            s->bind(10, o.thread.id);
            s->bind(11, o.room_name);
            s->bind(12, join_users(o.invite));
            bind_flag(*s, 13, o.is_private);
            s->bind(14, name_of(fallback_names, o.fallback, "ephemeral fallback"));
            s->bind(15, o.reaction);
            s->bind(16, o.reaction_to.id);
            s->exec();
        }

        if (cursor) {
            scoped s(st.put_cursor);
            s->bind(1, cursor->first);
            s->bind(2, cursor->second);
            s->exec();
        }

        if (tx) {
            tx->commit();
            m.unsynced_ = m.lazy_;
        }
        // Only now that the rows exist: a failed commit leaves the change untouched.
        for (std::size_t i = 0; i < seqs.size(); ++i) c.entries[i].seq = seqs[i];
        for (const auto& [n, inc] : staged) {
            if (m.group_ && !m.undo_.count(n)) {
                auto w = m.written_.find(n);
                m.undo_.emplace(n, w == m.written_.end() ? std::nullopt : std::optional<incident>(w->second));
            }
            m.written_[n] = *inc;
        }
        return true;
    });
}

std::vector<outbox_row> sqlite_store::pending_outbox(std::size_t limit) {
    return guarded(impl_->path_, "reading the outbox", [&] {
        std::vector<outbox_row> out;
        scoped s(impl_->st_.pending);
        // LIMIT -1 is SQLite's "no limit".
        if (limit == 0) s->bind(1, static_cast<std::int64_t>(-1));
        else bind_count(*s, 1, limit);
        while (s->executeStep()) {
            outbox_row row;
            row.id = s->getColumn(0).getInt64();
            row.created_at = col_ms(*s, 1);
            row.msg.op = value_of(op_names, col_text(*s, 2), "outbound op");
            row.msg.target = value_of(target_names, col_text(*s, 3), "target kind");
            row.msg.platform = col_text(*s, 4);
            row.msg.room = room_ref{col_text(*s, 5), col_text(*s, 6)};
            row.msg.incident = incident_id{s->getColumn(7).getInt64()};
            row.msg.to_user = user_ref{col_text(*s, 8)};
            row.msg.body = decode_rich_text(col_text(*s, 9));
            row.msg.thread = message_id{col_text(*s, 10)};
            row.msg.room_name = col_text(*s, 11);
            row.msg.invite = split_users(col_text(*s, 12));
            row.msg.is_private = col_flag(*s, 13);
            row.attempts = s->getColumn(14).getInt();
            row.not_before = col_opt_ms(*s, 15);
            row.msg.fallback = value_of(fallback_names, col_text(*s, 16), "ephemeral fallback");
            row.msg.reaction = col_text(*s, 17);
            row.msg.reaction_to = message_id{col_text(*s, 18)};
            out.push_back(std::move(row));
        }
        return out;
    });
}

std::int64_t sqlite_store::forget_processed_before(instant cutoff) {
    return guarded(impl_->path_, "forgetting old event ids", [&] {
        SQLite::Statement q(impl_->db_,
                            "DELETE FROM processed_events WHERE at < ?1 AND event_id NOT LIKE 'nudge:%'");
        q.bind(1, to_unix_ms(cutoff));
        return std::int64_t(q.exec());
    });
}

std::int64_t sqlite_store::checkpoints() const { return impl_->ckpt_ ? impl_->ckpt_->done() : 0; }

int sqlite_store::synchronous() const {
    return guarded(impl_->path_, "reading PRAGMA synchronous", [&] {
        SQLite::Statement q(impl_->db_, "PRAGMA synchronous");
        q.executeStep();
        return q.getColumn(0).getInt();
    });
}

void sqlite_store::begin_group() {
    guarded(impl_->path_, "starting a group commit", [&] {
        impl& m = *impl_;
        if (m.group_) throw std::logic_error("a group is already open");
        m.db_.exec("BEGIN IMMEDIATE");
        m.group_ = true;
        m.undo_.clear();
    });
}

void sqlite_store::end_group() {
    guarded(impl_->path_, "committing a group", [&] {
        impl& m = *impl_;
        if (!m.group_) throw std::logic_error("no group is open");
        // synchronous = FULL: this COMMIT returns once the WAL, and with it every earlier
        // write, is on the disk.
        m.db_.exec("COMMIT");
        m.group_ = false;
        m.undo_.clear();
        m.unsynced_ = false;
    });
}

void sqlite_store::abandon_group() noexcept {
    impl& m = *impl_;
    if (!m.group_) return;
    m.group_ = false;
    // A COMMIT that failed may have rolled back already (SQLite does on some errors).
    // If even the ROLLBACK fails the connection is unusable, and the next call says so.
    if (sqlite3_get_autocommit(m.db_.getHandle()) == 0) sqlite3_exec(m.db_.getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
    for (auto& [n, before] : m.undo_) {
        if (before) m.written_[n] = std::move(*before);
        else m.written_.erase(n);
    }
    m.undo_.clear();
}

void sqlite_store::mark_sent(std::int64_t id, const message_id& platform_id, instant at) {
    guarded(impl_->path_, "marking an outbox row sent", [&] {
        impl& m = *impl_;
        // Written to the WAL at once, so a killed process loses nothing, but not forced to
        // the disk: sync() does that once a burst of deliveries ends, so a reply costs no
        // disk flush of its own. Only a power cut before that sync can forget a mark (and
        // the row is then sent again).
        const auto mark = [&] {
            scoped s(m.st_.mark_sent);
            s->bind(1, id);
            bind_ms(*s, 2, at);
            s->bind(3, platform_id.id);
            s->exec();
        };
        if (m.group_) return mark();
        scoped lazy(m.st_.sync_lazily);
        lazy->exec();
        try {
            mark();
        } catch (...) {
            scoped full(m.st_.sync_fully);
            full->exec();
            throw;
        }
        // Every other write stays durable; if this fails, the error stops the caller.
        scoped full(m.st_.sync_fully);
        full->exec();
        m.unsynced_ = true;
        m.last_marked_ = id;
    });
}

void sqlite_store::sync() {
    guarded(impl_->path_, "syncing to disk", [&] {
        impl& m = *impl_;
        if (!m.unsynced_ || m.group_) return;
        // A write with synchronous = FULL flushes the whole WAL, earlier lazy frames
        // included; SQLite has no flush of its own for a connection with nothing to write.
        scoped s(m.st_.put_cursor);
        s->bind(1, std::string("outbox.synced"));
        s->bind(2, std::to_string(m.last_marked_));
        s->exec();
        m.unsynced_ = false;
    });
}

void sqlite_store::mark_failed(std::int64_t id, const std::string& detail, bool give_up,
                               std::optional<instant> not_before) {
    guarded(impl_->path_, "marking an outbox row failed", [&] {
        scoped s(impl_->st_.mark_failed);
        s->bind(1, id);
        s->bind(2, detail);
        bind_flag(*s, 3, give_up);
        bind_ms(*s, 4, not_before);
        s->exec();
    });
}

std::optional<std::string> sqlite_store::bot_post(incident_id inc, const message_id& id) {
    if (id.empty()) return std::nullopt;
    return guarded(impl_->path_, "reading a posted message", [&]() -> std::optional<std::string> {
        SQLite::Statement q(impl_->db_,
                            "SELECT body FROM outbox WHERE platform_msg_id = ?1 AND incident = ?2 AND op = 'post' "
                            "AND NOT EXISTS (SELECT 1 FROM timeline WHERE incident = ?2 AND msg_id = ?1 "
                            "AND kind = 'message') ORDER BY id DESC LIMIT 1");
        q.bind(1, id.id);
        q.bind(2, inc.n);
        if (!q.executeStep()) return std::nullopt;
        return decode_rich_text(col_text(q, 0)).plain();
    });
}

std::optional<std::string> sqlite_store::cursor(const std::string& key) {
    return guarded(impl_->path_, "reading a cursor", [&]() -> std::optional<std::string> {
        scoped s(impl_->st_.get_cursor);
        s->bind(1, key);
        if (!s->executeStep()) return std::nullopt;
        return col_text(*s, 0);
    });
}

void sqlite_store::put_cursor(const std::string& key, const std::string& value) {
    guarded(impl_->path_, "storing a cursor", [&] {
        impl& m = *impl_;
        if (m.group_) throw std::logic_error("put_cursor while a group is open");
        // Autocommit with synchronous = FULL: on the disk, with every earlier lazy write, when
        // this returns.
        scoped s(m.st_.put_cursor);
        s->bind(1, key);
        s->bind(2, value);
        s->exec();
        m.unsynced_ = false;
    });
}

void sqlite_store::put_document(incident_id inc, const std::string& format,
                                const std::string& body, instant at) {
    guarded(impl_->path_, "storing a document", [&] {
        SQLite::Statement q(impl_->db_,
                            "INSERT INTO documents(incident, format, body, at) "
                            "VALUES (?1, ?2, ?3, ?4)");
        q.bind(1, inc.n);
        q.bind(2, format);
        q.bind(3, body);
        bind_ms(q, 4, at);
        q.exec();
    });
}

std::optional<std::string> sqlite_store::document(incident_id inc, const std::string& format) {
    return guarded(impl_->path_, "reading a document", [&]() -> std::optional<std::string> {
        // Latest by insertion, not by `at`: a regenerated draft wins even if clocks disagree.
        SQLite::Statement q(impl_->db_,
                            "SELECT body FROM documents WHERE incident = ?1 AND format = ?2 "
                            "ORDER BY id DESC LIMIT 1");
        q.bind(1, inc.n);
        q.bind(2, format);
        if (!q.executeStep()) return std::nullopt;
        return col_text(q, 0);
    });
}

}  // namespace firebreak
