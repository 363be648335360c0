// fold(): how a committed change becomes the state the next decision is made
// from; and the lookups the dispatcher relies on.
#include "bot/core/engine_state.hpp"
#include "tests/core/test_time.hpp"

#include <catch2/catch.hpp>

using namespace firebreak;
using firebreak::test::utc;
using namespace std::chrono_literals;

namespace {

const room_ref general{"console", "#general"};
const room_ref inc_room{"console", "inc-1-db-down"};

incident make_incident(std::int64_t n, std::vector<room_ref> rooms = {}) {
    incident inc;
    inc.id = incident_id{n};
    inc.title = "incident " + std::to_string(n);
    inc.times.declared = utc(2026, 11, 22, 14, 0);
    inc.rooms = std::move(rooms);
    return inc;
}

timeline_entry message(std::int64_t n, const room_ref& room, const std::string& msg, const std::string& text) {
    timeline_entry e;
    e.incident = incident_id{n};
    e.kind = entry_kind::message;
    e.room = room;
    e.msg = message_id{msg};
    e.text = text;
    e.author = user_ref{"maya"};
    e.at = utc(2026, 11, 22, 14, 5);
    return e;
}

timeline_amendment amend(timeline_amendment::what op, std::int64_t n, const room_ref& room, const std::string& msg,
                         const std::string& text = {}) {
    timeline_amendment a;
    a.op = op;
    a.incident = incident_id{n};
    a.room = room;
    a.msg = message_id{msg};
    a.new_text = text;
    a.actor = user_ref{"maya"};
    return a;
}

}  // namespace

TEST_CASE("an empty change is empty and folds to nothing", "[core]") {
    engine_state st;
    engine_settings cfg;
    change c;
    CHECK(c.empty());
    fold(st, c, cfg);
    CHECK(st == engine_state{});

    change with_number;
    with_number.next_number = 2;
    CHECK_FALSE(with_number.empty());
    change with_outbox;
    with_outbox.outbox.emplace_back();
    CHECK_FALSE(with_outbox.empty());
}

TEST_CASE("fold stores incidents, their rooms and the next number", "[core]") {
    engine_state st;
    engine_settings cfg;
    change c;
    c.incidents.push_back(make_incident(1));
    c.next_number = 2;
    fold(st, c, cfg);
    REQUIRE(st.find(1) != nullptr);
    CHECK(st.find(1)->title == "incident 1");
    CHECK(st.next_number == 2);
    CHECK(st.find(2) == nullptr);
    CHECK(st.by_room(inc_room) == nullptr);

    SECTION("a later change replaces the incident and indexes its rooms") {
        change d;
        auto inc = make_incident(1, {inc_room});
        inc.title = "renamed";
        d.incidents.push_back(inc);
        fold(st, d, cfg);
        CHECK(st.incidents.size() == 1);
        CHECK(st.find(1)->title == "renamed");
        REQUIRE(st.by_room(inc_room) != nullptr);
        CHECK(st.by_room(inc_room)->id.n == 1);
        CHECK(st.next_number == 2);  // 0 in a change means unchanged
    }
    SECTION("rooms_bound indexes a room") {
        change d;
        d.rooms_bound.emplace_back(inc_room, incident_id{1});
        fold(st, d, cfg);
        REQUIRE(st.by_room(inc_room) != nullptr);
        CHECK(st.by_room(inc_room)->id.n == 1);
        CHECK(st.by_room(general) == nullptr);
        // The same room id on another platform is another room.
        CHECK(st.by_room(room_ref{"slack", inc_room.id}) == nullptr);
    }
}

TEST_CASE("fold appends entries to each incident's tail, bounded by timeline_tail", "[core]") {
    engine_state st;
    engine_settings cfg;
    cfg.timeline_tail = 3;
    for (int i = 1; i <= 5; ++i) {
        change c;
        c.entries.push_back(message(1, inc_room, "m" + std::to_string(i), "text " + std::to_string(i)));
        if (i == 2) c.entries.push_back(message(2, general, "x", "other incident"));
        fold(st, c, cfg);
    }
    REQUIRE(st.recent[1].size() == 3);
    CHECK(st.recent[1][0].text == "text 3");
    CHECK(st.recent[1][2].text == "text 5");
    REQUIRE(st.recent[2].size() == 1);
    CHECK(st.recent[2][0].text == "other incident");
}

