// Schema versions: a fresh file gets the current schema, a newer file is refused
// rather than damaged, and someone else's database is left alone.
#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"

#include "storage_fixtures.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

using namespace firebreak;
using firebreak::test::at_min;
using firebreak::test::bare_incident;
using firebreak::test::temp_path;

namespace {

std::int64_t scalar(const std::string& path, const char* sql) {
    SQLite::Database raw(path, SQLite::OPEN_READONLY);
    SQLite::Statement q(raw, sql);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

std::string open_error(const std::string& path) {
    try {
        sqlite_store store(path);
    } catch (const store_error& e) {
        return e.what();
    }
    return "(opened without error)";
}

}  // namespace

TEST_CASE("migration steps are numbered 1, 2, 3 ... without gaps", "[storage]") {
    const auto steps = detail::migrations();
    REQUIRE_FALSE(steps.empty());
    for (std::size_t i = 0; i < steps.size(); ++i) {
        CHECK(steps[i].version == static_cast<int>(i) + 1);
        CHECK_FALSE(steps[i].sql.empty());
    }
    CHECK(sqlite_store::schema_version() == steps.back().version);
}

TEST_CASE("a fresh database gets the current schema version", "[storage]") {
    SECTION("in memory") {
        sqlite_store store(":memory:");
        CHECK(store.database_version() == sqlite_store::schema_version());
    }
    SECTION("in a file, kept across reopening") {
        temp_path db;
        {
            sqlite_store store(db.str());
            CHECK(store.database_version() == sqlite_store::schema_version());
            change c;
            c.incidents = {bare_incident(1)};
            REQUIRE(store.commit(c, "ev", at_min(0), std::nullopt));
        }
        CHECK(scalar(db.str(), "SELECT count(*) FROM schema_meta") == 1);
        CHECK(scalar(db.str(), "SELECT version FROM schema_meta") == sqlite_store::schema_version());
        {
            SQLite::Database raw(db.str(), SQLite::OPEN_READONLY);
            CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
        }
        sqlite_store reopened(db.str());
        CHECK(reopened.database_version() == sqlite_store::schema_version());
        CHECK(reopened.load(10).state.incidents.size() == 1);
    }
}

TEST_CASE("a database newer than this build is refused", "[storage]") {
    temp_path db;
    { sqlite_store store(db.str()); }
    {
        SQLite::Database raw(db.str(), SQLite::OPEN_READWRITE);
        raw.exec("UPDATE schema_meta SET version = 999");
    }
    const std::string what = open_error(db.str());
    INFO(what);
    CHECK(what == "database " + db.str() + " has schema version 999, newer than this firebreak (" +
                      std::to_string(sqlite_store::schema_version()) + "); upgrade firebreak");
    // Refusing must not touch the file.
    CHECK(scalar(db.str(), "SELECT version FROM schema_meta") == 999);
}

TEST_CASE("another application's database is not migrated over", "[storage]") {
    temp_path db;
    {
        SQLite::Database raw(db.str(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)");
    }
    const std::string what = open_error(db.str());
    INFO(what);
    CHECK(what.find(db.str()) != std::string::npos);
    CHECK(what.find("not a firebreak database") != std::string::npos);
    // Refusing must not add anything to it.
    CHECK(scalar(db.str(), "SELECT count(*) FROM sqlite_master") == 1);
}

TEST_CASE("a version 1 database is moved to version 2 with its incidents kept", "[storage]") {
    temp_path db;
    {
        // What firebreak's first schema left on disk: one incident, no phases, no nudges.
        SQLite::Database raw(db.str(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("CREATE TABLE schema_meta (version INTEGER NOT NULL)");
        raw.exec(std::string(detail::migrations()[0].sql));
        raw.exec("INSERT INTO schema_meta(version) VALUES (1)");
        raw.exec("INSERT INTO incidents(number, title, severity, status, is_private, declared_by, "
                 "declared_in_platform, declared_in_room, declared_at, message_count) "
                 "VALUES (4, 'old one', 1, 'mitigated', 0, 'U_OLD', 'console', 'ops', 1800000000000, 3)");
    }
    sqlite_store store(db.str());
    CHECK(store.database_version() == sqlite_store::schema_version());
    auto st = store.load(10).state;
    REQUIRE(st.incidents.count(4) == 1);
    const auto& inc = st.incidents.at(4);
    CHECK(inc.title == "old one");
    CHECK(inc.state == status::mitigated);
    REQUIRE(inc.history.size() == 1);
    CHECK(inc.history[0].at == from_unix_ms(1800000000000));
    CHECK(inc.history[0].sev == severity::sev1);
    CHECK(inc.history[0].by == user_ref{"U_OLD"});
    CHECK(inc.nudges.empty());
}

TEST_CASE("a version 2 database is moved to the latest version with its data kept and no names yet", "[storage]") {
    temp_path db;
    {
        // What schema version 2 left on disk: steps 1 and 2, an incident with a phase,
        // a timeline row, an outbox row, a processed event and a cursor.
        SQLite::Database raw(db.str(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("CREATE TABLE schema_meta (version INTEGER NOT NULL)");
        raw.exec(std::string(detail::migrations()[0].sql));
        raw.exec(std::string(detail::migrations()[1].sql));
        raw.exec("INSERT INTO schema_meta(version) VALUES (2)");
        raw.exec("INSERT INTO incidents(number, title, severity, status, is_private, declared_by, "
                 "declared_in_platform, declared_in_room, declared_at, message_count) "
                 "VALUES (7, 'v2 one', 2, 'identified', 0, 'U0MAYA', 'slack', 'C0GEN', 1800000000000, 1)");
        raw.exec("INSERT INTO phases(incident, ord, at, severity, status, actor, reason) "
                 "VALUES (7, 0, 1800000000000, 2, 'investigating', 'U0MAYA', ''), "
                 "(7, 1, 1800000060000, 2, 'identified', 'U0MAYA', '')");
        raw.exec("INSERT INTO timeline(incident, at, kind, tag, author, text, room_platform, room_id, msg_id, "
                 "thread_parent, highlight, edited, deleted) "
                 "VALUES (7, 1800000030000, 'message', '', 'U0MAYA', 'looking at the dashboards', 'slack', "
                 "'C0INC', '1800000030.000100', '', 0, 0, 0)");
        raw.exec("INSERT INTO processed_events(event_id, at) VALUES ('Ev01', 1800000030000)");
        raw.exec("INSERT INTO cursors(key, value) VALUES ('k', 'v')");
        raw.exec("INSERT INTO counters(name, value) VALUES ('next_incident', 8)");
    }
    sqlite_store store(db.str());
    CHECK(store.database_version() == sqlite_store::schema_version());
    CHECK(scalar(db.str(), "SELECT count(*) FROM schema_meta") == 1);
    auto st = store.load(10).state;
    REQUIRE(st.incidents.count(7) == 1);
    const auto& inc = st.incidents.at(7);
    CHECK(inc.title == "v2 one");
    CHECK(inc.state == status::identified);
    CHECK(inc.history.size() == 2);
    CHECK(st.next_number == 8);
    auto rows = store.timeline(incident_id{7});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].text == "looking at the dashboards");
    CHECK(store.processed("Ev01"));
    CHECK(store.cursor("k") == "v");
    // The new table exists, empty, and works.
    CHECK(store.display_names("slack").empty());
    store.put_display_name("slack", user_ref{"U0MAYA"}, "Maya", at_min(0));
    CHECK(store.display_names("slack").at("U0MAYA") == "Maya");
}

TEST_CASE("a version 3 database is moved to version 4: records keep their meaning and people in the room are members",
          "[storage]") {
    temp_path db;
    {
        // What schema version 3 left on disk: a private incident with a shift, a hypothesis,
        // a note, an action item, a message by someone without a role and a pending reply.
        SQLite::Database raw(db.str(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("CREATE TABLE schema_meta (version INTEGER NOT NULL)");
        for (int i = 0; i < 3; ++i) raw.exec(std::string(detail::migrations()[std::size_t(i)].sql));
        raw.exec("INSERT INTO schema_meta(version) VALUES (3)");
        raw.exec("INSERT INTO incidents(number, title, severity, status, is_private, declared_by, "
                 "declared_in_platform, declared_in_room, declared_at, message_count) "
                 "VALUES (3, 'token leak', 1, 'investigating', 1, 'U0MAYA', 'slack', 'C0GEN', 1800000000000, 1)");
        raw.exec("INSERT INTO shifts(incident, ord, role, user_id, area, start_at, end_at, assigned_by, ended_by) "
                 "VALUES (3, 0, 'commander', 'U0DANA', '', 1800000000000, NULL, 'U0MAYA', '')");
        raw.exec("INSERT INTO hypotheses(incident, ord, n, text, opened_by, opened_at, outcome, closed_at, "
                 "closed_by, evidence) VALUES (3, 0, 1, 'key in a public gist', 'U0DANA', 1800000000000, "
                 "'open', NULL, '', '')");
        raw.exec("INSERT INTO notes(incident, ord, kind, text, author, at) "
                 "VALUES (3, 0, 'decision', 'rotate the key', 'U0DANA', 1800000000000)");
        raw.exec("INSERT INTO actions(incident, ord, n, text, owner, due, created_by, at) "
                 "VALUES (3, 0, 1, 'scan gists', '', '', 'U0DANA', 1800000000000)");
        raw.exec("INSERT INTO timeline(incident, at, kind, tag, author, text, room_platform, room_id, msg_id, "
                 "thread_parent, highlight, edited, deleted) "
                 "VALUES (3, 1800000030000, 'message', '', 'U0ZED', 'on it', 'slack', 'C0INC', '1.1', '', 0, 0, 0)");
        raw.exec("INSERT INTO outbox(created_at, op, target, platform, room_platform, room_id, incident, to_user, "
                 "body, thread, room_name, invite, is_private) VALUES (1800000030000, 'ephemeral', 'room', "
                 "'slack', 'slack', 'C0GEN', 3, 'U0MAYA', '[]', '', '', '', 0)");
    }
    sqlite_store store(db.str());
    CHECK(store.database_version() == sqlite_store::schema_version());
    auto st = store.load(10).state;
    REQUIRE(st.incidents.count(3) == 1);
    const auto& inc = st.incidents.at(3);
    CHECK(inc.members == std::set<user_ref>{user_ref{"U0MAYA"}, user_ref{"U0DANA"}, user_ref{"U0ZED"}});
    REQUIRE(inc.hypotheses.size() == 1);
    CHECK(inc.hypotheses[0].source.empty());
    CHECK_FALSE(inc.hypotheses[0].withdrawn);
    CHECK_FALSE(inc.hypotheses[0].source_deleted);
    REQUIRE(inc.notes.size() == 1);
    CHECK(inc.notes[0].source.empty());
    REQUIRE(inc.actions.size() == 1);
    CHECK_FALSE(inc.actions[0].withdrawn);
    auto pending = store.pending_outbox(0);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].msg.fallback == ephemeral_fallback::reply_in_room);
}

TEST_CASE("a version 4 database is moved to version 5: outbox rows keep their ids and state, moderator rows fit",
          "[storage]") {
    temp_path db;
    {
        SQLite::Database raw(db.str(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("CREATE TABLE schema_meta (version INTEGER NOT NULL)");
        for (int i = 0; i < 4; ++i) raw.exec(std::string(detail::migrations()[std::size_t(i)].sql));
        raw.exec("INSERT INTO schema_meta(version) VALUES (4)");
        // One delivered row, one pending with a wait and its fallback, ids with a gap.
        raw.exec("INSERT INTO outbox(id, created_at, op, target, platform, room_platform, room_id, incident, to_user, "
                 "body, thread, room_name, invite, is_private, sent_at, platform_msg_id) VALUES (5, 1800000000000, "
                 "'post', 'room', 'matrix', 'matrix', '!r:x', 0, '', 'p2:hi', '', '', '', 0, 1800000001000, '$e1')");
        raw.exec("INSERT INTO outbox(id, created_at, op, target, platform, room_platform, room_id, incident, to_user, "
                 "body, thread, room_name, invite, is_private, attempts, not_before, fallback) VALUES (9, "
                 "1800000002000, 'ephemeral', 'room', 'matrix', 'matrix', '!r:x', 0, 'bob', 'p3:psst', '', '', '', 0, "
                 "2, 1800000009000, 'drop')");
    }
    sqlite_store store(db.str());
    CHECK(store.database_version() == detail::latest_schema_version());
    auto pending = store.pending_outbox(0);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].id == 9);
    CHECK(pending[0].attempts == 2);
    CHECK(pending[0].msg.fallback == ephemeral_fallback::drop);
    CHECK(pending[0].msg.to_user.id == "bob");
    CHECK(scalar(db.str(), "SELECT count(*) FROM outbox") == 2);

    // A moderator row is accepted now, and ids go on after the highest ever given.
    change c;
    outbound o;
    o.op = outbound_op::moderator;
    o.platform = "matrix";
    o.room = room_ref{"matrix", "!r:x"};
    o.invite = {user_ref{"bob:x"}};
    o.to_user = user_ref{"alice:x"};
    c.outbox.push_back(o);
    REQUIRE(store.commit(c, "ev-mod", at_min(1), std::nullopt));
    pending = store.pending_outbox(0);
    REQUIRE(pending.size() == 2);
    CHECK(pending[1].id == 10);
    CHECK(pending[1].msg.op == outbound_op::moderator);
    CHECK(pending[1].msg.invite == std::vector<user_ref>{user_ref{"bob:x"}});
    CHECK(pending[1].msg.to_user.id == "alice:x");
}
