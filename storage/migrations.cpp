#include "storage/migrations.hpp"

#include "storage/sqlite_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

namespace firebreak::detail {
namespace {

// Conventions of the schema:
// - instants are INTEGER unix milliseconds (UTC); optional ones are NULL when unset;
// - enums are stored by stable lowercase names (checked by CHECK constraints) so an
//   operator reading the file with sqlite3 understands it and display strings can
//   change without a migration;
// - absent ids and texts are '' rather than NULL, mirroring the empty strings of the
//   core types, so a load gives back exactly what was committed;
// - vectors keep their order in an `ord` column; the core compares whole vectors.
// Column names avoid SQL keywords (start_at/end_at rather than start/end) so no
// statement needs quoting.
constexpr std::string_view v1_sql = R"sql(
CREATE TABLE incidents (
    number                INTEGER PRIMARY KEY CHECK (number > 0),
    title                 TEXT    NOT NULL,
    severity              INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    status                TEXT    NOT NULL CHECK (status IN
                              ('investigating', 'identified', 'mitigated', 'resolved', 'closed')),
    is_private            INTEGER NOT NULL CHECK (is_private IN (0, 1)),
    declared_by           TEXT    NOT NULL,
    declared_in_platform  TEXT    NOT NULL,
    declared_in_room      TEXT    NOT NULL,
    impact_started_at     INTEGER,
    detected_at           INTEGER,
    declared_at           INTEGER NOT NULL,
    commander_assigned_at INTEGER,
    identified_at         INTEGER,
    mitigated_at          INTEGER,
    resolved_at           INTEGER,
    closed_at             INTEGER,
    next_update_due       INTEGER,
    message_count         INTEGER NOT NULL DEFAULT 0
);

-- The room index. A room belongs to at most one incident. `ord` is the room's
-- position in the incident's list of dedicated rooms, NULL for a room that is
-- only bound (indexed) without being one of them.
CREATE TABLE incident_rooms (
    incident INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    platform TEXT    NOT NULL,
    room_id  TEXT    NOT NULL,
    ord      INTEGER,
    UNIQUE (platform, room_id)
);
CREATE INDEX incident_rooms_by_incident ON incident_rooms(incident);

CREATE TABLE shifts (
    incident    INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('commander', 'scribe', 'sme')),
    user_id     TEXT    NOT NULL,
    area        TEXT    NOT NULL,
    start_at    INTEGER NOT NULL,
    end_at      INTEGER,
    assigned_by TEXT    NOT NULL,
    ended_by    TEXT    NOT NULL,
    PRIMARY KEY (incident, ord)
) WITHOUT ROWID;

CREATE TABLE hypotheses (
    incident  INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    ord       INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    text      TEXT    NOT NULL,
    opened_by TEXT    NOT NULL,
    opened_at INTEGER NOT NULL,
    outcome   TEXT    NOT NULL CHECK (outcome IN ('open', 'confirmed', 'ruled_out')),
    closed_at INTEGER,
    closed_by TEXT    NOT NULL,
    evidence  TEXT    NOT NULL,
    PRIMARY KEY (incident, ord)
) WITHOUT ROWID;

CREATE TABLE notes (
    incident INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    ord      INTEGER NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN
                 ('decision', 'deadend', 'change', 'impact', 'mitigation')),
    text     TEXT    NOT NULL,
    author   TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (incident, ord)
) WITHOUT ROWID;

CREATE TABLE actions (
    incident   INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    owner      TEXT    NOT NULL,
    due        TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (incident, ord)
) WITHOUT ROWID;

CREATE TABLE status_updates (
    incident INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    ord      INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    author   TEXT    NOT NULL,
    impact   TEXT    NOT NULL,
    actions  TEXT    NOT NULL,
    needs    TEXT    NOT NULL,
    next_at  INTEGER NOT NULL,
    PRIMARY KEY (incident, ord)
) WITHOUT ROWID;

CREATE TABLE snoozes (
    incident INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    nudge    TEXT    NOT NULL,
    until_at INTEGER NOT NULL,
    PRIMARY KEY (incident, nudge)
) WITHOUT ROWID;

