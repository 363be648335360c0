#include "postmortem/html.hpp"

#include "bot/core/text.hpp"
#include "postmortem/chart.hpp"
#include "postmortem/escape.hpp"

#include <fmt/format.h>

namespace firebreak {

namespace {

// Everything the page needs to look right on screen and on paper. No fonts, images or
// imports by URL: the page must render the same offline, in a mail client or an archive.
constexpr std::string_view stylesheet = R"css(
:root { color-scheme: light; }
body { margin: 0; background: #ffffff; color: #1d2330;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; line-height: 1.25; margin: 8px 0 14px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d8dce3; }
h3 { font-size: 16px; margin: 18px 0 6px; }
p { margin: 8px 0; }
ul, ol { margin: 8px 0; padding-left: 26px; }
li { margin: 3px 0; }
blockquote { margin: 0 0 12px; padding: 10px 14px; background: #f2f5fa; border-left: 4px solid #5b7db1; }
.as-of { color: #5c6470; }
table { border-collapse: collapse; width: 100%; margin: 10px 0 14px; font-size: 13.5px; }
th, td { border: 1px solid #d8dce3; padding: 4px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f2f4f7; font-weight: 600; }
#timeline td:first-child, #key-times-and-metrics td:first-child { white-space: nowrap; }
tr.system td { background: #f8f9fb; color: #4b5563; }
tr.highlight td { background: #fff5cc; }
tr.deleted td:last-child { color: #8a8f98; }
tr.confirmed td { background: #eaf6ec; }
tr.ruled-out td { color: #5c6470; }
figure.chart { margin: 12px 0 16px; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { color: #5c6470; font-size: 13px; margin-top: 4px; }
@media print {
  @page { margin: 14mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  table { font-size: 8.5pt; }
  thead { display: table-header-group; }
  tr, figure, blockquote { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

void append_text(std::string& out, std::string_view text) {
    // Line breaks become <br/>; the rest is escaped as XML content.
    std::size_t i = 0;
    while (i < text.size()) {
        auto nl = text.find_first_of("\r\n", i);
        if (nl == std::string_view::npos) {
            append_xml_escaped(out, text.substr(i));
            return;
        }
        append_xml_escaped(out, text.substr(i, nl - i));
        out += "<br/>";
        i = nl + ((text[nl] == '\r' && nl + 1 < text.size() && text[nl + 1] == '\n') ? 2 : 1);
    }
}

void append_fragment(std::string& out, const fragment& f) {
    for (const auto& r : f) {
        switch (r.look) {
            case run::style::plain: append_text(out, r.text); break;
            case run::style::strong:
                out += "<strong>";
                append_text(out, r.text);
                out += "</strong>";
                break;
            case run::style::em:
                out += "<em>";
                append_text(out, r.text);
                out += "</em>";
                break;
        }
    }
}

std::string section_id(std::string_view title) {
    auto id = slugify(title, 60);
    return id.empty() ? "section" : id;
}

void append_block(std::string& out, const block& b, std::string_view chart_svg) {
    switch (b.what) {
        case block::kind::chart:
            out += "<figure class=\"chart\">\n";
            out += chart_svg;
            out += "\n<figcaption>The incident over time, in UTC: lifecycle, severity, status updates and who held "
                   "which role. Hover a mark for details.</figcaption>\n</figure>\n";
            return;
        case block::kind::paragraph:
            out += "<p>";
            append_fragment(out, b.text);
            out += "</p>\n";
            return;
        case block::kind::quote:
            out += "<blockquote><p>";
            append_fragment(out, b.text);
            out += "</p></blockquote>\n";
            return;
        case block::kind::heading:
            out += "<h3>";
            append_fragment(out, b.text);
            out += "</h3>\n";
            return;
        case block::kind::bullets:
        case block::kind::numbered: {
            const char* tag = b.what == block::kind::numbered ? "ol" : "ul";
            out += fmt::format("<{}>\n", tag);
            for (const auto& item : b.items) {
                out += "<li>";
                append_fragment(out, item);
                out += "</li>\n";
            }
            out += fmt::format("</{}>\n", tag);
            return;
        }
        case block::kind::table: {
            out += "<table>\n<thead><tr>";
            for (const auto& h : b.headers) {
                out += "<th scope=\"col\">";
                append_text(out, h);
                out += "</th>";
            }
            out += "</tr></thead>\n<tbody>\n";
            for (const auto& row : b.rows) {
                if (row.marks.empty()) {
                    out += "<tr>";
                } else {
                    std::string classes;
                    for (const auto& m : row.marks) classes += (classes.empty() ? "" : " ") + m;
                    out += "<tr class=\"" + xml_escaped(classes) + "\">";
                }
                for (const auto& c : row.cells) {
                    out += "<td>";
                    append_fragment(out, c);
                    out += "</td>";
                }
                out += "</tr>\n";
            }
            out += "</tbody>\n</table>\n";
            return;
        }
    }
}

}  // namespace

std::string html_text(std::string_view text) {
    std::string out;
    append_text(out, text);
    return out;
}

std::string render_html(const draft_document& doc, std::string_view chart_svg) {
    std::string out;
    out.reserve(1 << 16);
    out += "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
    // The page makes no requests; the policy makes a browser enforce that too.
    out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n";
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
    out += "<meta name=\"generator\" content=\"firebreak\"/>\n<title>";
    append_text(out, doc.title);
    out += "</title>\n<style>";
    out += stylesheet;
    out += "</style>\n</head>\n<body>\n<main>\n<h1>";
    append_text(out, doc.title);
    out += "</h1>\n";
    for (const auto& b : doc.preamble) {
        if (b.what == block::kind::paragraph) {
            out += "<p class=\"as-of\">";
            append_fragment(out, b.text);
            out += "</p>\n";
        } else {
            append_block(out, b, chart_svg);
        }
    }
    for (const auto& s : doc.sections) {
        out += fmt::format("<section id=\"{}\">\n<h2>", section_id(s.title));
        append_text(out, s.title);
        out += "</h2>\n";
        for (const auto& b : s.blocks) append_block(out, b, chart_svg);
        out += "</section>\n";
    }
    out += "</main>\n</body>\n</html>\n";
    return out;
}

std::string postmortem_html(const draft_source& src) {
    auto facts = facts_of(src);
    return render_html(build_document(src, facts), timeline_chart_svg(src, facts));
}

}  // namespace firebreak
