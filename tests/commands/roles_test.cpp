// Roles as shifts: commander, handoff, scribe, SMEs, unassign, and who may
// replace whom.
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {
std::vector<shift> shifts_of(const incident& inc, role r) {
    std::vector<shift> out;
    for (const auto& s : inc.shifts)
        if (s.held == r) out.push_back(s);
    return out;
}
}  // namespace

TEST_CASE("a commander on shift can only be replaced by themselves or an admin", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    auto room = h.room_of(n);
    h.advance(10min);

    SECTION("another user is refused and nothing changes") {
        auto before = h.inc(n);
        h.slash("sam", room, "commander @sam");
        CHECK(h.told("sam", "@maya is commander of INC-1"));
        CHECK(h.last.incidents.empty());
        CHECK(h.last.entries.empty());
        CHECK(h.inc(n) == before);
        h.slash("sam", room, "ic @dev");
        CHECK(h.told("sam", "only they or an admin"));
        CHECK(h.inc(n).commander()->user.id == "maya");
    }
    SECTION("the commander can hand the role over") {
        h.slash("maya", room, "commander @sam");
        const auto& inc = h.inc(n);
        REQUIRE(inc.commander() != nullptr);
        CHECK(inc.commander()->user.id == "sam");
        CHECK(inc.commander()->start == h.now());
        CHECK(inc.commander()->assigned_by.id == "maya");
        auto cs = shifts_of(inc, role::commander);
        REQUIRE(cs.size() == 2);
        CHECK(cs[0].user.id == "maya");
        CHECK(cs[0].end == h.now());
        CHECK(cs[0].ended_by.id == "maya");
        // commander_assigned is the first assignment.
        CHECK(inc.times.commander_assigned == inc.times.declared);
        CHECK(h.posted("@sam is now commander of INC-1 (taking over from @maya)."));
        auto role_entries = h.system_entries("role");
        REQUIRE(role_entries.size() == 1);
        CHECK(role_entries[0].author.id == "maya");
        CHECK(role_entries[0].text.find("@maya → @sam") != std::string::npos);
        // The topic follows.
        auto topic = h.out(outbound_op::set_topic);
        REQUIRE(topic.size() == 1);
        CHECK(topic[0].body.plain().find("Commander @sam") != std::string::npos);
    }
    SECTION("an admin can replace the commander") {
        h.slash("admin", room, "commander @sam");
        CHECK(h.inc(n).commander()->user.id == "sam");
        CHECK(shifts_of(h.inc(n), role::commander)[0].ended_by.id == "admin");
    }
    SECTION("naming the current commander again changes nothing") {
        h.slash("maya", room, "commander @maya");
        CHECK(h.told("maya", "already the commander"));
        CHECK(h.last.incidents.empty());
    }
}

TEST_CASE("anyone may take an empty commander role", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    auto room = h.room_of(n);
    // An incident whose commander shift has ended (as a restored state may have it).
    auto inc = h.inc(n);
    inc.shifts.back().end = h.now();
    h.state.incidents[n] = inc;
    REQUIRE(h.inc(n).commander() == nullptr);

    h.slash("sam", room, "commander @sam");
    REQUIRE(h.inc(n).commander() != nullptr);
    CHECK(h.inc(n).commander()->user.id == "sam");
    CHECK(h.posted("@sam is now commander of INC-1."));
    CHECK(h.system_entries("role").at(0).text.find("nobody → @sam") != std::string::npos);
}

