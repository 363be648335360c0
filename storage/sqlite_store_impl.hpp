#pragma once
// What sqlite_store keeps behind its pimpl: the lock, the connection, the statements prepared
// once, the incidents as written, the group and sync state, the checkpointer. For the
// store's own .cpp files only.
#include "storage/checkpointer.hpp"
#include "storage/lock_file.hpp"
#include "storage/sqlite_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace firebreak {

struct sqlite_store::impl {
    impl(const std::string& path, bool reader);

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
        SQLite::Statement upsert_card, upsert_card_alert;
    };

    // The incident rows and the timeline (incident_rows.cpp).
    void write_incident(const incident& inc, const incident* before);
    void apply(const timeline_amendment& a, std::int64_t changed_at);
    static timeline_entry read_entry(const SQLite::Statement& s);
    // The alert cards (card_rows.cpp).
    void write_cards(const change& c);
    void read_cards(engine_state& state);
    /// The cards (with their alerts) of incident `of`, or all of them.
    std::map<std::int64_t, alert_card> card_rows(std::optional<incident_id> of);
    std::vector<timeline_entry> read_timeline(incident_id inc, std::size_t limit);

    std::string path_;
    detail::lock_file lock_;  // before db_: taken before the file is touched, released after it is closed
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
    std::unique_ptr<detail::checkpointer> ckpt_;
    ~impl() {
        if (ckpt_) sqlite3_wal_hook(db_.getHandle(), nullptr, nullptr);
    }
};

}  // namespace firebreak
