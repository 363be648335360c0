#include "adapters/slack/slack_wire.hpp"

#include "bot/core/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <tuple>

namespace firebreak::slack {

namespace json = boost::json;

namespace {

const json::object* obj(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}
std::string str(const json::object* o, std::string_view key) {
    if (!o) return {};
    auto it = o->find(key);
    return it != o->end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string{};
}
std::string str(const json::object& o, std::string_view key) { return str(&o, key); }

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

namespace {

bool hex4(std::string_view s, std::size_t i, unsigned& v) {
    if (i + 4 > s.size()) return false;
    v = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= unsigned(c - '0');
        else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
        else return false;
    }
    return true;
}

// A "\uD83D" without its partner is valid JSON text but no character; the parser refuses
// the whole frame for it. Such escapes become U+FFFD so the rest of the message survives.
std::string repair_surrogates(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            unsigned v = 0;
            if (s[i + 1] == 'u' && hex4(s, i + 2, v) && v >= 0xD800 && v <= 0xDFFF) {
                unsigned low = 0;
                bool paired = v <= 0xDBFF && i + 11 < s.size() && s.substr(i + 6, 2) == "\\u" &&
                              hex4(s, i + 8, low) && low >= 0xDC00 && low <= 0xDFFF;
                if (paired) {
                    out.append(s.substr(i, 12));
                    i += 11;
                } else {
                    out += "\\uFFFD";
                    i += 5;
                }
                continue;
            }
            out += s[i];
            out += s[i + 1];
            ++i;
            continue;
        }
        out += s[i];
    }
    return out;
}

}  // namespace

std::optional<frame> decode_frame(std::string_view text, std::string& error) {
    boost::system::error_code ec;
    json::parse_options lenient;
    lenient.allow_invalid_utf8 = true;
    json::value v = json::parse(text, ec, {}, lenient);
    if (ec && text.find("\\u") != std::string_view::npos) {
        ec = {};
        v = json::parse(repair_surrogates(text), ec, {}, lenient);
    }
    if (ec) {
        error = "not JSON: " + ec.message();
        return std::nullopt;
    }
    if (!v.is_object()) {
        error = "not a JSON object";
        return std::nullopt;
    }
    auto& o = v.get_object();
    frame f;
    f.type_name = str(o, "type");
    if (f.type_name.empty()) {
        error = "no type";
        return std::nullopt;
    }
    f.envelope_id = str(o, "envelope_id");
    f.reason = str(o, "reason");
    if (auto it = o.find("retry_attempt"); it != o.end() && it->value().is_int64())
        f.retry_attempt = int(it->value().get_int64());
    if (auto p = obj(o, "payload")) f.payload = *p;
    if (f.type_name == "hello") f.type = frame::kind::hello;
    else if (f.type_name == "disconnect") f.type = frame::kind::disconnect;
    else if (f.type_name == "events_api") f.type = frame::kind::events_api;
    else if (f.type_name == "slash_commands") f.type = frame::kind::slash_commands;
    else if (f.type_name == "interactive") f.type = frame::kind::interactive;
    return f;
}

std::string ack_frame(const std::string& envelope_id) {
    return json::serialize(json::object{{"envelope_id", envelope_id}});
}

namespace {
constexpr std::int64_t max_ts_seconds = std::numeric_limits<std::int64_t>::max() / 1000 - 1;
}  // namespace

instant from_ts(std::string_view ts) {
    auto dot = ts.find('.');
    std::int64_t secs = std::strtoll(std::string(ts.substr(0, dot)).c_str(), nullptr, 10);
    // Seconds whose milliseconds do not fit in 64 bits are no time Slack sends: read them
    // as 0, like a timestamp that is not a number.
    if (secs > max_ts_seconds || secs < -max_ts_seconds) secs = 0;
    std::int64_t ms = 0;
    if (dot != std::string_view::npos) {
        std::string frac(ts.substr(dot + 1, 3));
        while (frac.size() < 3) frac += '0';
        ms = std::strtoll(frac.c_str(), nullptr, 10);
    }
    return from_unix_ms(secs * 1000 + ms);
}

