// The nudges of PRODUCT §5 on a manual clock: when each fires, what it says, where it
// goes, and that it stops when its condition ends.
#include "commands/views.hpp"
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {

// "14:10 scribe#1", with a trailing "!" when escalated to the announcement room.
std::vector<std::string> sequence_of(const harness& h, std::size_t from = 0) {
    std::vector<std::string> r;
    for (std::size_t i = from; i < h.sent.size(); ++i) {
        const auto& s = h.sent[i];
        r.push_back(fmt::format("{} {}#{}{}", format_hhmm(s.at), s.n.kind, s.n.step, s.n.escalate ? "!" : ""));
    }
    return r;
}

std::string room_text(const change& c) {
    std::string s;
    for (const auto& o : c.outbox)
        if (o.target != target_kind::announcement) s += o.body.plain() + "\n";
    return s;
}

std::string announcement_text(const change& c) {
    std::string s;
    for (const auto& o : c.outbox)
        if (o.target == target_kind::announcement) s += o.body.plain() + "\n";
    return s;
}

instant at(int h, int m) { return utc(2026, 11, 22, h, m); }

struct quiet_incident : with_incident {
    // Declared at 14:00 by maya (SEV2), with a scribe and a hypothesis, so only the
    // nudge under test fires early on.
    quiet_incident() : with_incident("Checkout 5xx", true) {
        h.slash("maya", room, "scribe @sam");
        h.slash("maya", room, "hypothesis pool exhaustion");
        h.slash("maya", room, "confirm H1 pool at max");
    }
};

}  // namespace

TEST_CASE("status update nudges follow the cadence of each severity", "[commands][nudges]") {
    struct row {
        int sev;
        std::vector<std::string> first_two_hours;
    };
    // Reminders at the cadence from the due time; "!" is the one line to stakeholders
    // when the update is ten minutes late.
    auto r = GENERATE(row{1, {"14:20 update#1", "14:30 update#1!", "14:40 update#2", "15:00 update#3",
                              "15:20 update#4", "15:40 update#5"}},
                      row{2, {"14:30 update#1", "14:40 update#1!", "15:00 update#2", "15:30 update#3"}},
                      row{3, {"15:00 update#1", "15:10 update#1!"}},
                      row{4, {}});
    INFO("SEV" << r.sev);
    harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    auto n = h.open("maya", fmt::format("Checkout 5xx --sev {}", r.sev));
    auto room = h.room_of(n);
    h.slash("maya", room, "scribe @sam");
    h.slash("maya", room, "hypothesis pool exhaustion");
    h.run_until(at(15, 59));
    std::vector<std::string> updates;
    for (const auto& s : sequence_of(h))
        if (s.find("update") != std::string::npos) updates.push_back(s);
    CHECK(updates == r.first_two_hours);
}

