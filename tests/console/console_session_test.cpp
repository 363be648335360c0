// console_session: typed lines and console slash commands becoming chat events.
#include "adapters/console/console_session.hpp"
#include "tests/core/test_time.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

using namespace firebreak;
using firebreak::test::utc;
using namespace std::chrono_literals;

namespace {

// A session on a manual clock at 14:32 UTC, with INC-3 known to the room finder.
struct fixture {
    testing::temp_dir dir;
    manual_clock clk{utc(2026, 11, 22, 14, 32, 5)};
    std::ostringstream adapter_out;
    console_adapter adapter{adapter_out, clk, dir.path() / "files", true};
    std::ostringstream out;
    std::map<std::int64_t, std::string> incident_rooms{{3, "inc-3-db-down"}};
    std::vector<std::int64_t> looked_up;
    std::vector<duration> waits;
    std::vector<chat_event> events;       // what people said and did
    std::vector<chat_event> memberships;  // joins and leaves, apart
    std::set<std::pair<std::string, std::string>> refused;  // (room, user) the gate keeps out
    console_session session{adapter, clk, out,
                            [this](std::int64_t n) -> std::optional<std::string> {
                                looked_up.push_back(n);
                                auto it = incident_rooms.find(n);
                                if (it == incident_rooms.end()) return std::nullopt;
                                return it->second;
                            },
                            [this](duration d) {
                                waits.push_back(d);
                                clk.advance(d);
                            },
                            "s1",
                            [this](const std::string& room, const std::string& user) {
                                return refused.count({room, user}) == 0;
                            }};

    // Feeds one line; returns what the session printed for it.
    std::string feed(const std::string& line) {
        out.str("");
        REQUIRE(session.feed(line, [this](const chat_event& ev) {
            bool member = ev.kind == event_kind::member_joined || ev.kind == event_kind::member_left;
            (member ? memberships : events).push_back(ev);
        }));
        return out.str();
    }
};

}  // namespace

TEST_CASE("a typed line is a message from the current user in the current room at the clock's time", "[console]") {
    fixture f;
    CHECK(f.session.prompt() == "you@#general> ");
    auto echo = f.feed("  the checkout API returns 502s  ");
    REQUIRE(f.events.size() == 1);
    const auto& ev = f.events[0];
    CHECK(ev.kind == event_kind::message);
    CHECK(ev.room == room_ref{"console", "general"});
    CHECK(ev.user == user_ref{"you"});
    CHECK(ev.at == utc(2026, 11, 22, 14, 32, 5));
    CHECK(ev.text == "the checkout API returns 502s");
    CHECK(ev.msg.id == "s1.m1");
    CHECK(ev.thread_parent.empty());
    CHECK(echo == "[14:32] [#general] you (m1): the checkout API returns 502s\n");
    CHECK(f.adapter.has_room("general"));

    f.clk.advance(3min);
    echo = f.feed("second");
    REQUIRE(f.events.size() == 2);
    CHECK(f.events[1].msg.id == "s1.m2");
    CHECK(f.events[1].at == utc(2026, 11, 22, 14, 35, 5));
    CHECK(echo == "[14:35] [#general] you (m2): second\n");
}

TEST_CASE("blank lines deliver nothing", "[console]") {
    fixture f;
    CHECK(f.feed("").empty());
    CHECK(f.feed("   \t ").empty());
    CHECK(f.feed("\r").empty());
    CHECK(f.events.empty());
}

TEST_CASE("/user switches who speaks", "[console]") {
    fixture f;
    f.feed("/user maya");
    CHECK(f.session.user() == "maya");
    CHECK(f.session.prompt() == "maya@#general> ");
    f.feed("/user @lena");
    CHECK(f.session.user() == "lena");
    CHECK(f.events.empty());  // switching is not an event

    f.feed("hello");
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].user == user_ref{"lena"});

    SECTION("invalid names are refused with a usage line") {
        for (const char* bad : {"/user", "/user two words", "/user a@b", "/user #ops", "/user @"}) {
            INFO(bad);
            auto said = f.feed(bad);
            CHECK_THAT(said, Catch::StartsWith("usage: /user"));
            CHECK(f.session.user() == "lena");
        }
        f.out.str("");
        CHECK_THAT(f.feed("/user " + std::string(81, 'x')), Catch::StartsWith("usage: /user"));
        CHECK(f.session.user() == "lena");
        CHECK(f.events.size() == 1);
    }
}

