#pragma once
// What the core asks the runtime to send. Each becomes one outbox row.
#include "bot/core/ids.hpp"
#include "bot/core/rich_text.hpp"

#include <string>
#include <vector>

namespace firebreak {

/// Where an outbound message goes.
enum class target_kind {
    room,           ///< a concrete room (`room`)
    incident_room,  ///< the incident's dedicated room on `platform`, resolved at delivery
    announcement,   ///< the configured announcement room of `platform`
};

/// What to do.
enum class outbound_op {
    post,        ///< post `body` (in thread `thread` if set)
    ephemeral,   ///< show `body` only to `to_user` where supported, else post as a reply
    set_topic,   ///< set the room topic to body.plain()
    open_room,   ///< create the incident room named `room_name`, inviting `invite`
    postmortem,  ///< render the postmortem draft of `incident` and post it (file where supported)
    invite,      ///< invite `invite` to the room (role holders join the incident room)
    moderator,   ///< the commander changed: `invite` (one or none) becomes the room's
                 ///< moderator and `to_user` (or nobody) no longer is, where rooms have ranks
};

/// Where an ephemeral answer goes on a platform without ephemeral messages.
enum class ephemeral_fallback {
    reply_in_room,   ///< posted in the room it was asked in, addressed to the user
    incident_room,   ///< about a private incident, asked from outside it: posted in the
                     ///< incident's own room (`incident`), addressed to the user, never
                     ///< where it was asked
    drop,            ///< a courtesy the platform cannot show privately: not sent
};

/// One thing to deliver.
struct outbound {
    outbound_op op = outbound_op::post;
    target_kind target = target_kind::room;
    std::string platform;
    room_ref room;
    incident_id incident;
    user_ref to_user;
    rich_text body;
    message_id thread;
    std::string room_name;
    std::vector<user_ref> invite;
    bool is_private = false;
    /// For `post`: react with this emoji name ("white_check_mark") to `reaction_to`
    /// instead, where the platform has reactions; elsewhere `body` is posted, or nothing
    /// when it is empty.
    std::string reaction;
    message_id reaction_to;
    /// For `ephemeral`: what happens where the platform has no ephemeral messages.
    ephemeral_fallback fallback = ephemeral_fallback::reply_in_room;
    bool operator==(const outbound&) const = default;
};

}  // namespace firebreak