TEST_CASE("the exact nudge sequence of a ten-hour incident", "[commands][nudges]") {
    harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    auto n = h.open("maya", "Payments down --sev 1");  // 14:00
    auto room = h.room_of(n);
    auto act = [&](int hh, int mm, const std::string& who, const std::string& text) {
        h.run_until(at(hh, mm));
        h.slash(who, room, text);
        INFO(text);
        REQUIRE(h.last.outbox.size() > 0);
    };
    act(14, 12, "maya", "scribe @sam");
    act(14, 15, "dev", "hypothesis the new pool config");
    act(14, 25, "maya", "update impact: payments failing; next: 20m");
    act(15, 0, "maya", "update impact: payments failing; next: 1h");   // later than SEV1's 20 min
    act(15, 15, "maya", "rule-out H1 config unchanged");
    act(15, 55, "maya", "sev 3 contained to one region");
    act(16, 2, "maya", "update impact: one region degraded");
    act(16, 35, "maya", "handoff @dev");
    act(16, 45, "sam", "snooze rotation 2h");
    act(17, 20, "dev", "status mitigated");
    act(17, 30, "dev", "update impact: recovered; next: 2h");         // SEV3: reminded after 60 min
    act(17, 40, "dev", "unassign commander @dev");
    act(18, 5, "maya", "commander @maya");
    act(18, 35, "maya", "status resolved");
    h.run_until(at(24, 0));
    CHECK(sequence_of(h) == std::vector<std::string>{
                                "14:10 scribe#1",       // no scribe 10 min after declaring
                                "14:10 rollback#1",     // nothing suspected, nothing mitigated
                                "14:20 update#1",       // SEV1 cadence from the declaration
                                "14:30 hypothesis#1",   // H1 open 15 min without evidence
                                "14:45 update#1",       // the promised 14:45
                                "14:55 update#1!",      // 10 min late: the announcement room hears
                                "15:20 update#1",       // 16:00 was promised; SEV1's cadence reminds at 15:20
                                "15:40 update#2",       // and again (stakeholders wait for 16:00)
                                // 15:55 SEV3: the next reminder moves to 16:40; the 16:02 update ends it
                                "16:00 rotation#1",     // maya on shift since 14:00
                                "16:12 rotation#1",     // sam since 14:12
                                "16:30 rotation#2",     // maya again, 30 min later
                                "16:42 rotation#2",     // sam again; then he snoozes
                                "17:02 update#1",       // SEV3: 60 min after the 16:02 update
                                "17:12 update#1!",
                                "17:45 commander#1",    // dev stepped down at 17:40
                                "17:50 commander#2",
                                "17:55 commander#3",
                                "18:00 commander#4!",   // then the announcement room
                                "18:30 update#1",       // 60 min after the 17:30 update
                            });
    // Every nudge is also a timeline entry.
    std::size_t recorded = 0;
    for (const auto& s : h.sent)
        for (const auto& e : s.c.entries) recorded += e.kind == entry_kind::system && e.tag == "nudge";
    CHECK(recorded == h.sent.size());
}

TEST_CASE("no commander: the room three times, then the announcement room, then quiet", "[commands][nudges]") {
    quiet_incident f;
    auto& h = f.h;
    h.run_until(at(14, 20));
    h.slash("maya", f.room, "unassign commander @maya");
    CHECK(h.posted("@maya is no longer commander."));
    CHECK_FALSE(h.inc(f.n).commander());
    h.run_until(at(15, 0));
    auto seq = sequence_of(h);
    CHECK(std::count(seq.begin(), seq.end(), "14:25 commander#1") == 1);
    CHECK(std::count(seq.begin(), seq.end(), "14:30 commander#2") == 1);
    CHECK(std::count(seq.begin(), seq.end(), "14:35 commander#3") == 1);
    CHECK(std::count(seq.begin(), seq.end(), "14:40 commander#4!") == 1);
    std::size_t commander_nudges = 0;
    for (const auto& s : h.sent)
        if (s.n.kind == nudge_kind::commander) {
            ++commander_nudges;
            CHECK(room_text(s.c).find("INC-1 has no commander") != std::string::npos);
            CHECK(room_text(s.c).find("!incident commander @you") != std::string::npos);
            if (s.n.escalate) {
                CHECK(announcement_text(s.c).find("INC-1 · SEV2 — Checkout 5xx has had no commander for 20m") !=
                      std::string::npos);
            } else {
                CHECK(announcement_text(s.c).empty());
            }
        }
    CHECK(commander_nudges == 4);

    SECTION("someone taking command ends it, and a new gap starts a new sequence") {
        h.slash("dev", f.room, "commander @dev");
        h.slash("dev", f.room, "unassign commander @dev");
        auto before = h.sent.size();
        h.run_until(at(15, 5));
        CHECK(sequence_of(h, before) == std::vector<std::string>{"15:05 commander#1"});
    }
    SECTION("only the commander or an admin may step down") {
        h.slash("dev", f.room, "commander @dev");
        h.slash("sam", f.room, "unassign commander @dev");
        CHECK(h.told("sam", "Only @dev or an admin"));
        CHECK(h.inc(f.n).commander()->user.id == "dev");
        h.slash("admin", f.room, "unassign commander @dev");
        CHECK_FALSE(h.inc(f.n).commander());
    }
}