std::string readable_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '<') {
            auto close = text.find('>', i);
            if (close == std::string_view::npos) {
                out += c;
                continue;
            }
            std::string_view inner = text.substr(i + 1, close - i - 1);
            auto bar = inner.find('|');
            std::string_view target = inner.substr(0, bar);
            std::string_view label = bar == std::string_view::npos ? std::string_view{} : inner.substr(bar + 1);
            if (!target.empty() && target[0] == '@') {
                // A user mention keeps the id, which commands take as "@U123".
                out += "@";
                out += target.substr(1);
            } else if (!target.empty() && target[0] == '#') {
                out += "#";
                out += label.empty() ? target.substr(1) : label;
            } else if (!target.empty() && target[0] == '!') {
                auto word = target.substr(1);
                if (auto caret = word.find('^'); caret != std::string_view::npos) word = word.substr(0, caret);
                out += label.empty() ? "@" + std::string(word) : std::string(label);
            } else if (!label.empty() && label != target) {
                out += label;
                out += " (";
                out += target;
                out += ")";
            } else {
                out += target;
            }
            i = close;
            continue;
        }
        if (c == '&') {
            if (text.substr(i, 5) == "&amp;") {
                out += '&';
                i += 4;
                continue;
            }
            if (text.substr(i, 4) == "&lt;") {
                out += '<';
                i += 3;
                continue;
            }
            if (text.substr(i, 4) == "&gt;") {
                out += '>';
                i += 3;
                continue;
            }
        }
        out += c;
    }
    return out;
}

std::optional<std::string> name_of_user(const json::object& user) {
    if (const json::object* p = obj(user, "profile")) {
        for (const char* key : {"display_name", "real_name"})
            if (auto n = str(*p, key); !n.empty()) return n;
    }
    if (auto n = str(user, "name"); !n.empty()) return n;
    return std::nullopt;
}