-- AUTOINCREMENT so a seq is never reused, even after the newest row is
-- deleted by hand: edit history and exports refer to rows by seq.
CREATE TABLE timeline (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    incident      INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('message', 'system')),
    tag           TEXT    NOT NULL,
    author        TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    room_platform TEXT    NOT NULL,
    room_id       TEXT    NOT NULL,
    msg_id        TEXT    NOT NULL,
    thread_parent TEXT    NOT NULL,
    highlight     INTEGER NOT NULL CHECK (highlight IN (0, 1)),
    edited        INTEGER NOT NULL CHECK (edited IN (0, 1)),
    deleted       INTEGER NOT NULL CHECK (deleted IN (0, 1))
);
-- Edits, deletes and reactions address a row by its platform message id.
CREATE INDEX timeline_by_message ON timeline(room_platform, room_id, msg_id);
-- `timeline N` and the restart tail read the newest rows of one incident.
CREATE INDEX timeline_by_incident ON timeline(incident, seq);

CREATE TABLE timeline_edits (
    id            INTEGER PRIMARY KEY,
    seq           INTEGER NOT NULL REFERENCES timeline(seq) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    previous_text TEXT    NOT NULL,
    editor        TEXT    NOT NULL
);
CREATE INDEX timeline_edits_by_seq ON timeline_edits(seq, id);

-- `incident` is 0 for messages outside any incident (help, errors), hence no
-- foreign key. `invite` holds user ids joined by newlines.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      INTEGER NOT NULL,
    op              TEXT    NOT NULL CHECK (op IN
                        ('post', 'ephemeral', 'set_topic', 'open_room', 'postmortem', 'invite')),
    target          TEXT    NOT NULL CHECK (target IN ('room', 'incident_room', 'announcement')),
    platform        TEXT    NOT NULL,
    room_platform   TEXT    NOT NULL,
    room_id         TEXT    NOT NULL,
    incident        INTEGER NOT NULL,
    to_user         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    thread          TEXT    NOT NULL,
    room_name       TEXT    NOT NULL,
    invite          TEXT    NOT NULL,
    is_private      INTEGER NOT NULL CHECK (is_private IN (0, 1)),
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before      INTEGER,
    sent_at         INTEGER,
    platform_msg_id TEXT,
    failed          INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),
    last_error      TEXT
);
-- Delivered rows accumulate; the delivery loop only ever reads the pending ones.
CREATE INDEX outbox_pending ON outbox(id) WHERE sent_at IS NULL AND failed = 0;

CREATE TABLE processed_events (
    event_id TEXT    PRIMARY KEY,
    at       INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE cursors (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE documents (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    incident INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    format   TEXT    NOT NULL,
    body     TEXT    NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX documents_by_incident ON documents(incident, format, id);
)sql";

// Version 2: severity and lifecycle over time (for the postmortem chart), and the
// progress of each nudge sequence (so nudges survive restarts exactly once).
// Incidents from version 1 get one phase at their declaration with the severity
// they have now; their earlier changes are only in the timeline text.
constexpr std::string_view v2_sql = R"sql(
CREATE TABLE phases (
    incident INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    ord      INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    status   TEXT    NOT NULL CHECK (status IN
                 ('investigating', 'identified', 'mitigated', 'resolved', 'closed')),
    actor    TEXT    NOT NULL,
    reason   TEXT    NOT NULL,
    PRIMARY KEY (incident, ord)
) WITHOUT ROWID;
INSERT INTO phases(incident, ord, at, severity, status, actor, reason)
    SELECT number, 0, declared_at, severity, 'investigating', declared_by, '' FROM incidents;

CREATE TABLE nudge_progress (
    incident INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    sequence TEXT    NOT NULL,
    sent     INTEGER NOT NULL CHECK (sent >= 0),
    first_at INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (incident, sequence)
) WITHOUT ROWID;
)sql";

// Version 3: the display names the platforms told us ("Maya" for U0MAYA), so the
// postmortem can name people a manager recognises. Keyed by platform, because a user id
// means something only on its own platform. A cache of outside facts, not part of the
// incident record: rows are written outside event transactions and may be missing.
constexpr std::string_view v3_sql = R"sql(
CREATE TABLE people (
    platform     TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    learned_at   INTEGER NOT NULL,
    PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;
)sql";

// Version 4: records follow the messages they came from, and private incidents know
// who is in their rooms. A hypothesis, note or action item made by an inline tag keeps the
// platform id of that message ('' for one made by a command), so deleting or editing the
// message withdraws or updates it; withdrawn hypotheses and actions stay as rows so their
// numbers are never given out twice. `incident_members` is who firebreak invited or saw
// join an incident's rooms, less who left: it decides who may see a private incident.
// An outbox row says where an ephemeral answer goes on a platform without ephemeral
// messages, and which message a ✅ acknowledgement reacts to. Rows from version 3 keep their meaning through the defaults.
constexpr std::string_view v4_sql = R"sql(
ALTER TABLE hypotheses ADD COLUMN source_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE hypotheses ADD COLUMN closed_source_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE hypotheses ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1));
ALTER TABLE hypotheses ADD COLUMN source_deleted INTEGER NOT NULL DEFAULT 0 CHECK (source_deleted IN (0, 1));
ALTER TABLE notes ADD COLUMN source_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN source_msg TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1));
ALTER TABLE outbox ADD COLUMN fallback TEXT NOT NULL DEFAULT 'reply_in_room'
    CHECK (fallback IN ('reply_in_room', 'incident_room', 'drop'));
