// The numbers in the postmortem are right: both clocks, seconds kept, counts in words
// that agree with them, and a reopen shown as the impact coming back.
#include "postmortem/chart.hpp"
#include "postmortem/markdown.hpp"
#include "tests/commands/harness.hpp"
#include "tests/postmortem/sections.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {

// A section that must be there.
std::string section(const std::string& md, const std::string& title) {
    auto text = firebreak::testing::section_text(md, title);
    REQUIRE_FALSE(text.empty());
    return text;
}

draft_source source_of(const harness& h, std::int64_t n) {
    draft_source src;
    src.inc = h.inc(n);
    src.entries.assign(h.tail(n).begin(), h.tail(n).end());
    return src;
}

}  // namespace

TEST_CASE("a reopened incident shows the impact coming back, in the Impact section and on the chart",
          "[postmortem]") {
    harness h;
    h.settings.timeline_tail = 1000;
    auto n = h.open("maya", "checkout errors");
    auto room = h.room_of(n);
    h.say("maya", room, cmd("impact-started 13:50"));
    h.say("maya", room, cmd("update impact: 5% of checkouts fail; next: 15m"));
    h.advance(28min + 40s);
    h.say("maya", room, cmd("status mitigated"));
    h.advance(10min);
    h.say("maya", room, cmd("status resolved"));
    h.advance(20min);
    h.say("maya", room, cmd("reopen errors are back in eu-west"));
    h.advance(12min + 5s);
    h.say("maya", room, cmd("status mitigated"));
    h.say("sam", room, "#decision keep the old pool size");
    auto src = source_of(h, n);
    auto md = postmortem_markdown(src);

    auto impact = section(md, "Impact");
    INFO(impact);
    CHECK_THAT(impact, Catch::Contains("Impact came back: reopened 2026-11-22 14:58:40Z by @maya (errors are back in "
                                       "eu-west); mitigated again 2026-11-22 15:10:45Z, 12m 05s later."));
    auto times = section(md, "Key times and metrics");
    INFO(times);
    CHECK_THAT(times, Catch::Contains("| Time to mitigate (from impact start) | 38m 40s |") &&
                          Catch::Contains("| Time to mitigate (from declaration) | 28m 40s |"));
    // Counts agree with their numbers.
    CHECK_THAT(section(md, "Summary"), Catch::Contains("1 decision,") && Catch::Contains("1 status update,") &&
                                           Catch::Contains("0 action items.") && Catch::Contains("from 2 people"));

    // The chart marks the reopen and the update that fell overdue (promised 14:15, none came).
    auto svg = timeline_chart_svg(src, facts_of(src));
    CHECK_THAT(svg, Catch::Contains("<title>Reopened 2026-11-22 14:58:40Z</title>"));
    CHECK_THAT(svg, Catch::Contains("<title>Status update overdue since 2026-11-22 14:15:00Z</title>"));
}

TEST_CASE("the postmortem timeline shows each command once, as its effect, and leaves read-only queries out",
          "[postmortem]") {
    harness h;
    auto n = h.open("maya", "checkout errors");
    auto room = h.room_of(n);
    h.say("maya", room, cmd("roles"));
    h.say("maya", room, cmd("timeline 3"));
    h.say("maya", room, cmd("help"));
    h.say("maya", room, cmd("sev 1 spreading"));
    h.say("sam", room, "looking at the pool");
    auto src = source_of(h, n);
    std::size_t commands = 0;
    for (const auto& e : src.entries)
        if (e.tag == "command") ++commands;
    CHECK(commands == 4);  // the store keeps every message
    auto tl = section(postmortem_markdown(src), "Timeline");
    INFO(tl);
    CHECK_THAT(tl, !Catch::Contains("!incident"));
    CHECK_THAT(tl, Catch::Contains("SEV2 → SEV1: spreading"));
    CHECK_THAT(tl, Catch::Contains("looking at the pool"));
    CHECK_THAT(tl, Catch::Contains("The 4 commands typed in the room appear once each"));
}
