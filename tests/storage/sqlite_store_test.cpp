// The SQLite store: restart restores exactly what the engine held, redelivered
// events change nothing, amendments keep history, the outbox keeps order, and
// opening a bad or busy file fails with a message an operator can act on.
#include "storage/sqlite_store.hpp"

#include "storage_fixtures.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>

using namespace firebreak;
using firebreak::test::at_min;
using firebreak::test::bare_incident;
using firebreak::test::full_incident;
using firebreak::test::message_entry;
using firebreak::test::system_entry;
using firebreak::test::temp_path;

namespace {

// What the engine does after a successful commit; the store must restore the same.
struct engine_mirror {
    engine_settings settings;
    engine_state state;
    void fold(const change& c) { firebreak::fold(state, c, settings); }
};

// Commits and, when accepted, folds into the mirror, as the engine loop does.
bool commit_and_fold(sqlite_store& store, engine_mirror& mirror, change& c,
                     const std::string& event_id,
                     std::optional<std::pair<std::string, std::string>> cursor = std::nullopt) {
    const bool ok = store.commit(c, event_id, at_min(200), cursor);
    if (ok) mirror.fold(c);
    return ok;
}

// Row counts of every table, read over a separate connection (the file as another
// process would see it).
std::map<std::string, std::int64_t> row_counts(const std::string& path) {
    SQLite::Database raw(path, SQLite::OPEN_READONLY);
    std::map<std::string, std::int64_t> out;
    for (const char* table :
         {"incidents", "incident_rooms", "shifts", "hypotheses", "notes", "actions",
          "status_updates", "snoozes", "timeline", "timeline_edits", "outbox", "processed_events",
          "cursors", "counters", "documents"}) {
        SQLite::Statement q(raw, std::string("SELECT count(*) FROM ") + table);
        q.executeStep();
        out[table] = q.getColumn(0).getInt64();
    }
    return out;
}

// The first changes of an incident's life: declared, room opened, some talk.
change declare_change(const incident& inc) {
    change c;
    incident first = inc;
    first.shifts.resize(1);
    first.hypotheses.clear();
    first.notes.resize(2);
    first.actions.clear();
    first.updates.resize(1);
    first.snoozed_until.clear();
    first.history.resize(1);
    first.nudges.clear();
    c.incidents.push_back(first);
    c.next_number = inc.id.n + 1;
    c.rooms_bound.emplace_back(inc.rooms[0], inc.id);
    c.rooms_bound.emplace_back(inc.rooms[1], inc.id);
    c.entries.push_back(system_entry(inc, "status", "INC declared", 0));
    c.entries.push_back(message_entry(inc, "1700.0001", "looking at the dashboards", 1));
    outbound kickoff;
    kickoff.op = outbound_op::post;
    kickoff.target = target_kind::incident_room;
    kickoff.platform = "slack";
    kickoff.incident = inc.id;
    kickoff.body.bold("INC").text(" declared").line().mention("U_ALICE").text(" is commander");
    c.outbox.push_back(kickoff);
    return c;
}

std::string make_4k_text() {
    std::string s;
    while (s.size() < 4096) s += "0123456789abcdef-line with text\n";
    s.resize(4096);
    return s;
}

}  // namespace

TEST_CASE("a fresh store is empty and numbers incidents from 1", "[storage]") {
    sqlite_store store(":memory:");
    const restored_state r = store.load(50);
    CHECK(r.state == engine_state{});
    CHECK(r.state.next_number == 1);
    CHECK(r.timeline_rows == 0);
    CHECK(store.pending_outbox(0).empty());
    CHECK_FALSE(store.cursor("slack").has_value());
}

