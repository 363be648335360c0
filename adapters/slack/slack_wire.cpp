#include "adapters/slack/slack_wire.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <cstdlib>

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

instant from_ts(std::string_view ts) {
    auto dot = ts.find('.');
    std::int64_t secs = std::strtoll(std::string(ts.substr(0, dot)).c_str(), nullptr, 10);
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
        ce.reaction_added = type == "reaction_added";
        ce.at = from_ts(str(*ev, "event_ts"));
        return ce;
    }
    if (type == "member_joined_channel") {
        ce.kind = event_kind::member_joined;
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

std::optional<chat_event> translate_interaction(const json::object& payload, instant now) {
    if (str(payload, "type") != "block_actions") return std::nullopt;
    auto actions = payload.find("actions");
    if (actions == payload.end() || !actions->value().is_array() || actions->value().get_array().empty()) return std::nullopt;
    const auto& first = actions->value().get_array().front();
    if (!first.is_object()) return std::nullopt;
    std::string value = str(first.get_object(), "value");
    static constexpr std::string_view prefix = "incident ";
    if (value.rfind(prefix, 0) != 0) return std::nullopt;
    std::string channel = str(obj(payload, "channel"), "id");
    if (channel.empty()) channel = str(obj(payload, "container"), "channel_id");
    std::string user = str(obj(payload, "user"), "id");
    if (channel.empty() || user.empty()) return std::nullopt;
    chat_event ce;
    ce.kind = event_kind::command;
    ce.event_id = "slack:action:" + str(payload, "trigger_id") + ":" + str(first.get_object(), "action_ts");
    ce.room = room_ref{"slack", channel};
    ce.user = user_ref{user};
    ce.text = value.substr(prefix.size());
    ce.at = now;
    return ce;
}

std::string to_mrkdwn(const rich_text& t) {
    std::string out;
    for (const auto& s : t.spans()) {
        switch (s.look) {
            case span::style::plain: escape_mrkdwn(out, s.text); break;
            case span::style::bold:
                out += '*';
                escape_mrkdwn(out, s.text);
                out += '*';
                break;
            case span::style::italic:
                out += '_';
                escape_mrkdwn(out, s.text);
                out += '_';
                break;
            case span::style::code:
                out += '`';
                escape_mrkdwn(out, s.text);
                out += '`';
                break;
            case span::style::mention:
                // Slack ids are upper-case letters and digits; anything else stays text.
                if (!s.text.empty() && std::all_of(s.text.begin(), s.text.end(), [](unsigned char c) {
                        return std::isupper(c) || std::isdigit(c);
                    })) {
                    out += "<@" + s.text + ">";
                } else {
                    out += '@';
                    escape_mrkdwn(out, s.text);
                }
                break;
        }
    }
    return out;
}

json::array blocks_for(const rich_text& t) {
    std::string text = to_mrkdwn(t);
    json::array blocks;
    constexpr std::size_t limit = 3000;
    std::size_t i = 0;
    while (i < text.size() && blocks.size() < 50) {
        std::size_t n = std::min(limit, text.size() - i);
        // Cut at a line break where one is near, and never inside a UTF-8 sequence.
        if (i + n < text.size()) {
            auto nl = text.rfind('\n', i + n);
            if (nl != std::string::npos && nl > i + limit / 2) n = nl - i;
            while (n > 0 && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) --n;
        }
        json::object section{{"type", "section"},
                             {"text", json::object{{"type", "mrkdwn"}, {"text", text.substr(i, n)}}}};
        blocks.push_back(std::move(section));
        i += n;
        while (i < text.size() && text[i] == '\n') ++i;
    }
    return blocks;
}

std::string channel_name(std::string_view name, int attempt) {
    std::string out;
    for (unsigned char c : name) {
        if (std::isalnum(c)) out += char(std::tolower(c));
        else if ((c == '-' || c == '_') && !out.empty()) out += char(c);
        else if (!out.empty() && out.back() != '-') out += '-';
    }
    while (!out.empty() && (out.back() == '-' || out.back() == '_')) out.pop_back();
    if (out.empty()) out = "incident";
    std::string suffix = attempt > 0 ? "-" + std::to_string(attempt + 1) : "";
    if (out.size() + suffix.size() > 80) out.resize(80 - suffix.size());
    while (!out.empty() && out.back() == '-') out.pop_back();
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