TEST_CASE("no scribe: the commander is asked once, unless a scribe came first", "[commands][nudges]") {
    with_incident f("Checkout 5xx", false);
    auto& h = f.h;
    SECTION("nobody took it") {
        h.run_until(at(15, 0));
        std::vector<std::string> scribe;
        for (const auto& s : h.sent)
            if (s.n.kind == nudge_kind::scribe) {
                scribe.push_back(format_hhmm(s.at));
                CHECK(room_text(s.c).find("@maya, INC-1 has no scribe yet") != std::string::npos);
                CHECK(room_text(s.c).find("!incident scribe @someone") != std::string::npos);
            }
        CHECK(scribe == std::vector<std::string>{"14:10"});
    }
    SECTION("a scribe at 14:09 means no nudge") {
        h.run_until(at(14, 9));
        h.slash("maya", f.room, "scribe @sam");
        h.run_until(at(15, 0));
        for (const auto& s : h.sent) CHECK(s.n.kind != nudge_kind::scribe);
    }
}

TEST_CASE("the update nudge names the commander, the cadence and the last update", "[commands][nudges]") {
    quiet_incident f;
    auto& h = f.h;
    h.run_until(at(14, 10));
    h.slash("maya", f.room, "update impact: 3% of checkouts fail; next: 15m");
    h.run_until(at(14, 25));
    REQUIRE_FALSE(h.sent.empty());
    const auto& due = h.sent.back();
    CHECK(due.n.kind == nudge_kind::update);
    CHECK(room_text(due.c).find("@maya, the INC-1 status update is due now (SEV2: every 30m; last 14:10 UTC, 15m ago)") !=
          std::string::npos);
    CHECK(room_text(due.c).find("!incident update impact: <who is affected> ; actions: <what we do> ; needs: <asks> ; next: 30m") !=
          std::string::npos);
    CHECK(announcement_text(due.c).empty());
    h.run_until(at(14, 35));
    const auto& late = h.sent.back();
    CHECK(late.n.escalate);
    CHECK(room_text(late.c).find("@maya, the status update promised for 14:25 UTC is 10m late") != std::string::npos);
    CHECK(room_text(late.c).find("Stakeholders in the announcement room have been told.") != std::string::npos);
    CHECK(announcement_text(late.c).find("INC-1 · SEV2 · Investigating — Checkout 5xx: status update 10m late "
                                         "(promised 14:25 UTC). Commander @maya") != std::string::npos);
    // An update ends the sequence; the next one starts from its promise.
    h.run_until(at(14, 40));
    h.slash("maya", f.room, "update impact: recovering");
    auto before = h.sent.size();
    h.run_until(at(15, 9));
    CHECK(sequence_of(h, before).empty());
    h.run_until(at(15, 10));
    CHECK(sequence_of(h, before) == std::vector<std::string>{"15:10 update#1"});
}

TEST_CASE("resolving stops update, rotation and hypothesis nudges — closing stops all", "[commands][nudges]") {
    with_incident f("Checkout 5xx", false);
    auto& h = f.h;
    h.slash("maya", f.room, "hypothesis pool exhaustion");
    h.run_until(at(14, 5));
    h.slash("maya", f.room, "status resolved");
    h.run_until(at(14, 0) + 24h - 1min);
    CHECK(h.sent.empty());
    h.run_until(at(14, 5) + 24h);
    REQUIRE(h.sent.size() == 1);
    CHECK(h.sent[0].n.kind == nudge_kind::close);
    CHECK(room_text(h.sent[0].c).find("@maya, INC-1 has been resolved for 1d 0h 00m") != std::string::npos);
    h.slash("maya", f.room, "close");
    h.run_until(at(14, 0) + 72h);
    CHECK(h.sent.size() == 1);
    CHECK_FALSE(next_nudge_at(h.state, h.settings).has_value());
}