TEST_CASE("a fully populated state round-trips through commit and load", "[storage]") {
    const incident inc1 = full_incident(1);
    incident inc2 = bare_incident(2);

    const auto run = [&](sqlite_store& store, engine_mirror& mirror) {
        change c1 = declare_change(inc1);
        REQUIRE(commit_and_fold(store, mirror, c1, "ev-1"));
        CHECK(c1.entries[0].seq == 1);
        CHECK(c1.entries[1].seq == 2);
        CHECK(store.load(mirror.settings.timeline_tail).state == mirror.state);

        // The full incident: every child list grows, plus a second, bare incident and a
        // room bound to the index only (not one of the dedicated rooms).
        change c2;
        c2.incidents = {inc1, inc2};
        c2.next_number = 3;
        c2.rooms_bound.emplace_back(room_ref{"slack", "C_WAR_ROOM"}, inc1.id);
        c2.entries.push_back(message_entry(inc1, "1700.0002", "#hypothesis pool exhausted", 6));
        c2.entries.push_back(system_entry(inc1, "role", "@U_BOB is commander", 30));
        c2.entries.push_back(system_entry(inc2, "status", "INC-2 declared", 100));
        REQUIRE(commit_and_fold(store, mirror, c2, "ev-2"));

        const restored_state r = store.load(mirror.settings.timeline_tail);
        CHECK(r.state.incidents.at(1) == inc1);
        CHECK(r.state.incidents.at(2) == inc2);
        CHECK(r.state.next_number == 3);
        CHECK(r.state.room_index.at(room_ref{"slack", "C_WAR_ROOM"}) == inc1.id);
        CHECK(r.state.room_index.at(inc1.rooms[1]) == inc1.id);
        CHECK(r.timeline_rows == 5);
        CHECK(r.state == mirror.state);

        // Non-append edits of child lists: a hypothesis changes outcome, a shift ends,
        // a note disappears, snoozes change; the same incident twice in one change.
        incident inc1b = inc1;
        inc1b.hypotheses[2].result = outcome::ruled_out;
        inc1b.hypotheses[2].closed_at = at_min(70);
        inc1b.hypotheses[2].closed_by = user_ref{"U_CAROL"};
        inc1b.shifts[2].end = at_min(71);
        inc1b.notes.erase(inc1b.notes.begin() + 1);
        inc1b.snoozed_until.erase("update");
        inc1b.snoozed_until["handoff"] = at_min(80);
        inc1b.history.erase(inc1b.history.begin() + 1);
        inc1b.nudges["update@40"].sent = 3;
        inc1b.nudges.erase("scribe@0");
        inc1b.rooms = {inc1.rooms[1]};
        inc1b.state = status::closed;
        incident inc2a = inc2;
        inc2a.message_count = 1;
        incident inc2b = inc2a;
        inc2b.message_count = 2;
        inc2b.times.impact_started = at_min(95);
        change c3;
        c3.incidents = {inc1b, inc2a, inc2b};
        REQUIRE(commit_and_fold(store, mirror, c3, "ev-3"));
        const restored_state r3 = store.load(mirror.settings.timeline_tail);
        CHECK(r3.state.incidents.at(1) == inc1b);
        CHECK(r3.state.incidents.at(2) == inc2b);
        CHECK(r3.state == mirror.state);
    };

    SECTION("in memory") {
        sqlite_store store(":memory:");
        engine_mirror mirror;
        run(store, mirror);
    }

    SECTION("in a file, restored by a new store (the restart)") {
        temp_path db;
        engine_mirror mirror;
        {
            sqlite_store store(db.str());
            run(store, mirror);
        }
        {
            sqlite_store reopened(db.str());
            CHECK(reopened.database_version() == sqlite_store::schema_version());
            const restored_state r = reopened.load(mirror.settings.timeline_tail);
            CHECK(r.state == mirror.state);
            CHECK(r.timeline_rows == 5);

            // The restarted process goes on where the old one stopped.
            incident inc1c = r.state.incidents.at(1);
            inc1c.message_count += 1;
            inc1c.updates.push_back(status_update{at_min(97), user_ref{"U_BOB"}, "none", "closed",
                                                  "", at_min(200)});
            change c4;
            c4.incidents = {inc1c};
            c4.entries.push_back(message_entry(inc1c, "1700.0003", "after restart", 98));
            REQUIRE(commit_and_fold(reopened, mirror, c4, "ev-4"));
            CHECK(c4.entries[0].seq == 6);
        }
        {
            // A store that commits without loading first (its view of what is written is
            // empty) must still leave the database exact.
            sqlite_store cold(db.str());
            incident inc2c = mirror.state.incidents.at(2);
            inc2c.shifts.push_back(shift{role::commander, user_ref{"U_EVE"}, "", at_min(101),
                                         std::nullopt, user_ref{"U_EVE"}, user_ref{}});
            change c5;
            c5.incidents = {inc2c};
            REQUIRE(commit_and_fold(cold, mirror, c5, "ev-5"));
        }
        sqlite_store last(db.str());
        CHECK(last.load(mirror.settings.timeline_tail).state == mirror.state);
    }
}

