// Private incidents are sealed: every command and interaction, asked by a member, an
// outsider and an admin, about a public and a private incident. One rule decides
// (bot/core/visibility.hpp); these tests hold every reader to it.
#include "tests/commands/harness.hpp"

#include "bot/core/visibility.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {

constexpr const char* secret_title = "leaked deploy token";

// One incident declared by maya in #general, with its room bound; dana was made SME
// (so she is a member), zed has nothing to do with it, "admin" is a configured admin.
struct sealed_world {
    harness h;
    std::int64_t n = 0;
    std::string room;
    explicit sealed_world(bool is_private) {
        h.settings.announcement_rooms["console"] = h.room("#incidents");
        n = h.open("maya", std::string(secret_title) + (is_private ? " --private" : ""));
        room = h.room_of(n);
        h.say("maya", room, cmd("sme @dana database"));
        h.say("maya", room, cmd("hypothesis token pasted in a public gist"));
    }
};

// Every command that names an incident, with arguments that make it do something.
struct probe {
    const char* name;
    const char* args;
};
const std::vector<probe>& probes() {
    static const std::vector<probe> all = {
        {"commander", "@dana"},           {"handoff", "@dana"},
        {"scribe", "@zed"},               {"sme", "@zed network"},
        {"unassign", "sme @dana"},        {"sev", "1 spreading"},
        {"status", "identified"},         {"update", "impact: none yet; next: 30m"},
        {"impact-started", "13:50"},      {"detected", "13:55"},
        {"hypothesis", "rotated keys reused"},
        {"confirm", "H1 gist found"},     {"rule-out", "H1 nothing there"},
        {"decision", "rotate every key"}, {"deadend", "audit log empty"},
        {"change", "revoked token 7"},    {"action", "scan gists @dana"},
        {"timeline", "5"},                {"roles", ""},
        {"snooze", "update 30m"},         {"close", ""},
        {"reopen", "it came back"},       {"postmortem", ""},
    };
    return all;
}

