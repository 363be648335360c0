// Dispatch: every command in its good and malformed forms, unknown and empty
// commands, and which incident a command is about.
#include "tests/commands/harness.hpp"

#include <functional>
#include <set>

using namespace firebreak;
using namespace firebreak::test;

namespace {

/// One command of the table: how to get to a state where it can run, its good
/// form and what that must do, and malformed forms.
struct command_case {
    std::string name;
    std::vector<std::string> setup;      // run by maya in the incident room first
    std::string good;                    // run by maya in the incident room
    std::function<void(harness&, std::int64_t)> check;
    std::vector<std::string> malformed;  // each must give maya a usage line
    std::function<void(harness&)> prepare = {};  // before the setup: what no command makes
};

// An alert card A1 in #alerts holding one firing alert.
void card_a1(harness& h) { h.alert("#alerts", "fp1", true); }

std::vector<command_case> cases() {
    return {
        {"declare", {}, "declare Second outage --sev 3",
         [](harness& h, std::int64_t) {
             CHECK(h.state.find(2) != nullptr);
             CHECK(h.out(outbound_op::open_room).size() == 1);
         },
         {"declare", "declare --sev 7 Title", "declare Title --bogus"}},
        {"declare-from", {}, "declare-from A1 --sev 2",
         [](harness& h, std::int64_t) {
             REQUIRE(h.state.find(2) != nullptr);
             CHECK(h.state.find(2)->sev == severity::sev2);
             CHECK(h.state.card(1)->incident.n == 2);
         },
         {"declare-from", "declare-from A1 --sev 9", "declare-from A1 --bogus"}, card_a1},
        {"attach", {}, "attach A1",
         [](harness& h, std::int64_t n) { CHECK(h.state.card(1)->incident.n == n); }, {"attach", "attach INC-1"}, card_a1},
        {"dismiss", {}, "dismiss A1", [](harness& h, std::int64_t) { CHECK(h.state.card(1)->dismissed); },
         {"dismiss", "dismiss now"}, card_a1},
        {"commander", {}, "commander @sam",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).commander()->user.id == "sam"); },
         {"commander", "commander sam", "commander @sam @dev"}},
        {"scribe", {}, "scribe @sam", [](harness& h, std::int64_t n) { CHECK(h.inc(n).scribe()->user.id == "sam"); },
         {"scribe", "scribe sam", "scribe @sam @dev"}},
        {"sme", {}, "sme @dana database",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).smes().at(0)->area == "database"); }, {"sme", "sme dana"}},
        {"handoff", {}, "handoff @sam",
         [](harness& h, std::int64_t n) {
             CHECK(h.inc(n).commander()->user.id == "sam");
             CHECK(h.posted("Handoff briefing"));
         },
         {"handoff", "handoff sam", "handoff @sam @dev"}},
        {"unassign", {"scribe @sam"}, "unassign scribe @sam",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).scribe() == nullptr); },
         {"unassign", "unassign scribe", "unassign boss @sam", "unassign scribe sam"}},
        {"sev", {}, "sev 1 all payments failing",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).sev == severity::sev1); }, {"sev", "sev 1", "sev 0 reason"}},
        {"status", {}, "status identified",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).state == status::identified); },
         {"status", "status fixed", "status identified now", "status closed", "status investigating"}},
        {"update", {}, "update impact: 8% of checkouts fail; next: 30m",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).updates.size() == 1); },
         {"update", "update actions: x", "update impact: x; next: never"}},
        {"impact-started", {}, "impact-started 13:40",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).times.impact_started == utc(2026, 11, 22, 13, 40)); },
         {"impact-started", "impact-started yesterday"}},
        {"detected", {}, "detected 13:45",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).times.detected == utc(2026, 11, 22, 13, 45)); },
         {"detected", "detected 13h45"}},
        {"hypothesis", {}, "hypothesis bad release",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).hypotheses.size() == 1); }, {"hypothesis", "hypothesis   "}},
        {"confirm", {"hypothesis bad release"}, "confirm H1 rollback fixed it",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).hypotheses.at(0).result == outcome::confirmed); },
         {"confirm", "confirm 1", "confirm Hx"}},
        {"rule-out", {"hypothesis bad release"}, "rule-out H1 canary is clean",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).hypotheses.at(0).result == outcome::ruled_out); },
         {"rule-out", "rule-out first"}},
        {"decision", {}, "decision roll back",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).notes.at(0).kind == note_kind::decision); }, {"decision"}},
        {"deadend", {}, "deadend restarting pods",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).notes.at(0).kind == note_kind::deadend); }, {"deadend"}},
        {"change", {}, "change rolled back to 2026.11.2",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).notes.at(0).kind == note_kind::change); }, {"change"}},
        {"action", {}, "action add canary @dev due 2026-12-01",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).actions.at(0).owner.id == "dev"); },
         {"action", "action x due 2026-02-30"}},
        {"timeline", {}, "timeline 5",
         [](harness& h, std::int64_t) { CHECK(h.only_ephemeral().body.plain().find("timeline entr") != std::string::npos); },
         {"timeline x", "timeline 0", "timeline 1 2"}},
        {"roles", {}, "roles",
         [](harness& h, std::int64_t) { CHECK(h.only_ephemeral().body.plain().find("commander: @maya") != std::string::npos); },
         {}},
        {"snooze", {}, "snooze update 30m",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).snoozed_until.count("update") == 1); },
         {"snooze", "snooze update", "snooze naps 30m", "snooze update 48h"}},
        {"close", {"status resolved"}, "close",
         [](harness& h, std::int64_t n) {
             CHECK(h.inc(n).state == status::closed);
             CHECK(h.out(outbound_op::postmortem).size() == 1);
         },
         {"close now"}},
        {"reopen", {"status resolved"}, "reopen errors are back",
         [](harness& h, std::int64_t n) { CHECK(h.inc(n).state == status::investigating); }, {"reopen", "reopen  \t "}},
        {"postmortem", {}, "postmortem",
         [](harness& h, std::int64_t) { CHECK(h.out(outbound_op::postmortem).size() == 1); }, {"postmortem now"}},
        {"list", {}, "list",
         [](harness& h, std::int64_t) { CHECK(h.only_ephemeral().body.plain().find("1 open incident") == 0); }, {}},
        {"help", {}, "help status",
         [](harness& h, std::int64_t) {
             CHECK(h.only_ephemeral().body.plain().find("!incident status identified|mitigated|resolved") == 0);
         },
         {}},
    };
}

}  // namespace

