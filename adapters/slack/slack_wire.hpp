#pragma once
// Slack wire <-> core translation: Socket Mode frames, Events API payloads, slash
// commands and interactions become chat_events; rich_text becomes mrkdwn and Block
// Kit. Pure functions over Boost.JSON, no I/O.
#include "bot/core/chat_event.hpp"
#include "bot/core/ports.hpp"
#include "bot/core/rich_text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace firebreak::slack {

/// One Socket Mode frame.
struct frame {
    enum class kind { hello, disconnect, events_api, slash_commands, interactive, unknown };
    kind type = kind::unknown;
    std::string type_name;        ///< as sent ("events_api", ...)
    std::string envelope_id;      ///< "" for hello and disconnect
    std::string reason;           ///< disconnect: warning, refresh_requested, link_disabled
    int retry_attempt = 0;
    boost::json::object payload;
};

/// Decodes a frame; nullopt (with `error`) when it is not a JSON object with a type.
std::optional<frame> decode_frame(std::string_view text, std::string& error);

/// The acknowledgement of an envelope.
std::string ack_frame(const std::string& envelope_id);

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
/// submitted firebreak form (view_submission, see submission_command). Nullopt for anything
/// else; when the payload was one of firebreak's but unusable, `why` (if given) says why.
std::optional<chat_event> translate_interaction(const boost::json::object& payload, instant now,
                                                std::string* why = nullptr);

/// callback_id of the declare form.
inline constexpr std::string_view declare_form = "firebreak_declare";
/// callback_id of the status-update form.
inline constexpr std::string_view update_form = "firebreak_update";

/// The form a command typed without arguments asks for: declare_form for "declare",
/// update_form for "update" (trimmed, any case); "" for anything else.
std::string_view form_for(std::string_view command_text);

/// The modal for a form (declare_form or update_form), remembering `channel` (where the
/// command was typed and where the submission runs) in private_metadata. `default_sev`
/// (1-4) is the severity the declare form starts at.
boost::json::object form_view(std::string_view callback_id, std::string_view channel, int default_sev = 2);

/// The views.open arguments ({trigger_id, view}) that answer a slash command typed as
/// "declare" or "update" alone; nullopt when the command is anything else or has no trigger_id.
std::optional<boost::json::object> form_request(const boost::json::object& slash_payload, int default_sev = 2);

/// The command a submitted form stands for, read from view.state.values.<block>.<action>:
/// "declare <title> --sev N [--private]" or "update impact: …; actions: …; needs: …; next: …"
/// (only the fields given). Nullopt, with `error`, when the view is not a firebreak form or
/// lacks what it requires.
std::optional<std::string> submission_command(const boost::json::object& view, std::string& error);

/// mrkdwn for a rich text: *bold*, _italic_, `code`, <@U…> mentions, &<> escaped.
std::string to_mrkdwn(const rich_text& t);

/// The `text` of a message: its mrkdwn, cut with a note where Slack would cut it.
std::string message_text(const rich_text& t);

/// Block Kit for a rich text: mrkdwn sections of at most 3,000 characters, then an actions
/// block with one button per action (action_id "fb-<n>", value "incident <command>").
boost::json::array blocks_for(const rich_text& t);

/// A channel name from a room name, by Slack's rules (lower-case letters, digits, '-'
/// and '_', at most 80 characters, never empty); attempt > 0 adds "-2", "-3", ….
std::string channel_name(std::string_view name, int attempt = 0);

/// Maps a Slack error code (ok:false) to the core's kinds.
error_kind classify(std::string_view error);

/// Whether an error code means the token itself is no good (stop, do not retry).
bool fatal_auth_error(std::string_view error);

}  // namespace firebreak::slack
