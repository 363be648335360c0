// Group commit and lazy delivery marks: the commits of a group become visible and
// durable together or not at all, a redelivery inside a group is still recognised, an
// abandoned group leaves the store as it was, and a mark_sent is in the file at once but
// costs no disk flush until sync(); the WAL is copied back by a thread of its own.
#include "storage/sqlite_store.hpp"

#include "storage_fixtures.hpp"
#include "tests/support/process_rig.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using namespace firebreak;
using firebreak::test::at_min;
using firebreak::test::bare_incident;
using firebreak::test::message_entry;
using firebreak::test::temp_path;

namespace {

// Rows of a table as another connection sees them: only what was committed.
std::int64_t committed_rows(const std::string& path, const std::string& table) {
    SQLite::Database raw(path, SQLite::OPEN_READONLY);
    SQLite::Statement q(raw, "SELECT count(*) FROM " + table);
    q.executeStep();
    return q.getColumn(0).getInt64();
}

change declared(const incident& inc) {
    change c;
    c.incidents = {inc};
    c.next_number = inc.id.n + 1;
    return c;
}

// Commits the incident's declaration as event "$ev0".
void commit_declared(sqlite_store& store, const incident& inc) {
    change c = declared(inc);
    REQUIRE(store.commit(c, "$ev0", at_min(0), std::nullopt));
}

change said(const incident& inc, const std::string& msg, int minute) {
    change c;
    incident counted = inc;
    counted.message_count = minute;
    c.incidents = {counted};
    c.entries.push_back(message_entry(inc, msg, "text of " + msg, minute));
    return c;
}

}  // namespace

TEST_CASE("the commits of a group are seen together and only after end_group", "[storage][group]") {
    temp_path db;
    sqlite_store store(db.str());
    const incident inc = bare_incident(1);
    commit_declared(store, inc);

    store.begin_group();
    change a = said(inc, "m1", 1), b = said(inc, "m2", 2), c = said(inc, "m3", 3);
    REQUIRE(store.commit(a, "$ev1", at_min(1), std::nullopt));
    REQUIRE(store.commit(b, "$ev2", at_min(2), std::nullopt));
    // The same event again inside the group, and one committed before it: both refused.
    change again = said(inc, "m1", 1);
    CHECK_FALSE(store.commit(again, "$ev1", at_min(1), std::nullopt));
    change older = said(inc, "m0", 1);
    CHECK_FALSE(store.commit(older, "$ev0", at_min(1), std::nullopt));
    REQUIRE(store.commit(c, "$ev3", at_min(3), std::pair{std::string("matrix"), std::string("s3")}));
    // The rows have their numbers already, in order...
    CHECK(a.entries[0].seq > 0);
    CHECK(b.entries[0].seq > a.entries[0].seq);
    CHECK(c.entries[0].seq > b.entries[0].seq);
    CHECK(again.entries[0].seq == 0);
    // ...but another reader sees none of them yet.
    CHECK(committed_rows(db.str(), "timeline") == 0);
    CHECK(committed_rows(db.str(), "processed_events") == 1);

    store.end_group();
    CHECK(committed_rows(db.str(), "timeline") == 3);
    CHECK(committed_rows(db.str(), "processed_events") == 4);
    CHECK(store.cursor("matrix") == "s3");
    CHECK(store.synchronous() == 2);

    const auto restored = store.load(10);
    REQUIRE(restored.state.find(1) != nullptr);
    CHECK(restored.state.find(1)->message_count == 3);
    CHECK(store.timeline(inc.id).size() == 3);
}

