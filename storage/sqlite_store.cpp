#include "storage/sqlite_store.hpp"
#include "storage/rich_text_codec.hpp"

#include "storage/migrations.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace firebreak {
namespace {

// ---------------------------------------------------------------------------
// Enum names. The database stores stable names of its own rather than the
// display strings of the core (to_string), so a wording change in the UI never
// needs a migration. The CHECK constraints of the schema list the same names.

template <class E>
struct named {
    E value;
    const char* name;
};

constexpr named<status> status_names[] = {
    {status::investigating, "investigating"}, {status::identified, "identified"},
    {status::mitigated, "mitigated"},         {status::resolved, "resolved"},
    {status::closed, "closed"},
};
constexpr named<role> role_names[] = {
    {role::commander, "commander"}, {role::scribe, "scribe"}, {role::sme, "sme"},
};
constexpr named<outcome> outcome_names[] = {
    {outcome::open, "open"}, {outcome::confirmed, "confirmed"}, {outcome::ruled_out, "ruled_out"},
};
constexpr named<note_kind> note_kind_names[] = {
    {note_kind::decision, "decision"}, {note_kind::deadend, "deadend"},
    {note_kind::change, "change"},     {note_kind::impact, "impact"},
    {note_kind::mitigation, "mitigation"},
};
constexpr named<entry_kind> entry_kind_names[] = {
    {entry_kind::message, "message"}, {entry_kind::system, "system"},
};
constexpr named<outbound_op> op_names[] = {
    {outbound_op::post, "post"},           {outbound_op::ephemeral, "ephemeral"},
    {outbound_op::set_topic, "set_topic"}, {outbound_op::open_room, "open_room"},
    {outbound_op::postmortem, "postmortem"}, {outbound_op::invite, "invite"},
    {outbound_op::moderator, "moderator"},
};
constexpr named<target_kind> target_names[] = {
    {target_kind::room, "room"},
    {target_kind::incident_room, "incident_room"},
    {target_kind::announcement, "announcement"},
};
constexpr named<ephemeral_fallback> fallback_names[] = {
    {ephemeral_fallback::reply_in_room, "reply_in_room"},
    {ephemeral_fallback::incident_room, "incident_room"},
    {ephemeral_fallback::drop, "drop"},
};

template <class E, std::size_t N>
const char* name_of(const named<E> (&table)[N], E value, const char* what) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.name;
    // An enum value added to the core without a name here: a broken invariant.
    throw store_error(fmt::format("cannot store {} value {}: no stored name for it", what,
                                  static_cast<int>(value)));
}

template <class E, std::size_t N>
E value_of(const named<E> (&table)[N], const std::string& name, const char* what) {
    for (const auto& entry : table)
        if (name == entry.name) return entry.value;
    throw store_error(fmt::format("corrupt database: unknown {} '{}'", what, name));
}

severity severity_of(std::int64_t n) {
    if (n < 1 || n > 4) throw store_error(fmt::format("corrupt database: severity {}", n));
    return static_cast<severity>(n);
}

// ---------------------------------------------------------------------------
// Binding and reading values.

void bind_ms(SQLite::Statement& s, int i, instant t) {
    s.bind(i, static_cast<std::int64_t>(to_unix_ms(t)));
}
void bind_ms(SQLite::Statement& s, int i, const std::optional<instant>& t) {
    if (t) bind_ms(s, i, *t);
    else s.bind(i);  // NULL: the milestone or deadline is unset
}
void bind_flag(SQLite::Statement& s, int i, bool b) { s.bind(i, b ? 1 : 0); }
void bind_count(SQLite::Statement& s, int i, std::size_t n) {
    // SQLite counts are signed; anything beyond int64 means "no limit" anyway.
    constexpr auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    s.bind(i, static_cast<std::int64_t>(std::min(n, max)));
}

instant col_ms(const SQLite::Statement& s, int i) {
    return from_unix_ms(s.getColumn(i).getInt64());
}
std::optional<instant> col_opt_ms(const SQLite::Statement& s, int i) {
    const SQLite::Column c = s.getColumn(i);
    if (c.isNull()) return std::nullopt;
    return from_unix_ms(c.getInt64());
}
// getString reads the column as bytes with their length, so invalid UTF-8 and
// control characters come back exactly as they were bound.
std::string col_text(const SQLite::Statement& s, int i) { return s.getColumn(i).getString(); }
bool col_flag(const SQLite::Statement& s, int i) { return s.getColumn(i).getInt64() != 0; }

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