TEST_CASE("load keeps only the newest `tail` entries of each incident", "[storage]") {
    sqlite_store store(":memory:");
    engine_mirror mirror;
    mirror.settings.timeline_tail = 3;
    const incident a = full_incident(1);
    const incident b = bare_incident(2);
    change c;
    c.incidents = {a, b};
    c.next_number = 3;
    for (int i = 0; i < 8; ++i) {
        c.entries.push_back(message_entry(a, "a" + std::to_string(i), "a says " + std::to_string(i), i));
        if (i % 2 == 0)
            c.entries.push_back(message_entry(b, "b" + std::to_string(i), "b says", 100 + i));
    }
    REQUIRE(commit_and_fold(store, mirror, c, "ev"));

    const restored_state r = store.load(3);
    CHECK(r.timeline_rows == 12);
    REQUIRE(r.state.recent.at(1).size() == 3);
    CHECK(r.state.recent.at(1).front().text == "a says 5");
    CHECK(r.state.recent.at(1).back().text == "a says 7");
    CHECK(r.state == mirror.state);

    // timeline(): 0 means all, ascending; N means the newest N, still ascending.
    const auto all = store.timeline(a.id);
    REQUIRE(all.size() == 8);
    for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].seq < all[i].seq);
    const auto last2 = store.timeline(a.id, 2);
    REQUIRE(last2.size() == 2);
    CHECK(last2[0] == all[6]);
    CHECK(last2[1] == all[7]);
    CHECK(store.timeline(b.id, 100).size() == 4);
    CHECK(store.timeline(incident_id{99}).empty());

    // No tail at all: incidents, but no recent entries.
    const restored_state none = store.load(0);
    CHECK(none.state.recent.empty());
    CHECK(none.state.incidents.size() == 2);
}

TEST_CASE("the next incident number never reuses a stored number", "[storage]") {
    sqlite_store store(":memory:");
    change c;
    c.incidents = {bare_incident(5)};  // counter not written in this change
    REQUIRE(store.commit(c, "ev", at_min(0), std::nullopt));
    CHECK(store.load(10).state.next_number == 6);
    change bump;
    bump.next_number = 9;
    REQUIRE(store.commit(bump, "", at_min(0), std::nullopt));
    CHECK(store.load(10).state.next_number == 9);
}

TEST_CASE("a redelivered event is rejected and writes nothing", "[storage]") {
    temp_path db;
    sqlite_store store(db.str());
    const incident inc = full_incident(1);
    change c = declare_change(inc);
    REQUIRE(store.commit(c, "Ev01ABC", at_min(0), std::pair{std::string("slack"), std::string("c1")}));
    CHECK(store.processed("Ev01ABC"));
    CHECK_FALSE(store.processed("Ev02"));
    const auto before = row_counts(db.str());
    CHECK(before.at("processed_events") == 1);
    CHECK(before.at("timeline") == 2);

    change again = declare_change(inc);
    CHECK_FALSE(store.commit(again, "Ev01ABC", at_min(1),
                             std::pair{std::string("slack"), std::string("c2")}));
    CHECK(row_counts(db.str()) == before);
    CHECK(again.entries[0].seq == 0);  // untouched: nothing was written
    CHECK(store.cursor("slack") == "c1");
    CHECK(store.pending_outbox(0).size() == 1);

    SECTION("an empty event id is never de-duplicated") {
        change internal1;
        internal1.entries.push_back(system_entry(inc, "nudge", "update due", 40));
        change internal2 = internal1;
        CHECK(store.commit(internal1, "", at_min(40), std::nullopt));
        CHECK(store.commit(internal2, "", at_min(41), std::nullopt));
        const auto after = row_counts(db.str());
        CHECK(after.at("timeline") == 4);
        CHECK(after.at("processed_events") == 1);
    }
}