TEST_CASE("/room switches rooms and creates plain rooms", "[console]") {
    fixture f;
    auto said = f.feed("/room ops");
    CHECK(said == "* you are in #ops\n");
    CHECK(f.session.room() == "ops");
    CHECK(f.adapter.has_room("ops"));
    f.feed("/room #war-room");
    CHECK(f.session.room() == "war-room");
    CHECK(f.session.prompt() == "you@#war-room> ");
    CHECK(f.events.empty());

    f.feed("in the war room");
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].room == room_ref{"console", "war-room"});

    SECTION("invalid names are refused with a usage line") {
        for (const char* bad : {"/room", "/room #", "/room two words", "/room a@b"}) {
            INFO(bad);
            CHECK_THAT(f.feed(bad), Catch::StartsWith("usage: /room"));
            CHECK(f.session.room() == "war-room");
        }
        CHECK(f.events.size() == 1);
        CHECK(f.looked_up.empty());
    }
}

TEST_CASE("/room INC-n goes to the incident's room found by the finder", "[console]") {
    fixture f;
    auto said = f.feed("/room INC-3");
    CHECK(f.looked_up == std::vector<std::int64_t>{3});
    CHECK(f.session.room() == "inc-3-db-down");
    CHECK(said == "* you are in #inc-3-db-down\n");
    CHECK(f.adapter.has_room("inc-3-db-down"));

    f.feed("/room general");
    f.feed("/room #inc-3");
    CHECK(f.session.room() == "inc-3-db-down");

    f.feed("in the incident room");
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].room.id == "inc-3-db-down");

    SECTION("an unknown incident is refused and the room stays") {
        said = f.feed("/room INC-9");
        CHECK(f.looked_up.back() == 9);
        CHECK(said == "INC-9 has no room here.\n");
        CHECK(f.session.room() == "inc-3-db-down");
        CHECK_FALSE(f.adapter.has_room("INC-9"));
        CHECK(f.events.size() == 1);
    }
    SECTION("a room merely named like an incident room is a plain room") {
        f.feed("/room inc-3-other");
        CHECK(f.session.room() == "inc-3-other");
        CHECK(f.looked_up.size() == 2);  // no lookup for it
    }
}

TEST_CASE("/rooms lists rooms with their topics", "[console]") {
    fixture f;
    bool done = false;
    f.adapter.set_topic({"console", "inc-3-db-down"}, "SEV1 · investigating", [&](delivery) { done = true; });
    REQUIRE(done);
    auto said = f.feed("/rooms");
    CHECK_THAT(said, Catch::Contains("  #general\n") &&
                         Catch::Contains("  #inc-3-db-down — SEV1 · investigating\n"));
    CHECK(f.events.empty());
}

TEST_CASE("/react defaults to the last message and to pushpin", "[console]") {
    fixture f;
    SECTION("with no message yet, there is nothing to react to") {
        CHECK_THAT(f.feed("/react"), Catch::StartsWith("usage: /react"));
        CHECK(f.events.empty());
    }
    SECTION("defaults") {
        f.feed("first");
        f.feed("second");
        f.clk.advance(1min);
        f.feed("/user lena");
        f.feed("/react");
        REQUIRE(f.events.size() == 3);
        const auto& ev = f.events[2];
        CHECK(ev.kind == event_kind::reaction);
        CHECK(ev.msg.id == f.events[1].msg.id);
        CHECK(ev.reaction == "pushpin");
        CHECK(ev.highlight);
        CHECK(ev.reaction_added);
        CHECK(ev.user == user_ref{"lena"});
        CHECK(ev.room == room_ref{"console", "general"});
        CHECK(ev.at == utc(2026, 11, 22, 14, 33, 5));
    }
    SECTION("an explicit message and emoji") {
        f.feed("first");
        f.feed("second");
        f.feed("/react m1 eyes");
        REQUIRE(f.events.size() == 3);
        CHECK(f.events[2].msg.id == "s1.m1");
        CHECK(f.events[2].reaction == "eyes");
        CHECK_FALSE(f.events[2].highlight);
        CHECK(f.events[2].reaction_added);
    }
}