TEST_CASE("handoff posts a briefing, ends the old shift and starts the new one", "[commands]") {
    harness h;
    auto n = h.open("maya", "Checkout 5xx --sev 1");
    auto room = h.room_of(n);
    h.say("maya", room, cmd("hypothesis bad release 2026.11.3"));
    h.say("maya", room, cmd("hypothesis connection pool exhausted"));
    h.say("dev", room, cmd("rule-out H2 pool at 40%"));
    h.say("maya", room, cmd("decision roll back 2026.11.3"));
    h.say("maya", room, cmd("deadend restarting pods did nothing"));
    h.say("maya", room, cmd("scribe @sam"));
    h.say("maya", room, cmd("action add canary alerts @dev due 2026-12-01"));
    h.advance(2h);

    h.say("maya", room, cmd("handoff @lena"));
    const auto& inc = h.inc(n);
    REQUIRE(inc.commander() != nullptr);
    CHECK(inc.commander()->user.id == "lena");
    CHECK(inc.commander()->start == h.now());
    auto cs = shifts_of(inc, role::commander);
    REQUIRE(cs.size() == 2);
    CHECK(cs[0].user.id == "maya");
    CHECK(cs[0].end == h.now());
    CHECK(h.system_entries("handoff").size() == 1);

    // The briefing comes first, in the incident room.
    std::string briefing;
    for (const auto& o : h.last.outbox)
        if (o.op == outbound_op::post && o.body.plain().find("Handoff briefing") != std::string::npos) {
            briefing = o.body.plain();
            CHECK(o.room == h.room(room));
            break;
        }
    REQUIRE_FALSE(briefing.empty());
    INFO(briefing);
    CHECK(briefing.find("INC-1") != std::string::npos);
    CHECK(briefing.find("Investigating") != std::string::npos);
    CHECK(briefing.find("SEV1") != std::string::npos);
    CHECK(briefing.find("H1 bad release 2026.11.3") != std::string::npos);           // open hypothesis
    CHECK(briefing.find("H2 connection pool exhausted — pool at 40%") != std::string::npos);  // ruled out
    CHECK(briefing.find("Dead end: restarting pods did nothing") != std::string::npos);
    CHECK(briefing.find("roll back 2026.11.3") != std::string::npos);                // decision
    CHECK(briefing.find("scribe @sam") != std::string::npos);                        // who does what
    CHECK(briefing.find("A1 add canary alerts — @dev due 2026-12-01") != std::string::npos);
    CHECK(briefing.find("Next update due") != std::string::npos);
    CHECK(h.posted("@lena is now commander of INC-1 (taking over from @maya)."));
}

TEST_CASE("handoff is for the commander or an admin", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    auto room = h.room_of(n);
    h.slash("sam", room, "handoff @sam");
    CHECK(h.told("sam", "Only the current commander or an admin can use `handoff`"));
    CHECK(h.inc(n).commander()->user.id == "maya");
    CHECK(h.out(outbound_op::post).empty());  // no briefing for a refused handoff

    h.slash("admin", room, "handoff @sam");
    CHECK(h.inc(n).commander()->user.id == "sam");
    CHECK(h.posted("Handoff briefing"));
}

TEST_CASE("scribe: assign, replace, history kept", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    auto room = h.room_of(n);
    h.slash("dev", room, "scribe @sam");
    REQUIRE(h.inc(n).scribe() != nullptr);
    CHECK(h.inc(n).scribe()->user.id == "sam");
    CHECK(h.inc(n).scribe()->assigned_by.id == "dev");
    CHECK(h.posted("@sam is now scribe of INC-1."));
    CHECK(h.out(outbound_op::set_topic).at(0).body.plain().find("Scribe @sam") != std::string::npos);

    h.advance(45min);
    h.slash("maya", room, "scribe @lena");
    auto ss = shifts_of(h.inc(n), role::scribe);
    REQUIRE(ss.size() == 2);
    CHECK(ss[0].user.id == "sam");
    CHECK(ss[0].end == h.now());
    CHECK(ss[0].ended_by.id == "maya");
    CHECK(ss[1].user.id == "lena");
    CHECK(ss[1].open());
    CHECK(h.system_entries("role").at(0).text.find("@sam → @lena") != std::string::npos);

    h.slash("maya", room, "scribe @lena");
    CHECK(h.told("maya", "already the scribe"));
    CHECK(shifts_of(h.inc(n), role::scribe).size() == 2);
}

TEST_CASE("sme: several experts with areas — unassign ends a shift", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    auto room = h.room_of(n);
    h.slash("maya", room, "sme @dana database replication");
    h.slash("maya", room, "sme @priya");
    auto smes = h.inc(n).smes();
    REQUIRE(smes.size() == 2);
    CHECK(smes[0]->user.id == "dana");
    CHECK(smes[0]->area == "database replication");
    CHECK(smes[1]->area.empty());
    CHECK(h.posted("@priya joins INC-1 as SME."));

    SECTION("the same person with a new area gets a new shift") {
        h.slash("maya", room, "sme @dana network");
        auto all = shifts_of(h.inc(n), role::sme);
        REQUIRE(all.size() == 3);
        CHECK_FALSE(all[0].open());
        CHECK(all[2].area == "network");
        h.slash("maya", room, "sme @dana network");
        CHECK(h.told("maya", "already an SME"));
    }
    SECTION("unassign sme") {
        h.advance(5min);
        h.slash("sam", room, "unassign sme @dana");
        auto smes_now = h.inc(n).smes();
        REQUIRE(smes_now.size() == 1);
        CHECK(smes_now[0]->user.id == "priya");
        auto all = shifts_of(h.inc(n), role::sme);
        CHECK(all[0].end == h.now());
        CHECK(all[0].ended_by.id == "sam");
        CHECK(h.posted("@dana is no longer sme."));
        h.slash("sam", room, "unassign sme @dana");
        CHECK(h.told("sam", "@dana holds no sme shift"));
    }
    SECTION("unassign scribe") {
        h.slash("maya", room, "scribe @sam");
        h.slash("maya", room, "unassign scribe @sam");
        CHECK(h.inc(n).scribe() == nullptr);
        CHECK(h.out(outbound_op::set_topic).at(0).body.plain().find("Scribe none") != std::string::npos);
    }
    SECTION("a commander steps down only by themselves or an admin") {
        h.slash("sam", room, "unassign commander @maya");
        CHECK(h.told("sam", "Only @maya or an admin can end that commander shift; to take over use `handoff`."));
        REQUIRE(h.inc(n).commander() != nullptr);
        CHECK(h.inc(n).commander()->user.id == "maya");
        h.slash("maya", room, "unassign commander @maya");
        CHECK(h.inc(n).commander() == nullptr);
        CHECK(h.posted("@maya is no longer commander. Someone take command: !incident commander @you"));
        CHECK(h.out(outbound_op::set_topic).at(0).body.plain().find("Commander none") != std::string::npos);
        // Anyone may take the empty role.
        h.slash("sam", room, "commander @sam");
        REQUIRE(h.inc(n).commander() != nullptr);
        CHECK(h.inc(n).commander()->user.id == "sam");
    }
}