std::optional<chat_event> translate_event(const json::object& payload, const std::string& bot_user) {
    const json::object* ev = obj(payload, "event");
    std::string event_id = str(payload, "event_id");
    if (!ev || event_id.empty()) return std::nullopt;
    std::string type = str(*ev, "type");
    chat_event ce;
    ce.event_id = "slack:" + event_id;

    if (type == "message") {
        std::string subtype = str(*ev, "subtype");
        ce.room = room_ref{"slack", str(*ev, "channel")};
        if (ce.room.id.empty()) return std::nullopt;
        if (subtype == "message_changed") {
            const json::object* m = obj(*ev, "message");
            if (!m || str(*m, "user") == bot_user || !str(*m, "bot_id").empty()) return std::nullopt;
            // Slack also reports link unfurls as changes; only a changed text is an edit.
            const json::object* before = obj(*ev, "previous_message");
            if (before && str(*before, "text") == str(*m, "text")) return std::nullopt;
            ce.kind = event_kind::edit;
            ce.user = user_ref{str(*m, "user")};
            ce.msg = message_id{str(*m, "ts")};
            ce.text = readable_text(str(*m, "text"));
            ce.at = from_ts(str(*ev, "ts"));
            return ce.msg.empty() ? std::nullopt : std::optional{ce};
        }
        if (subtype == "message_deleted") {
            ce.kind = event_kind::remove;
            ce.msg = message_id{str(*ev, "deleted_ts")};
            ce.at = from_ts(str(*ev, "ts"));
            const json::object* before = obj(*ev, "previous_message");
            ce.user = user_ref{str(before, "user")};
            return ce.msg.empty() ? std::nullopt : std::optional{ce};
        }
        // Plain messages, thread broadcasts, /me and file shares are what people said;
        // joins, topic changes and other bots' posts are not.
        if (!subtype.empty() && subtype != "thread_broadcast" && subtype != "me_message" && subtype != "file_share")
            return std::nullopt;
        std::string user = str(*ev, "user");
        if (user.empty() || user == bot_user || !str(*ev, "bot_id").empty()) return std::nullopt;
        ce.kind = event_kind::message;
        ce.user = user_ref{user};
        ce.msg = message_id{str(*ev, "ts")};
        ce.at = from_ts(str(*ev, "ts"));
        ce.text = readable_text(str(*ev, "text"));
        if (subtype == "me_message") ce.text = "* " + ce.text;
        std::string thread = str(*ev, "thread_ts");
        if (!thread.empty() && thread != ce.msg.id) ce.thread_parent = message_id{thread};
        ce.direct = str(*ev, "channel_type") == "im";
        return ce.msg.empty() ? std::nullopt : std::optional{ce};
    }
    if (type == "reaction_added" || type == "reaction_removed") {
        const json::object* item = obj(*ev, "item");
        if (!item || str(*item, "type") != "message") return std::nullopt;
        std::string user = str(*ev, "user");
        if (user == bot_user) return std::nullopt;
        ce.kind = event_kind::reaction;
        ce.room = room_ref{"slack", str(*item, "channel")};
        ce.msg = message_id{str(*item, "ts")};
        ce.user = user_ref{user};
        ce.reaction = str(*ev, "reaction");
        ce.highlight = ce.reaction == "pushpin" || ce.reaction == "round_pushpin";
        ce.reaction_added = type == "reaction_added";
        ce.at = from_ts(str(*ev, "event_ts"));
        return ce;
    }
    if (type == "user_change") {
        // Someone changed their profile: their name as users.info would give it now. It
        // belongs to no room; the event id keeps a redelivery from counting twice.
        const json::object* user = obj(*ev, "user");
        auto name = user ? name_of_user(*user) : std::nullopt;
        if (!user || !name || str(*user, "id").empty() || str(*user, "id") == bot_user) return std::nullopt;
        ce.kind = event_kind::name_changed;
        ce.room = room_ref{"slack", ""};
        ce.user = user_ref{str(*user, "id")};
        ce.text = *name;
        ce.at = from_ts(str(*ev, "event_ts"));
        return ce;
    }
    if (type == "member_joined_channel" || type == "member_left_channel") {
        // Who is in an incident channel decides who may see a private incident.
        ce.kind = type == "member_joined_channel" ? event_kind::member_joined : event_kind::member_left;
        ce.room = room_ref{"slack", str(*ev, "channel")};
        ce.user = user_ref{str(*ev, "user")};
        ce.at = from_ts(str(*ev, "event_ts"));
        return ce;
    }
    return std::nullopt;
}

std::optional<chat_event> translate_command(const json::object& payload, instant now) {
    std::string channel = str(payload, "channel_id");
    std::string user = str(payload, "user_id");
    std::string trigger = str(payload, "trigger_id");
    if (channel.empty() || user.empty()) return std::nullopt;
    chat_event ce;
    ce.kind = event_kind::command;
    // A slash command has no event id; its trigger id is unique per invocation.
    ce.event_id = "slack:cmd:" + (trigger.empty() ? channel + ":" + user + ":" + std::to_string(to_unix_ms(now)) : trigger);
    ce.room = room_ref{"slack", channel};
    ce.user = user_ref{user};
    ce.text = readable_text(str(payload, "text"));
    ce.at = now;
    ce.direct = str(payload, "channel_name") == "directmessage";
    return ce;
}

namespace {

constexpr std::string_view button_prefix = "incident ";
constexpr std::size_t max_title_input = 200;     // the dispatcher keeps titles shorter still
constexpr std::size_t max_field_input = 1000;    // what an update field keeps
constexpr std::size_t max_next_input = 40;

// A channel id as private_metadata carries it back: Slack ids are upper-case letters and
// digits. Anything else did not come from a form firebreak opened.
bool channel_id(std::string_view s) {
    return !s.empty() && s.size() <= 32 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isupper(c) || std::isdigit(c); });
}

