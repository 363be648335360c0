// Severity and the lifecycle: sev, status, close, reopen, and what a closed
// incident still accepts.
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

using fixture = announced_incident;

TEST_CASE("sev needs a reason, is recorded and announced", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.advance(2min);
    h.say("dev", f.room, cmd("sev 1 payments failing for all EU users"));
    const auto& inc = h.inc(f.n);
    CHECK(inc.sev == severity::sev1);
    // SEV1 asks for updates every 20 min: sooner than the SEV2 due time, so it applies now.
    CHECK(inc.next_update_due == h.now() + 20min);
    auto sev = h.system_entries("severity");
    REQUIRE(sev.size() == 1);
    CHECK(sev[0].author.id == "dev");
    CHECK(sev[0].text == "SEV2 → SEV1: payments failing for all EU users");
    CHECK(h.posted("INC-1 severity SEV2 → SEV1 (by @dev): payments failing for all EU users"));
    auto ann = h.announcements();
    REQUIRE(ann.size() == 1);
    CHECK(ann[0].body.plain() == "INC-1 is now SEV1 (was SEV2) — Checkout 5xx: payments failing for all EU users");
    CHECK(h.out(outbound_op::set_topic).at(0).body.plain().find("SEV1") != std::string::npos);

    SECTION("lowering severity keeps the earlier due time") {
        h.advance(1min);
        auto due = *h.inc(f.n).next_update_due;
        h.say("dev", f.room, cmd("sev 3 contained to one region"));
        CHECK(h.inc(f.n).sev == severity::sev3);
        CHECK(h.inc(f.n).next_update_due == due);
    }
    SECTION("the same severity again is refused") {
        h.slash("dev", f.room, "sev SEV1 still bad");
        CHECK(h.told("dev", "already SEV1"));
        CHECK(h.last.incidents.empty());
    }
}

TEST_CASE("a severity change after resolution does not ask for status updates again", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.slash("maya", f.room, "status resolved");
    REQUIRE_FALSE(h.inc(f.n).next_update_due.has_value());
    h.advance(1h);
    h.slash("maya", f.room, "sev 1 impact was larger than we thought");
    CHECK(h.inc(f.n).sev == severity::sev1);
    CHECK_FALSE(h.inc(f.n).next_update_due.has_value());
    CHECK(h.out(outbound_op::set_topic).at(0).body.plain().find("Next update none scheduled") != std::string::npos);
}

TEST_CASE("sev without a reason or with a bad level changes nothing", "[commands]") {
    fixture f;
    auto text = GENERATE(as<std::string>{}, "sev", "sev 1", "sev 1   ", "sev 5 reason", "sev high reason", "sev \x01");
    INFO(text);
    f.h.slash("dev", f.room, text);
    auto e = f.h.only_ephemeral();
    CHECK(e.body.plain().find("Usage: !incident sev <1-4> <reason>") != std::string::npos);
    CHECK(f.h.last.incidents.empty());
    CHECK(f.h.inc(f.n).sev == severity::sev2);
}

TEST_CASE("status moves forward only, skips allowed, milestones set", "[commands]") {
    fixture f;
    auto& h = f.h;
    SECTION("step by step") {
        h.advance(10min);
        h.slash("dev", f.room, "status identified");
        CHECK(h.inc(f.n).state == status::identified);
        CHECK(h.inc(f.n).times.identified == h.now());
        CHECK(h.posted("INC-1 is now Identified (by @dev)"));
        CHECK(h.announcements().empty());  // only resolution is announced
        auto st = h.system_entries("status");
        REQUIRE(st.size() == 1);
        CHECK(st[0].text == "investigating → identified (by @dev)");
        CHECK(st[0].at == h.now());

        h.advance(10min);
        h.slash("dev", f.room, "status mitigated");
        CHECK(h.inc(f.n).times.mitigated == h.now());
        h.advance(10min);
        h.slash("maya", f.room, "status resolved");
        CHECK(h.inc(f.n).state == status::resolved);
        CHECK(h.inc(f.n).times.resolved == h.now());
        CHECK(h.inc(f.n).times.mitigated == h.now() - 10min);
        CHECK_FALSE(h.inc(f.n).next_update_due.has_value());
        auto ann = h.announcements();
        REQUIRE(ann.size() == 1);
        CHECK(ann[0].body.plain() == "✅ INC-1 resolved — Checkout 5xx (open 30m)");
        CHECK(h.posted("close"));
    }
    SECTION("a skip from investigating to mitigated") {
        h.slash("dev", f.room, "status mitigated");
        CHECK(h.inc(f.n).state == status::mitigated);
        CHECK(h.inc(f.n).times.mitigated == h.now());
        CHECK_FALSE(h.inc(f.n).times.identified.has_value());
    }
    SECTION("resolving directly also marks mitigation") {
        h.slash("dev", f.room, "status resolved");
        CHECK(h.inc(f.n).times.mitigated == h.now());
        CHECK(h.inc(f.n).times.resolved == h.now());
    }
    SECTION("backwards is refused") {
        h.slash("dev", f.room, "status mitigated");
        h.slash("dev", f.room, "status identified");
        CHECK(h.told("dev", "only moves forward"));
        CHECK(h.inc(f.n).state == status::mitigated);
        CHECK(h.last.incidents.empty());
        h.slash("dev", f.room, "status mitigated");
        CHECK(h.told("dev", "already mitigated"));
    }
    SECTION("investigating and closed are not set with status") {
        h.slash("dev", f.room, "status investigating");
        CHECK(h.told("dev", "reopen"));
        CHECK(h.told("dev", "Usage: !incident status"));
        h.slash("dev", f.room, "status closed");
        CHECK(h.told("dev", "Use `close`"));
        CHECK(h.inc(f.n).state == status::investigating);
    }
}

