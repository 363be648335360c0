#pragma once
// Matrix Client-Server wire <-> core translation: pure functions over Boost.JSON,
// no I/O. Sync responses become chat_events; rich_text becomes m.notice content
// with an HTML formatted_body from the spec's HTML subset.
#include "bot/core/chat_event.hpp"
#include "bot/core/ports.hpp"
#include "bot/core/rich_text.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::matrix {

/// "@alice:example.org" from the core's user id ("alice:example.org"); the core keeps
/// user ids without the sigil, as the command parser reads "@alice:example.org".
std::string to_mxid(const user_ref& u);
/// The core's user id for a Matrix user id.
user_ref from_mxid(std::string_view mxid);

/// A room's limited timeline: events between `since` and `prev_batch` were left out.
struct timeline_gap {
    std::string room_id;
    std::string prev_batch;
};

/// What one /sync response holds for the bot.
struct sync_batch {
    std::string next_batch;
    std::vector<chat_event> events;        ///< in order, the bot's own left out
    std::vector<std::string> invites;      ///< rooms the bot is invited to
    std::set<std::string> direct_rooms;    ///< rooms known to be one-to-one with the bot
    std::vector<timeline_gap> gaps;        ///< limited timelines
    /// Reactions seen, by reaction event id: (room, target message, key), so a later
    /// redaction of the reaction can be read as its removal.
    std::map<std::string, std::pair<std::string, std::string>> reactions;
    int skipped = 0;                       ///< events that were malformed or not for the bot
};

/// Known reactions (reaction event id -> target message id and key), for redactions.
using reaction_index = std::map<std::string, std::pair<std::string, std::string>>;

/// Parses a /sync body. Nullopt (with `error` set) when it is not a usable sync response;
/// a bad event inside a good response is skipped and counted instead.
std::optional<sync_batch> decode_sync(std::string_view body, const std::string& bot_mxid,
                                      const reaction_index& known_reactions, std::string& error);

/// Translates one room timeline event (also used for /messages gap fills). Nullopt for
/// events the bot does not act on (its own, state it ignores, unknown types).
std::optional<chat_event> translate_event(const std::string& room_id, const boost::json::object& ev,
                                          const std::string& bot_mxid, const reaction_index& known_reactions);

/// The message body a person meant: the plain body, with mention pills from
/// formatted_body turned into "@user:server" and a reply's quoted fallback removed.
std::string readable_body(const boost::json::object& content);

/// HTML for a rich text, in the spec's HTML subset (strong, em, code, a, br).
std::string to_html(const rich_text& t);

/// The content of an m.notice carrying `t` (body, format, formatted_body), in a thread
/// when `thread_root` is set.
boost::json::object notice_content(const rich_text& t, const std::string& thread_root = "");

/// Maps an HTTP status and Matrix errcode to the core's error kinds.
error_kind classify(int status, std::string_view errcode);

/// A failed response turned into a delivery: kind, one-line detail (no secrets) and the
/// wait from the Retry-After header or, failing that, retry_after_ms.
delivery failure(int status, std::string_view body, std::optional<std::string> retry_after_header,
                 std::string_view operation);

/// The errcode of an error body, or "".
std::string errcode_of(std::string_view body);

/// A room alias localpart from a room name: lower-case letters, digits, '-', '_' and
/// '.', at most 80 bytes; never empty.
std::string alias_localpart(std::string_view name);

/// The server name of a user id ("example.org" for "@bot:example.org").
std::string server_of(std::string_view mxid);

/// The filter the bot syncs with: only the event types it acts on, no presence,
/// account data or ephemeral events.
boost::json::object sync_filter();

}  // namespace firebreak::matrix