TEST_CASE("a commit that fails writes nothing and the store stays usable", "[storage]") {
    sqlite_store store(":memory:");
    const incident inc = bare_incident(1);
    change ok;
    ok.incidents = {inc};
    ok.next_number = 2;
    REQUIRE(store.commit(ok, "ev-1", at_min(0), std::pair{std::string("matrix"), std::string("s1")}));

    // A timeline row of an incident that was never stored breaks a foreign key.
    change bad;
    bad.entries.push_back(message_entry(inc, "m1", "fine", 1));
    bad.entries.push_back(message_entry(bare_incident(77), "m2", "orphan", 2));
    bad.outbox.push_back(outbound{});
    CHECK_THROWS_AS(store.commit(bad, "ev-2", at_min(1),
                                 std::pair{std::string("matrix"), std::string("s2")}),
                    store_error);
    CHECK(bad.entries[0].seq == 0);
    CHECK_FALSE(store.processed("ev-2"));
    CHECK(store.cursor("matrix") == "s1");
    CHECK(store.timeline(inc.id).empty());
    CHECK(store.pending_outbox(0).empty());

    change next;
    next.entries.push_back(message_entry(inc, "m1", "fine", 1));
    CHECK(store.commit(next, "ev-2", at_min(2), std::pair{std::string("matrix"), std::string("s2")}));
    CHECK(store.cursor("matrix") == "s2");
    CHECK(store.timeline(inc.id).size() == 1);
}

TEST_CASE("edits, deletes and highlights amend message rows and keep history", "[storage]") {
    sqlite_store store(":memory:");
    engine_mirror mirror;
    const incident inc = full_incident(1);
    const room_ref room = inc.rooms[0];

    change c;
    c.incidents = {inc};
    c.next_number = 2;
    c.entries.push_back(message_entry(inc, "1700.01", "pool is at 100%", 5));
    c.entries.push_back(message_entry(inc, "1700.02", "rolling back", 6));
    c.entries.push_back(system_entry(inc, "status", "identified", 7));
    REQUIRE(commit_and_fold(store, mirror, c, "ev-1"));
    const std::int64_t first = c.entries[0].seq;
    const std::int64_t second = c.entries[1].seq;

    const auto amend = [&](timeline_amendment::what op, const std::string& msg,
                           const std::string& text, int minute) {
        timeline_amendment a;
        a.op = op;
        a.incident = inc.id;
        a.room = room;
        a.msg = message_id{msg};
        a.new_text = text;
        a.actor = user_ref{"U_ALICE"};
        a.at = at_min(minute, 1);
        return a;
    };
    using what = timeline_amendment::what;

    change edit;
    edit.amendments.push_back(amend(what::edit, "1700.01", "pool is at 40%", 8));
    REQUIRE(commit_and_fold(store, mirror, edit, "ev-edit"));
    auto rows = store.timeline(inc.id);
    CHECK(rows[0].text == "pool is at 40%");
    CHECK(rows[0].edited);
    CHECK_FALSE(rows[0].deleted);
    CHECK(store.edit_history(first) ==
          std::vector<std::pair<instant, std::string>>{{at_min(8, 1), "pool is at 100%"}});

    change remove;
    remove.amendments.push_back(amend(what::remove, "1700.01", "", 9));
    REQUIRE(commit_and_fold(store, mirror, remove, "ev-del"));
    rows = store.timeline(inc.id);
    REQUIRE(rows.size() == 3);  // the fact of the message stays
    CHECK(rows[0].text.empty());
    CHECK(rows[0].deleted);
    CHECK(rows[0].msg.id == "1700.01");
    // Deleting forgets every earlier version of the text too.
    CHECK(store.edit_history(first).empty());

    change pin;
    pin.amendments.push_back(amend(what::highlight, "1700.02", "", 10));
    REQUIRE(commit_and_fold(store, mirror, pin, "ev-pin"));
    CHECK(store.timeline(inc.id)[1].highlight);
    CHECK(store.edit_history(second).empty());
    CHECK(store.load(50).state == mirror.state);

    change unpin;
    unpin.amendments.push_back(amend(what::unhighlight, "1700.02", "", 11));
    REQUIRE(commit_and_fold(store, mirror, unpin, "ev-unpin"));
    CHECK_FALSE(store.timeline(inc.id)[1].highlight);

    SECTION("an amendment of an unknown message is ignored") {
        change unknown;
        unknown.amendments.push_back(amend(what::edit, "9999.99", "ghost", 12));
        unknown.amendments.push_back(amend(what::remove, "", "", 12));
        timeline_amendment other_room = amend(what::highlight, "1700.02", "", 12);
        other_room.room = room_ref{"slack", "C_ELSEWHERE"};
        unknown.amendments.push_back(other_room);
        const auto before = store.timeline(inc.id);
        CHECK(commit_and_fold(store, mirror, unknown, "ev-unknown"));
        CHECK(store.timeline(inc.id) == before);
    }

    SECTION("an edit that changes no text adds no history; one that changes the tag moves it") {
        change same;
        same.amendments.push_back(amend(what::edit, "1700.02", "rolling back", 12));
        REQUIRE(commit_and_fold(store, mirror, same, "ev-same"));
        CHECK(store.edit_history(second).empty());
        CHECK_FALSE(store.timeline(inc.id)[1].edited);
        change tagged;
        tagged.amendments.push_back(amend(what::edit, "1700.02", "#decision rolling back", 13));
        tagged.amendments.back().new_tag = "decision";
        REQUIRE(commit_and_fold(store, mirror, tagged, "ev-tagged"));
        CHECK(store.timeline(inc.id)[1].tag == "decision");
        CHECK(store.edit_history(second).size() == 1);
        change gone;
        gone.amendments.push_back(amend(what::remove, "1700.02", "", 14));
        REQUIRE(commit_and_fold(store, mirror, gone, "ev-gone"));
        CHECK(store.timeline(inc.id)[1].tag.empty());
    }

    SECTION("an amendment may address a message of the same change") {
        change both;
        both.entries.push_back(message_entry(inc, "1700.03", "typo", 13));
        both.amendments.push_back(amend(what::edit, "1700.03", "fixed", 13));
        REQUIRE(commit_and_fold(store, mirror, both, "ev-both"));
        CHECK(store.timeline(inc.id, 1)[0].text == "fixed");
        CHECK(store.edit_history(both.entries[0].seq).size() == 1);
    }

    CHECK(store.load(50).state == mirror.state);
}

