// The Markdown draft: every section of PRODUCT §6 in order, one-liners for what was not
// recorded, the example's facts, and user text that cannot change the document's shape.
#include "postmortem/markdown.hpp"
#include "tests/postmortem/fixtures.hpp"
#include "tests/postmortem/sections.hpp"

#include <algorithm>

using namespace firebreak;
using namespace firebreak::testing;

namespace {

const std::vector<std::string> expected_sections{
    "Summary",          "Impact",         "Key times and metrics", "Roles and participants",
    "What changed",     "Hypotheses",     "Decisions",             "Dead ends",
    "Status updates sent", "Timeline",    "Action items",          "Contributing factors",
    "What went well, what went poorly, where we got lucky"};

// Pipes that are not escaped: the column separators of a table row.
std::size_t separators(const std::string& line) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < line.size(); ++i)
        if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++n;
    return n;
}

}  // namespace

TEST_CASE("the Markdown draft has every section, in order, under one title", "[postmortem][markdown]") {
    replayed_example ex;
    auto md = postmortem_markdown(ex.source());
    CHECK_THAT(md, Catch::StartsWith("# INC-1: Checkout API 5xx after release 2026.11.3 — postmortem draft\n"));
    CHECK_THAT(md, Catch::Contains("> This is a blameless postmortem draft."));
    std::vector<std::string> headings;
    for (const auto& line : lines_of(md))
        if (line.rfind("## ", 0) == 0) headings.push_back(line.substr(3));
    CHECK(headings == expected_sections);
}

TEST_CASE("an incident with nothing recorded says so in each section rather than dropping it",
          "[postmortem][markdown]") {
    auto md = postmortem_markdown(empty_draft());
    std::vector<std::string> headings;
    for (const auto& line : lines_of(md))
        if (line.rfind("## ", 0) == 0) headings.push_back(line.substr(3));
    CHECK(headings == expected_sections);
    const std::vector<std::pair<std::string, std::string>> one_liners{
        {"Summary", "- No hypothesis was confirmed; the root cause is still open."},
        {"Impact", "No impact recorded."},
        {"Key times and metrics", "No severity or status changes recorded."},
        {"Roles and participants", "No role shifts recorded."},
        {"Roles and participants", "No messages recorded."},
        {"What changed", "No changes recorded."},
        {"Hypotheses", "No hypotheses recorded."},
        {"Decisions", "No decisions recorded."},
        {"Dead ends", "No dead ends recorded."},
        {"Status updates sent", "No status updates sent."},
        {"Timeline", "No timeline entries recorded."},
        {"Action items", "No action items recorded."},
    };
    for (const auto& [section, line] : one_liners) {
        INFO(section);
        CHECK_THAT(section_text(md, section), Catch::Contains("\n" + line + "\n"));
    }
    // Unset milestones and spans show as a dash, never as the epoch or zero.
    CHECK_THAT(section_text(md, "Key times and metrics"), Catch::Contains("| Mitigated | — |") &&
                                                              Catch::Contains("| Time to resolve (from declaration) | — |") &&
                                                              Catch::Contains("| Declared | 2026-11-03 10:00:00Z |"));
    CHECK_THAT(md, !Catch::Contains("1970"));
}

