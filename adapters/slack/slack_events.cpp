#include "adapters/slack/slack_events.hpp"

#include "adapters/slack/slack_forms.hpp"
#include "adapters/slack/slack_json.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace firebreak::slack {

namespace json = boost::json;
using namespace detail;

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

// A channel id as private_metadata carries it back: Slack ids are upper-case letters and
// digits. Anything else did not come from a form firebreak opened.
bool channel_id(std::string_view s) {
    return !s.empty() && s.size() <= 32 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isupper(c) || std::isdigit(c); });
}

}  // namespace

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

}  // namespace firebreak::slack