TEST_CASE("the outbox keeps order and tracks delivery", "[storage]") {
    sqlite_store store(":memory:");
    const incident inc = bare_incident(1);
    change c;
    c.incidents = {inc};
    outbound open;
    open.op = outbound_op::open_room;
    open.target = target_kind::room;
    open.platform = "slack";
    open.incident = inc.id;
    open.room_name = "inc-1-checkout";
    open.invite = {user_ref{"U_ALICE"}, user_ref{"U_BOB"}};
    open.is_private = true;
    outbound reply;
    reply.op = outbound_op::ephemeral;
    reply.room = room_ref{"slack", "C_GENERAL"};
    reply.to_user = user_ref{"U_ALICE"};
    reply.thread = message_id{"1700.5"};
    reply.body.text("usage: ").code("!incident sev N <reason>").line().bullet().italic("try again");
    outbound announce;
    announce.op = outbound_op::post;
    announce.target = target_kind::announcement;
    announce.platform = "matrix";
    announce.body.bold("INC-1").text(" SEV2 declared by ").mention("@eve:example.org");
    c.outbox = {open, reply, announce};
    REQUIRE(store.commit(c, "ev-1", at_min(0), std::nullopt));
    change c2;
    outbound topic;
    topic.op = outbound_op::set_topic;
    topic.target = target_kind::incident_room;
    topic.platform = "slack";
    topic.incident = inc.id;
    topic.body.text("INC-1 | SEV2 | investigating");
    outbound pm;
    pm.op = outbound_op::postmortem;
    pm.target = target_kind::incident_room;
    pm.incident = inc.id;
    c2.outbox = {topic, pm};
    REQUIRE(store.commit(c2, "ev-2", at_min(1), std::nullopt));

    auto pending = store.pending_outbox(0);
    REQUIRE(pending.size() == 5);
    for (std::size_t i = 1; i < pending.size(); ++i) CHECK(pending[i - 1].id < pending[i].id);
    CHECK(pending[0].msg == open);
    CHECK(pending[1].msg == reply);
    CHECK(pending[2].msg == announce);
    CHECK(pending[3].msg == topic);
    CHECK(pending[4].msg == pm);
    CHECK(pending[0].created_at == at_min(0));
    CHECK(pending[3].created_at == at_min(1));
    CHECK(pending[0].attempts == 0);
    CHECK_FALSE(pending[0].not_before.has_value());
    CHECK(store.pending_outbox(2).size() == 2);

    store.mark_sent(pending[0].id, message_id{"C_NEW"}, at_min(2));
    store.mark_failed(pending[1].id, "rate limited", false, at_min(3));
    store.mark_failed(pending[2].id, "not_in_channel", true, std::nullopt);
    auto after = store.pending_outbox(0);
    REQUIRE(after.size() == 3);
    CHECK(after[0].id == pending[1].id);
    CHECK(after[0].attempts == 1);
    CHECK(after[0].not_before == at_min(3));
    CHECK(after[1].id == pending[3].id);

    store.mark_failed(pending[1].id, "rate limited", false, at_min(4));
    CHECK(store.pending_outbox(1).at(0).attempts == 2);
    CHECK(store.pending_outbox(1).at(0).not_before == at_min(4));
    store.mark_sent(pending[1].id, message_id{"1700.9"}, at_min(5));
    CHECK(store.pending_outbox(0).size() == 2);
}