TEST_CASE("an abandoned group leaves the store as it was and usable", "[storage][group]") {
    temp_path db;
    sqlite_store store(db.str());
    const incident inc = bare_incident(1);
    commit_declared(store, inc);

    store.begin_group();
    change a = said(inc, "m1", 1);
    REQUIRE(store.commit(a, "$ev1", at_min(1), std::pair{std::string("matrix"), std::string("s1")}));
    // A later commit of the group fails (a row of an incident never stored).
    change bad;
    bad.entries.push_back(message_entry(bare_incident(77), "m2", "orphan", 2));
    CHECK_THROWS_AS(store.commit(bad, "$ev2", at_min(2), std::nullopt), store_error);
    store.abandon_group();
    store.abandon_group();  // a second call is harmless

    CHECK_FALSE(store.processed("$ev1"));
    CHECK_FALSE(store.cursor("matrix").has_value());
    CHECK(store.timeline(inc.id).empty());
    CHECK(store.load(10).state.find(1)->message_count == 0);

    // The same events again, outside a group: accepted, and the incident row (written as a
    // difference against what the store believes is on disk) comes out right.
    change a2 = said(inc, "m1", 1);
    REQUIRE(store.commit(a2, "$ev1", at_min(1), std::pair{std::string("matrix"), std::string("s1")}));
    CHECK(store.cursor("matrix") == "s1");
    CHECK(store.load(10).state.find(1)->message_count == 1);
    CHECK(committed_rows(db.str(), "timeline") == 1);
}

TEST_CASE("an incident first written inside an abandoned group is written whole next time", "[storage][group]") {
    sqlite_store store(":memory:");
    incident inc = bare_incident(3);
    inc.shifts.push_back(shift{role::commander, user_ref{"U_ALICE"}, "", at_min(0), std::nullopt, user_ref{"U_ALICE"},
                               user_ref{}});
    store.begin_group();
    change c = declared(inc);
    REQUIRE(store.commit(c, "$d", at_min(0), std::nullopt));
    store.abandon_group();
    CHECK(store.load(10).state.incidents.empty());

    change again = declared(inc);
    REQUIRE(store.commit(again, "$d", at_min(0), std::nullopt));
    const auto restored = store.load(10);
    REQUIRE(restored.state.find(3) != nullptr);
    CHECK(restored.state.find(3)->shifts.size() == 1);
}

TEST_CASE("a group cannot nest and end_group needs one open", "[storage][group]") {
    sqlite_store store(":memory:");
    CHECK_THROWS(store.end_group());
    store.begin_group();
    CHECK_THROWS(store.begin_group());
    store.end_group();
    // Still usable afterwards.
    change c = declared(bare_incident(1));
    CHECK(store.commit(c, "$x", at_min(0), std::nullopt));
}

TEST_CASE("a mark_sent is in the file at once and sync() makes it durable", "[storage][group]") {
    temp_path db;
    const incident inc = bare_incident(1);
    std::int64_t row = 0;
    {
        sqlite_store store(db.str());
        change c = declared(inc);
        outbound reply;
        reply.op = outbound_op::post;
        reply.room = room_ref{"slack", "C1"};
        reply.platform = "slack";
        c.outbox = {reply, reply};
        REQUIRE(store.commit(c, "$ev", at_min(0), std::nullopt));
        auto pending = store.pending_outbox(0);
        REQUIRE(pending.size() == 2);
        row = pending[0].id;

        // Nothing marked: sync() writes nothing.
        store.sync();
        CHECK_FALSE(store.cursor("outbox.synced").has_value());

        store.mark_sent(row, message_id{"1700.1"}, at_min(1));
        // Every other write is still durable.
        CHECK(store.synchronous() == 2);
        // Another connection sees the mark before any sync: a killed process loses nothing.
        SQLite::Database raw(db.str(), SQLite::OPEN_READONLY);
        SQLite::Statement q(raw, "SELECT platform_msg_id FROM outbox WHERE id = ?1 AND sent_at IS NOT NULL");
        q.bind(1, row);
        REQUIRE(q.executeStep());
        CHECK(q.getColumn(0).getString() == "1700.1");

        store.sync();
        CHECK(store.cursor("outbox.synced") == std::to_string(row));
        CHECK(store.synchronous() == 2);
        // Once synced, another sync has nothing to do.
        store.mark_sent(pending[1].id, message_id{"1700.2"}, at_min(2));
        change none;
        REQUIRE(store.commit(none, "$later", at_min(3), std::nullopt));  // a durable commit syncs it too
        store.sync();
        CHECK(store.cursor("outbox.synced") == std::to_string(row));
    }
    sqlite_store reopened(db.str());
    CHECK(reopened.pending_outbox(0).empty());
}