TEST_CASE("/unreact removes a reaction", "[console]") {
    fixture f;
    f.feed("first");
    f.feed("/unreact m1");
    REQUIRE(f.events.size() == 2);
    CHECK(f.events[1].kind == event_kind::reaction);
    CHECK(f.events[1].msg.id == "s1.m1");
    CHECK(f.events[1].reaction == "pushpin");
    CHECK_FALSE(f.events[1].reaction_added);
}

TEST_CASE("/edit, /delete and /reply", "[console]") {
    fixture f;
    f.feed("the db is fine");

    f.feed("/edit m1 the db is on fire");
    REQUIRE(f.events.size() == 2);
    CHECK(f.events[1].kind == event_kind::edit);
    CHECK(f.events[1].msg.id == "s1.m1");
    CHECK(f.events[1].text == "the db is on fire");
    CHECK(f.events[1].user == user_ref{"you"});

    f.clk.advance(2min);
    auto said = f.feed("/reply m1 which db?");
    REQUIRE(f.events.size() == 3);
    const auto& reply = f.events[2];
    CHECK(reply.kind == event_kind::message);
    CHECK(reply.thread_parent.id == "s1.m1");
    CHECK(reply.text == "which db?");
    CHECK_FALSE(reply.msg.empty());
    CHECK(reply.msg != f.events[0].msg);
    CHECK(reply.at == utc(2026, 11, 22, 14, 34, 5));
    CHECK(reply.msg.id == "s1.m3");
    CHECK(said == "[14:34] [#general] you (m3, in thread m1): which db?\n");

    // The reply is now the last message: /react without an id targets it.
    f.feed("/react");
    REQUIRE(f.events.size() == 4);
    CHECK(f.events[3].msg == reply.msg);

    f.feed("/delete m1");
    REQUIRE(f.events.size() == 5);
    CHECK(f.events[4].kind == event_kind::remove);
    CHECK(f.events[4].msg.id == "s1.m1");

    SECTION("missing arguments are refused with a usage line and deliver nothing") {
        CHECK_THAT(f.feed("/edit"), Catch::StartsWith("usage: /edit ID TEXT"));
        CHECK_THAT(f.feed("/edit m1"), Catch::StartsWith("usage: /edit ID TEXT"));
        CHECK_THAT(f.feed("/reply m1"), Catch::StartsWith("usage: /reply ID TEXT"));
        CHECK_THAT(f.feed("/delete"), Catch::StartsWith("usage: /delete ID"));
        CHECK(f.events.size() == 5);
    }
}

TEST_CASE("/wait moves the clock through the advancer", "[console]") {
    fixture f;
    auto said = f.feed("/wait 30m");
    REQUIRE(f.waits.size() == 1);
    CHECK(f.waits[0] == 30min);
    CHECK(said == "* the clock is now 2026-11-22 15:02:05Z\n");
    CHECK(f.events.empty());

    f.feed("later");
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].at == utc(2026, 11, 22, 15, 2, 5));

    f.feed("/wait 1h30m");
    f.feed("/wait 48h");
    CHECK(f.waits == std::vector<duration>{30min, 90min, 48h});

    SECTION("garbage and more than 48 hours are refused") {
        for (const char* bad : {"/wait", "/wait garbage", "/wait 100h", "/wait 49h", "/wait -5m", "/wait 0m"}) {
            INFO(bad);
            CHECK_THAT(f.feed(bad), Catch::StartsWith("usage: /wait"));
        }
        CHECK(f.waits.size() == 3);
        CHECK(f.events.size() == 1);
    }
}

