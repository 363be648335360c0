#include "adapters/slack/slack_render.hpp"

#include "adapters/slack/slack_events.hpp"
#include "adapters/slack/slack_json.hpp"
#include "bot/core/text.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <vector>

namespace firebreak::slack {

namespace json = boost::json;
using namespace detail;

namespace {

void escape_mrkdwn(std::string& out, std::string_view s) {
    // Slack asks for exactly these three to be escaped in text.
    for (char c : s) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else out += c;
    }
}

}  // namespace

std::string to_mrkdwn(const rich_text& t) {
    // mrkdwn opens `*`, `_` and `` ` `` only before a non-space and closes them only after
    // one, and "*a**b*" is not one bold run. So adjacent spans of one style are merged,
    // spaces at a styled span's edges go outside its markers, and an empty one is dropped:
    // bold("Impact: ") renders "*Impact:* ", not "*Impact: *".
    std::vector<span> runs;
    for (const auto& s : t.spans()) {
        if (!runs.empty() && runs.back().look == s.look && s.look != span::style::mention && s.look != span::style::room)
            runs.back().text += s.text;
        else runs.push_back(s);
    }
    auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t'; };
    std::string out;
    for (const auto& s : runs) {
        char marker = 0;
        switch (s.look) {
            case span::style::plain: escape_mrkdwn(out, s.text); continue;
            case span::style::bold: marker = '*'; break;
            case span::style::italic: marker = '_'; break;
            case span::style::code: marker = '`'; break;
            case span::style::mention:
                // Slack ids are upper-case letters and digits; anything else stays text.
                if (is_slack_id(s.text)) {
                    out += "<@" + s.text + ">";
                } else {
                    out += '@';
                    escape_mrkdwn(out, s.text);
                }
                continue;
            case span::style::room:
                // A channel id renders as the channel's name, linked; before one is known
                // the name stays text.
                if (is_slack_id(s.ref)) {
                    out += "<#" + s.ref + ">";
                } else {
                    out += '#';
                    escape_mrkdwn(out, s.text);
                }
                continue;
        }
        std::string_view v = s.text;
        std::size_t b = 0, e = v.size();
        while (b < e && space(v[b])) ++b;
        while (e > b && space(v[e - 1])) --e;
        out += v.substr(0, b);
        if (b < e) {
            out += marker;
            escape_mrkdwn(out, v.substr(b, e - b));
            out += marker;
        }
        out += v.substr(e);
    }
    return out;
}

namespace {
// Where a reply is longer than Slack takes, its end says so.
constexpr std::string_view cut_note = " … (cut to fit Slack; `timeline` or the export has the rest)";
}  // namespace

std::string message_text(const rich_text& t) {
    // Slack keeps 40,000 characters of `text`; bytes are at least as many, so this is safe.
    return shorten_words(to_mrkdwn(t), 39000, cut_note);
}

json::array blocks_for(const rich_text& t) {
    std::string text = to_mrkdwn(t);
    json::array blocks;
    constexpr std::size_t limit = 3000;
    constexpr std::size_t max_blocks = 50;       // per message
    constexpr std::size_t max_buttons = 25;      // per actions block
    // One row of next steps (its buttons capped at max_buttons), after the text.
    const std::size_t action_blocks = t.actions().empty() ? 0 : 1;
    std::size_t i = 0;
    while (i < text.size() && blocks.size() < max_blocks - action_blocks) {
        std::size_t n = std::min(limit, text.size() - i);
        // Cut at a line break where one is near, and never inside a UTF-8 sequence.
        if (i + n < text.size()) {
            auto nl = text.rfind('\n', i + n);
            if (nl != std::string::npos && nl > i + limit / 2) n = nl - i;
            while (n > 0 && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) --n;
        }
        std::string part = text.substr(i, n);
        i += n;
        while (i < text.size() && text[i] == '\n') ++i;
        // The last block there is room for says that the rest did not fit.
        if (i < text.size() && blocks.size() + 1 == max_blocks - action_blocks)
            part = part.size() + cut_note.size() <= limit ? part + std::string(cut_note)
                                                          : shorten_words(part, limit, cut_note);
        json::object section{{"type", "section"}, {"text", json::object{{"type", "mrkdwn"}, {"text", part}}}};
        blocks.push_back(std::move(section));
    }
    if (action_blocks) {
        json::array buttons;
        for (const auto& a : t.actions()) {
            if (buttons.size() == max_buttons) break;
            // Button text is at most 75 characters and a value at most 2,000.
            std::string label = cut_utf8(clean_line(a.label.empty() ? a.command : a.label, 2000), 75);
            std::string value = cut_utf8(std::string(button_prefix) + a.command, 2000);
            if (label.empty()) label = "?";  // Slack refuses a button without text
            buttons.push_back(json::object{{"type", "button"},
                                           {"text", plain_text(label)},
                                           {"action_id", "fb-" + std::to_string(buttons.size())},
                                           {"value", value}});
        }
        blocks.push_back(json::object{{"type", "actions"}, {"elements", std::move(buttons)}});
    }
    return blocks;
}

std::string channel_name(std::string_view raw_name, int attempt) {
    std::string out;
    const std::string name = fold_to_ascii(raw_name);
    for (unsigned char c : name) {
        if (std::isalnum(c)) out += char(std::tolower(c));
        else if ((c == '-' || c == '_') && !out.empty()) out += char(c);
        else if (!out.empty() && out.back() != '-') out += '-';
    }
    while (!out.empty() && (out.back() == '-' || out.back() == '_')) out.pop_back();
    if (out.empty()) out = "incident";
    std::string suffix = attempt > 0 ? "-" + std::to_string(attempt + 1) : "";
    if (std::size_t room = 80 - suffix.size(); out.size() > room) {
        // Cut at a word where that keeps at least half of the room, never mid-word.
        auto dash = out.find_last_of("-_", room);
        out.resize(dash != std::string::npos && dash > room / 2 ? dash : room);
    }
    while (!out.empty() && (out.back() == '-' || out.back() == '_')) out.pop_back();
    return out + suffix;
}

}  // namespace firebreak::slack