TEST_CASE("rotation: every role holder after two hours, every 30 min, until a handoff", "[commands][nudges]") {
    quiet_incident f;
    auto& h = f.h;
    h.slash("maya", f.room, "sme @priya database");
    h.settings.nudges[1].update_every = duration{0};          // keep update nudges out of the way
    h.slash("maya", f.room, "update impact: x; next: 24h");
    h.run_until(at(16, 0));
    std::vector<std::string> who;
    for (const auto& s : h.sent)
        if (s.n.kind == nudge_kind::rotation) who.push_back(s.n.subject.id + "/" + to_string(s.n.subject_role));
    CHECK(who == std::vector<std::string>{"maya/commander", "sam/scribe", "priya/sme"});
    const auto& maya = h.sent.at(h.sent.size() - 3);
    auto text = room_text(maya.c);
    INFO(text);
    CHECK(text.find("@maya, you have been commander of INC-1 for 2h 00m") != std::string::npos);
    CHECK(text.find("!incident handoff @someone") != std::string::npos);
    // The briefing comes with it, ready to hand over.
    CHECK(text.find("Handoff briefing — INC-1 — Checkout 5xx") != std::string::npos);
    CHECK(text.find("Confirmed: H1 pool exhaustion") != std::string::npos);
    CHECK(text.find("scribe @sam since 14:00 UTC (2h 00m)") != std::string::npos);
    CHECK(text.find("Next update due:") != std::string::npos);

    SECTION("the holder rotated out is no longer nudged; the new one is, two hours on") {
        h.run_until(at(16, 10));
        h.slash("maya", f.room, "handoff @dev");
        h.slash("maya", f.room, "scribe @lena");
        h.slash("maya", f.room, "unassign sme @priya");
        auto before = h.sent.size();
        h.run_until(at(18, 9));
        CHECK(sequence_of(h, before).empty());
        h.run_until(at(18, 10));
        std::vector<std::string> next;
        for (std::size_t i = before; i < h.sent.size(); ++i) next.push_back(h.sent[i].n.subject.id);
        CHECK(next == std::vector<std::string>{"dev", "lena"});
    }
    SECTION("until a handoff they are asked again every 30 minutes") {
        h.run_until(at(16, 30));
        CHECK(sequence_of(h, h.sent.size() - 3) ==
              std::vector<std::string>{"16:30 rotation#2", "16:30 rotation#2", "16:30 rotation#2"});
    }
}

TEST_CASE("snooze quiets one kind of nudge until it ends", "[commands][nudges]") {
    quiet_incident f;
    auto& h = f.h;
    h.run_until(at(14, 20));
    h.slash("maya", f.room, "snooze update 45m");  // until 15:05
    CHECK(h.inc(f.n).snoozed_until.at("update") == at(15, 5));
    h.run_until(at(15, 4));
    for (const auto& s : h.sent) CHECK(s.n.kind != nudge_kind::update);
    SECTION("still due when the snooze ends: sent then, escalated ten minutes later") {
        h.run_until(at(15, 20));
        CHECK(sequence_of(h) == std::vector<std::string>{"15:05 update#1", "15:15 update#1!"});
        CHECK(room_text(h.sent[0].c).find("status update has been due since 14:30 UTC (35m)") != std::string::npos);
    }
    SECTION("an update during the snooze: nothing to send") {
        h.slash("maya", f.room, "update impact: fine; next: 1h");  // 15:04: due 15:34 by the cadence
        h.run_until(at(15, 33));
        CHECK(h.sent.empty());
    }
    SECTION("other kinds are not snoozed") {
        h.slash("maya", f.room, "hypothesis a new one");  // 15:04
        h.run_until(at(15, 19));
        auto seq = sequence_of(h);
        CHECK(std::count(seq.begin(), seq.end(), "15:19 hypothesis#1") == 1);
    }
}

