#include "adapters/slack/slack_forms.hpp"

#include "adapters/slack/slack_json.hpp"
#include "bot/core/text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <tuple>

namespace firebreak::slack {

namespace json = boost::json;
using namespace detail;

namespace {

constexpr std::size_t max_title_input = 200;     // the dispatcher keeps titles shorter still
constexpr std::size_t max_field_input = 1000;    // what an update field keeps
constexpr std::size_t max_next_input = 40;

std::string trimmed_lower(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return ascii_lower(s.substr(b, e - b + 1));
}

json::object text_input(std::string_view block_id, std::string_view label, std::string_view placeholder,
                        bool multiline, std::size_t max_length, bool optional) {
    json::object element{{"type", "plain_text_input"},
                         {"action_id", "value"},
                         {"multiline", multiline},
                         {"max_length", max_length},
                         {"placeholder", plain_text(placeholder)}};
    return json::object{{"type", "input"},
                        {"block_id", block_id},
                        {"label", plain_text(label)},
                        {"optional", optional},
                        {"element", std::move(element)}};
}

json::object severity_option(int n) {
    static constexpr std::string_view what[] = {"", "SEV1 — critical, all hands", "SEV2 — major",
                                                "SEV3 — minor", "SEV4 — low"};
    return json::object{{"text", plain_text(what[n])}, {"value", std::to_string(n)}};
}

// The submitted state of one input: view.state.values.<block>.<action>.
const json::object* input_state(const json::object& view, std::string_view block) {
    const json::object* state = obj(view, "state");
    const json::object* values = state ? obj(*state, "values") : nullptr;
    const json::object* b = values ? obj(*values, block) : nullptr;
    return b ? obj(*b, "value") : nullptr;
}

// A text input's value as one line of a command: newlines and ';' (the update field
// separator) become ", " so every word stays in the field it was typed in.
std::string input_text(const json::object& view, std::string_view block, std::size_t max) {
    std::string raw = str(input_state(view, block), "value");
    std::string out;
    std::string piece;
    auto flush = [&] {
        auto p = clean_line(piece, max);
        piece.clear();
        if (p.empty()) return;
        if (!out.empty()) out += ", ";
        out += p;
    };
    for (char c : raw) {
        if (c == '\n' || c == ';') flush();
        else piece += c;
    }
    flush();
    return cut_utf8(std::move(out), max);
}

// Words of a declare title that would read as options ("--sev") stay words: their
// leading dashes become one em dash.
std::string title_words(std::string_view title) {
    std::string out;
    for (std::size_t i = 0; i < title.size();) {
        auto e = std::min(title.find(' ', i), title.size());
        auto word = title.substr(i, e - i);
        i = e + 1;
        if (word.empty()) continue;
        if (!out.empty()) out += ' ';
        auto rest = word.find_first_not_of('-');
        if (word.size() > 2 && word.substr(0, 2) == "--" && rest != std::string_view::npos) {
            out += "\u2014";
            out += word.substr(rest);
        } else {
            out += word;
        }
    }
    return out;
}

}  // namespace

std::string_view form_for(std::string_view command_text) {
    auto t = trimmed_lower(command_text);
    if (t == "declare") return declare_form;
    if (t == "update") return update_form;
    return {};
}

json::object form_view(std::string_view callback_id, std::string_view channel, int default_sev) {
    json::object view{{"type", "modal"}, {"callback_id", callback_id}, {"private_metadata", channel}};
    json::array blocks;
    if (callback_id == declare_form) {
        view["title"] = plain_text("Declare an incident");
        view["submit"] = plain_text("Declare");
        view["close"] = plain_text("Cancel");
        blocks.push_back(text_input("title", "Title", "What is broken, as users see it", false, max_title_input, false));
        json::array options;
        for (int n = 1; n <= 4; ++n) options.push_back(severity_option(n));
        if (default_sev < 1 || default_sev > 4) default_sev = 2;
        blocks.push_back(json::object{{"type", "input"},
                                      {"block_id", "severity"},
                                      {"label", plain_text("Severity")},
                                      {"element", json::object{{"type", "static_select"},
                                                               {"action_id", "value"},
                                                               {"options", std::move(options)},
                                                               {"initial_option", severity_option(default_sev)}}}});
        json::object secret{{"text", plain_text("Private incident")},
                            {"value", "private"},
                            {"description", plain_text("A private channel; the title stays out of announcements")}};
        blocks.push_back(json::object{{"type", "input"},
                                      {"block_id", "private"},
                                      {"optional", true},
                                      {"label", plain_text("Visibility")},
                                      {"element", json::object{{"type", "checkboxes"},
                                                               {"action_id", "value"},
                                                               {"options", json::array{std::move(secret)}}}}});
    } else {
        view["title"] = plain_text("Status update");
        view["submit"] = plain_text("Post update");
        view["close"] = plain_text("Cancel");
        blocks.push_back(text_input("impact", "Impact", "Who is affected, and how", true, max_field_input, false));
        blocks.push_back(text_input("actions", "Current actions", "What is being done", true, max_field_input, true));
        blocks.push_back(text_input("needs", "Needs", "Help or decisions wanted", true, max_field_input, true));
        blocks.push_back(text_input("next", "Next update", "30m, or a UTC time like 14:30", false, max_next_input, true));
    }
    view["blocks"] = std::move(blocks);
    return view;
}

std::optional<json::object> form_request(const json::object& payload, int default_sev) {
    auto form = form_for(str(payload, "text"));
    std::string trigger = str(payload, "trigger_id");
    std::string channel = str(payload, "channel_id");
    if (form.empty() || trigger.empty() || channel.empty()) return std::nullopt;
    return json::object{{"trigger_id", trigger}, {"view", form_view(form, channel, default_sev)}};
}

std::optional<std::string> submission_command(const json::object& view, std::string& error) {
    std::string callback = str(view, "callback_id");
    if (callback == declare_form) {
        std::string title = title_words(input_text(view, "title", max_title_input));
        if (title.empty()) {
            error = "declare form without a title";
            return std::nullopt;
        }
        std::string cmd = "declare " + title;
        if (const json::object* sev = input_state(view, "severity")) {
            std::string n = str(obj(*sev, "selected_option"), "value");
            if (!n.empty()) {
                if (n.size() != 1 || n[0] < '1' || n[0] > '4') {
                    error = "declare form with an unknown severity";
                    return std::nullopt;
                }
                cmd += " --sev " + n;
            }
        }
        if (const json::object* priv = input_state(view, "private")) {
            auto sel = priv->find("selected_options");
            if (sel != priv->end() && sel->value().is_array())
                for (const auto& o : sel->value().get_array())
                    if (o.is_object() && str(o.get_object(), "value") == "private") cmd += " --private";
        }
        return cmd;
    }
    if (callback == update_form) {
        std::string impact = input_text(view, "impact", max_field_input);
        if (impact.empty()) {
            error = "update form without an impact";
            return std::nullopt;
        }
        std::string cmd = "update impact: " + impact;
        for (auto [block, name, max] : {std::tuple{"actions", "actions", max_field_input},
                                        std::tuple{"needs", "needs", max_field_input},
                                        std::tuple{"next", "next", max_next_input}}) {
            auto v = input_text(view, block, max);
            if (!v.empty()) cmd += std::string("; ") + name + ": " + v;
        }
        return cmd;
    }
    error = "not a firebreak form";
    return std::nullopt;
}

}  // namespace firebreak::slack