TEST_CASE("the table below covers every command, and each command names its handler", "[commands]") {
    std::set<std::string> covered;
    for (const auto& c : cases()) covered.insert(c.name);
    for (const auto& s : command_specs()) {
        INFO(s.name);
        CHECK(covered.count(std::string(s.name)) == 1);
        CHECK(s.run != nullptr);
    }
}

TEST_CASE("every command works in its good form", "[commands]") {
    for (const auto& c : cases()) {
        DYNAMIC_SECTION(c.name) {
            harness h;
            auto n = h.open("maya", "Checkout 5xx");
            auto room = h.room_of(n);
            if (c.prepare) c.prepare(h);
            for (const auto& s : c.setup) {
                h.say("maya", room, cmd(s));
                INFO(h.all_text());
                REQUIRE(h.out(outbound_op::ephemeral).empty());
            }
            h.advance(1min);
            h.say("maya", room, cmd(c.good));
            INFO(c.good << "\n" << h.all_text());
            c.check(h, n);
            // Read-only commands answer the typer only; the others answer nobody privately.
            const std::set<std::string> read_only = {"timeline", "roles", "list", "help"};
            if (read_only.count(c.name)) {
                CHECK(h.last.incidents.size() == 1);  // only the recorded message
                CHECK(h.last.entries.size() == 1);
                CHECK(h.last.outbox.size() == 1);
            } else if (c.name == "dismiss") {
                // A card's own business: the incident it was typed in records only the message.
                CHECK(h.out(outbound_op::ephemeral).empty());
                CHECK(h.last.entries.size() == 1);
            } else {
                CHECK(h.out(outbound_op::ephemeral).empty());
                CHECK(h.last.entries.size() >= 2);  // the message and what the command did
            }
            // The command message itself is recorded in the incident's timeline.
            REQUIRE_FALSE(h.message_entries().empty());
            CHECK(h.message_entries()[0].text == cmd(c.good));
        }
    }
}

TEST_CASE("every malformed command gets a usage line, only for the typer", "[commands]") {
    for (const auto& c : cases()) {
        for (const auto& bad : c.malformed) {
            DYNAMIC_SECTION(bad) {
                harness h;
                auto n = h.open("maya", "Checkout 5xx");
                auto room = h.room_of(n);
                if (c.prepare) c.prepare(h);
                for (const auto& s : c.setup) h.say("maya", room, cmd(s));
                auto before = h.state;
                h.slash("maya", room, bad);
                auto e = h.only_ephemeral();
                CHECK(e.to_user.id == "maya");
                CHECK(e.room == h.room(room));
                CHECK(e.body.plain().find("Usage: !incident " + std::string(find_command(c.name)->usage)) !=
                      std::string::npos);
                CHECK(h.last.outbox.size() == 1);
                CHECK(h.last.entries.empty());
                CHECK(h.last.incidents.empty());
                CHECK(h.state == before);
            }
        }
    }
}

TEST_CASE("a malformed command typed as a message is recorded and answered with usage", "[commands]") {
    harness h;
    auto n = h.open("maya", "Checkout 5xx");
    h.say("maya", h.room_of(n), cmd("sev 1"));
    CHECK(h.told("maya", "Usage: !incident sev <1-4> <reason>"));
    REQUIRE(h.message_entries().size() == 1);
    CHECK(h.system_entries("severity").empty());
    CHECK(h.inc(n).sev == severity::sev2);
    CHECK(h.inc(n).message_count == 1);
}

