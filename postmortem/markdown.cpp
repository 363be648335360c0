#include "postmortem/markdown.hpp"

#include "postmortem/escape.hpp"

#include <fmt/format.h>

namespace firebreak {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One escaper for both contexts. In a cell nothing may end the row, so every line
// ending becomes <br>. In running text line endings stay hard breaks, and whatever
// could open a block at the start of a line (a list, a setext underline, an indented
// code block) is escaped so a message cannot restructure the document.
std::string escape(std::string_view text, bool cell, bool at_line_start) {
    std::string out;
    out.reserve(text.size() + 8);
    bool line_start = !cell && at_line_start;
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        if (c == '\r' || c == '\n') {
            // CR, LF and CRLF all end a line in CommonMark.
            i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
            if (cell) {
                out += "<br>";
                continue;
            }
            // Blank lines would end the list item or paragraph: fold a run into one break.
            while (i < text.size() && (text[i] == '\r' || text[i] == '\n')) ++i;
            if (i < text.size()) out += "  \n";
            line_start = true;
            continue;
        }
        if (line_start) {
            if (c == ' ' || c == '\t') {
                ++i;
                continue;
            }
            line_start = false;
            if (c == '-' || c == '+' || c == '=') {
                out += '\\';
                out += c;
                ++i;
                continue;
            }
            if (is_digit(c)) {
                // "1." or "1)" opens an ordered list; escape the delimiter.
                std::size_t j = i;
                while (j < text.size() && is_digit(text[j])) ++j;
                out.append(text.substr(i, j - i));
                if (j < text.size() && (text[j] == '.' || text[j] == ')')) {
                    out += '\\';
                    out += text[j];
                    ++j;
                }
                i = j;
                continue;
            }
        }
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            i += append_repaired_char(out, text, i);
            continue;
        }
        switch (c) {
            // Backslash escapes rather than entities keep the raw text readable; each of
            // these is ASCII punctuation, which CommonMark lets a backslash escape.
            case '|': case '\\': case '`': case '*': case '_': case '[': case ']': case '#': case '~':
            case '<': case '>': case '&':
                out += '\\';
                out += c;
                break;
            case '\t': out += c; break;
            default:
                // Other control characters are invisible in every viewer; show that something was there.
                if (u < 0x20 || u == 0x7F) out += replacement;
                else out += c;
        }
        ++i;
    }
    return out;
}

// Renders a fragment for a cell (one line) or for running text.
std::string fragment_md(const fragment& f, bool cell) {
    std::string out;
    for (const auto& r : f) {
        if (r.text.empty()) continue;  // "****" alone would be a thematic break
        auto text = escape(r.text, cell, out.empty());
        switch (r.look) {
            case run::style::plain: out += text; break;
            case run::style::strong: out += "**" + text + "**"; break;
            case run::style::em: out += "*" + text + "*"; break;
        }
    }
    return out;
}

void block_md(std::string& out, const block& b) {
    switch (b.what) {
        case block::kind::chart: return;  // Markdown cannot draw; the HTML export has the chart
        case block::kind::paragraph: out += "\n" + fragment_md(b.text, false) + "\n"; return;
        case block::kind::quote: out += "\n> " + fragment_md(b.text, false) + "\n"; return;
        case block::kind::heading: out += "\n### " + fragment_md(b.text, true) + "\n"; return;
        case block::kind::bullets:
        case block::kind::numbered: {
            out += "\n";
            std::size_t n = 0;
            for (const auto& item : b.items) {
                out += b.what == block::kind::numbered ? fmt::format("{}. ", ++n) : std::string("- ");
                out += fragment_md(item, false);
                out += "\n";
            }
            return;
        }
        case block::kind::table: {
            out += "\n|";
            for (const auto& h : b.headers) out += " " + md_cell(h) + " |";
            out += "\n|";
            for (std::size_t i = 0; i < b.headers.size(); ++i) out += "---|";
            out += "\n";
            for (const auto& row : b.rows) {
                out += "|";
                for (const auto& c : row.cells) {
                    out += ' ';
                    out += fragment_md(c, true);
                    out += " |";
                }
                out += "\n";
            }
            return;
        }
    }
}

}  // namespace

std::string md_cell(std::string_view text) { return escape(text, true, false); }
std::string md_text(std::string_view text) { return escape(text, false, true); }

std::string render_markdown(const draft_document& doc) {
    std::string out;
    out.reserve(1 << 16);
    out += "# " + md_cell(doc.title) + "\n";
    for (const auto& b : doc.preamble) block_md(out, b);
    for (const auto& s : doc.sections) {
        out += "\n## " + md_cell(s.title) + "\n";
        for (const auto& b : s.blocks) block_md(out, b);
    }
    return out;
}

std::string postmortem_markdown(const draft_source& src) { return render_markdown(build_document(src, facts_of(src))); }

}  // namespace firebreak