// Resets a cached statement before use and again after. Before: a run that failed
// earlier leaves the statement mid-step, and it must not poison this one. After: a
// SELECT left un-reset keeps its read snapshot open, which stops WAL checkpoints.
class scoped {
public:
    explicit scoped(SQLite::Statement& s) : s_(s) { s_.tryReset(); }
    ~scoped() { s_.tryReset(); }
    scoped(const scoped&) = delete;
    scoped& operator=(const scoped&) = delete;
    SQLite::Statement* operator->() const { return &s_; }
    SQLite::Statement& operator*() const { return s_; }

private:
    SQLite::Statement& s_;
};

// Turns SQLite's exceptions into store_error naming the database and the operation,
// so callers handle one exception type and operators see which file failed.
template <class F>
auto guarded(const std::string& path, const char* what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const SQLite::Exception& e) {
        throw store_error(fmt::format("{} failed on database {}: {}", what, path, e.what()));
    }
}

bool is_memory(const std::string& path) { return path.empty() || path == ":memory:"; }

// ---------------------------------------------------------------------------
// The single-instance lock. SQLite's own locking lets several processes share a
// file, but two firebreak processes on one database would both deliver the
// outbox and both answer every command. A sidecar file with flock() makes the
// second one fail at start, and the kernel drops the lock when a process dies,
// so a crash never leaves a stale lock behind. The sidecar is never deleted:
// unlinking a lock file races with a process about to lock it.
class lock_file {
public:
    lock_file() = default;
    explicit lock_file(const std::string& db_path) {
        const std::string lock_path = db_path + ".lock";
        fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            throw store_error(fmt::format("cannot open database {}: cannot create lock file {}: {}",
                                          db_path, lock_path, std::strerror(errno)));
        }
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            const std::string holder = read_holder();
            ::close(fd_);
            fd_ = -1;
            if (err == EWOULDBLOCK) {
                throw store_error(fmt::format("database {} is in use by another firebreak process{}",
                                              db_path, holder.empty() ? "" : " (pid " + holder + ")"));
            }
            throw store_error(fmt::format("cannot open database {}: cannot lock {}: {}", db_path,
                                          lock_path, std::strerror(err)));
        }
        // Record our pid so the error above can tell an operator which process to look at.
        const std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd_, 0) == 0) {
            [[maybe_unused]] const auto n = ::pwrite(fd_, pid.data(), pid.size(), 0);
        }
    }
    ~lock_file() {
        if (fd_ >= 0) ::close(fd_);
    }
    lock_file(lock_file&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    lock_file& operator=(lock_file&&) = delete;
    lock_file(const lock_file&) = delete;
    lock_file& operator=(const lock_file&) = delete;

private:
    std::string read_holder() const {
        char buf[32] = {};
        const auto n = ::pread(fd_, buf, sizeof buf - 1, 0);
        if (n <= 0) return {};
        std::string pid(buf, static_cast<std::size_t>(n));
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == '\r')) pid.pop_back();
        const bool digits = !pid.empty() && std::all_of(pid.begin(), pid.end(), [](char ch) {
            return ch >= '0' && ch <= '9';
        });
        return digits ? pid : std::string{};
    }

    int fd_ = -1;
};

// Opens, checks, migrates and configures the database file. The order matters:
// nothing is written before the file is known to be a firebreak database (or a new
// one), so refusing a file leaves it untouched.
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

constexpr const char* next_number_counter = "next_incident";

// Copies the WAL back into the database file on a thread and connection of its own.
// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that
// commit then also writes a few MB into the database file and syncs it, and the event
// waiting on it (and every event queued behind) waits too; latency_bench saw 100 ms
// stalls. A PASSIVE checkpoint from another connection never blocks the writer, and
// the writer restarts the WAL from its start once a checkpoint has caught up.
class checkpointer {
public:
    /// WAL frames (pages) after which a commit asks for a checkpoint: SQLite's default.
    static constexpr int frames = 1000;
    /// The WAL restarts from its start only once a checkpoint has caught up with the
    /// writer, which a sustained burst never lets happen. Past this many frames (16 MB)
    /// the writer checkpoints inline after its commit, once, as SQLite itself would.
    static constexpr int cap = 4000;