TEST_CASE("the Markdown draft of the example carries its facts", "[postmortem][markdown]") {
    replayed_example ex;
    auto md = postmortem_markdown(ex.source());
    CHECK_THAT(section_text(md, "Summary"),
               Catch::Contains("**INC-1 · SEV2 (peak SEV1) · Closed**") &&
                   Catch::Contains("Root cause (H2, confirmed") && Catch::Contains("Commander: @maya, then @dev."));
    auto times = section_text(md, "Key times and metrics");
    CHECK_THAT(times, Catch::Contains("| Impact started | 2026-11-03 14:21:00Z |") &&
                          Catch::Contains("| Detected | 2026-11-03 14:27:00Z |") &&
                          Catch::Contains("| Declared | 2026-11-03 14:32:05Z |") &&
                          Catch::Contains("| Time to declare (from impact start) | 11m 05s |") &&
                          Catch::Contains("| SEV1 | Investigating |"));
    // Both clocks, labelled: from impact start and from declaration.
    auto m = metrics_of(ex.inc());
    REQUIRE(m.to_mitigate);
    REQUIRE(m.declared_to_mitigate);
    CHECK(*m.to_mitigate - *m.declared_to_mitigate == std::chrono::seconds{11 * 60 + 5});
    CHECK_THAT(times, Catch::Contains("| Time to mitigate (from impact start) | " + format_span_exact(*m.to_mitigate) + " |") &&
                          Catch::Contains("| Time to mitigate (from declaration) | " +
                                          format_span_exact(*m.declared_to_mitigate) + " |") &&
                          Catch::Contains("| Time to resolve (from declaration) |") &&
                          Catch::Contains("| Total duration (from declaration to close) |"));
    auto roles = section_text(md, "Roles and participants");
    CHECK_THAT(roles, Catch::Contains("| commander | @maya | — | 2026-11-03 14:32:05Z | 2026-11-03 16:37:00Z | 2h 04m 55s |") &&
                          Catch::Contains("| sme | @priya | database |"));
    // Message counts per participant add up to the messages in the room.
    std::int64_t counted = 0;
    for (const auto& p : facts_of(ex.source()).participants) counted += p.messages;
    CHECK(counted == ex.inc().message_count);

    // Dead ends: the dead-end notes and the two ruled-out hypotheses.
    auto dead = section_text(md, "Dead ends");
    CHECK_THAT(dead, Catch::Contains("(H1 ruled out; evidence:") && Catch::Contains("(H3 ruled out; evidence:") &&
                         Catch::Contains("rolling restart of 6 checkout-api pods"));
    CHECK_THAT(section_text(md, "What changed"), Catch::Contains("helm rollback of checkout-api to 2026.11.2"));

    // Timeline: one row per entry, highlights marked, system rows told apart, edits and
    // deletions shown.
    auto tl = section_text(md, "Timeline");
    auto entries = ex.store.timeline(ex.inc().id);
    std::size_t rows = 0, pinned = 0, system = 0;
    for (const auto& line : lines_of(tl)) {
        if (line.rfind("| 2026-", 0) == 0 || line.rfind("| 📌 2026-", 0) == 0) ++rows;
        if (line.rfind("| 📌 ", 0) == 0) ++pinned;
        if (line.find("| *system*") != std::string::npos) ++system;
    }
    // Commands typed in the room appear once, as the system row of what they did; the
    // store still has each message.
    auto typed = std::size_t(std::count_if(entries.begin(), entries.end(), [](const auto& e) {
        return e.kind == entry_kind::message && e.text.rfind("!incident", 0) == 0;
    }));
    CHECK(typed > 10);
    CHECK(rows == entries.size() - typed);
    CHECK_THAT(tl, !Catch::Contains("!incident roles") && !Catch::Contains("!incident timeline") &&
                       !Catch::Contains("| message · command |"));
    CHECK(pinned == 2);
    CHECK(system == std::size_t(std::count_if(entries.begin(), entries.end(),
                                              [](const auto& e) { return e.kind == entry_kind::system; })));
    CHECK_THAT(tl, Catch::Contains("22% of submissions failing now, 5xx over 410/min *(edited)* — until "
                                   "2026-11-03 14:49:35Z it read: 2.2% of submissions failing now"));
    CHECK_THAT(tl, Catch::Contains("| *(deleted)* |"));
    CHECK_THAT(tl, Catch::Contains("| ↳ graph: checkout-api / db-pool dashboard"));

    auto actions = section_text(md, "Action items");
    CHECK_THAT(actions, Catch::Contains("| A1 |") && Catch::Contains("| @dev | 2026-11-10 |") &&
                            Catch::Contains("| unassigned | — |"));
    CHECK_THAT(section_text(md, "Contributing factors"),
               Catch::Contains("1. Why? H2 (confirmed): release 2026.11.3 changed") && Catch::Contains("5. Why?"));
}

