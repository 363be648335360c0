#include "postmortem/markdown.hpp"

#include <fmt/format.h>

namespace firebreak {

namespace {
std::string escape(std::string_view text, bool cell) {
    std::string out;
    out.reserve(text.size() + 8);
    for (char c : text) {
        switch (c) {
            case '|': out += cell ? "\\|" : "|"; break;
            case '\\': case '`': case '*': case '_': case '[': case ']': case '#': case '~':
                out += '\\';
                out += c;
                break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '\n': out += cell ? "<br>" : "  \n"; break;
            default: out += c;
        }
    }
    return out;
}

std::string opt_time(const std::optional<instant>& t) { return t ? format_utc(*t) : "—"; }
}  // namespace

std::string md_cell(std::string_view text) { return escape(text, true); }
std::string md_text(std::string_view text) { return escape(text, false); }

std::string timeline_markdown(const incident& inc, const std::vector<timeline_entry>& entries) {
    std::string out;
    auto add = [&out](std::string_view s) { out.append(s); };
    add(fmt::format("# {}: {}\n\n", inc.id.str(), md_text(inc.title)));
    add(fmt::format("- Severity: {}\n- Status: {}\n- Declared: {} by @{}\n", to_string(inc.sev), to_string(inc.state),
                    format_utc(inc.times.declared), md_text(inc.declared_by.id)));
    add(fmt::format("- Impact started: {}\n- Detected: {}\n- Commander assigned: {}\n- Identified: {}\n", opt_time(inc.times.impact_started),
                    opt_time(inc.times.detected), opt_time(inc.times.commander_assigned), opt_time(inc.times.identified)));
    add(fmt::format("- Mitigated: {}\n- Resolved: {}\n- Closed: {}\n\n", opt_time(inc.times.mitigated),
                    opt_time(inc.times.resolved), opt_time(inc.times.closed)));

    auto m = metrics_of(inc);
    auto span = [](const std::optional<duration>& d) { return d ? format_span(*d) : std::string("—"); };
    add(fmt::format("## Key metrics\n\n- Time to declare: {}\n- Time to assign a commander: {}\n"
                    "- Time to mitigate: {}\n- Time to resolve: {}\n- Total duration: {}\n\n",
                    span(m.to_declare), span(m.to_assign), span(m.to_mitigate), span(m.to_resolve), span(m.total)));
    add("## Roles\n\n| Role | Person | Area | Start (UTC) | End (UTC) |\n|---|---|---|---|---|\n");
    for (const auto& s : inc.shifts)
        add(fmt::format("| {} | @{} | {} | {} | {} |\n", to_string(s.held), md_cell(s.user.id), md_cell(s.area),
                        format_utc(s.start), s.end ? format_utc(*s.end) : "on shift"));
    if (inc.shifts.empty()) add("| — | — | — | — | — |\n");

    add("\n## Hypotheses\n\n");
    if (inc.hypotheses.empty()) add("None recorded.\n");
    for (const auto& h : inc.hypotheses) {
        add(fmt::format("- **H{}** ({}): {}", h.n, to_string(h.result), md_text(h.text)));
        if (!h.evidence.empty()) add(fmt::format(" — evidence: {}", md_text(h.evidence)));
        add("\n");
    }

    add(fmt::format("\n## Timeline\n\n{} entries. 📌 marks a highlight; *system* rows are firebreak's own records.\n\n",
                    entries.size()));
    add("| Time (UTC) | Who | Kind | Text |\n|---|---|---|---|\n");
    for (const auto& e : entries) {
        std::string kind = e.kind == entry_kind::system ? "*system*" : "message";
        if (!e.tag.empty()) kind += " · " + md_cell(e.tag);
        std::string text = e.deleted ? "*(deleted)*" : md_cell(e.text);
        if (e.edited && !e.deleted) text += " *(edited)*";
        if (!e.thread_parent.empty()) text = "↳ " + text;
        add(fmt::format("| {}{} | {} | {} | {} |\n", e.highlight ? "📌 " : "", format_utc(e.at),
                        e.author.empty() ? "firebreak" : "@" + md_cell(e.author.id), kind, text));
    }
    return out;
}

}  // namespace firebreak