TEST_CASE("a lazy commit is in the file at once and synced by the next sync", "[storage][group]") {
    temp_path db;
    const incident inc = bare_incident(1);
    {
        sqlite_store store(db.str());
        change c = declared(inc);
        REQUIRE(store.commit(c, "$ev", at_min(0), std::nullopt));
        change bound;
        bound.rooms_bound.emplace_back(room_ref{"slack", "C9"}, inc.id);
        REQUIRE(store.commit_lazily(bound, "room-bound:1", at_min(1)));
        CHECK(store.synchronous() == 2);
        CHECK(committed_rows(db.str(), "incident_rooms") == 1);  // another reader sees it
        // A redelivery is still refused, lazily or not.
        change again = bound;
        CHECK_FALSE(store.commit_lazily(again, "room-bound:1", at_min(2)));
        store.sync();
        CHECK(store.cursor("outbox.synced").has_value());
        // Not inside a group: a group's commit is flushed by end_group, never later.
        store.begin_group();
        change inside;
        CHECK_THROWS_AS(store.commit_lazily(inside, "x", at_min(3)), std::logic_error);
        store.abandon_group();
    }
    CHECK(committed_rows(db.str(), "incident_rooms") == 1);
}

TEST_CASE("the WAL is checkpointed in the background and stays short", "[storage][group]") {
    temp_path db;
    const incident inc = bare_incident(1);
    const std::string wal = db.str() + "-wal";
    constexpr int commits = 400;
    {
        sqlite_store store(db.str());
        commit_declared(store, inc);
        // Each commit adds about 20 pages (a 64 KiB text spills into overflow pages):
        // 400 of them, back to back, write some 8,000 frames (32 MB).
        const std::string big(64 * 1024, 'x');
        std::uintmax_t largest = 0;
        for (int i = 1; i <= commits; ++i) {
            change m;
            m.entries.push_back(message_entry(inc, "m" + std::to_string(i), big, i));
            REQUIRE(store.commit(m, "$ev" + std::to_string(i), at_min(i), std::nullopt));
            largest = std::max(largest, std::filesystem::file_size(wal));
        }
        CHECK(firebreak::testing::eventually([&] { return store.checkpoints() > 0; }));
        // A burst never lets a background checkpoint catch up with the writer, so the WAL
        // would keep every frame; past 4,000 frames (16 MB) the writer checkpoints once
        // itself and the WAL starts over.
        CHECK(largest < std::uintmax_t(20) * 1024 * 1024);
        CHECK(store.timeline(inc.id).size() == std::size_t(commits));
    }
    sqlite_store reopened(db.str());
    CHECK(reopened.timeline(inc.id).size() == std::size_t(commits));
}

TEST_CASE("old event ids are forgotten and nudge ids kept", "[storage]") {
    sqlite_store store(":memory:");
    change none;
    REQUIRE(store.commit(none, "$old", at_min(0), std::nullopt));
    REQUIRE(store.commit(none, "nudge:1:0:1", at_min(0), std::nullopt));
    REQUIRE(store.commit(none, "$recent", at_min(100), std::nullopt));
    CHECK(store.forget_processed_before(at_min(50)) == 1);
    CHECK_FALSE(store.processed("$old"));
    CHECK(store.processed("nudge:1:0:1"));
    CHECK(store.processed("$recent"));
    CHECK(store.forget_processed_before(at_min(50)) == 0);
}