TEST_CASE("the adapter cursor is written with the change it belongs to", "[storage]") {
    sqlite_store store(":memory:");
    change c;
    c.incidents = {bare_incident(1)};
    REQUIRE(store.commit(c, "$ev1", at_min(0), std::pair{std::string("matrix"), std::string("s1_2")}));
    CHECK(store.cursor("matrix") == "s1_2");
    change none;
    REQUIRE(store.commit(none, "$ev2", at_min(1), std::nullopt));
    CHECK(store.cursor("matrix") == "s1_2");
    REQUIRE(store.commit(none, "$ev3", at_min(2), std::pair{std::string("matrix"), std::string("s9")}));
    CHECK(store.cursor("matrix") == "s9");
    CHECK_FALSE(store.cursor("slack").has_value());
}

TEST_CASE("an adapter's own value is stored outside any event and kept across reopening", "[storage]") {
    temp_path db;
    {
        sqlite_store store(db.str());
        store.put_cursor("matrix.txn_prefix", "0badcafe");
        store.put_cursor("matrix.txn_prefix", "12345678");
        // Not an event: nothing is recorded as processed.
        change c;
        c.incidents = {bare_incident(1)};
        CHECK(store.commit(c, "", at_min(1), std::nullopt));
        // Not inside a group, where it would ride on the events' transaction.
        store.begin_group();
        CHECK_THROWS(store.put_cursor("k", "v"));
        store.end_group();
    }
    sqlite_store again(db.str());
    CHECK(again.cursor("matrix.txn_prefix") == "12345678");
    CHECK_FALSE(again.cursor("k").has_value());
}

TEST_CASE("documents keep the latest version per format", "[storage]") {
    sqlite_store store(":memory:");
    change c;
    c.incidents = {bare_incident(1)};
    REQUIRE(store.commit(c, "ev", at_min(0), std::nullopt));
    CHECK_FALSE(store.document(incident_id{1}, "markdown").has_value());
    store.put_document(incident_id{1}, "markdown", "# draft 1", at_min(1));
    store.put_document(incident_id{1}, "markdown", "# draft 2", at_min(2));
    store.put_document(incident_id{1}, "html", "<h1>draft</h1>", at_min(2));
    CHECK(store.document(incident_id{1}, "markdown") == "# draft 2");
    CHECK(store.document(incident_id{1}, "html") == "<h1>draft</h1>");
    CHECK_FALSE(store.document(incident_id{2}, "markdown").has_value());
}

TEST_CASE("display names are kept per platform, replaced when learned again, across reopening", "[storage]") {
    temp_path db;
    {
        sqlite_store store(db.str());
        CHECK(store.display_names("slack").empty());
        store.put_display_name("slack", user_ref{"U0MAYA"}, "Maya", at_min(1));
        store.put_display_name("slack", user_ref{"U0DANA"}, "Dana \xF0\x9F\x94\xA5", at_min(1));
        // The same id on another platform is another person.
        store.put_display_name("matrix", user_ref{"U0MAYA"}, "Someone else", at_min(1));
        store.put_display_name("slack", user_ref{"U0MAYA"}, "Maya R.", at_min(2));
        // Not an event: nothing is recorded as processed, no transaction is left open.
        change c;
        c.incidents = {bare_incident(1)};
        REQUIRE(store.commit(c, "ev", at_min(3), std::nullopt));
    }
    sqlite_store store(db.str());
    CHECK(store.display_names("slack") ==
          std::map<std::string, std::string>{{"U0DANA", "Dana \xF0\x9F\x94\xA5"}, {"U0MAYA", "Maya R."}});
    CHECK(store.display_names("matrix") == std::map<std::string, std::string>{{"U0MAYA", "Someone else"}});
    CHECK(store.display_names("console").empty());
    SQLite::Database raw(db.str(), SQLite::OPEN_READONLY);
    SQLite::Statement q(raw, "SELECT learned_at FROM people WHERE platform = 'slack' AND user_id = 'U0MAYA'");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getInt64() == to_unix_ms(at_min(2)));
}

