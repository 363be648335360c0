// The HTML draft: the same sections as the Markdown, one self-contained page that
// prints, an SVG chart that parses as XML, and hostile text kept inert.
#include "postmortem/chart.hpp"
#include "postmortem/escape.hpp"
#include "postmortem/html.hpp"
#include "tests/postmortem/fixtures.hpp"

using namespace firebreak;
using namespace firebreak::testing;
using namespace std::chrono_literals;

namespace {

// Positions of each section heading in the page, in draft order; npos where missing.
std::vector<std::size_t> heading_positions(const std::string& html) {
    std::vector<std::size_t> at;
    for (auto title : draft_sections) at.push_back(html.find("<h2>" + html_text(title) + "</h2>"));
    return at;
}

std::size_t count(const std::string& hay, std::string_view needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
    return n;
}

}  // namespace

TEST_CASE("the HTML draft has the same sections as the Markdown, in order", "[postmortem][html]") {
    replayed_example ex;
    auto html = postmortem_html(ex.source());
    CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
    CHECK_THAT(html, Catch::Contains("<h1>INC-1: Checkout API 5xx after release 2026.11.3 — postmortem draft</h1>"));
    CHECK_THAT(html, Catch::Contains("<blockquote><p>This is a blameless postmortem draft."));
    auto at = heading_positions(html);
    for (std::size_t i = 0; i < at.size(); ++i) {
        INFO(draft_sections[i]);
        REQUIRE(at[i] != std::string::npos);
        if (i > 0) CHECK(at[i - 1] < at[i]);
    }
    CHECK(count(html, "<h2>") == draft_sections.size());
    // The chart sits in "Key times and metrics".
    auto chart = html.find("<svg");
    REQUIRE(chart != std::string::npos);
    CHECK(at[2] < chart);
    CHECK(chart < at[3]);
    // Timeline rows: one per entry, system and highlighted rows marked for the stylesheet.
    auto entries = ex.store.timeline(ex.inc().id);
    CHECK(count(html, "<tr class=\"system") == std::size_t(std::count_if(
                                                    entries.begin(), entries.end(),
                                                    [](const auto& e) { return e.kind == entry_kind::system; })));
    CHECK(count(html, "highlight\">") == 2);
    CHECK_THAT(html, Catch::Contains("<tr class=\"deleted\">") && Catch::Contains("<em>(deleted)</em>"));
}

TEST_CASE("an empty incident's HTML keeps every section with its one-liner", "[postmortem][html]") {
    auto html = postmortem_html(empty_draft());
    auto at = heading_positions(html);
    for (std::size_t i = 0; i < at.size(); ++i) {
        INFO(draft_sections[i]);
        REQUIRE(at[i] != std::string::npos);
        if (i > 0) CHECK(at[i - 1] < at[i]);
    }
    for (auto line : {"No impact recorded.", "No role shifts recorded.", "No messages recorded.",
                      "No changes recorded.", "No hypotheses recorded.", "No decisions recorded.",
                      "No dead ends recorded.", "No status updates sent.", "No timeline entries recorded.",
                      "No action items recorded."})
        CHECK_THAT(html, Catch::Contains(std::string("<p>") + line + "</p>"));
    require_well_formed_xml(html, "the empty incident's page");
}

TEST_CASE("the HTML page is self-contained and prints", "[postmortem][html]") {
    replayed_example ex;
    auto html = postmortem_html(ex.source());
    // Nothing that would make a browser fetch anything.
    for (auto bad : {"<script", "<link", "<img", "<iframe", "<object", "<embed", "src=", "href=", "url(", "@import",
                     "@font-face", "xlink:", "<use", "<image"}) {
        INFO(bad);
        CHECK_THAT(html, !Catch::Contains(bad, Catch::CaseSensitive::No));
    }
    CHECK_THAT(html, Catch::Contains("Content-Security-Policy") && Catch::Contains("default-src 'none'"));
    CHECK_THAT(html, Catch::Contains("<meta charset=\"utf-8\"/>"));
    CHECK_THAT(html, Catch::Contains("<style>") && Catch::Contains("@media print"));
    require_well_formed_xml(html, "the example's page");
}

