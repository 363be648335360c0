#pragma once
// The normalized inbound event every adapter produces.
#include "bot/core/alert_card.hpp"
#include "bot/core/ids.hpp"
#include "bot/core/time.hpp"

#include <memory>
#include <string>

namespace firebreak {

/// What happened on the platform.
enum class event_kind {
    message,     ///< a person said something (text may start with the command prefix)
    edit,        ///< a person edited message `msg`
    remove,      ///< message `msg` was deleted
    reaction,    ///< a reaction was added to (or removed from) message `msg`
    command,     ///< a slash command; `text` is everything after "/incident"
    room_bound,  ///< the runtime opened `room` for `incident` (delivery of an open_room)
    member_joined,  ///< `user` joined `room`
    sync_mark,   ///< nothing happened: only the adapter cursor moves (an empty sync batch)
    member_left, ///< `user` left `room` or was removed from it
    name_changed,  ///< `user` now goes by the display name `text` (the record is unchanged)
    alert,       ///< an alert receiver took one notification of one alert (`alert`), routed to `room`
};

/// One inbound event, already translated from the platform's wire format.
struct chat_event {
    event_kind kind = event_kind::message;
    std::string event_id;        ///< platform-unique id; the store de-duplicates on it
    room_ref room;
    user_ref user;
    instant at{};                ///< the platform's timestamp (UTC, ms)
    std::string text;
    message_id msg;              ///< the message itself, or the one edited/removed/reacted to
    message_id thread_parent;
    std::string reaction;        ///< the platform's name for it, for the record
    /// A reaction that marks its message a highlight: each adapter says which of its
    /// emoji mean that (📌 and its kin); the core knows no emoji names.
    bool highlight = false;
    bool reaction_added = true;
    bool direct = false;         ///< a direct message to the bot
    /// For a 📌 on a message firebreak itself posted in an incident room, found by the
    /// runtime: that message's text, so the pin can put it on the record. Empty otherwise.
    std::string bot_post_text;
    incident_id incident;        ///< for room_bound
    /// For an alert event: the alert as notified and where routing sent it (`room` is the
    /// card's room, `user` the sender's name). Shared, since events are copied on the way in.
    std::shared_ptr<const alert_arrival> alert;
};

}  // namespace firebreak
