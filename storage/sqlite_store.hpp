#pragma once
// The SQLite implementation of incident_store: one database file (WAL, durable
// commits), versioned migrations, each event's effects in one transaction (several events may
// share one: group commit), WAL checkpoints on a thread of their own.
#include "bot/core/ports.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace firebreak {

/// A storage failure: the database cannot be opened, migrated, read or written.
/// The message names the database path and the step that failed.
class store_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The incident store on one SQLite file (or ":memory:" for tests).
///
/// Only one firebreak process may use a file at a time: the constructor takes an
/// exclusive lock on `<path>.lock` and fails if another process holds it. Not
/// thread-safe; the runtime calls it from its one engine strand.
///
/// processed_events grows by one row per handled event (a few dozen bytes) until
/// forget_processed_before() drops the old ones; the service does so at start and daily.
class sqlite_store final : public incident_store {
public:
    /// How a store holds its file.
    enum class open_mode {
        owner,   ///< takes the lock, creates and migrates: the one process that writes
        reader,  ///< a read-only connection beside the owner (the web view's): no lock,
                 ///< no migration; refuses a file of another schema version. Every write throws.
    };
    /// Opens the database at `path` (as owner: creating if needed, migrating); throws store_error.
    explicit sqlite_store(const std::string& path, open_mode mode = open_mode::owner);
    ~sqlite_store() override;
    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;

    /// The schema version this build writes.
    static int schema_version();
    /// The schema version recorded in the open database.
    int database_version() const;
    /// The path the store was opened with.
    const std::string& path() const;
    /// The connection's PRAGMA synchronous (2 = FULL, what every commit uses).
    int synchronous() const;
    /// Forgets the ids of platform events handled before `cutoff`, so the table stays
    /// bounded; returns how many. Nudge ids ("nudge:...") are kept: they are few, and they
    /// guard a reminder for as long as its incident lives. Choose a cutoff well past any
    /// platform's redelivery window (Slack retries for minutes; Matrix resumes from its
    /// cursor and never sends a synced event again).
    std::int64_t forget_processed_before(instant cutoff);
    /// WAL checkpoints completed by the store's background checkpointer since it opened
    /// (files only: commits never checkpoint themselves, so they never wait for one).
    std::int64_t checkpoints() const;

    /// Loads every incident, the room index and each incident's last `tail` timeline rows.
    restored_state load(std::size_t tail) override;
    /// Whether an event id has already been committed.
    bool processed(const std::string& event_id) override;
    /// Writes a change, the event id (unless empty: internal events are not de-duplicated)
    /// and the cursor in one durable transaction, then sets each entry's seq; false,
    /// writing nothing, on a duplicate.
    bool commit(change& c, const std::string& event_id, instant now,
                const std::optional<std::pair<std::string, std::string>>& cursor) override;
    /// As commit(), but flushed to the disk only by the next sync() or durable commit.
    bool commit_lazily(change& c, const std::string& event_id, instant now) override;
    /// Undelivered, not given-up outbox rows in insertion order; `limit` 0 = all.
    std::vector<outbox_row> pending_outbox(std::size_t limit) override;
    /// Marks a row delivered with the platform's message id: written at once (a killed
    /// process loses nothing) and made durable by the next sync() or commit.
    void mark_sent(std::int64_t id, const message_id& platform_id, instant at) override;
    /// Makes every earlier write durable: one small synchronous write when a mark_sent
    /// since the last durable commit is not yet on the disk, else nothing.
    void sync() override;
    /// Opens a group: the commits until end_group() share one transaction and one sync.
    void begin_group() override;
    /// Commits the group durably; throws store_error (then call abandon_group()).
    void end_group() override;
    /// Rolls back an open group, if any.
    void abandon_group() noexcept override;
    /// Counts a failed attempt; `give_up` removes the row from the pending ones.
    void mark_failed(std::int64_t id, const std::string& detail, bool give_up,
                     std::optional<instant> not_before) override;
    /// Timeline rows of one incident, seq ascending; `limit` > 0 keeps the newest `limit`.
    std::vector<timeline_entry> timeline(incident_id inc, std::size_t limit = 0) override;
    /// Earlier texts of an edited row, oldest first; a deletion forgets them with the text.
    std::vector<std::pair<instant, std::string>> edit_history(std::int64_t seq) override;
    /// An adapter cursor, if one was stored.
    std::optional<std::string> bot_post(incident_id inc, const message_id& id) override;
    std::optional<std::string> cursor(const std::string& key) override;
    /// Stores a cursor in a transaction of its own (synced as every commit is).
    void put_cursor(const std::string& key, const std::string& value) override;
    /// Stores a generated document; earlier versions are kept.
    void put_document(incident_id inc, const std::string& format, const std::string& body,
                      instant at) override;
    /// The most recently stored document of a format for an incident.
    std::optional<std::string> document(incident_id inc, const std::string& format) override;
    /// Upserts one row of `people`, as a transaction of its own (never inside a commit).
    void put_display_name(const std::string& platform, const user_ref& user, const std::string& name,
                          instant at) override;
    /// The `people` rows of one platform: user id -> display name.
    std::map<std::string, std::string> display_names(const std::string& platform) override;
    /// The `alert_cards` rows of one incident with their `card_alerts`.
    std::vector<alert_card> cards_of(incident_id inc) override;

private:
    struct impl;
    std::unique_ptr<impl> impl_;  // keeps SQLiteCpp out of every includer's compile
};

}  // namespace firebreak
