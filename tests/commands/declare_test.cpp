// declare: the incident, its room, its first messages; and room_bound.
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

TEST_CASE("declare creates INC-1 with the declarer as commander", "[commands]") {
    harness h;
    h.say("maya", "#general", cmd("declare DB down"));
    REQUIRE(h.last.incidents.size() == 1);
    const auto& inc = h.last.incidents.front();
    CHECK(inc.id.n == 1);
    CHECK(inc.title == "DB down");
    CHECK(inc.sev == severity::sev2);  // the default out of the box
    CHECK(inc.state == status::investigating);
    CHECK_FALSE(inc.is_private);
    CHECK(inc.declared_by.id == "maya");
    CHECK(inc.declared_in == h.room("#general"));
    CHECK(inc.times.declared == h.now());
    CHECK(inc.times.commander_assigned == h.now());
    REQUIRE(inc.commander() != nullptr);
    CHECK(inc.commander()->user.id == "maya");
    CHECK(inc.commander()->start == h.now());
    CHECK(inc.next_update_due == h.now() + 30min);  // SEV2 cadence
    CHECK(h.last.next_number == 2);
    CHECK(h.state.next_number == 2);

    auto declared = h.system_entries("declared");
    REQUIRE(declared.size() == 1);
    CHECK(declared[0].incident.n == 1);
    CHECK(declared[0].author.id == "maya");
    CHECK(declared[0].at == h.now());

    // A message in #general is not an incident-room message.
    CHECK(h.message_entries().empty());
}

TEST_CASE("declare emits open_room, topic, kickoff, reply, announcement in that order", "[commands]") {
    harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    h.say("maya", "#general", cmd("declare DB down --sev 1"));
    const auto& ob = h.last.outbox;
    REQUIRE(ob.size() == 5);

    CHECK(ob[0].op == outbound_op::open_room);
    CHECK(ob[0].target == target_kind::incident_room);
    CHECK(ob[0].platform == "console");
    CHECK(ob[0].incident.n == 1);
    CHECK(ob[0].room_name == "inc-1-db-down");
    CHECK(ob[0].invite == std::vector<user_ref>{user_ref{"maya"}});
    CHECK_FALSE(ob[0].is_private);

    CHECK(ob[1].op == outbound_op::set_topic);
    CHECK(ob[1].target == target_kind::incident_room);
    CHECK(ob[1].body.plain().find("INC-1 · SEV1 · Investigating — DB down") == 0);
    CHECK(ob[1].body.plain().find("Commander @maya") != std::string::npos);

    CHECK(ob[2].op == outbound_op::post);
    CHECK(ob[2].target == target_kind::incident_room);
    CHECK(ob[2].incident.n == 1);
    auto kickoff = ob[2].body.plain();
    CHECK(kickoff.find("INC-1 · SEV1") != std::string::npos);
    CHECK(kickoff.find("Commander: @maya") != std::string::npos);
    CHECK(kickoff.find("First steps") != std::string::npos);
    CHECK(kickoff.find("scribe") != std::string::npos);
    CHECK(kickoff.find("2026-11-22 14:00:00Z") != std::string::npos);  // absolute UTC time
    CHECK(kickoff.find("14:20 UTC") != std::string::npos);             // SEV1: first update in 20 min

    CHECK(ob[3].op == outbound_op::post);
    CHECK(ob[3].target == target_kind::room);
    CHECK(ob[3].room == h.room("#general"));
    CHECK(ob[3].body.plain().find("INC-1") != std::string::npos);

    CHECK(ob[4].op == outbound_op::post);
    CHECK(ob[4].target == target_kind::announcement);
    CHECK(ob[4].platform == "console");
    CHECK(ob[4].incident.n == 1);
    CHECK(ob[4].body.plain().find("INC-1 declared · SEV1 — DB down") != std::string::npos);

    SECTION("without an announcement room there is no announcement") {
        harness q;
        q.say("maya", "#general", cmd("declare DB down"));
        CHECK(q.announcements().empty());
        CHECK(q.last.outbox.size() == 4);
    }
}