TEST_CASE("hostile text cannot break Markdown tables or add structure", "[postmortem][markdown][escaping]") {
    auto src = hostile_draft();
    auto md = postmortem_markdown(src);
    auto lines = lines_of(md);

    // Only the draft's own headings exist: one title and the thirteen sections (the
    // hostile text has "# not a heading" on a line of its own).
    std::size_t h1 = 0, h2 = 0;
    for (const auto& line : lines) {
        h1 += line.rfind("# ", 0) == 0;
        h2 += line.rfind("## ", 0) == 0;
    }
    CHECK(h1 == 1);
    CHECK(h2 == expected_sections.size());
    for (const auto& line : lines) {
        INFO(line);
        // No line of user text became a list, a numbered list, a rule or a setext heading.
        CHECK(line.rfind("- not a list", 0) == std::string::npos);
        CHECK(line.rfind("1. not numbered", 0) == std::string::npos);
        CHECK(line != "---");
    }
    // Every table row has exactly the separators of its table's header: a pipe or a line
    // break in a cell would add columns or cut the row short.
    std::size_t tables = 0, header = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("|", 0) != 0) continue;
        if (i == 0 || lines[i - 1].rfind("|", 0) != 0) {
            header = separators(lines[i]);
            ++tables;
            continue;
        }
        INFO(lines[i]);
        CHECK(separators(lines[i]) == header);
    }
    CHECK(tables == 9);  // milestones, metrics, history, shifts, people, hypotheses, updates, timeline, actions
    // Every timeline entry is one row, even with CR, LF and CRLF in its text.
    std::size_t rows = 0;
    for (const auto& line : lines_of(section_text(md, "Timeline")))
        rows += line.rfind("| 2026-", 0) == 0 || line.rfind("| 📌 2026-", 0) == 0;
    CHECK(rows == src.entries.size());

    // Backticks, emphasis, links and tags are escaped everywhere.
    for (std::size_t i = 0; i < md.size(); ++i) {
        if (md[i] == '`' || md[i] == '[' || md[i] == '<' || md[i] == '&') {
            INFO("unescaped " << md[i] << " at " << i << ": " << md.substr(i > 20 ? i - 20 : 0, 60));
            bool escaped = i > 0 && md[i - 1] == '\\';
            bool line_break = md.compare(i, 4, "<br>") == 0;  // the cell line breaks the draft writes
            CHECK((escaped || line_break));
        }
    }
    CHECK_THAT(md, Catch::Contains("\\<script\\>alert('x')\\</script\\>"));
    CHECK_THAT(md, Catch::Contains("a\\|b \\`tick\\` \\*star\\* \\_under\\_ \\[link\\](http://example.com)"));
    // In a cell, each line ending (LF, CRLF, lone CR) becomes <br>.
    CHECK_THAT(md, Catch::Contains("'sq'<br>- not a list<br>\\# not a heading<br>1. not numbered<br>---<br>"));
    // Control characters and invalid UTF-8 are shown as U+FFFD, never passed through.
    CHECK_THAT(md, !Catch::Contains("\x01") && !Catch::Contains("\x1f") && !Catch::Contains("\x7f"));
    CHECK_THAT(md, !Catch::Contains("\xff"));
    CHECK_THAT(md, Catch::Contains("bad:\xEF\xBF\xBD\xEF\xBF\xBD("));
}

TEST_CASE("md_text keeps line breaks but escapes what would start a block", "[postmortem][markdown][escaping]") {
    CHECK(md_text("plain words") == "plain words");
    CHECK(md_text("one\ntwo") == "one  \ntwo");
    CHECK(md_text("- a\n+ b\n= c\n2) d\n10. e") == "\\- a  \n\\+ b  \n\\= c  \n2\\) d  \n10\\. e");
    CHECK(md_text("para\n\n\n   indented code?") == "para  \nindented code?");
    CHECK(md_text("# h\n> q") == "\\# h  \n\\> q");
    CHECK(md_cell("a\r\nb\rc\nd") == "a<br>b<br>c<br>d");
    CHECK(md_cell("x | y") == "x \\| y");
}