TEST_CASE("the chart is well-formed SVG with lifecycle, severity, lanes, milestones and a UTC axis",
          "[postmortem][html][chart]") {
    replayed_example ex;
    auto src = ex.source();
    auto svg = timeline_chart_svg(src, facts_of(src));
    CHECK_THAT(svg, Catch::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    require_well_formed_xml(svg, "the chart");
    CHECK(svg_of(postmortem_html(src)) == svg);

    // Lifecycle bands: one per run of a status (the SEV change in investigating does not split it).
    for (auto s : {"Investigating from", "Identified from", "Mitigated from", "Resolved from", "Closed from"}) {
        INFO(s);
        CHECK(count(svg, s) == 1);
    }
    CHECK_THAT(svg, Catch::Contains("Before declaration from 2026-11-03 14:21:00Z") &&
                        Catch::Contains(">before declaration</text>"));
    // Severity over time: SEV2, SEV1 with its reason, SEV2 again.
    CHECK(count(svg, "<title>SEV1 from") == 1);
    CHECK_THAT(svg, Catch::Contains("failure rate 22% and rising"));
    // One lane per person and role; maya and dev each held commander.
    for (auto lane : {"commander @maya", "scribe @sam", "sme @priya (database)", "sme @tomas (payments)",
                      "commander @dev"}) {
        INFO(lane);
        CHECK(count(svg, std::string("aria-label=\"") + lane + "\"") == 1);
    }
    // Milestones and status updates as marks.
    for (auto m : {"Impact started 2026-11-03 14:21:00Z", "Detected 2026-11-03 14:27:00Z", "Declared 2026-11-03 14:32:05Z",
                   "Mitigated 2026-11-03 15:32:00Z", "Resolved 2026-11-03 16:45:00Z", "Closed 2026-11-03 17:04:30Z"}) {
        INFO(m);
        CHECK_THAT(svg, Catch::Contains(std::string("<title>") + m + "</title>"));
    }
    CHECK(count(svg, "<circle cx=") == ex.inc().updates.size() + 1);  // + the legend's dot
    // A 2h43m chart gets quarter-hour ticks, labelled in UTC, with the date once.
    for (auto tick : {">14:30<", ">14:45<", ">15:00<", ">17:00<"}) CHECK_THAT(svg, Catch::Contains(tick));
    CHECK(count(svg, ">2026-11-03<") == 1);
    CHECK_THAT(svg, Catch::Contains(">UTC<"));
}

TEST_CASE("axis ticks are round UTC steps, at most about ten per chart", "[postmortem][chart]") {
    CHECK(tick_step(0ms) == 10s);
    CHECK(tick_step(90s) == 10s);
    CHECK(tick_step(5min) == 30s);
    CHECK(tick_step(40min) == 5min);
    CHECK(tick_step(2h + 43min) == 15min);
    CHECK(tick_step(3h + 10min) == 30min);
    CHECK(tick_step(9h) == 1h);
    CHECK(tick_step(30h) == 3h);
    CHECK(tick_step(std::chrono::days{6}) == 24h);
    CHECK(tick_step(std::chrono::days{60}) == std::chrono::days{7});
    CHECK(tick_step(std::chrono::days{100}) == std::chrono::days{14});
    CHECK(tick_step(std::chrono::days{400}) == std::chrono::days{56});
    for (duration span : {duration{1min}, duration{17min}, duration{3h}, duration{26h}, duration{std::chrono::days{900}}})
        CHECK(span / tick_step(span) <= 10);
}

TEST_CASE("hostile text stays text in the HTML and the SVG", "[postmortem][html][escaping]") {
    auto src = hostile_draft();
    auto html = postmortem_html(src);
    // Well-formed XML means no tag or attribute value was broken out of.
    require_well_formed_xml(html, "the hostile page");
    auto svg = svg_of(html);
    REQUIRE_FALSE(svg.empty());
    require_well_formed_xml(svg, "the hostile chart");

    CHECK(count(html, "<script") == 0);
    CHECK_THAT(html, Catch::Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;dq&quot; &#39;sq&#39;"));
    // Line breaks in text are <br/>.
    CHECK_THAT(html, Catch::Contains("&#39;sq&#39;<br/>- not a list<br/># not a heading<br/>1. not numbered<br/>"));
    // In attributes (the lane's aria-label) and in SVG <title> and <text>.
    const std::string user = "@ev&quot;il&#39;&lt;u&gt;&amp;|`x`";
    CHECK_THAT(svg, Catch::Contains("aria-label=\"commander " + user + "\""));
    CHECK_THAT(svg, Catch::Contains("<title>commander " + user));
    CHECK_THAT(svg, Catch::Contains("<title>SEV1 from 2026-11-03 10:10:00Z to 2026-11-03 11:10:00Z (1h 00m) — a|b"));
    CHECK_THAT(svg, Catch::Contains("Impact: a|b `tick` *star* _under_ [link](http://example.com) &lt;script&gt;"));
    CHECK_THAT(svg, Catch::Contains("<desc id=\"chart-desc\">"));
    // Control characters and invalid UTF-8, which XML forbids, arrive as U+FFFD.
    CHECK_THAT(html, !Catch::Contains("\x01") && !Catch::Contains("\x1f") && !Catch::Contains("\xff"));
    CHECK_THAT(html, Catch::Contains("bad:\xEF\xBF\xBD\xEF\xBF\xBD("));
}

TEST_CASE("xml_escaped escapes markup and attribute quotes and repairs what XML forbids",
          "[postmortem][escaping]") {
    CHECK(xml_escaped("<a href=\"x\" title='y'>&amp;</a>") ==
          "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
    CHECK(xml_escaped("tab\tnl\ncr\r") == "tab\tnl\ncr\r");
    CHECK(xml_escaped(std::string("nul\0x", 5)) == "nul\xEF\xBF\xBDx");
    CHECK(xml_escaped("\x1b[31m") == "\xEF\xBF\xBD[31m");
    CHECK(xml_escaped("\xEF\xBF\xBE") == "\xEF\xBF\xBD");              // U+FFFE is not an XML character
    CHECK(xml_escaped("caf\xC3\xA9 \xF0\x9F\x93\x8C") == "caf\xC3\xA9 \xF0\x9F\x93\x8C");  // valid UTF-8 kept
    CHECK(xml_escaped("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");        // overlong '/'
    CHECK(html_text("a\r\nb\nc") == "a<br/>b<br/>c");
    // And xmllint agrees the checker itself would catch a slip.
    auto which = run_command("command -v xmllint");
    REQUIRE(which.exit_code == 0);
    temp_dir dir;
    spit(dir.path() / "bad.xml", "<svg><text>a & b</text></svg>");
    CHECK(run_command("xmllint --noout --nonet '" + (dir.path() / "bad.xml").string() + "'").exit_code != 0);
}