TEST_CASE("declare options: --sev, --commander, --private", "[commands]") {
    harness h;
    SECTION("--sev N and --sev=N and sevN") {
        for (auto [args, want] : std::vector<std::pair<std::string, severity>>{
                 {"A --sev 1", severity::sev1}, {"B --sev=3", severity::sev3}, {"C --severity sev4", severity::sev4},
                 {"--SEV 1 D", severity::sev1}}) {
            h.say("maya", "#general", cmd("declare " + args));
            REQUIRE(h.last.incidents.size() == 1);
            CHECK(h.last.incidents[0].sev == want);
            CHECK(h.last.incidents[0].title.find("--") == std::string::npos);
        }
        // SEV4 has no update cadence.
        CHECK_FALSE(h.inc(3).next_update_due.has_value());
    }
    SECTION("--commander names someone else and invites them") {
        h.say("maya", "#general", cmd("declare Payments failing --commander @sam"));
        const auto& inc = h.last.incidents.at(0);
        REQUIRE(inc.commander() != nullptr);
        CHECK(inc.commander()->user.id == "sam");
        CHECK(inc.commander()->assigned_by.id == "maya");
        CHECK(inc.declared_by.id == "maya");
        auto open = h.out(outbound_op::open_room);
        REQUIRE(open.size() == 1);
        CHECK(open[0].invite == std::vector<user_ref>{user_ref{"maya"}, user_ref{"sam"}});
    }
    SECTION("--commander with a platform id (as the Slack adapter hands a mention over)") {
        h.say("maya", "#general", cmd("declare X --commander @U024BE7LH"));
        CHECK(h.last.incidents.at(0).commander()->user.id == "U024BE7LH");
    }
    SECTION("--private") {
        h.say("maya", "#general", cmd("declare Secret breach --private"));
        CHECK(h.last.incidents.at(0).is_private);
        CHECK(h.last.incidents.at(0).title == "Secret breach");
        CHECK(h.out(outbound_op::open_room).at(0).is_private);
    }
}

TEST_CASE("declare refuses bad options and empty titles with a usage line", "[commands]") {
    auto args = GENERATE(as<std::string>{}, "", "   ", "--sev 1", "--private", "X --sev", "X --sev 9", "X --sev=0",
                         "X --commander", "X --commander sam", "X --colour red", "\x01\x02", "\xE2\x80\xAE");
    harness h;
    INFO("declare " << args);
    h.slash("maya", "#general", "declare " + args);
    auto e = h.only_ephemeral();
    CHECK(e.to_user.id == "maya");
    CHECK(e.room == h.room("#general"));
    CHECK(e.body.plain().find("Usage: !incident declare <title>") != std::string::npos);
    CHECK(h.last.incidents.empty());
    CHECK(h.last.next_number == 0);
    CHECK(h.last.outbox.size() == 1);
    CHECK(h.state.incidents.empty());
}

TEST_CASE("declare names an unknown option", "[commands]") {
    harness h;
    h.slash("maya", "#general", "declare X --colour red");
    CHECK(h.told("maya", "Unknown option \"--colour\""));
}

TEST_CASE("declare cleans the title", "[commands]") {
    harness h;
    SECTION("control characters, bidi overrides and newlines") {
        h.slash("maya", "#general", "declare DB\x07 down\xE2\x80\xAE\n\tagain\x1B[0m");
        CHECK(h.last.incidents.at(0).title == "DB down again[0m");
    }
    SECTION("Markdown and HTML are kept as literal text, never interpreted") {
        h.slash("maya", "#general", "declare <b>DB</b> *down* `now` <script>x</script>");
        const auto& inc = h.last.incidents.at(0);
        CHECK(inc.title == "<b>DB</b> *down* `now` <script>x</script>");
        // The room name is a plain slug.
        auto name = h.out(outbound_op::open_room).at(0).room_name;
        CHECK(name == "inc-1-b-db-b-down-now-script-x-script");
        // The title is one plain span in the kickoff's bold header, not markup.
        bool found = false;
        for (const auto& o : h.last.outbox)
            for (const auto& s : o.body.spans())
                if (s.text.find("<script>x</script>") != std::string::npos) found = true;
        CHECK(found);
    }
    SECTION("invalid UTF-8 and a very long title, kept whole") {
        h.slash("maya", "#general", "declare " + std::string("bad \xFF ") + std::string(400, 'x'));
        const auto& t = h.last.incidents.at(0).title;
        CHECK(t.find("\xEF\xBF\xBD") != std::string::npos);
        CHECK(t == "bad \xEF\xBF\xBD " + std::string(400, 'x'));
        auto name = h.out(outbound_op::open_room).at(0).room_name;
        CHECK(name.size() <= 80);
        CHECK(name.rfind("inc-1-bad-", 0) == 0);
    }
    SECTION("a title of only punctuation or emoji gets a generic room name") {
        h.slash("maya", "#general", "declare 🔥🔥 !!!");
        CHECK(h.last.incidents.at(0).title == "🔥🔥 !!!");
        CHECK(h.out(outbound_op::open_room).at(0).room_name == "inc-1-incident");
    }
}

TEST_CASE("a title that starts with an incident reference keeps it", "[commands]") {
    harness h;
    h.open("maya", "Cache down");
    h.slash("maya", "#general", "declare INC-1 recurrence in eu-west");
    REQUIRE(h.last.incidents.size() == 1);
    CHECK(h.last.incidents[0].title == "INC-1 recurrence in eu-west");
}