// Whether anything of the last change could be read in `room` by someone who is not
// the asker: a post there, or an ephemeral that would fall back to being posted there.
bool leaks_into(const harness& h, const std::string& room) {
    for (const auto& o : h.last.outbox) {
        if (o.target != target_kind::room || o.room != h.room(room)) continue;
        if (o.op == outbound_op::post) return true;
        if (o.op == outbound_op::ephemeral && o.fallback == ephemeral_fallback::reply_in_room) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("every command about a private incident, from outside its room: outsiders learn nothing, members and "
          "admins are answered privately", "[commands][privacy]") {
    for (bool is_private : {false, true}) {
        for (const char* who : {"dana", "zed", "admin"}) {
            for (const auto& p : probes()) {
                for (bool slash : {false, true}) {
                    sealed_world w(is_private);
                    auto& h = w.h;
                    const auto before = h.state;
                    std::string text = fmt::format("INC-{} {} {}", w.n, p.name, p.args);
                    INFO((is_private ? "private" : "public") << " · " << who << " · " << text
                                                             << (slash ? " (slash command)" : " (message)"));
                    if (slash) h.slash(who, "#ops", text);
                    else h.say(who, "#ops", cmd(text));
                    const bool outsider = is_private && std::string(who) == "zed";
                    if (outsider) {
                        // The same answer, word for word, as for an incident that does not exist.
                        auto e = h.only_ephemeral();
                        CHECK(e.to_user.id == who);
                        CHECK(e.body.plain() == not_visible_line(w.n));
                        CHECK(h.last.outbox.size() == 1);
                        CHECK(h.last.entries.empty());
                        CHECK(h.last.incidents.empty());
                        CHECK(h.state.incidents == before.incidents);
                        continue;
                    }
                    CHECK_FALSE(h.told(who, "you can see"));
                    if (is_private) {
                        // #ops hears nothing: answers go to the asker alone, and on a platform
                        // without ephemeral messages to the incident's own room.
                        CHECK_FALSE(leaks_into(h, "#ops"));
                        for (const auto& a : h.announcements())
                            CHECK(a.body.plain().find(secret_title) == std::string::npos);
                    }
                }
            }
        }
    }
}

TEST_CASE("a private incident's id cannot be probed: its answer equals a missing incident's", "[commands][privacy]") {
    sealed_world w(true);
    auto& h = w.h;
    h.say("zed", "#ops", cmd("INC-1 timeline"));
    auto seen = h.only_ephemeral().body.plain();
    h.say("zed", "#ops", cmd("INC-99 timeline"));
    CHECK(h.only_ephemeral().body.plain() == "There is no INC-99 you can see.");
    CHECK(seen == "There is no INC-1 you can see.");
}

TEST_CASE("list shows a private incident only to those who may see it, and never its title", "[commands][privacy]") {
    sealed_world w(true);
    auto& h = w.h;
    h.open("maya", "public checkout errors");
    h.say("zed", "#ops", cmd("list"));
    auto outsider = h.only_ephemeral().body.plain();
    INFO(outsider);
    CHECK(outsider.find("1 open incident") != std::string::npos);
    CHECK(outsider.find("INC-1") == std::string::npos);
    CHECK(outsider.find("public checkout errors") != std::string::npos);
    for (const char* who : {"dana", "admin", "maya"}) {
        h.say(who, "#ops", cmd("list"));
        auto member = h.only_ephemeral().body.plain();
        INFO(who << ": " << member);
        CHECK(member.find("2 open incidents") != std::string::npos);
        CHECK(member.find("🔒 INC-1 · SEV2 · Investigating (private incident") != std::string::npos);
        CHECK(member.find(secret_title) == std::string::npos);
    }
}

TEST_CASE("the declare echo of a private incident names no title — the declarer alone gets the details",
          "[commands][privacy]") {
    harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    h.say("maya", "#general", cmd(std::string("declare ") + secret_title + " --private --sev 1 --commander @dana"));
    for (const auto& o : h.last.outbox) {
        if (o.op == outbound_op::open_room || o.op == outbound_op::set_topic) continue;
        bool in_general = o.target == target_kind::room && o.room == h.room("#general");
        bool announced = o.target == target_kind::announcement;
        if (!in_general && !announced) continue;
        INFO(o.body.plain());
        if (o.op == outbound_op::post) CHECK(o.body.plain().find(secret_title) == std::string::npos);
        if (o.op == outbound_op::ephemeral) {
            CHECK(o.to_user.id == "maya");
            CHECK(o.fallback == ephemeral_fallback::incident_room);
            CHECK(o.body.plain().find(secret_title) != std::string::npos);
        }
    }
    CHECK(h.posted("🔒 INC-1 declared (private)"));
    CHECK(h.told("maya", secret_title));
    const auto& inc = h.inc(1);
    CHECK(inc.members == std::set<user_ref>{user_ref{"maya"}, user_ref{"dana"}});
}

TEST_CASE("membership is the platform's: joining grants access to a private incident, leaving ends it",
          "[commands][privacy]") {
    sealed_world w(true);
    auto& h = w.h;
    auto member_event = [&](const std::string& user, event_kind kind) {
        chat_event ev;
        ev.kind = kind;
        ev.room = h.room(w.room);
        ev.user = user_ref{user};
        ev.at = h.now();
        h.feed(ev);
    };
    // dana was invited as SME: she sees it from anywhere.
    h.say("dana", "#ops", cmd("INC-1 roles"));
    CHECK_FALSE(h.told("dana", "you can see"));
    // She leaves the room: from then on it is as if it did not exist.
    member_event("dana", event_kind::member_left);
    REQUIRE(h.system_entries("access").size() == 1);
    CHECK(h.system_entries("access")[0].text == "@dana left the room and no longer sees INC-1");
    CHECK(h.inc(w.n).members.count(user_ref{"dana"}) == 0);
    h.say("dana", "#ops", cmd("INC-1 timeline"));
    CHECK(h.told("dana", "There is no INC-1 you can see."));
    h.say("dana", "#ops", cmd("list"));
    CHECK(h.told("dana", "No open incidents."));
    // zed is let in by someone on the platform: now he may see it.
    member_event("zed", event_kind::member_joined);
    CHECK(h.inc(w.n).members.count(user_ref{"zed"}) == 1);
    h.say("zed", "#ops", cmd("INC-1 timeline"));
    CHECK_FALSE(h.told("zed", "you can see"));
    CHECK(h.only_ephemeral().fallback == ephemeral_fallback::incident_room);
    // A second leave of the same person changes nothing.
    member_event("dana", event_kind::member_left);
    CHECK(h.last.empty());
}

TEST_CASE("whoever speaks in a private incident's room is a member, and role changes from outside invite only by "
          "members", "[commands][privacy]") {
    sealed_world w(true);
    auto& h = w.h;
    h.say("zed", "#ops", cmd("INC-1 scribe @zed"));
    CHECK(h.out(outbound_op::invite).empty());
    CHECK_FALSE(h.inc(w.n).scribe());
    // Someone the platform let into the room (a join we never heard of) speaks there.
    h.say("lee", w.room, "checking the audit log");
    CHECK(h.inc(w.n).members.count(user_ref{"lee"}) == 1);
    h.say("lee", "#ops", cmd("INC-1 scribe @lee"));
    REQUIRE(h.inc(w.n).scribe());
    CHECK(h.inc(w.n).scribe()->user.id == "lee");
    CHECK_FALSE(leaks_into(h, "#ops"));
}

TEST_CASE("a public incident stays open to everyone and answers in the room it was asked in", "[commands][privacy]") {
    sealed_world w(false);
    auto& h = w.h;
    h.say("zed", "#ops", cmd("INC-1 sev 1 spreading to eu"));
    CHECK(h.inc(w.n).sev == severity::sev1);
    CHECK(h.posted("INC-1 severity SEV2 → SEV1"));
    bool in_ops = false;
    for (const auto& o : h.last.outbox)
        if (o.op == outbound_op::post && o.room == h.room("#ops")) in_ops = true;
    CHECK(in_ops);
}

TEST_CASE("nudges and the announcement room of a private incident never name its title", "[commands][privacy]") {
    sealed_world w(true);
    auto& h = w.h;
    h.say("maya", w.room, cmd("unassign commander @maya"));
    h.run_for(std::chrono::hours{3});
    REQUIRE_FALSE(h.sent.empty());
    for (const auto& s : h.sent)
        for (const auto& o : s.c.outbox) {
            INFO(s.n.kind << ": " << o.body.plain());
            if (o.target == target_kind::announcement) CHECK(o.body.plain().find(secret_title) == std::string::npos);
            else CHECK(o.incident.n == w.n);
        }
}