TEST_CASE("unknown slash commands are answered and deliver nothing", "[console]") {
    fixture f;
    CHECK(f.feed("/frobnicate now") == "unknown console command /frobnicate; /help lists them\n");
    CHECK_THAT(f.feed("/USER maya"), Catch::StartsWith("unknown console command /USER"));
    CHECK(f.session.user() == "you");
    CHECK(f.events.empty());
}

TEST_CASE("/help lists the console commands", "[console]") {
    fixture f;
    auto said = f.feed("/help");
    for (const char* cmd : {"/user", "/room", "/rooms", "/react", "/edit", "/delete", "/reply", "/wait", "/quit"})
        CHECK_THAT(said, Catch::Contains(cmd));
    CHECK(f.events.empty());
}

TEST_CASE("/quit ends the session", "[console]") {
    fixture f;
    int delivered = 0;
    auto sink = [&](const chat_event&) { ++delivered; };
    CHECK(f.session.feed("still here", sink));
    CHECK_FALSE(f.session.feed("/quit", sink));
    CHECK_FALSE(f.session.feed("  /quit  ", sink));
    CHECK_FALSE(f.session.feed("/exit", sink));
    CHECK(delivered == 1);
}

TEST_CASE("event ids are unique within a session and carry the session tag", "[console]") {
    fixture f;
    f.feed("one");
    f.feed("/react");
    f.feed("/unreact");
    f.feed("/edit m1 uno");
    f.feed("/reply m1 two");
    f.feed("/delete m1");
    f.feed("/user lena");
    f.feed("/room ops");
    f.feed("three");
    REQUIRE(f.events.size() == 7);
    std::set<std::string> ids;
    for (const auto& ev : f.events) {
        CHECK_THAT(ev.event_id, Catch::Contains("s1"));
        ids.insert(ev.event_id);
    }
    CHECK(ids.size() == f.events.size());

    std::set<std::string> msgs;
    for (const auto& ev : f.events)
        if (ev.kind == event_kind::message) msgs.insert(ev.msg.id);
    CHECK(msgs.size() == 3);

    SECTION("another session's ids differ") {
        std::ostringstream out2;
        console_session other(f.adapter, f.clk, out2, [](std::int64_t) { return std::nullopt; }, [](duration) {},
                              "s2");
        std::vector<chat_event> got;
        other.feed("one", [&](const chat_event& ev) { got.push_back(ev); });
        REQUIRE(got.size() == 1);
        CHECK_THAT(got[0].event_id, Catch::Contains("s2"));
        CHECK(ids.count(got[0].event_id) == 0);
    }
}

// Known bug (see report): message ids restart at m1 in every session, so after a
// console restart on the same database "/edit m2" or "/react m2" also changes the
// earlier session's m2 in that room (amendments address rows by room and message id).
TEST_CASE("message ids stay unique in a room across sessions with different tags", "[console]") {
    fixture f;
    f.feed("/room INC-3");
    f.feed("first session");
    REQUIRE(f.events.size() == 1);

    std::ostringstream out2;
    console_session second(f.adapter, f.clk, out2, [](std::int64_t) -> std::optional<std::string> {
        return "inc-3-db-down";
    }, [](duration) {}, "s2");
    std::vector<chat_event> got;
    auto sink = [&](const chat_event& ev) {
        if (ev.kind != event_kind::member_joined) got.push_back(ev);
    };
    second.feed("/room INC-3", sink);
    second.feed("second session", sink);
    REQUIRE(got.size() == 1);
    CHECK(got[0].room == f.events[0].room);
    CHECK(got[0].msg.id != f.events[0].msg.id);

    // Whatever the ids look like, reacting to the id the session showed reaches that message.
    second.feed("/react", sink);
    REQUIRE(got.size() == 2);
    CHECK(got[1].msg.id == got[0].msg.id);
}

