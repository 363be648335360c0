// What differs by platform in what firebreak says: hints spell the command the way
// people there type it, the topic shows an overdue update, and the declare confirmation
// links the incident room.
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {

// Every piece of inline code in the outbound messages of a change: where hints live.
std::vector<std::string> code_spans(const change& c) {
    std::vector<std::string> out;
    for (const auto& o : c.outbox)
        for (const auto& s : o.body.spans())
            if (s.look == span::style::code) out.push_back(s.text);
    return out;
}

// Whether a hint names the command: starts with a prefix, any.
bool names_command(const std::string& code) { return code.rfind("!incident", 0) == 0 || code.rfind("/incident", 0) == 0; }

}  // namespace

TEST_CASE("on Slack every hint spells the slash command, elsewhere the prefix", "[commands]") {
    auto platform = GENERATE(std::string("slack"), std::string("console"));
    const std::string want = platform == "slack" ? "/incident" : "!incident";
    INFO(platform);
    harness h;
    h.platform = platform;
    h.settings.command_forms["slack"] = "/incident";
    h.settings.announcement_rooms[platform] = h.room("#incidents");
    std::vector<std::string> hints;
    auto collect = [&] {
        for (auto& c : code_spans(h.last))
            if (names_command(c)) hints.push_back(c);
    };
    // Typed either way, the answers read the same.
    auto n = h.open("maya", "Checkout errors --sev 1");
    collect();
    auto room = h.room_of(n);
    h.say("maya", room, cmd("unassign commander"));
    collect();
    h.say("maya", room, cmd("sev"));  // a usage problem
    collect();
    h.slash("maya", room, "help");
    collect();
    h.slash("maya", room, "help update");
    collect();
    // Four hours of nudges: update, no commander, no scribe, rotation, what changed.
    h.run_for(std::chrono::hours{4});
    for (const auto& s : h.sent)
        for (auto& c : code_spans(s.c))
            if (names_command(c)) hints.push_back(c);
    REQUIRE(hints.size() > 10);
    for (const auto& hint : hints) {
        INFO(hint);
        CHECK(hint.rfind(want + " ", 0) == 0);
    }
    // Messages typed with the prefix are still commands on Slack.
    h.say("maya", room, cmd("commander @dana"));
    CHECK(h.inc(n).commander()->user.id == "dana");
}

TEST_CASE("the topic says the update is overdue once the reminder fires, and not after the update",
          "[commands][nudges]") {
    with_incident w("Checkout 5xx", false);  // SEV2: an update every 30 minutes
    auto& h = w.h;
    auto due = *h.inc(w.n).next_update_due;
    CHECK(h.out(outbound_op::set_topic).empty());  // nothing changed since the declare
    h.run_until(due);
    auto topic = h.out(outbound_op::set_topic);
    REQUIRE(topic.size() == 1);
    CHECK(topic[0].body.plain().find("Next update " + format_hhmm(due) + " UTC (overdue)") != std::string::npos);
    // The escalation ten minutes later sets no topic again: it would read the same.
    h.run_for(std::chrono::minutes{10});
    REQUIRE_FALSE(h.sent.empty());
    CHECK(h.out(outbound_op::set_topic).empty());
    // The update moves the time and the mark goes.
    h.say("maya", w.room, cmd("update impact: checkout failing for some; next: 30m"));
    topic = h.out(outbound_op::set_topic);
    REQUIRE(topic.size() == 1);
    CHECK(topic[0].body.plain().find("(overdue)") == std::string::npos);
    CHECK(topic[0].body.plain().find("Next update " + format_hhmm(h.now() + std::chrono::minutes{30}) + " UTC") !=
          std::string::npos);
}

TEST_CASE("the declare confirmation and announcement link the room, a private announcement does not",
          "[commands][privacy]") {
    harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    h.say("maya", "#general", cmd("declare Checkout errors"));
    auto link_in = [](const outbound& o) {
        for (const auto& s : o.body.spans())
            if (s.look == span::style::room) return s.text;
        return std::string{};
    };
    bool ack = false, announced = false;
    for (const auto& o : h.last.outbox) {
        if (o.op != outbound_op::post) continue;
        if (o.target == target_kind::room && o.room == h.room("#general")) {
            ack = true;
            CHECK(link_in(o) == "inc-1-checkout-errors");
            CHECK(o.incident.n == 1);  // delivery finds the room through it
            CHECK(o.body.plain().find("Join #inc-1-checkout-errors to work it.") != std::string::npos);
        }
        if (o.target == target_kind::announcement) {
            announced = true;
            CHECK(link_in(o) == "inc-1-checkout-errors");
        }
    }
    CHECK(ack);
    CHECK(announced);

    h.say("maya", "#general", cmd("declare Payroll leak --private"));
    for (const auto& o : h.last.outbox)
        if (o.target == target_kind::announcement) CHECK(link_in(o).empty());
}