TEST_CASE("what changed? is asked once when nothing is suspected or mitigated", "[commands][nudges]") {
    with_incident f("Checkout 5xx", false);
    auto& h = f.h;
    h.slash("maya", f.room, "scribe @sam");
    SECTION("nothing suspected: asked at ten minutes") {
        h.run_until(at(14, 29));
        REQUIRE(sequence_of(h) == std::vector<std::string>{"14:10 rollback#1"});
        auto text = room_text(h.sent[0].c);
        CHECK(text.find("What changed just before it started") != std::string::npos);
        CHECK(text.find("Would a rollback stop the harm?") != std::string::npos);
    }
    SECTION("a hypothesis first: not asked") {
        h.slash("sam", f.room, "hypothesis bad deploy");
        h.run_until(at(14, 29));
        for (const auto& s : h.sent) CHECK(s.n.kind != nudge_kind::rollback);
    }
    SECTION("mitigated first: not asked") {
        h.slash("maya", f.room, "status mitigated");
        h.run_until(at(14, 29));
        CHECK(h.sent.empty());
    }
}

TEST_CASE("every timing is configurable per severity — zero turns a nudge off", "[commands][nudges]") {
    harness h;
    h.settings.nudges[0].rotation_after = 1h;          // SEV1 rotates after an hour
    h.settings.nudges[0].update_every = duration{0};   // and has no cadence here
    h.settings.nudges[0].what_changed_after = duration{0};
    h.settings.nudges[0].no_scribe_after = 3min;
    auto n1 = h.open("maya", "Payments down --sev 1");
    h.open("dev", "Search slow --sev 2");
    h.run_until(at(15, 5));
    std::vector<std::string> one, two;
    for (const auto& s : h.sent) (s.n.incident.n == n1 ? one : two).push_back(format_hhmm(s.at) + " " + std::string(to_string(s.n.kind)));
    CHECK(one == std::vector<std::string>{"14:03 scribe", "15:00 rotation"});
    CHECK(two == std::vector<std::string>{"14:10 scribe", "14:10 rollback", "14:30 update", "14:40 update",
                                          "15:00 update"});
}

TEST_CASE("apply_nudge sends nothing that is not due at this step", "[commands][nudges]") {
    quiet_incident f;
    auto& h = f.h;
    auto plan = planned_nudges(h.inc(f.n), h.settings);
    REQUIRE_FALSE(plan.empty());
    auto first = plan.front();
    CHECK(first.kind == nudge_kind::update);
    CHECK(first.due == at(14, 30));
    // Not yet due.
    CHECK(apply_nudge(h.state, first, at(14, 29), h.settings).empty());
    // Due: sent, with the step recorded in the incident.
    auto c = apply_nudge(h.state, first, at(14, 30), h.settings);
    REQUIRE_FALSE(c.empty());
    REQUIRE(c.incidents.size() == 1);
    CHECK(c.incidents[0].nudges.at(first.sequence) == nudge_mark{1, at(14, 30), at(14, 30)});
    fold(h.state, c, h.settings);
    // The same step again: nothing (it was sent).
    CHECK(apply_nudge(h.state, first, at(14, 31), h.settings).empty());
    // A nudge whose condition ended: nothing.
    h.clock.set(at(14, 40));
    h.slash("maya", f.room, "update impact: fine");
    auto second = first;
    second.step = 2;
    CHECK(apply_nudge(h.state, second, at(14, 45), h.settings).empty());
    CHECK(nudge_event_id(first) == "nudge:1:" + first.sequence + ":1");
}

TEST_CASE("a private incident's escalations say nothing of it outside its room", "[commands][nudges]") {
    harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    auto n = h.open("maya", "Payroll leak --private");
    h.run_until(at(14, 40));
    bool escalated = false;
    for (const auto& s : h.sent)
        if (s.n.escalate) {
            escalated = true;
            auto text = announcement_text(s.c);
            CHECK(text.find("Payroll") == std::string::npos);
            // Still says why stakeholders are told, and nothing more.
            CHECK(text.find("INC-1 (private) · SEV2 · Investigating: status update 10m late") != std::string::npos);
        }
    CHECK(escalated);
    CHECK(h.inc(n).is_private);
}

