// What responders record with commands: status updates, milestones,
// hypotheses, typed notes, action items, snoozes; and the read-only views.
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

using fixture = announced_incident;

TEST_CASE("update posts the template in the room and the announcement room", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.advance(12min);
    h.say("maya", f.room, cmd("update impact: 8% of checkouts fail; actions: rolling back; needs: a DBA; next: 30m"));
    const auto& inc = h.inc(f.n);
    REQUIRE(inc.updates.size() == 1);
    const auto& u = inc.updates[0];
    CHECK(u.at == h.now());
    CHECK(u.author.id == "maya");
    CHECK(u.impact == "8% of checkouts fail");
    CHECK(u.actions == "rolling back");
    CHECK(u.needs == "a DBA");
    CHECK(u.next_at == h.now() + 30min);
    CHECK(inc.next_update_due == h.now() + 30min);

    auto posts = h.incident_room_posts(f.n);
    REQUIRE(posts.size() == 1);
    auto body = posts[0].body.plain();
    INFO(body);
    CHECK(body.find("INC-1 · SEV2 · Investigating — Checkout 5xx") == 0);
    CHECK(body.find("Impact: 8% of checkouts fail") != std::string::npos);
    CHECK(body.find("Current actions: rolling back") != std::string::npos);
    CHECK(body.find("Needs: a DBA") != std::string::npos);
    CHECK(body.find("Commander: @maya") != std::string::npos);
    CHECK(body.find("Next update at 14:42 UTC (in 30m)") != std::string::npos);
    auto ann = h.announcements();
    REQUIRE(ann.size() == 1);
    CHECK(ann[0].body == posts[0].body);
    CHECK(h.out(outbound_op::set_topic).at(0).body.plain().find("Next update 14:42 UTC") != std::string::npos);
    REQUIRE(h.system_entries("update").size() == 1);
}

TEST_CASE("update fields one per line, clock times and offsets", "[commands]") {
    fixture f;
    auto& h = f.h;
    SECTION("one per line, no next: the severity cadence applies") {
        h.say("maya", f.room, cmd("update\nimpact: slow checkout\nactions: scaling up"));
        REQUIRE(h.inc(f.n).updates.size() == 1);
        CHECK(h.inc(f.n).updates[0].actions == "scaling up");
        CHECK(h.inc(f.n).next_update_due == h.now() + 30min);
    }
    SECTION("next: a future clock time") {
        h.say("maya", f.room, cmd("update impact: x; next: 15:30"));
        CHECK(h.inc(f.n).updates.back().next_at == utc(2026, 11, 22, 15, 30));
    }
    SECTION("next: a clock time that already passed today means tomorrow") {
        h.say("maya", f.room, cmd("update impact: x; next: 13:30"));
        CHECK(h.inc(f.n).updates.back().next_at == utc(2026, 11, 23, 13, 30));
    }
    SECTION("next: with an offset") {
        h.say("maya", f.room, cmd("update impact: x; next: 15:30+01:00"));
        CHECK(h.inc(f.n).updates.back().next_at == utc(2026, 11, 22, 14, 30));
        CHECK(h.inc(f.n).next_update_due == utc(2026, 11, 22, 14, 30));
    }
    SECTION("SEV4 without next: promises an hour") {
        h.slash("maya", f.room, "sev 4 cosmetic only");
        h.slash("maya", f.room, "update impact: x");
        CHECK(h.inc(f.n).next_update_due == h.now() + 1h);
    }
}

TEST_CASE("a promised update time earlier or later than the cadence", "[commands]") {
    fixture f;
    auto& h = f.h;
    REQUIRE(h.inc(f.n).sev == severity::sev2);  // every 30 min
    SECTION("earlier: the promise is when the update is due") {
        h.slash("maya", f.room, "update impact: x; next: 10m");
        CHECK(h.inc(f.n).updates.back().next_at == h.now() + 10min);
        CHECK(h.inc(f.n).next_update_due == h.now() + 10min);
        CHECK_FALSE(h.told("maya", "will remind you"));
    }
    SECTION("later: stakeholders read the promise, the cadence still reminds") {
        h.slash("maya", f.room, "update impact: x; next: 45m");
        CHECK(h.inc(f.n).updates.back().next_at == h.now() + 45min);
        CHECK(h.inc(f.n).next_update_due == h.now() + 30min);
        CHECK(h.announcements().back().body.plain().find("(in 45m)") != std::string::npos);
        CHECK(h.told("maya", "SEV2 asks for one every 30m, so firebreak will remind you at"));
    }
}