TEST_CASE("roles shows who holds what and for how long", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    auto room = h.room_of(n);
    h.slash("maya", room, "scribe @sam");
    h.slash("maya", room, "scribe @lena");
    h.slash("maya", room, "sme @dana database");
    h.advance(1h + 5min);
    h.slash("dev", room, "roles");
    auto e = h.only_ephemeral();
    auto text = e.body.plain();
    INFO(text);
    CHECK(e.to_user.id == "dev");
    CHECK(text.find("commander: @maya since 14:00 UTC (1h 05m)") != std::string::npos);
    CHECK(text.find("scribe: @lena") != std::string::npos);
    CHECK(text.find("sme (database): @dana") != std::string::npos);
    CHECK(text.find("@sam") == std::string::npos);
    CHECK(text.find("1 earlier shift in the history") != std::string::npos);
    CHECK(h.last.incidents.empty());
}

TEST_CASE("new role holders are invited to the incident room", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    auto room = h.room_of(n);
    struct row { const char* command; const char* user; };
    for (auto r : {row{"scribe @sam", "sam"}, row{"sme @dana database", "dana"}, row{"commander @lena", "lena"},
                   row{"handoff @priya", "priya"}}) {
        INFO(r.command);
        h.slash(r.command[0] == 'h' ? "lena" : "maya", room, r.command);
        auto inv = h.out(outbound_op::invite);
        REQUIRE(inv.size() == 1);
        CHECK(inv[0].invite == std::vector<user_ref>{user_ref{r.user}});
        CHECK(inv[0].target == target_kind::room);
        CHECK(inv[0].room == h.room(room));
        CHECK(inv[0].incident.n == n);
    }
    SECTION("a refused assignment invites nobody") {
        h.slash("sam", room, "commander @dev");
        CHECK(h.out(outbound_op::invite).empty());
    }
    SECTION("before the room exists the invite goes to the incident's room once opened") {
        h.say("maya", "#general", cmd("declare Cache down"));
        h.slash("maya", "#general", "INC-2 scribe @sam");
        auto inv = h.out(outbound_op::invite);
        REQUIRE(inv.size() == 1);
        CHECK(inv[0].target == target_kind::incident_room);
        CHECK(inv[0].incident.n == 2);
    }
}

TEST_CASE("a change of commander asks each incident room for the new moderator, not at close", "[commands][roles]") {
    with_incident w("Checkout 5xx", false);
    auto& h = w.h;
    auto mods = [&] { return h.out(outbound_op::moderator); };
    // Nothing for a command that leaves the commander as they were.
    h.say("maya", w.room, cmd("scribe @sam"));
    CHECK(mods().empty());
    h.say("maya", w.room, cmd("handoff @dana"));
    auto m = mods();
    REQUIRE(m.size() == 1);
    CHECK(m[0].room == h.room(w.room));
    CHECK(m[0].invite == std::vector<user_ref>{user_ref{"dana"}});
    CHECK(m[0].to_user == user_ref{"maya"});
    h.say("dana", w.room, cmd("unassign commander @dana"));
    m = mods();
    REQUIRE(m.size() == 1);
    CHECK(m[0].invite.empty());
    CHECK(m[0].to_user == user_ref{"dana"});
    h.say("maya", w.room, cmd("commander @maya"));
    h.say("maya", w.room, cmd("status resolved"));
    h.say("maya", w.room, cmd("close"));
    CHECK(h.inc(w.n).is_closed());
    CHECK(mods().empty());
}