    explicit checkpointer(const std::string& path)
        : db_(path, SQLite::OPEN_READWRITE, 5000), thread_([this] { run(); }) {}
    ~checkpointer() {
        {
            std::lock_guard<std::mutex> l(m_);
            stop_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }
    checkpointer(const checkpointer&) = delete;
    checkpointer& operator=(const checkpointer&) = delete;

    /// Asks for a checkpoint (cheap; called from the writer's commit).
    void request() {
        {
            std::lock_guard<std::mutex> l(m_);
            wanted_ = true;
        }
        cv_.notify_one();
    }
    std::int64_t done() const { return done_.load(); }

    /// SQLite's wal_hook: called after each commit with the frames now in the WAL.
    static int on_commit(void* self, sqlite3* db, const char* name, int wal_frames) {
        auto& c = *static_cast<checkpointer*>(self);
        // Only the writer's thread gets here, so next_at_ and seen_ need no lock.
        if (wal_frames < c.seen_) c.next_at_ = frames;  // the WAL started over
        c.seen_ = wal_frames;
        if (wal_frames >= cap) {
            // The background checkpoints have copied nearly everything by now, so this
            // one copies the last few pages (2.5 ms measured). SQLITE_BUSY while the
            // background one runs: the next commit tries again.
            if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_OK)
                ++c.inline_;
        } else if (wal_frames >= c.next_at_) {
            // Once per `frames` new frames, not after every commit past the threshold: each
            // checkpoint ends with a sync of the database file, and a sync per commit
            // would halve what the disk has left for the commits themselves.
            c.next_at_ = wal_frames + frames;
            c.request();
        }
        return SQLITE_OK;
    }
    std::int64_t inline_done() const { return inline_.load(); }

private:
    void run() {
        std::unique_lock<std::mutex> l(m_);
        for (;;) {
            cv_.wait(l, [this] { return stop_ || wanted_; });
            if (stop_) return;
            wanted_ = false;
            l.unlock();
            // The WAL starts over only when a writer finds every frame copied, so while the
            // writer keeps appending, the copy is chased a few times: each round has only
            // the frames of the last few commits to copy and one gap between commits is
            // enough to catch up. Past `chases` rounds the next request goes on (and past
            // `cap` the writer steps in). A failure (SQLITE_BUSY while the writer's own
            // checkpoint runs) waits for the next request; nothing is lost meanwhile.
            constexpr int chases = 8;
            for (int round = 0; round < chases; ++round) {
                int in_log = 0, copied = 0;
                if (sqlite3_wal_checkpoint_v2(db_.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &in_log,
                                              &copied) != SQLITE_OK)
                    break;
                ++done_;
                if (copied >= in_log) break;
            }
            l.lock();
        }
    }

    SQLite::Database db_;
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false, wanted_ = false;
    std::atomic<std::int64_t> done_{0}, inline_{0};
    int next_at_ = frames, seen_ = 0;
    std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace

// ---------------------------------------------------------------------------

struct sqlite_store::impl {
    explicit impl(const std::string& path);

    // Statements of the hot paths (commit, delivery, dedupe), prepared once.
    struct statements {
        explicit statements(SQLite::Database& db);
        SQLite::Statement insert_processed;
        SQLite::Statement find_processed;
        SQLite::Statement upsert_incident;
        SQLite::Statement clear_room_order;
        SQLite::Statement upsert_room;
        SQLite::Statement bind_room;
        SQLite::Statement delete_shifts, insert_shift;
        SQLite::Statement delete_hypotheses, insert_hypothesis;
        SQLite::Statement delete_notes, insert_note;
        SQLite::Statement delete_actions, insert_action;
        SQLite::Statement delete_updates, insert_update;
        SQLite::Statement delete_snoozes, insert_snooze;
        SQLite::Statement delete_phases, insert_phase;
        SQLite::Statement delete_nudges, insert_nudge;
        SQLite::Statement delete_members, insert_member;
        SQLite::Statement put_counter;
        SQLite::Statement insert_entry;
        SQLite::Statement copy_to_history, forget_history;
        SQLite::Statement apply_edit, apply_remove, apply_highlight;
        SQLite::Statement insert_outbox;
        SQLite::Statement put_cursor, get_cursor;
        SQLite::Statement pending, mark_sent, mark_failed;
        SQLite::Statement timeline_all, timeline_tail;
        SQLite::Statement sync_lazily, sync_fully;
    };

    void write_incident(const incident& inc, const incident* before);
    void apply(const timeline_amendment& a, std::int64_t changed_at);
    static timeline_entry read_entry(const SQLite::Statement& s);
    std::vector<timeline_entry> read_timeline(incident_id inc, std::size_t limit);