TEST_CASE("bad updates are refused with the reason and the usage", "[commands]") {
    fixture f;
    struct row { const char* text; const char* says; };
    auto r = GENERATE(row{"update", "Give at least `impact:`"},
                      row{"update actions: rolling back", "needs at least `impact:`"},
                      row{"update impact: x; eta: 5m", "Unknown field \"eta\""},
                      row{"update impact: x; needs:", "\"needs\" is empty"},
                      row{"update impact: x; next: 9999h", "`next: 9999h` is 416d 15h 00m away, more than 24 h"},
                      row{"update impact: x; actions: y; next: 25h", "more than 24 h; promise an update within a day; "
                                                                     "understood: impact, actions."},
                      row{"update impact: x; next: 0m", "`next: 0m` is now; promise a time ahead"},
                      row{"update impact: x; next: -5m", "needs a time ahead without a sign"},
                      row{"update impact: x; next: 2026-11-24T10:00+01:00", "2026-11-24 09:00:00Z, more than 24 h away"},
                      row{"update impact: x; next: 2026-11-22 13:00", "in the past"},
                      row{"update impact: x; next: whenever", "Could not read"});
    INFO(r.text);
    auto before = f.h.inc(f.n);
    f.h.slash("maya", f.room, r.text);
    CHECK(f.h.told("maya", r.says));
    CHECK(f.h.told("maya", "Usage: !incident update"));
    CHECK(f.h.last.incidents.empty());
    CHECK(f.h.announcements().empty());
    CHECK(f.h.inc(f.n) == before);
}

TEST_CASE("impact-started and detected record milestones", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.say("maya", f.room, cmd("impact-started 13:41"));
    CHECK(h.inc(f.n).times.impact_started == utc(2026, 11, 22, 13, 41));
    CHECK(h.posted("impact started at 2026-11-22 13:41:00Z"));
    CHECK(h.system_entries("milestone").at(0).text == "impact started at 2026-11-22 13:41:00Z");

    h.say("maya", f.room, cmd("detected 14:50+01:00"));
    CHECK(h.inc(f.n).times.detected == utc(2026, 11, 22, 13, 50));

    h.say("maya", f.room, cmd("impact-started 2026-11-21 23:10"));  // may be long before declaring
    CHECK(h.inc(f.n).times.impact_started == utc(2026, 11, 21, 23, 10));

    SECTION("future times are refused") {
        for (auto t : {"14:03", "2026-11-22 15:00", "2026-11-22 16:00+01:00", "2026-11-23"}) {
            INFO(t);
            h.slash("maya", f.room, std::string("impact-started ") + t);
            CHECK(h.told("maya", "in the future"));
            CHECK(h.inc(f.n).times.impact_started == utc(2026, 11, 21, 23, 10));
        }
    }
    SECTION("unreadable times get the usage") {
        for (auto t : {"", "soon", "25:00", "2026-02-30 10:00"}) {
            INFO(t);
            h.slash("maya", f.room, std::string("detected ") + t);
            CHECK(h.told("maya", "Usage: !incident detected"));
        }
        CHECK(h.inc(f.n).times.detected == utc(2026, 11, 22, 13, 50));
    }
    SECTION("more than 30 days before the declaration is refused") {
        h.slash("maya", f.room, "impact-started 2026-10-01 10:00");
        CHECK(h.told("maya", "more than 30 days"));
    }
}

TEST_CASE("hypotheses are numbered H1..Hn and closed with evidence", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.say("dev", f.room, cmd("hypothesis bad release 2026.11.3"));
    CHECK(h.posted("Recorded hypothesis H1: bad release 2026.11.3"));
    h.say("lena", f.room, cmd("hypothesis connection pool exhausted"));
    h.say("dev", f.room, cmd("hypothesis DNS"));
    const auto& hs = h.inc(f.n).hypotheses;
    REQUIRE(hs.size() == 3);
    for (int i = 0; i < 3; ++i) CHECK(hs[std::size_t(i)].n == i + 1);
    CHECK(hs[1].opened_by.id == "lena");
    CHECK(hs[1].result == outcome::open);

    h.advance(5min);
    h.say("maya", f.room, cmd("confirm H1 error rate drops on canary rollback"));
    CHECK(h.inc(f.n).hypotheses[0].result == outcome::confirmed);
    CHECK(h.inc(f.n).hypotheses[0].evidence == "error rate drops on canary rollback");
    CHECK(h.inc(f.n).hypotheses[0].closed_at == h.now());
    CHECK(h.inc(f.n).hypotheses[0].closed_by.id == "maya");
    CHECK(h.posted("H1 confirmed: bad release 2026.11.3"));

    h.say("maya", f.room, cmd("rule-out h2 pool at 40%"));
    CHECK(h.inc(f.n).hypotheses[1].result == outcome::ruled_out);
    CHECK(h.inc(f.n).hypotheses[1].evidence == "pool at 40%");

    h.say("maya", f.room, cmd("ruleout H3"));
    CHECK(h.inc(f.n).hypotheses[2].result == outcome::ruled_out);
    CHECK(h.inc(f.n).hypotheses[2].evidence.empty());

    SECTION("closing twice is refused") {
        h.slash("maya", f.room, "rule-out H1 actually not");
        CHECK(h.told("maya", "H1 is already confirmed"));
        CHECK(h.inc(f.n).hypotheses[0].result == outcome::confirmed);
        CHECK(h.last.incidents.empty());
    }
    SECTION("unknown hypotheses are refused") {
        h.slash("maya", f.room, "confirm H9");
        CHECK(h.told("maya", "There is no H9 in INC-1 (it has 3 hypotheses)."));
        h.slash("maya", f.room, "confirm H0");
        CHECK(h.told("maya", "There is no H0"));
        h.slash("maya", f.room, "confirm X1");
        CHECK(h.told("maya", "Usage: !incident confirm"));
        h.slash("maya", f.room, "confirm H99999999999");
        CHECK(h.told("maya", "Usage: !incident confirm"));
    }
}