ALTER TABLE outbox ADD COLUMN reaction TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN reaction_to TEXT NOT NULL DEFAULT '';

-- A 📌 on one of firebreak's own posts finds it by the platform's id.
CREATE INDEX outbox_by_platform_msg ON outbox(platform_msg_id) WHERE platform_msg_id IS NOT NULL;

CREATE TABLE incident_members (
    incident INTEGER NOT NULL REFERENCES incidents(number) ON DELETE CASCADE,
    user_id  TEXT    NOT NULL,
    PRIMARY KEY (incident, user_id)
) WITHOUT ROWID;
-- Before version 4 nobody was tracked: everyone who held a role or spoke in the room is
-- taken to be in it.
INSERT OR IGNORE INTO incident_members(incident, user_id)
    SELECT incident, user_id FROM shifts WHERE user_id <> '';
INSERT OR IGNORE INTO incident_members(incident, user_id)
    SELECT DISTINCT incident, author FROM timeline WHERE kind = 'message' AND author <> '';
INSERT OR IGNORE INTO incident_members(incident, user_id)
    SELECT number, declared_by FROM incidents WHERE declared_by <> '';
)sql";

// Version 5: an outbox row may ask for a new moderator of an incident room (the
// commander changed). SQLite cannot change a CHECK in place, so the table is rebuilt with
// every row and id as it was (ids keep counting: the AUTOINCREMENT sequence moves with it).
constexpr std::string_view v5_sql = R"sql(
CREATE TABLE outbox_v5 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      INTEGER NOT NULL,
    op              TEXT    NOT NULL CHECK (op IN
                        ('post', 'ephemeral', 'set_topic', 'open_room', 'postmortem', 'invite', 'moderator')),
    target          TEXT    NOT NULL CHECK (target IN ('room', 'incident_room', 'announcement')),
    platform        TEXT    NOT NULL,
    room_platform   TEXT    NOT NULL,
    room_id         TEXT    NOT NULL,
    incident        INTEGER NOT NULL,
    to_user         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    thread          TEXT    NOT NULL,
    room_name       TEXT    NOT NULL,
    invite          TEXT    NOT NULL,
    is_private      INTEGER NOT NULL CHECK (is_private IN (0, 1)),
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before      INTEGER,
    sent_at         INTEGER,
    platform_msg_id TEXT,
    failed          INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),
    last_error      TEXT,
    fallback        TEXT    NOT NULL DEFAULT 'reply_in_room'
                        CHECK (fallback IN ('reply_in_room', 'incident_room', 'drop')),
    reaction        TEXT    NOT NULL DEFAULT '',
    reaction_to     TEXT    NOT NULL DEFAULT ''
);
INSERT INTO outbox_v5(id, created_at, op, target, platform, room_platform, room_id, incident, to_user, body,
                      thread, room_name, invite, is_private, attempts, not_before, sent_at, platform_msg_id,
                      failed, last_error, fallback, reaction, reaction_to)
    SELECT id, created_at, op, target, platform, room_platform, room_id, incident, to_user, body,
           thread, room_name, invite, is_private, attempts, not_before, sent_at, platform_msg_id,
           failed, last_error, fallback, reaction, reaction_to FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox(id) WHERE sent_at IS NULL AND failed = 0;
