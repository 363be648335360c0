#pragma once
// Slack payloads as chat_events: Events API events, /incident slash commands and
// interactions (button presses, submitted forms), with the text and id rules they use.
#include "bot/core/chat_event.hpp"
#include "bot/core/time.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace firebreak::slack {

/// Slack's message timestamp ("1610241741.000200") as an instant (ms).
instant from_ts(std::string_view ts);

/// Message text as a person reads it: <@U1> as @U1, <#C1|name> as #name, <url|label> as
/// "label (url)", <!here> as @here, and &amp; &lt; &gt; decoded.
std::string readable_text(std::string_view text);

/// An events_api payload as a chat_event; nullopt for what the bot does not act on
/// (its own messages, other bots' posts, event types it does not track).
std::optional<chat_event> translate_event(const boost::json::object& payload, const std::string& bot_user);

/// Whether `id` has the shape of a Slack id (users, channels): upper-case letters and
/// digits. Console-style names ("maya") are not.
bool is_slack_id(std::string_view id);

/// A Slack user object's name as people see it: the profile's display name, else its
/// real name, else the account name; none when all are empty.
std::optional<std::string> name_of_user(const boost::json::object& user);

/// A /incident slash command as a command event at `now` (the payload has no time).
std::optional<chat_event> translate_command(const boost::json::object& payload, instant now);

/// An interaction as a command event at `now`: a button press on a firebreak message
/// (block_actions whose value is "incident <command>"; "{me}" becomes "@<presser>"), or a
/// submitted firebreak form (view_submission, see submission_command in slack_forms.hpp).
/// Nullopt for anything else; when the payload was one of firebreak's but unusable, `why`
/// (if given) says why.
std::optional<chat_event> translate_interaction(const boost::json::object& payload, instant now,
                                                std::string* why = nullptr);

}  // namespace firebreak::slack