TEST_CASE("decision, deadend and change are recorded as typed notes", "[commands]") {
    fixture f;
    auto& h = f.h;
    struct row { const char* command; note_kind kind; const char* label; };
    auto r = GENERATE(row{"decision", note_kind::decision, "Recorded Decision: "},
                      row{"deadend", note_kind::deadend, "Recorded Dead end: "},
                      row{"dead-end", note_kind::deadend, "Recorded Dead end: "},
                      row{"change", note_kind::change, "Recorded Change: "});
    INFO(r.command);
    h.advance(3min);
    h.say("sam", f.room, cmd(std::string(r.command) + "  roll back\x01 to 2026.11.2 "));
    const auto& notes = h.inc(f.n).notes;
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].kind == r.kind);
    CHECK(notes[0].text == "roll back to 2026.11.2");
    CHECK(notes[0].author.id == "sam");
    CHECK(notes[0].at == h.now());
    CHECK(h.posted(std::string(r.label) + "roll back to 2026.11.2"));
    auto sys = h.system_entries(to_string(r.kind));
    REQUIRE(sys.size() == 1);
    CHECK(sys[0].text == "roll back to 2026.11.2");
    CHECK(sys[0].author.id == "sam");

    h.slash("sam", f.room, r.command);
    CHECK(h.told("sam", "The text is missing."));
    CHECK(h.inc(f.n).notes.size() == 1);
}

TEST_CASE("action items with owner and due date", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.say("maya", f.room, cmd("action add a canary stage @dev due 2026-12-01"));
    h.say("maya", f.room, cmd("action document the rollback due:2026-12-15"));
    h.say("maya", f.room, cmd("action review alert thresholds"));
    const auto& as = h.inc(f.n).actions;
    REQUIRE(as.size() == 3);
    CHECK(as[0].n == 1);
    CHECK(as[0].text == "add a canary stage");
    CHECK(as[0].owner.id == "dev");
    CHECK(as[0].due == "2026-12-01");
    CHECK(as[0].created_by.id == "maya");
    CHECK(as[1].n == 2);
    CHECK(as[1].due == "2026-12-15");
    CHECK(as[1].owner.empty());
    CHECK(as[2].due.empty());
    CHECK(h.posted("Recorded action A3: review alert thresholds"));

    SECTION("bad due dates are refused") {
        for (auto bad : {"action fix it due 2026-02-30", "action fix it due 2026-13-01", "action fix it due:2026-99-99",
                         "action fix it due 12/01/2026"}) {
            INFO(bad);
            h.slash("maya", f.room, bad);
            CHECK(h.told("maya", "Usage: !incident action"));
        }
        CHECK(h.inc(f.n).actions.size() == 3);
    }
    SECTION("no text is refused") {
        h.slash("maya", f.room, "action @dev due 2026-12-01");
        CHECK(h.told("maya", "Say what needs doing."));
    }
}