    std::string path_;
    lock_file lock_;  // before db_: taken before the file is touched, released after it is closed
    SQLite::Database db_;
    statements st_;
    // The incidents as they are in the database, to write only the child rows that
    // changed: most events (a chat message) change one counter of one incident, and
    // rewriting its shifts, notes and updates each time would dominate the commit. Safe
    // because the lock makes this process the file's only writer; updated only after a
    // commit succeeds.
    std::map<std::int64_t, incident> written_;
    // An open group (begin_group): the commits since share one transaction. `undo_` keeps
    // what written_ held for each incident before the group first touched it (nullopt:
    // absent), so abandoning the group puts written_ back as the database is.
    bool group_ = false;
    std::map<std::int64_t, std::optional<incident>> undo_;
    // Some write since the last sync reached the file but not yet the disk (mark_sent).
    bool unsynced_ = false;
    bool lazy_ = false;  // the commit under way is one of commit_lazily()'s
    std::int64_t last_marked_ = 0;
    // Files only (":memory:" has no WAL). Declared after db_, so it is gone, its thread
    // joined, before db_ closes and checkpoints the rest itself.
    std::unique_ptr<checkpointer> ckpt_;
    ~impl() {
        if (ckpt_) sqlite3_wal_hook(db_.getHandle(), nullptr, nullptr);
    }
};

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
      sync_fully(db, "PRAGMA synchronous = FULL") {}

sqlite_store::impl::impl(const std::string& path)
    : path_(path),
      lock_(is_memory(path) ? lock_file{} : lock_file{path}),
      db_(open_database(path, is_memory(path))),
      st_(db_) {
    if (is_memory(path)) return;
    // A WAL that a burst grew is cut back to this size when it restarts.
    db_.exec("PRAGMA journal_size_limit = 16777216");
    ckpt_ = std::make_unique<checkpointer>(path);
    // Replaces SQLite's automatic checkpoint on this connection.
    sqlite3_wal_hook(db_.getHandle(), &checkpointer::on_commit, ckpt_.get());
}

// Keeps the child rows of one incident in step with `inc`. `before` is what the
// database holds for it, or null when unknown (then every child list is rewritten).
void sqlite_store::impl::write_incident(const incident& inc, const incident* before) {
    const std::int64_t number = inc.id.n;
    {
        scoped s(st_.upsert_incident);
        s->bind(1, number);
        s->bind(2, inc.title);
        s->bind(3, static_cast<int>(inc.sev));
        s->bind(4, name_of(status_names, inc.state, "status"));
        bind_flag(*s, 5, inc.is_private);
        s->bind(6, inc.declared_by.id);
        s->bind(7, inc.declared_in.platform);
        s->bind(8, inc.declared_in.id);
        bind_ms(*s, 9, inc.times.impact_started);
        bind_ms(*s, 10, inc.times.detected);
        bind_ms(*s, 11, inc.times.declared);
        bind_ms(*s, 12, inc.times.commander_assigned);
        bind_ms(*s, 13, inc.times.identified);
        bind_ms(*s, 14, inc.times.mitigated);
        bind_ms(*s, 15, inc.times.resolved);
        bind_ms(*s, 16, inc.times.closed);
        bind_ms(*s, 17, inc.next_update_due);
        s->bind(18, inc.message_count);
        s->exec();
    }

    // Rewrites one child list. Lists mostly grow at the end (a new shift, note or
    // update), so when the stored list is a prefix of the new one only the tail is
    // inserted; any other difference rewrites the list.
    const auto sync = [number](const auto& now, const auto* stored, SQLite::Statement& del,
                               auto&& insert) {
        std::size_t from = 0;
        if (stored) {
            if (*stored == now) return;
            if (stored->size() <= now.size() &&
                std::equal(stored->begin(), stored->end(), now.begin())) {
                from = stored->size();
            }
        }
        if (from == 0) {
            scoped d(del);
            d->bind(1, number);
            d->exec();
        }
        for (std::size_t i = from; i < now.size(); ++i)
            insert(static_cast<std::int64_t>(i), now[i]);
    };

    if (!before || before->rooms != inc.rooms) {
        {
            scoped s(st_.clear_room_order);
            s->bind(1, number);
            s->exec();
        }
        for (std::size_t i = 0; i < inc.rooms.size(); ++i) {
            scoped s(st_.upsert_room);
            s->bind(1, number);
            s->bind(2, inc.rooms[i].platform);
            s->bind(3, inc.rooms[i].id);
            s->bind(4, static_cast<std::int64_t>(i));
            s->exec();
        }
    }

    sync(inc.shifts, before ? &before->shifts : nullptr, st_.delete_shifts,
         [&](std::int64_t ord, const shift& v) {
             scoped s(st_.insert_shift);
             s->bind(1, number);
             s->bind(2, ord);
             s->bind(3, name_of(role_names, v.held, "role"));
             s->bind(4, v.user.id);
             s->bind(5, v.area);
             bind_ms(*s, 6, v.start);
             bind_ms(*s, 7, v.end);
             s->bind(8, v.assigned_by.id);
             s->bind(9, v.ended_by.id);
             s->exec();
         });
    sync(inc.hypotheses, before ? &before->hypotheses : nullptr, st_.delete_hypotheses,
         [&](std::int64_t ord, const hypothesis& v) {
             scoped s(st_.insert_hypothesis);
             s->bind(1, number);
             s->bind(2, ord);
             s->bind(3, v.n);
             s->bind(4, v.text);
             s->bind(5, v.opened_by.id);
             bind_ms(*s, 6, v.opened_at);
             s->bind(7, name_of(outcome_names, v.result, "outcome"));
             bind_ms(*s, 8, v.closed_at);
             s->bind(9, v.closed_by.id);
             s->bind(10, v.evidence);
             s->bind(11, v.source.id);
             s->bind(12, v.closed_source.id);
             bind_flag(*s, 13, v.withdrawn);
             bind_flag(*s, 14, v.source_deleted);
             s->exec();
         });
    sync(inc.notes, before ? &before->notes : nullptr, st_.delete_notes,
         [&](std::int64_t ord, const note& v) {
             scoped s(st_.insert_note);
             s->bind(1, number);
             s->bind(2, ord);
             s->bind(3, name_of(note_kind_names, v.kind, "note kind"));
             s->bind(4, v.text);
             s->bind(5, v.author.id);
             bind_ms(*s, 6, v.at);
             s->bind(7, v.source.id);
             s->exec();
         });
    sync(inc.actions, before ? &before->actions : nullptr, st_.delete_actions,
         [&](std::int64_t ord, const action_item& v) {
             scoped s(st_.insert_action);
             s->bind(1, number);
             s->bind(2, ord);
             s->bind(3, v.n);
             s->bind(4, v.text);
             s->bind(5, v.owner.id);
             s->bind(6, v.due);
             s->bind(7, v.created_by.id);
             bind_ms(*s, 8, v.at);
             s->bind(9, v.source.id);
             bind_flag(*s, 10, v.withdrawn);
             s->exec();
         });
    sync(inc.updates, before ? &before->updates : nullptr, st_.delete_updates,
         [&](std::int64_t ord, const status_update& v) {
             scoped s(st_.insert_update);
             s->bind(1, number);
             s->bind(2, ord);
             bind_ms(*s, 3, v.at);
             s->bind(4, v.author.id);
             s->bind(5, v.impact);
             s->bind(6, v.actions);
             s->bind(7, v.needs);
             bind_ms(*s, 8, v.next_at);
             s->exec();
         });

    sync(inc.history, before ? &before->history : nullptr, st_.delete_phases,
         [&](std::int64_t ord, const phase& v) {
             scoped s(st_.insert_phase);
             s->bind(1, number);
             s->bind(2, ord);
             bind_ms(*s, 3, v.at);
             s->bind(4, static_cast<int>(v.sev));
             s->bind(5, name_of(status_names, v.state, "status"));
             s->bind(6, v.by.id);
             s->bind(7, v.reason);
             s->exec();
         });

    if (!before || before->nudges != inc.nudges) {
        {
            scoped d(st_.delete_nudges);
            d->bind(1, number);
            d->exec();
        }
        for (const auto& [sequence, mark] : inc.nudges) {
            scoped s(st_.insert_nudge);
            s->bind(1, number);
            s->bind(2, sequence);
            s->bind(3, mark.sent);
            bind_ms(*s, 4, mark.first);
            bind_ms(*s, 5, mark.last);
            s->exec();
        }
    }

    if (!before || before->members != inc.members) {
        {
            scoped d(st_.delete_members);
            d->bind(1, number);
            d->exec();
        }
        for (const auto& member : inc.members) {
            scoped s(st_.insert_member);
            s->bind(1, number);
            s->bind(2, member.id);
            s->exec();
        }
    }

    if (!before || before->snoozed_until != inc.snoozed_until) {
        {
            scoped d(st_.delete_snoozes);
            d->bind(1, number);
            d->exec();
        }
        for (const auto& [nudge, until] : inc.snoozed_until) {
            scoped s(st_.insert_snooze);
            s->bind(1, number);
            s->bind(2, nudge);
            bind_ms(*s, 3, until);
            s->exec();
        }
    }
}

// An amendment addresses rows by (room, platform message id); when no row has that
// id (a message from before the incident, or one we never saw) it changes nothing.
void sqlite_store::impl::apply(const timeline_amendment& a, std::int64_t changed_at) {
    // Without an id there is no message to address.
    if (a.msg.empty()) return;
    // Only message rows of the named incident, as the engine's fold() matches them:
    // system entries never carry a platform message to edit.
    const auto where = [&](SQLite::Statement& s) {
        s.bind(1, a.room.platform);
        s.bind(2, a.room.id);
        s.bind(3, a.msg.id);
        s.bind(6, a.incident.n);
    };
    using what = timeline_amendment::what;
    if (a.op == what::edit) {
        // History first, while the row still holds the text being replaced.
        scoped h(st_.copy_to_history);
        where(*h);
        h->bind(4, changed_at);
        h->bind(5, a.actor.id);
        h->bind(7, a.new_text);
        h->exec();
    } else if (a.op == what::remove) {
        // A deletion removes the words, earlier versions included (a pasted secret must
        // go); the row itself keeps the fact that something was said and deleted.
        scoped h(st_.forget_history);
        where(*h);
        h->exec();
    }
    switch (a.op) {
    case what::edit: {
        scoped s(st_.apply_edit);
        where(*s);
        s->bind(4, a.new_text);
        s->bind(5, a.new_tag);
        s->exec();
        break;
    }
    case what::remove: {
        scoped s(st_.apply_remove);
        where(*s);
        s->exec();
        break;
    }
    case what::highlight:
    case what::unhighlight: {
        scoped s(st_.apply_highlight);
        where(*s);
        bind_flag(*s, 4, a.op == what::highlight);
        s->exec();
        break;
    }
    }
}

timeline_entry sqlite_store::impl::read_entry(const SQLite::Statement& s) {
    timeline_entry e;
    e.seq = s.getColumn(0).getInt64();
    e.incident = incident_id{s.getColumn(1).getInt64()};
    e.at = col_ms(s, 2);
    e.kind = value_of(entry_kind_names, col_text(s, 3), "timeline entry kind");
    e.tag = col_text(s, 4);
    e.author = user_ref{col_text(s, 5)};
    e.text = col_text(s, 6);
    e.room = room_ref{col_text(s, 7), col_text(s, 8)};
    e.msg = message_id{col_text(s, 9)};
    e.thread_parent = message_id{col_text(s, 10)};
    e.highlight = col_flag(s, 11);
    e.edited = col_flag(s, 12);
    e.deleted = col_flag(s, 13);
    return e;
}

std::vector<timeline_entry> sqlite_store::impl::read_timeline(incident_id inc, std::size_t limit) {
    std::vector<timeline_entry> out;
    scoped s(limit == 0 ? st_.timeline_all : st_.timeline_tail);
    s->bind(1, inc.n);
    if (limit != 0) bind_count(*s, 2, limit);
    while (s->executeStep()) out.push_back(read_entry(*s));
    return out;
}

// ---------------------------------------------------------------------------

sqlite_store::sqlite_store(const std::string& path) try : impl_(std::make_unique<impl>(path)) {
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

restored_state sqlite_store::load(std::size_t tail) {
    return guarded(impl_->path_, "loading the state", [&] {
        auto& db = impl_->db_;
        restored_state out;
        engine_state& state = out.state;
        // One read transaction: every table seen at the same instant.
        SQLite::Transaction tx(db);

        const auto owner = [&](std::int64_t n, const char* table) -> incident& {
            const auto it = state.incidents.find(n);
            if (it == state.incidents.end()) {
                throw store_error(fmt::format("corrupt database {}: {} row for unknown incident {}",
                                              impl_->path_, table, n));
            }
            return it->second;
        };

        {
            SQLite::Statement q(db,
                                "SELECT number, title, severity, status, is_private, declared_by, "
                                "declared_in_platform, declared_in_room, impact_started_at, "
                                "detected_at, declared_at, commander_assigned_at, identified_at, "
                                "mitigated_at, resolved_at, closed_at, next_update_due, "
                                "message_count FROM incidents ORDER BY number");
            while (q.executeStep()) {
                incident inc;
                inc.id = incident_id{q.getColumn(0).getInt64()};
                inc.title = col_text(q, 1);
                inc.sev = severity_of(q.getColumn(2).getInt64());
                inc.state = value_of(status_names, col_text(q, 3), "status");
                inc.is_private = col_flag(q, 4);
                inc.declared_by = user_ref{col_text(q, 5)};
                inc.declared_in = room_ref{col_text(q, 6), col_text(q, 7)};
                inc.times.impact_started = col_opt_ms(q, 8);
                inc.times.detected = col_opt_ms(q, 9);
                inc.times.declared = col_ms(q, 10);
                inc.times.commander_assigned = col_opt_ms(q, 11);
                inc.times.identified = col_opt_ms(q, 12);
                inc.times.mitigated = col_opt_ms(q, 13);
                inc.times.resolved = col_opt_ms(q, 14);
                inc.times.closed = col_opt_ms(q, 15);
                inc.next_update_due = col_opt_ms(q, 16);
                inc.message_count = q.getColumn(17).getInt64();
                state.incidents.emplace(inc.id.n, std::move(inc));
            }
        }
        {
            // NULL ords (rooms only bound) sort first; they go to the index alone.
            SQLite::Statement q(db,
                                "SELECT incident, platform, room_id, ord FROM incident_rooms "
                                "ORDER BY incident, ord");
            while (q.executeStep()) {
                const std::int64_t n = q.getColumn(0).getInt64();
                room_ref room{col_text(q, 1), col_text(q, 2)};
                incident& inc = owner(n, "incident_rooms");
                if (!q.getColumn(3).isNull()) inc.rooms.push_back(room);
                state.room_index[std::move(room)] = incident_id{n};
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, role, user_id, area, start_at, end_at, "
                                "assigned_by, ended_by FROM shifts ORDER BY incident, ord");
            while (q.executeStep()) {
                shift v;
                v.held = value_of(role_names, col_text(q, 1), "role");
                v.user = user_ref{col_text(q, 2)};
                v.area = col_text(q, 3);
                v.start = col_ms(q, 4);
                v.end = col_opt_ms(q, 5);
                v.assigned_by = user_ref{col_text(q, 6)};
                v.ended_by = user_ref{col_text(q, 7)};
                owner(q.getColumn(0).getInt64(), "shifts").shifts.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, n, text, opened_by, opened_at, outcome, "
                                "closed_at, closed_by, evidence, source_msg, closed_source_msg, "
                                "withdrawn, source_deleted FROM hypotheses ORDER BY incident, ord");
            while (q.executeStep()) {
                hypothesis v;
                v.n = q.getColumn(1).getInt();
                v.text = col_text(q, 2);
                v.opened_by = user_ref{col_text(q, 3)};
                v.opened_at = col_ms(q, 4);
                v.result = value_of(outcome_names, col_text(q, 5), "outcome");
                v.closed_at = col_opt_ms(q, 6);
                v.closed_by = user_ref{col_text(q, 7)};
                v.evidence = col_text(q, 8);
                v.source = message_id{col_text(q, 9)};
                v.closed_source = message_id{col_text(q, 10)};
                v.withdrawn = col_flag(q, 11);
                v.source_deleted = col_flag(q, 12);
                owner(q.getColumn(0).getInt64(), "hypotheses").hypotheses.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, kind, text, author, at, source_msg FROM notes "
                                "ORDER BY incident, ord");
            while (q.executeStep()) {
                note v;
                v.kind = value_of(note_kind_names, col_text(q, 1), "note kind");
                v.text = col_text(q, 2);
                v.author = user_ref{col_text(q, 3)};
                v.at = col_ms(q, 4);
                v.source = message_id{col_text(q, 5)};
                owner(q.getColumn(0).getInt64(), "notes").notes.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, n, text, owner, due, created_by, at, source_msg, "
                                "withdrawn FROM actions "
                                "ORDER BY incident, ord");
            while (q.executeStep()) {
                action_item v;
                v.n = q.getColumn(1).getInt();
                v.text = col_text(q, 2);
                v.owner = user_ref{col_text(q, 3)};
                v.due = col_text(q, 4);
                v.created_by = user_ref{col_text(q, 5)};
                v.at = col_ms(q, 6);
                v.source = message_id{col_text(q, 7)};
                v.withdrawn = col_flag(q, 8);
                owner(q.getColumn(0).getInt64(), "actions").actions.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, at, author, impact, actions, needs, next_at "
                                "FROM status_updates ORDER BY incident, ord");
            while (q.executeStep()) {
                status_update v;
                v.at = col_ms(q, 1);
                v.author = user_ref{col_text(q, 2)};
                v.impact = col_text(q, 3);
                v.actions = col_text(q, 4);
                v.needs = col_text(q, 5);
                v.next_at = col_ms(q, 6);
                owner(q.getColumn(0).getInt64(), "status_updates").updates.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, at, severity, status, actor, reason FROM phases "
                                "ORDER BY incident, ord");
            while (q.executeStep()) {
                phase v;
                v.at = col_ms(q, 1);
                v.sev = severity_of(q.getColumn(2).getInt64());
                v.state = value_of(status_names, col_text(q, 3), "status");
                v.by = user_ref{col_text(q, 4)};
                v.reason = col_text(q, 5);
                owner(q.getColumn(0).getInt64(), "phases").history.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db, "SELECT incident, sequence, sent, first_at, last_at FROM nudge_progress");
            while (q.executeStep()) {
                auto& m = owner(q.getColumn(0).getInt64(), "nudge_progress").nudges[col_text(q, 1)];
                m.sent = q.getColumn(2).getInt();
                m.first = col_ms(q, 3);
                m.last = col_ms(q, 4);
            }
        }
        {
            SQLite::Statement q(db, "SELECT incident, user_id FROM incident_members ORDER BY incident");
            while (q.executeStep())
                owner(q.getColumn(0).getInt64(), "incident_members").members.insert(user_ref{col_text(q, 1)});
        }
        {
            SQLite::Statement q(db, "SELECT incident, nudge, until_at FROM snoozes");
            while (q.executeStep()) {
                owner(q.getColumn(0).getInt64(), "snoozes").snoozed_until[col_text(q, 1)] =
                    col_ms(q, 2);
            }
        }
        {
            // The counter is authoritative, but never hand out a number already used,
            // even if the counter row was lost or edited by hand.
            std::int64_t next = 1;
            SQLite::Statement c(db, "SELECT value FROM counters WHERE name = ?1");
            c.bind(1, next_number_counter);
            if (c.executeStep()) next = std::max(next, c.getColumn(0).getInt64());
            if (!state.incidents.empty()) next = std::max(next, state.incidents.rbegin()->first + 1);
            state.next_number = next;
        }
        if (tail > 0) {
            for (const auto& [n, inc] : state.incidents) {
                auto entries = impl_->read_timeline(inc.id, tail);
                if (entries.empty()) continue;
                state.recent[n] = std::deque<timeline_entry>(std::make_move_iterator(entries.begin()),
                                                             std::make_move_iterator(entries.end()));
            }
        }
        {
            SQLite::Statement c(db, "SELECT count(*) FROM timeline");
            c.executeStep();
            out.timeline_rows = c.getColumn(0).getInt64();
        }
        tx.commit();
        impl_->written_ = state.incidents;
        return out;
    });
}

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

std::vector<timeline_entry> sqlite_store::timeline(incident_id inc, std::size_t limit) {
    return guarded(impl_->path_, "reading the timeline",
                   [&] { return impl_->read_timeline(inc, limit); });
}

std::vector<std::pair<instant, std::string>> sqlite_store::edit_history(std::int64_t seq) {
    return guarded(impl_->path_, "reading edit history", [&] {
        std::vector<std::pair<instant, std::string>> out;
        SQLite::Statement q(impl_->db_,
                            "SELECT at, previous_text FROM timeline_edits WHERE seq = ?1 "
                            "ORDER BY id");
        q.bind(1, seq);
        while (q.executeStep()) out.emplace_back(col_ms(q, 0), col_text(q, 1));
        return out;
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

void sqlite_store::put_display_name(const std::string& platform, const user_ref& user,
                                    const std::string& name, instant at) {
    guarded(impl_->path_, "storing a display name", [&] {
        // One statement is its own (autocommit) transaction; a rarely used path, so
        // prepared on use like put_document.
        SQLite::Statement q(impl_->db_,
                            "INSERT INTO people(platform, user_id, display_name, learned_at) "
                            "VALUES (?1, ?2, ?3, ?4) "
                            "ON CONFLICT(platform, user_id) DO UPDATE SET "
                            "display_name = excluded.display_name, learned_at = excluded.learned_at");
        q.bind(1, platform);
        q.bind(2, user.id);
        q.bind(3, name);
        bind_ms(q, 4, at);
        q.exec();
    });
}

std::map<std::string, std::string> sqlite_store::display_names(const std::string& platform) {
    return guarded(impl_->path_, "reading display names", [&] {
        std::map<std::string, std::string> out;
        SQLite::Statement q(impl_->db_, "SELECT user_id, display_name FROM people WHERE platform = ?1");
        q.bind(1, platform);
        while (q.executeStep()) out.emplace(col_text(q, 0), col_text(q, 1));
        return out;
    });
}

}  // namespace firebreak