TEST_CASE("text round-trips byte for byte", "[storage]") {
    const std::string invalid_utf8 = "caf\xC3 \xFF\xFE broken \xE2\x82 tail";
    const std::string controls = "a\x01\x02\tb\r\nc\x1B[31mred\x1B[0m\x7F";
    const std::string emoji = "\xF0\x9F\x93\x8C pinned \xE2\x9C\x85";
    const std::string big = make_4k_text();
    REQUIRE(big.size() == 4096);

    temp_path db;
    engine_mirror mirror;
    {
        sqlite_store store(db.str());
        incident inc = full_incident(1);
        inc.title = invalid_utf8;
        inc.notes[0].text = controls;
        inc.hypotheses[0].evidence = big;
        inc.updates[0].needs = emoji;
        change c;
        c.incidents = {inc};
        c.next_number = 2;
        c.entries.push_back(message_entry(inc, "m1", invalid_utf8, 1));
        c.entries.push_back(message_entry(inc, "m2", controls, 2));
        c.entries.push_back(message_entry(inc, "m3", big, 3));
        c.entries.push_back(message_entry(inc, "m4", emoji, 4));
        outbound o;
        o.room = inc.rooms[0];
        o.body.text(invalid_utf8).bold(controls).code(big).mention(emoji);
        c.outbox.push_back(o);
        REQUIRE(commit_and_fold(store, mirror, c, invalid_utf8,
                                std::pair{std::string("slack"), controls}));
        store.put_document(inc.id, "markdown", big + invalid_utf8, at_min(5));
    }
    sqlite_store store(db.str());
    const restored_state r = store.load(50);
    CHECK(r.state == mirror.state);
    CHECK(r.state.incidents.at(1).title == invalid_utf8);
    const auto rows = store.timeline(incident_id{1});
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].text == invalid_utf8);
    CHECK(rows[1].text == controls);
    CHECK(rows[2].text == big);
    CHECK(rows[3].text == emoji);
    CHECK(store.pending_outbox(0).at(0).msg.body.spans().at(2).text == big);
    CHECK(store.processed(invalid_utf8));
    CHECK(store.cursor("slack") == controls);
    CHECK(store.document(incident_id{1}, "markdown") == big + invalid_utf8);
}

TEST_CASE("opening a bad path fails with a message naming it", "[storage]") {
    SECTION("a directory that cannot exist") {
        temp_path file(".notadir");
        std::ofstream(file.str()) << "a regular file, used as a directory below\n";
        const std::string path = file.str() + "/db.sqlite";
        try {
            sqlite_store store(path);
            FAIL("opened " << path);
        } catch (const store_error& e) {
            const std::string what = e.what();
            INFO(what);
            CHECK(what.find("cannot open database " + path) != std::string::npos);
        }
    }
    SECTION("a file that is not a database") {
        temp_path file;
        {
            std::ofstream out(file.str());
            for (int i = 0; i < 200; ++i) out << "this is a text file, not a SQLite database\n";
        }
        try {
            sqlite_store store(file.str());
            FAIL("opened a text file");
        } catch (const store_error& e) {
            const std::string what = e.what();
            INFO(what);
            CHECK(what.find(file.str()) != std::string::npos);
            CHECK(what.find("not a database") != std::string::npos);
        }
    }
}

TEST_CASE("a second store on the same file is refused while the first is open", "[storage]") {
    temp_path db;
    {
        sqlite_store first(db.str());
        try {
            sqlite_store second(db.str());
            FAIL("two stores on one file");
        } catch (const store_error& e) {
            const std::string what = e.what();
            INFO(what);
            CHECK(what.find("database " + db.str() + " is in use by another firebreak process") !=
                  std::string::npos);
        }
        // The refused store must not have disturbed the first one.
        change c;
        c.incidents = {bare_incident(1)};
        CHECK(first.commit(c, "ev", at_min(0), std::nullopt));
    }
    // Closing releases the lock.
    sqlite_store again(db.str());
    CHECK(again.load(10).state.incidents.size() == 1);
    // In-memory stores are private to their connection and never lock.
    sqlite_store m1(":memory:");
    sqlite_store m2(":memory:");
}