TEST_CASE("timeline N shows the last N entries of the folded tail", "[commands]") {
    fixture f;
    auto& h = f.h;
    for (int i = 1; i <= 12; ++i) {
        h.advance(1min);
        h.say("dev", f.room, "note " + std::to_string(i));
    }
    h.slash("sam", f.room, "timeline 3");
    auto e = h.only_ephemeral();
    auto text = e.body.plain();
    INFO(text);
    CHECK(e.to_user.id == "sam");
    CHECK(text.find("INC-1 — last 3 timeline entries") == 0);
    CHECK(text.find("@dev: note 10") != std::string::npos);
    CHECK(text.find("@dev: note 12") != std::string::npos);
    CHECK(text.find("note 9") == std::string::npos);
    CHECK(text.find("2026-11-22 14:12:00Z") != std::string::npos);
    CHECK(h.last.incidents.empty());

    SECTION("default is 10") {
        h.slash("sam", f.room, "timeline");
        auto t = h.only_ephemeral().body.plain();
        CHECK(t.find("last 10 timeline entries") != std::string::npos);
        CHECK(t.find("note 3\n") != std::string::npos);
        CHECK(t.find("note 2\n") == std::string::npos);
    }
    SECTION("more than there are shows all") {
        h.slash("sam", f.room, "timeline 50");
        auto t = h.only_ephemeral().body.plain();
        auto total = h.tail(f.n).size();
        CHECK(t.find("last " + std::to_string(total) + " timeline entries") != std::string::npos);
    }
    SECTION("bad counts are refused") {
        for (auto bad : {"timeline abc", "timeline 0", "timeline -3", "timeline 1 2", "timeline 99999"}) {
            INFO(bad);
            h.slash("sam", f.room, bad);
            CHECK(h.told("sam", "Usage: !incident timeline"));
        }
    }
}

TEST_CASE("snooze quiets one kind of nudge for at most 24h", "[commands]") {
    fixture f;
    auto& h = f.h;
    for (auto kind : nudge_kinds()) {
        h.slash("maya", f.room, "snooze " + std::string(kind) + " 45m");
        INFO(kind);
        CHECK(h.inc(f.n).snoozed_until.at(std::string(kind)) == h.now() + 45min);
    }
    h.slash("maya", f.room, "snooze UPDATE 24h");
    CHECK(h.inc(f.n).snoozed_until.at("update") == h.now() + 24h);
    CHECK(h.posted("update nudges for INC-1 snoozed until 14:00 UTC."));

    for (auto bad : {"snooze naps 30m", "snooze update", "snooze update 25h", "snooze update 2d", "snooze update soon",
                     "snooze update 0m", "snooze 30m update"}) {
        INFO(bad);
        auto before = h.inc(f.n);
        h.slash("maya", f.room, bad);
        CHECK(h.told("maya", "Usage: !incident snooze"));
        CHECK(h.inc(f.n) == before);
    }
}

TEST_CASE("list shows open incidents only", "[commands]") {
    harness h;
    h.slash("sam", "#general", "list");
    CHECK(h.only_ephemeral().body.plain() == "No open incidents.");

    auto a = h.open("maya", "DB down --sev 1");
    auto b = h.open("sam", "Cache slow --sev 3");
    auto c = h.open("maya", "Old thing");
    h.slash("maya", h.room_of(c), "status resolved");
    h.slash("maya", h.room_of(c), "close");
    h.slash("maya", h.room_of(b), "status mitigated");
    h.advance(90min);
    h.slash("maya", h.room_of(a), "update impact: x; next: 30m");
    h.advance(5min);
    h.slash("dev", "#random", "list");
    auto e = h.only_ephemeral();
    auto text = e.body.plain();
    INFO(text);
    CHECK(e.to_user.id == "dev");
    CHECK(text.find("2 open incidents") == 0);
    CHECK(text.find("INC-1 · SEV1 · Investigating — DB down · commander @maya · age 1h 35m · last update 5m ago") !=
          std::string::npos);
    CHECK(text.find("INC-2 · SEV3 · Mitigated — Cache slow · commander @sam · age 1h 35m · last update never") !=
          std::string::npos);
    CHECK(text.find("INC-3") == std::string::npos);
}

TEST_CASE("help lists every command — help <cmd> shows its usage", "[commands]") {
    harness h;
    h.slash("sam", "#general", "help");
    auto all = h.only_ephemeral().body.plain();
    for (const auto& s : command_specs()) {
        INFO(s.name);
        CHECK(all.find(std::string(s.usage)) != std::string::npos);
    }
    CHECK(all.find("#decision") != std::string::npos);

    h.slash("sam", "#general", "help sev");
    auto one = h.only_ephemeral().body.plain();
    CHECK(one.find("!incident sev <1-4> <reason>") == 0);
    CHECK(one.find("a reason is required") != std::string::npos);

    h.slash("sam", "#general", "help ic");
    CHECK(h.only_ephemeral().body.plain().find("!incident commander @user") == 0);

    h.slash("sam", "#general", "help close");
    CHECK(h.only_ephemeral().body.plain().find("Only the current commander or an admin") != std::string::npos);

    h.slash("sam", "#general", "help frobnicate");
    CHECK(h.told("sam", "No command \"frobnicate\""));
}