TEST_CASE("close needs resolved, and the commander or an admin", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.slash("maya", f.room, "scribe @sam");
    h.slash("maya", f.room, "sme @dana db");

    SECTION("not before resolved") {
        h.slash("maya", f.room, "close");
        CHECK(h.told("maya", "mark it resolved first"));
        CHECK(h.inc(f.n).state == status::investigating);
        CHECK(h.out(outbound_op::postmortem).empty());
    }
    SECTION("not by someone else") {
        h.slash("maya", f.room, "status resolved");
        h.slash("sam", f.room, "close");
        CHECK(h.told("sam", "Only the current commander or an admin"));
        CHECK(h.inc(f.n).state == status::resolved);
    }
    SECTION("by the commander: shifts end, postmortem requested, announced") {
        h.slash("maya", f.room, "status resolved");
        h.advance(1h);
        h.slash("maya", f.room, "close");
        const auto& inc = h.inc(f.n);
        CHECK(inc.state == status::closed);
        CHECK(inc.times.closed == h.now());
        CHECK_FALSE(inc.next_update_due.has_value());
        for (const auto& s : inc.shifts) {
            CHECK_FALSE(s.open());
            CHECK(s.end == h.now());
        }
        CHECK(inc.commander() == nullptr);
        auto pm = h.out(outbound_op::postmortem);
        REQUIRE(pm.size() == 1);
        CHECK(pm[0].incident.n == f.n);
        CHECK(pm[0].room == h.room(f.room));
        CHECK(h.posted("INC-1 closed by @maya"));
        auto ann = h.announcements();
        REQUIRE(ann.size() == 1);
        CHECK(ann[0].body.plain() == "🧾 INC-1 closed — Checkout 5xx. Postmortem draft to follow.");
        CHECK(h.system_entries("status").at(0).text == "resolved → closed (by @maya)");
        // The postmortem is requested after everything the close changed.
        CHECK(h.last.outbox.back().op == outbound_op::postmortem);
    }
    SECTION("by an admin") {
        h.slash("maya", f.room, "status resolved");
        h.slash("admin", f.room, "close");
        CHECK(h.inc(f.n).state == status::closed);
    }
    SECTION("close takes no arguments") {
        h.slash("maya", f.room, "status resolved");
        h.slash("maya", f.room, "close now please");
        CHECK(h.told("maya", "Usage: !incident close"));
        CHECK(h.inc(f.n).state == status::resolved);
    }
}

TEST_CASE("reopen needs a reason and works from resolved and closed", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.slash("maya", f.room, "status resolved");

    SECTION("a reason is required") {
        h.slash("maya", f.room, "reopen");
        CHECK(h.told("maya", "A reason is required. Usage: !incident reopen <reason>"));
        CHECK(h.inc(f.n).state == status::resolved);
    }
    SECTION("from resolved") {
        h.advance(5min);
        h.slash("maya", f.room, "reopen errors are back");
        const auto& inc = h.inc(f.n);
        CHECK(inc.state == status::investigating);
        CHECK_FALSE(inc.times.resolved.has_value());
        CHECK(inc.next_update_due == h.now() + 30min);
        CHECK(inc.commander()->user.id == "maya");
        CHECK(h.system_entries("status").at(0).text ==
              "resolved → investigating (reopened by @maya): errors are back");
        CHECK(h.posted("INC-1 reopened by @maya: errors are back"));
        REQUIRE(h.announcements().size() == 1);
        CHECK(h.announcements()[0].body.plain().find("reopened — Checkout 5xx: errors are back") != std::string::npos);
    }
    SECTION("from closed, the person reopening leads") {
        h.slash("maya", f.room, "close");
        h.advance(1h);
        h.slash("admin", f.room, "reopen errors are back");
        const auto& inc = h.inc(f.n);
        CHECK(inc.state == status::investigating);
        CHECK_FALSE(inc.times.closed.has_value());
        CHECK_FALSE(inc.times.resolved.has_value());
        REQUIRE(inc.commander() != nullptr);
        CHECK(inc.commander()->user.id == "admin");
        CHECK(inc.commander()->start == h.now());
    }
    SECTION("from closed, by the declarer who was commander") {
        h.slash("maya", f.room, "close");
        h.slash("maya", f.room, "reopen errors are back");
        CHECK(h.inc(f.n).state == status::investigating);
        CHECK(h.inc(f.n).commander()->user.id == "maya");
    }
    SECTION("from closed, by the commander who closed it") {
        h.slash("maya", f.room, "commander @sam");
        h.slash("sam", f.room, "close");
        REQUIRE(h.inc(f.n).is_closed());
        h.slash("sam", f.room, "reopen errors are back");
        CHECK(h.inc(f.n).state == status::investigating);
        REQUIRE(h.inc(f.n).commander() != nullptr);
        CHECK(h.inc(f.n).commander()->user.id == "sam");
    }
    SECTION("not by someone else") {
        h.slash("sam", f.room, "reopen I think it is back");
        CHECK(h.told("sam", "Only the current commander or an admin"));
        CHECK(h.inc(f.n).state == status::resolved);
    }
    SECTION("not while still open") {
        h.slash("maya", f.room, "reopen errors are back");
        h.slash("maya", f.room, "reopen again");
        CHECK(h.told("maya", "only resolved or closed incidents are reopened"));
    }
}