CREATE INDEX outbox_by_platform_msg ON outbox(platform_msg_id) WHERE platform_msg_id IS NOT NULL;
)sql";

// Version 6: alert triage cards and the alerts each holds (one row per alert, by its
// source and fingerprint, updated as notifications change it).
constexpr std::string_view v6_sql = R"sql(
CREATE TABLE alert_cards (
    number        INTEGER PRIMARY KEY,
    room_platform TEXT    NOT NULL,
    room_id       TEXT    NOT NULL,
    group_key     TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    severity      INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    rule          TEXT    NOT NULL,
    opened_at     INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    incident      INTEGER NOT NULL DEFAULT 0,
    dismissed     INTEGER NOT NULL CHECK (dismissed IN (0, 1)),
    decided_by    TEXT    NOT NULL,
    resolved_told INTEGER NOT NULL CHECK (resolved_told IN (0, 1))
);
CREATE INDEX alert_cards_by_group ON alert_cards(group_key, number);
CREATE TABLE card_alerts (
    card          INTEGER NOT NULL REFERENCES alert_cards(number),
    alert_key     TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    severity      TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    link          TEXT    NOT NULL,
    labels        TEXT    NOT NULL,
    firing        INTEGER NOT NULL CHECK (firing IN (0, 1)),
    started_at    INTEGER NOT NULL,
    resolved_at   INTEGER,
    received_at   INTEGER NOT NULL,
    notifications INTEGER NOT NULL,
    PRIMARY KEY (card, alert_key)
);
)sql";

constexpr migration all_migrations[] = {
    {1, v1_sql},
    {2, v2_sql},
    {3, v3_sql},
    {4, v4_sql},
    {5, v5_sql},
    {6, v6_sql},
};

// Not part of a numbered step: every step records its version here.
constexpr const char* meta_sql = "CREATE TABLE IF NOT EXISTS schema_meta (version INTEGER NOT NULL)";

bool table_exists(SQLite::Database& db, const char* name) {
    SQLite::Statement q(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    q.bind(1, name);
    return q.executeStep();
}

// Whether the file holds tables although it has no schema version: then it is some
// other application's database, and running migration 1 over it would damage it.
bool has_foreign_tables(SQLite::Database& db) {
    SQLite::Statement q(db,
                        "SELECT count(*) FROM sqlite_master "
                        "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    q.executeStep();
    return q.getColumn(0).getInt64() > 0;
}

}  // namespace

std::span<const migration> migrations() { return all_migrations; }

int latest_schema_version() { return all_migrations[std::size(all_migrations) - 1].version; }

int read_schema_version(SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT max(version) FROM schema_meta");
    if (!q.executeStep() || q.getColumn(0).isNull()) return 0;
    return q.getColumn(0).getInt();
}

void migrate(SQLite::Database& db, const std::string& path) {
    const int latest = latest_schema_version();
    int current = 0;
    bool has_meta = false;
    bool foreign = false;
    try {
        // Read before writing anything: a file we refuse must stay untouched.
        has_meta = table_exists(db, "schema_meta");
        if (has_meta) current = read_schema_version(db);
        else foreign = has_foreign_tables(db);
    } catch (const SQLite::Exception& e) {
        throw store_error(fmt::format("cannot open database {}: {}", path, e.what()));
    }
    if (current > latest) {
        throw store_error(fmt::format(
            "database {} has schema version {}, newer than this firebreak ({}); upgrade firebreak",
            path, current, latest));
    }
    if (foreign) {
        throw store_error(fmt::format(
            "database {} is not a firebreak database (it has tables but no schema version)", path));
    }
    for (const migration& step : all_migrations) {
        if (step.version <= current) continue;
        try {
            // IMMEDIATE takes the write lock up front, so a concurrent writer makes
            // us wait (busy timeout) instead of failing halfway through the step.
            SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
            db.exec(meta_sql);
            db.exec(std::string(step.sql));
            db.exec("DELETE FROM schema_meta");
            SQLite::Statement set(db, "INSERT INTO schema_meta(version) VALUES (?1)");
            set.bind(1, step.version);
            set.exec();
            tx.commit();
        } catch (const SQLite::Exception& e) {
            throw store_error(fmt::format("cannot migrate database {} to schema version {}: {}",
                                          path, step.version, e.what()));
        }
        current = step.version;
    }
}

}  // namespace firebreak::detail