std::string trimmed_lower(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return ascii_lower(s.substr(b, e - b + 1));
}

json::object plain_text(std::string_view text) {
    return json::object{{"type", "plain_text"}, {"text", text}, {"emoji", true}};
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

std::optional<chat_event> translate_interaction(const json::object& payload, instant now, std::string* why) {
    std::string type = str(payload, "type");
    std::string user = str(obj(payload, "user"), "id");
    if (type == "view_submission") {
        const json::object* view = obj(payload, "view");
        std::string callback = str(view, "callback_id");
        if (!view || (callback != declare_form && callback != update_form)) return std::nullopt;
        auto fail = [&](std::string e) -> std::optional<chat_event> {
            if (why) *why = std::move(e);
            return std::nullopt;
        };
        std::string channel = str(view, "private_metadata");
        if (!channel_id(channel)) return fail(callback + " submitted without a channel in private_metadata");
        if (user.empty()) return fail(callback + " submitted without a user");
        std::string view_id = str(view, "id");
        if (view_id.empty()) return fail(callback + " submitted without a view id");
        std::string error;
        auto cmd = submission_command(*view, error);
        if (!cmd) return fail(error);
        chat_event ce;
        ce.kind = event_kind::command;
        // One submission of one view: Slack redelivers it with the same id and hash.
        ce.event_id = "slack:view:" + view_id + ":" + str(view, "hash");
        ce.room = room_ref{"slack", channel};
        ce.user = user_ref{user};
        ce.text = std::move(*cmd);
        ce.at = now;
        return ce;
    }
    if (type != "block_actions") return std::nullopt;
    auto actions = payload.find("actions");
    if (actions == payload.end() || !actions->value().is_array() || actions->value().get_array().empty()) return std::nullopt;
    const auto& first = actions->value().get_array().front();
    if (!first.is_object()) return std::nullopt;
    std::string value = str(first.get_object(), "value");
    if (value.rfind(button_prefix, 0) != 0) return std::nullopt;
    std::string channel = str(obj(payload, "channel"), "id");
    if (channel.empty()) channel = str(obj(payload, "container"), "channel_id");
    if (channel.empty() || user.empty()) return std::nullopt;
    chat_event ce;
    ce.kind = event_kind::command;
    ce.event_id = "slack:action:" + str(payload, "trigger_id") + ":" + str(first.get_object(), "action_ts");
    ce.room = room_ref{"slack", channel};
    ce.user = user_ref{user};
    // "{me}" is whoever pressed: "scribe {me}" pressed by U5 is "scribe @U5".
    std::string text = value.substr(button_prefix.size());
    for (auto at = text.find("{me}"); at != std::string::npos; at = text.find("{me}", at + user.size() + 1))
        text.replace(at, 4, "@" + user);
    ce.text = std::move(text);
    ce.at = now;
    return ce;
}

bool is_slack_id(std::string_view id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isupper(c) || std::isdigit(c); });
}

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

bool fatal_auth_error(std::string_view e) {
    return e == "invalid_auth" || e == "not_authed" || e == "account_inactive" || e == "token_revoked" ||
           e == "token_expired" || e == "not_allowed_token_type" || e == "no_permission" || e == "team_access_not_granted";
}

error_kind classify(std::string_view e) {
    if (e == "ratelimited" || e == "rate_limited") return error_kind::retry_after;
    if (fatal_auth_error(e) || e == "missing_scope" || e == "restricted_action") return error_kind::auth;
    if (e == "channel_not_found" || e == "user_not_found" || e == "message_not_found" || e == "not_in_channel" ||
        e == "is_archived")
        return error_kind::not_found;
    if (e == "internal_error" || e == "fatal_error" || e == "service_unavailable" || e == "request_timeout" ||
        e == "timeout" || e.empty())
        return error_kind::transient;
    return error_kind::invalid;
}

}  // namespace firebreak::slack