TEST_CASE("a closed incident refuses changes except reopen, timeline, roles, postmortem, action, list, help",
          "[commands]") {
    fixture f;
    auto& h = f.h;
    h.slash("maya", f.room, "status resolved");
    h.slash("maya", f.room, "close");
    REQUIRE(h.inc(f.n).is_closed());

    SECTION("refused") {
        auto text = GENERATE(as<std::string>{}, "commander @sam", "scribe @sam", "sme @dana", "handoff @sam",
                             "unassign scribe @sam", "sev 1 worse", "status resolved", "update impact: none",
                             "impact-started 13:00", "detected 13:10", "hypothesis x", "confirm H1",
                             "rule-out H1", "decision x", "deadend x", "change x", "snooze update 30m", "close");
        INFO(text);
        auto before = h.inc(f.n);
        h.slash("maya", f.room, text);
        CHECK(h.told("maya", "INC-1 is closed; `reopen <reason>` it first."));
        CHECK(h.last.incidents.empty());
        CHECK(h.last.entries.empty());
        CHECK(h.inc(f.n) == before);
    }
    SECTION("allowed") {
        h.slash("maya", f.room, "action write the postmortem @maya due 2026-12-01");
        CHECK(h.inc(f.n).actions.size() == 1);
        h.slash("maya", f.room, "timeline 3");
        CHECK(h.only_ephemeral().body.plain().find("timeline entr") != std::string::npos);
        h.slash("maya", f.room, "roles");
        CHECK(h.only_ephemeral().body.plain().find("INC-1 roles") != std::string::npos);
        h.slash("sam", f.room, "postmortem");
        CHECK(h.out(outbound_op::postmortem).size() == 1);
        h.slash("sam", f.room, "list");
        CHECK(h.only_ephemeral().body.plain() == "No open incidents.");
        h.slash("sam", f.room, "help");
        CHECK(h.only_ephemeral().body.plain().find("firebreak commands") != std::string::npos);
    }
}

TEST_CASE("severity and status over time are kept as phases for the postmortem chart", "[commands]") {
    harness h;
    auto n = h.open("maya", "Checkout 5xx --sev 2");
    auto room = h.room_of(n);
    h.advance(10min);
    h.slash("maya", room, "sev 1 all regions");
    h.advance(10min);
    h.slash("maya", room, "status mitigated");
    h.advance(10min);
    h.slash("maya", room, "status resolved");
    h.slash("maya", room, "reopen errors are back");
    h.slash("maya", room, "sev 1 still all regions");  // no change: no phase
    const auto& p = h.inc(n).history;
    REQUIRE(p.size() == 5);
    CHECK(p[0] == phase{utc(2026, 11, 22, 14, 0), severity::sev2, status::investigating, user_ref{"maya"}, ""});
    CHECK(p[1] == phase{utc(2026, 11, 22, 14, 10), severity::sev1, status::investigating, user_ref{"maya"}, "all regions"});
    CHECK(p[2] == phase{utc(2026, 11, 22, 14, 20), severity::sev1, status::mitigated, user_ref{"maya"}, ""});
    CHECK(p[3] == phase{utc(2026, 11, 22, 14, 30), severity::sev1, status::resolved, user_ref{"maya"}, ""});
    CHECK(p[4] == phase{utc(2026, 11, 22, 14, 30), severity::sev1, status::investigating, user_ref{"maya"},
                        "errors are back"});
}