TEST_CASE("entering a room joins it, /leave leaves it, and a private room keeps out who may not see it",
          "[console][privacy]") {
    fixture f;
    f.feed("/user zed");
    f.refused.insert({"inc-3-db-down", "zed"});
    // Refused with the answer of a missing incident, and no join.
    CHECK(f.feed("/room INC-3") == "INC-3 has no room here.\n");
    CHECK(f.feed("/room inc-3-db-down") == "#inc-3-db-down has no room here.\n");
    CHECK(f.session.room() == "general");
    CHECK(f.memberships.empty());

    f.feed("/user dana");
    CHECK(f.feed("/room INC-3") == "* you are in #inc-3-db-down\n");
    REQUIRE(f.memberships.size() == 1);
    CHECK(f.memberships[0].kind == event_kind::member_joined);
    CHECK(f.memberships[0].user.id == "dana");
    CHECK(f.memberships[0].room == room_ref{"console", "inc-3-db-down"});
    f.feed("hello");
    CHECK(f.feed("/leave") == "* you left #inc-3-db-down; you are in #general\n");
    REQUIRE(f.memberships.size() == 2);
    CHECK(f.memberships[1].kind == event_kind::member_left);
    CHECK(f.memberships[1].room == room_ref{"console", "inc-3-db-down"});
    CHECK(f.session.room() == "general");
    CHECK(f.feed("/leave") == "* #general cannot be left\n");
    // Message ids are not used up by joins: the next message is still m2.
    f.feed("again");
    CHECK_THAT(f.events.back().msg.id, Catch::EndsWith(".m2"));
    std::set<std::string> ids;
    for (const auto& ev : f.memberships) ids.insert(ev.event_id);
    for (const auto& ev : f.events) ids.insert(ev.event_id);
    CHECK(ids.size() == f.memberships.size() + f.events.size());
}

TEST_CASE("/react, /edit and /delete say what they did, or what was wrong", "[console]") {
    fixture f;
    f.feed("the db is fine");
    CHECK(f.feed("/react m1 thumbsup") == "* you reacted :thumbsup: to m1\n");
    CHECK(f.feed("/react m1 :eyes:") == "* you reacted :eyes: to m1\n");
    CHECK(f.events.back().reaction == "eyes");
    CHECK(f.feed("/unreact m1 eyes") == "* you took back :eyes: from m1\n");
    CHECK(f.feed("/react") == "* you reacted :pushpin: to m1\n");
    CHECK(f.feed("/edit m1 the db is on fire") == "* you edited m1: the db is on fire\n");
    CHECK(f.feed("/delete m1") == "* you deleted m1\n");
    const auto delivered = f.events.size();
    // Ids that name no message of this session are refused, and nothing is delivered.
    for (const char* line : {"/edit m99 nope", "/delete m99", "/react m99", "/reply m99 hello", "/react m1"}) {
        INFO(line);
        CHECK_THAT(f.feed(line), Catch::StartsWith("there is no message m"));
    }
    CHECK(f.events.size() == delivered);
    // After the delete there is no last message to react to.
    CHECK_THAT(f.feed("/react"), Catch::StartsWith("usage: /react"));
}

TEST_CASE("a reaction or edit goes to the room of its message, wherever it is typed", "[console]") {
    fixture f;
    f.feed("in general");
    f.feed("/room ops");
    f.feed("/react m1");
    REQUIRE(f.events.back().kind == event_kind::reaction);
    CHECK(f.events.back().room == room_ref{"console", "general"});
    f.feed("/edit m1 still in general");
    CHECK(f.events.back().room == room_ref{"console", "general"});
    // An id from another session, typed in full, is taken as it is, in the current room.
    CHECK(f.feed("/react s0.m4") == "* you reacted :pushpin: to s0.m4\n");
    CHECK(f.events.back().room == room_ref{"console", "ops"});
}

TEST_CASE("/incident is the slash command: the same as !incident, not kept as a message", "[console]") {
    fixture f;
    auto said = f.feed("/incident declare Checkout 5xx --sev 2");
    CHECK(said == "[14:32] [#general] you: /incident declare Checkout 5xx --sev 2\n");
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].kind == event_kind::command);
    CHECK(f.events[0].text == "declare Checkout 5xx --sev 2");
    CHECK(f.events[0].room == room_ref{"console", "general"});
    CHECK(f.events[0].msg.empty());
    CHECK(f.feed("/incidents") == "unknown console command /incidents; /help lists them\n");
}