TEST_CASE("nudge_view: an escalated update of a private incident announces only its id", "[commands][nudges]") {
    harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    auto n = h.open("maya", "Payroll leak --private");
    h.run_until(at(14, 40));
    const harness::sent_nudge* esc = nullptr;
    for (const auto& s : h.sent)
        if (s.n.kind == nudge_kind::update && s.n.escalate && !esc) esc = &s;
    REQUIRE(esc);
    const auto& inc = h.inc(n);
    auto v = nudge_view(inc, esc->n, esc->at, timing_for(h.settings, inc.sev), command_form(h.settings, "console"),
                        true);
    REQUIRE(v.announcement);
    REQUIRE(v.private_announcement);
    // The public line names the title; the private one only the id, severity and status.
    CHECK(v.announcement->plain().find("Payroll") != std::string::npos);
    CHECK(v.private_announcement->plain() == "🔒 INC-1 (private) · SEV2 · Investigating: status update 10m late");
    // What was sent is what the view says.
    CHECK(announcement_text(esc->c) == v.private_announcement->plain() + "\n");
    CHECK(room_text(esc->c).find(v.room.plain()) != std::string::npos);
    CHECK(v.record == "update nudge: status update 10m late; escalated to the announcement room");
}

TEST_CASE("a reopened incident starts its nudges afresh, not with stale ones", "[commands][nudges]") {
    with_incident f("Checkout 5xx", false);
    auto& h = f.h;
    h.slash("maya", f.room, "scribe @sam");
    h.slash("maya", f.room, "update impact: x; next: 2h");
    h.run_until(at(14, 18));
    h.slash("maya", f.room, "hypothesis a bad deploy");   // open, never closed, too young to nudge
    h.run_until(at(14, 20));
    h.slash("maya", f.room, "status resolved");
    h.slash("maya", f.room, "close");
    h.run_until(at(20, 0));
    h.slash("maya", f.room, "reopen errors are back");
    auto before = h.sent.size();
    h.run_until(at(20, 9));
    CHECK(sequence_of(h, before).empty());  // nothing fires on the spot
    h.run_until(at(20, 16));
    // The scribe's shift ended at close: asked ten minutes after the reopen; the old
    // hypothesis gets its fifteen minutes from the reopen too.
    CHECK(sequence_of(h, before) == std::vector<std::string>{"20:10 scribe#1", "20:15 hypothesis#1"});
}

TEST_CASE("with no announcement room, escalations do not claim stakeholders were told", "[commands][nudges]") {
    quiet_incident f;                      // has an announcement room
    with_incident g("Search slow", false);  // has none
    for (auto* h : {&f.h, &g.h}) {
        h->slash("maya", h->room_of(1), "update impact: x; next: 5m");
        h->run_until(at(14, 15));
    }
    auto escalation = [](const harness& h) {
        for (const auto& s : h.sent)
            if (s.n.escalate) return room_text(s.c) + "|" + s.c.entries.back().text;
        return std::string();
    };
    CHECK(escalation(f.h).find("have been told") != std::string::npos);
    CHECK(escalation(f.h).find("escalated to the announcement room") != std::string::npos);
    REQUIRE_FALSE(escalation(g.h).empty());
    CHECK(escalation(g.h).find("have been told") == std::string::npos);
    CHECK(escalation(g.h).find("escalated") == std::string::npos);
}

TEST_CASE("with commander repeats off, the escalation still comes", "[commands][nudges]") {
    quiet_incident f;
    auto& h = f.h;
    h.settings.nudges[1].no_commander_repeat = duration{0};
    h.slash("maya", f.room, "unassign commander @maya");
    h.run_until(at(14, 30));
    std::vector<std::string> seq;
    for (const auto& s : sequence_of(h))
        if (s.find("commander") != std::string::npos) seq.push_back(s);
    CHECK(seq == std::vector<std::string>{"14:05 commander#1", "14:10 commander#2!"});
}