TEST_CASE("incident numbers increase and are never reused", "[commands]") {
    harness h;
    auto a = h.open("maya", "first");
    auto b = h.open("sam", "second");
    auto c = h.open("maya", "third");
    CHECK(a == 1);
    CHECK(b == 2);
    CHECK(c == 3);
    CHECK(h.state.next_number == 4);
    CHECK(h.room_of(2) == "inc-2-second");
    CHECK(h.inc(2).declared_by.id == "sam");
}

TEST_CASE("room_bound binds the room once", "[commands]") {
    harness h;
    h.say("maya", "#general", cmd("declare DB down"));
    h.bind_room(1, "inc-1-db-down");
    REQUIRE(h.last.rooms_bound.size() == 1);
    CHECK(h.last.rooms_bound[0].first == h.room("inc-1-db-down"));
    CHECK(h.last.rooms_bound[0].second.n == 1);
    REQUIRE(h.last.incidents.size() == 1);
    CHECK(h.last.incidents[0].rooms == std::vector<room_ref>{h.room("inc-1-db-down")});
    REQUIRE(h.system_entries("room").size() == 1);
    REQUIRE(h.state.by_room(h.room("inc-1-db-down")) != nullptr);
    CHECK(h.state.by_room(h.room("inc-1-db-down"))->id.n == 1);

    SECTION("a duplicate room_bound changes nothing") {
        auto before = h.state;
        h.bind_room(1, "inc-1-db-down");
        CHECK(h.last.empty());
        CHECK(h.state == before);
    }
    SECTION("room_bound for an unknown incident or without a room changes nothing") {
        h.bind_room(9, "inc-9-x");
        CHECK(h.last.empty());
        h.bind_room(1, "");
        CHECK(h.last.empty());
    }
    SECTION("after binding, posts go to the concrete room") {
        h.say("maya", "inc-1-db-down", cmd("decision roll back"));
        auto posts = h.incident_room_posts(1);
        REQUIRE_FALSE(posts.empty());
        for (const auto& p : posts) {
            CHECK(p.target == target_kind::room);
            CHECK(p.room == h.room("inc-1-db-down"));
        }
    }
}

TEST_CASE("declare typed inside an incident room records the message and opens a new incident", "[commands]") {
    harness h;
    auto one = h.open("maya", "DB down");
    h.say("sam", h.room_of(one), cmd("declare Cache down too"));
    CHECK(h.last.next_number == 3);
    REQUIRE(h.message_entries().size() == 1);
    CHECK(h.message_entries()[0].incident.n == 1);
    CHECK(h.inc(2).title == "Cache down too");
    CHECK(h.inc(2).declared_in == h.room("inc-1-db-down"));
    CHECK(h.inc(1).message_count == 1);
}

TEST_CASE("the room name follows the configured template and stays within 80 characters", "[commands]") {
    struct row { std::string tmpl; std::string title; std::string want; };
    const std::vector<row> rows = {
        {"inc-{n}-{slug}", "DB down", "inc-1-db-down"},
        {"incident-{n}", "DB down", "incident-1"},
        {"{slug}", "DB down", "db-down"},
        {"{n}-{n}-{slug}", "DB", "1-1-db"},
        {"inc-{n}-{slug}", std::string(120, 'a'), "inc-1-" + std::string(74, 'a')},
    };
    for (const auto& r : rows) {
        INFO(r.tmpl);
        harness h;
        h.settings.room_name_template = r.tmpl;
        h.slash("maya", "#general", "declare " + r.title);
        auto open = h.out(outbound_op::open_room);
        REQUIRE(open.size() == 1);
        CHECK(open[0].room_name == r.want);
        CHECK(open[0].room_name.size() <= 80);
    }
}

TEST_CASE("the room name fits the limit the platform's adapter gives", "[commands]") {
    harness h;
    h.settings.room_name_limits["console"] = 24;
    h.settings.room_name_limits["elsewhere"] = 200;
    h.slash("maya", "#general", "declare Checkout latency spike in the EU region");
    auto name = h.out(outbound_op::open_room).at(0).room_name;
    CHECK(name.size() <= 24);
    // Cut where a word ends.
    CHECK(name == "inc-1-checkout-latency");
    // A template that nearly fills the limit still leaves a few characters of the title.
    harness tight;
    tight.settings.room_name_limits["console"] = 20;
    tight.settings.room_name_template = "incident-{n}-of-the-day-{slug}";
    tight.slash("maya", "#general", "declare Checkout down");
    CHECK(tight.out(outbound_op::open_room).at(0).room_name.rfind("incident-1-of-the-day-", 0) == 0);
}