TEST_CASE("fold applies amendments to message entries by room and message id", "[core]") {
    engine_state st;
    engine_settings cfg;
    change c;
    c.entries.push_back(message(1, inc_room, "m1", "first"));
    c.entries.push_back(message(1, inc_room, "m2", "second"));
    c.entries.push_back(message(1, general, "m1", "same id, other room"));
    auto sys = message(1, inc_room, "m1", "system entry");
    sys.kind = entry_kind::system;
    c.entries.push_back(sys);
    fold(st, c, cfg);
    auto& tail = st.recent[1];
    using what = timeline_amendment::what;

    SECTION("edit replaces the text and marks it edited") {
        change d;
        d.amendments.push_back(amend(what::edit, 1, inc_room, "m1", "first, corrected"));
        fold(st, d, cfg);
        CHECK(tail[0].text == "first, corrected");
        CHECK(tail[0].edited);
        CHECK(tail[1].text == "second");
        CHECK(tail[2].text == "same id, other room");
        CHECK_FALSE(tail[2].edited);
        CHECK(tail[3].text == "system entry");
    }
    SECTION("remove blanks the text and keeps the entry") {
        change d;
        d.amendments.push_back(amend(what::remove, 1, inc_room, "m2"));
        fold(st, d, cfg);
        REQUIRE(tail.size() == 4);
        CHECK(tail[1].text.empty());
        CHECK(tail[1].deleted);
        CHECK(tail[1].msg.id == "m2");
        CHECK_FALSE(tail[0].deleted);
    }
    SECTION("highlight and unhighlight") {
        change d;
        d.amendments.push_back(amend(what::highlight, 1, inc_room, "m1"));
        fold(st, d, cfg);
        CHECK(tail[0].highlight);
        CHECK_FALSE(tail[1].highlight);
        CHECK_FALSE(tail[3].highlight);
        change e;
        e.amendments.push_back(amend(what::unhighlight, 1, inc_room, "m1"));
        fold(st, e, cfg);
        CHECK_FALSE(tail[0].highlight);
    }
    SECTION("an amendment of an unknown message or incident changes nothing") {
        auto before = st;
        change d;
        d.amendments.push_back(amend(what::edit, 1, inc_room, "nope", "x"));
        d.amendments.push_back(amend(what::remove, 7, inc_room, "m1"));
        fold(st, d, cfg);
        CHECK(st == before);
    }
    SECTION("an amendment may address an entry of the same change") {
        change d;
        d.entries.push_back(message(1, inc_room, "m3", "typo"));
        d.amendments.push_back(amend(what::edit, 1, inc_room, "m3", "fixed"));
        fold(st, d, cfg);
        CHECK(tail.back().text == "fixed");
        CHECK(tail.back().edited);
    }
}

TEST_CASE("incident lookups: open shifts and rooms", "[core]") {
    auto inc = make_incident(3, {room_ref{"slack", "C1"}, room_ref{"matrix", "!r:x"}});
    auto t = utc(2026, 11, 22, 14, 0);
    inc.shifts = {
        shift{role::commander, user_ref{"maya"}, "", t, t + 5min, user_ref{"maya"}, user_ref{"maya"}},
        shift{role::commander, user_ref{"sam"}, "", t + 5min, std::nullopt, user_ref{"maya"}, {}},
        shift{role::scribe, user_ref{"lena"}, "", t, t + 1min, user_ref{"maya"}, user_ref{"maya"}},
        shift{role::sme, user_ref{"dana"}, "database", t, std::nullopt, user_ref{"maya"}, {}},
        shift{role::sme, user_ref{"dev"}, "", t, t + 2min, user_ref{"maya"}, user_ref{"maya"}},
        shift{role::sme, user_ref{"priya"}, "network", t, std::nullopt, user_ref{"maya"}, {}},
    };
    REQUIRE(inc.commander() != nullptr);
    CHECK(inc.commander()->user.id == "sam");
    CHECK(inc.scribe() == nullptr);
    auto smes = inc.smes();
    REQUIRE(smes.size() == 2);
    CHECK(smes[0]->user.id == "dana");
    CHECK(smes[1]->area == "network");
    CHECK(inc.room_on("slack") == room_ref{"slack", "C1"});
    CHECK(inc.room_on("matrix") == room_ref{"matrix", "!r:x"});
    CHECK_FALSE(inc.room_on("console").has_value());
    CHECK(inc.id.str() == "INC-3");
}
