// Every reply firebreak writes, rendered as Slack mrkdwn, must format the way it reads:
// a `*`/`_`/`` ` `` opens only before a non-space and closes only after one, so a label
// rendered "*Impact: *" shows its stars. The replies come from a whole incident driven
// through the dispatcher, so a new template is checked as soon as a command sends it.
#include "adapters/slack/slack_render.hpp"
#include "tests/commands/harness.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <vector>

using namespace firebreak;
using namespace firebreak::test;

namespace {

bool space(char c) { return c == ' ' || c == '\n' || c == '\t'; }
bool word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// What is wrong with `m` as mrkdwn, or empty. `<…>` (mentions, links) is skipped; inside
// `code` no other marker counts; an `_` between two letters is part of a word, as Slack reads it.
std::string mrkdwn_problem(const std::string& m) {
    bool open[3] = {false, false, false};  // *, _, `
    const std::string markers = "*_`";
    for (std::size_t i = 0; i < m.size(); ++i) {
        char c = m[i];
        if (c == '<' && !open[2]) {
            auto close = m.find('>', i);
            if (close == std::string::npos) return "unclosed < at " + std::to_string(i);
            i = close;
            continue;
        }
        auto k = markers.find(c);
        if (k == std::string::npos) continue;
        if (open[2] && c != '`') continue;
        char before = i ? m[i - 1] : ' ';
        char after = i + 1 < m.size() ? m[i + 1] : ' ';
        if (c == '_' && word(before) && word(after)) continue;
        if (!open[k]) {
            if (space(after)) return std::string("'") + c + "' opens before a space at " + std::to_string(i);
            if (word(before)) return std::string("'") + c + "' opens inside a word at " + std::to_string(i);
            open[k] = true;
        } else {
            if (space(before)) return std::string("'") + c + "' closes after a space at " + std::to_string(i);
            if (word(after)) return std::string("'") + c + "' closes inside a word at " + std::to_string(i);
            open[k] = false;
        }
    }
    for (std::size_t k = 0; k < 3; ++k)
        if (open[k]) return std::string("'") + markers[k] + "' never closed";
    return {};
}

}  // namespace

TEST_CASE("the mrkdwn checker itself tells good from bad", "[slack]") {
    CHECK(mrkdwn_problem("*Impact:* checkout 5xx").empty());
    CHECK(mrkdwn_problem("_Evidence:_ p99 `x = 2` <@U1> new_user").empty());
    CHECK_FALSE(mrkdwn_problem("*Impact: *checkout").empty());
    CHECK_FALSE(mrkdwn_problem("_Evidence: _rising").empty());
    CHECK_FALSE(mrkdwn_problem("*open").empty());
}

TEST_CASE("labels render with their markers closed: *Impact:* …", "[slack]") {
    rich_text t;
    t.bold("Impact: ").text("checkout 5xx").line().italic("Evidence: ").text("p99 rising").line().bold("Handoff — ").bold("INC-1");
    auto m = slack::to_mrkdwn(t);
    CHECK(m.find("*Impact:* checkout 5xx") != std::string::npos);
    CHECK(m.find("_Evidence:_ p99 rising") != std::string::npos);
    CHECK(m.find("*Handoff — INC-1*") != std::string::npos);
    rich_text empty;
    empty.text("a ").bold(" ").text("b");
    CHECK(slack::to_mrkdwn(empty) == "a  b");
}

TEST_CASE("every reply of a whole incident is well-formed mrkdwn", "[slack]") {
    harness h;
    h.platform = "slack";
    h.settings.announcement_rooms["slack"] = h.room("CANNOUNCE");
    std::vector<rich_text> said;
    auto keep = [&] {
        for (const auto& o : h.last.outbox)
            if (!o.body.empty()) said.push_back(o.body);
    };
    h.say("maya", "CGENERAL", cmd("help"));
    keep();
    auto n = h.open("maya", "Checkout 5xx for EU users --sev 2");
    keep();
    auto room = h.room_of(n);
    for (const char* c : {"scribe dana", "sme lena database", "roles", "status investigating",
                          "update impact: 4% of checkouts fail; actions: failing over; needs: a DBA; next: 30m",
                          "hypothesis connection pool exhausted", "rule-out H1 pool is at 40%", "hypothesis bad release",
                          "confirm H2", "decision roll back 2026.11.3", "deadend restarting pods", "change feature flag off",
                          "action add a pool alarm", "impact-started 13:40", "sev 1", "timeline", "handoff dana",
                          "status mitigated", "snooze 30m", "help", "close", "postmortem", "reopen", "list"}) {
        h.say("maya", room, cmd(c));
        keep();
    }
    h.say("dana", room, "the pool graph is flat");
    keep();
    h.run_for(std::chrono::hours(3));  // update and rotation nudges
    for (const auto& s : h.sent)
        for (const auto& o : s.c.outbox) said.push_back(o.body);
    REQUIRE(said.size() > 20);
    for (const auto& t : said) {
        auto m = slack::to_mrkdwn(t);
        INFO(m);
        CHECK(mrkdwn_problem(m).empty());
    }
}