TEST_CASE("unknown and empty commands are answered, never silent", "[commands]") {
    harness h;
    SECTION("unknown names the command") {
        h.say("maya", "#general", cmd("frobnicate the db"));
        auto e = h.only_ephemeral();
        CHECK(e.to_user.id == "maya");
        CHECK(e.body.plain().find("Unknown command \"frobnicate\"") != std::string::npos);
        CHECK(e.body.plain().find("help") != std::string::npos);
    }
    SECTION("empty !incident") {
        for (auto text : {"!incident", "!incident   ", "!incident\n"}) {
            INFO(text);
            h.say("maya", "#general", text);
            auto e = h.only_ephemeral();
            CHECK(e.body.plain().find("help") != std::string::npos);
        }
    }
    SECTION("empty slash command") {
        h.slash("maya", "#general", "");
        CHECK(h.only_ephemeral().body.plain().find("help") != std::string::npos);
    }
    SECTION("the prefix must be a word of its own") {
        h.say("maya", "#general", "!incidents are fun");
        CHECK(h.last.empty());
        h.say("maya", "#general", "please run !incident help");
        CHECK(h.last.empty());
    }
    SECTION("the prefix is case-insensitive and configurable") {
        h.say("maya", "#general", "!INCIDENT help");
        CHECK(h.only_ephemeral().body.plain().find("firebreak commands") != std::string::npos);
        h.settings.command_prefix = "!fb";
        h.say("maya", "#general", "!fb help declare");
        CHECK(h.only_ephemeral().body.plain().find("!fb declare") != std::string::npos);
    }
}

TEST_CASE("outside an incident room a command must name its incident", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    h.open("sam", "Cache slow");

    SECTION("without INC-n: a usage hint") {
        h.say("maya", "#general", cmd("sev 1 worse"));
        auto e = h.only_ephemeral();
        CHECK(e.body.plain().find("Outside an incident room, name the incident") != std::string::npos);
        CHECK(e.body.plain().find("Usage: !incident sev") != std::string::npos);
        CHECK(h.inc(n).sev == severity::sev2);
        CHECK(h.last.incidents.empty());
    }
    SECTION("every incident command, typed elsewhere without INC-n") {
        for (const auto& c : cases()) {
            const auto* spec = find_command(c.name);
            if (!spec->needs_incident) continue;
            INFO(c.good);
            auto before = h.state;
            h.slash("maya", "#general", c.good);
            auto e = h.only_ephemeral();
            CHECK(e.body.plain().find("Outside an incident room") != std::string::npos);
            CHECK(e.body.plain().find("Usage: !incident " + std::string(spec->usage)) != std::string::npos);
            CHECK(h.state == before);
        }
    }
    SECTION("INC-n before the command name") {
        h.say("maya", "#general", cmd("INC-1 sev 1 worse"));
        CHECK(h.inc(1).sev == severity::sev1);
        CHECK(h.inc(2).sev == severity::sev2);
        // Answered where it was typed and in the incident room.
        bool here = false, there = false;
        for (const auto& o : h.last.outbox) {
            if (o.op != outbound_op::post) continue;
            if (o.room == h.room("#general")) here = true;
            if (o.room == h.room("inc-1-db-down")) there = true;
        }
        CHECK(here);
        CHECK(there);
        // Messages in other rooms are not recorded.
        CHECK(h.message_entries().empty());
        CHECK(h.inc(1).message_count == 0);
    }
    SECTION("INC-n after the command name") {
        h.slash("maya", "#general", "sev inc-2 1 worse");
        CHECK(h.inc(2).sev == severity::sev1);
        CHECK(h.inc(1).sev == severity::sev2);
    }
    SECTION("INC-n from another incident's room") {
        h.say("maya", "inc-1-db-down", cmd("INC-2 decision scale up"));
        CHECK(h.inc(2).notes.size() == 1);
        CHECK(h.inc(1).notes.empty());
        // The message is still recorded in the room it was typed in.
        REQUIRE(h.message_entries().size() == 1);
        CHECK(h.message_entries()[0].incident.n == 1);
        CHECK(h.inc(1).message_count == 1);
        CHECK(h.inc(2).message_count == 0);
    }
    SECTION("unknown INC-99") {
        h.say("maya", "#general", cmd("sev INC-99 1 worse"));
        CHECK(h.told("maya", "There is no INC-99 you can see."));
        CHECK(h.last.incidents.empty());
    }
    SECTION("list and help need no incident") {
        h.say("maya", "#general", cmd("list"));
        CHECK(h.only_ephemeral().body.plain().find("2 open incidents") == 0);
    }
    SECTION("a direct message to the bot works without the prefix") {
        chat_event ev;
        ev.kind = event_kind::message;
        ev.direct = true;
        ev.room = h.room("dm-maya");
        ev.user = user_ref{"maya"};
        ev.at = h.now();
        ev.text = "INC-1 status identified";
        h.feed(ev);
        CHECK(h.inc(1).state == status::identified);
    }
}
