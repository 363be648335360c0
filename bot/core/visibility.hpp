#pragma once
// Who may see an incident: the one rule every reader of incident data asks (commands,
// interactions, list, replies outside the room, the announcement room, anything later).
#include "bot/core/incident.hpp"

#include <set>
#include <string>

namespace firebreak {

/// Someone asking about an incident: a person, and the room they asked in.
struct viewer {
    user_ref user;       ///< empty: firebreak itself (nudges, deliveries)
    room_ref room;
    bool direct = false; ///< the room is a direct conversation with the bot
};

/// Whether `who` may see and act on `inc`. A public incident is open to everyone. A
/// private one only to its members (invited by firebreak or joined its room, and not
/// since left), to whoever speaks in its own room (the platform let them in), to
/// configured admins and to firebreak itself.
bool may_see(const incident& inc, const viewer& who, const std::set<std::string>& admins);

/// Whether everyone who reads `room` may read the details of `inc`: any room for a
/// public incident, only its own rooms and direct conversations for a private one.
bool room_may_read(const incident& inc, const room_ref& room, bool direct);

/// The one answer for an incident that does not exist or that the asker may not see,
/// so ids cannot be probed: "There is no INC-7 you can see."
std::string not_visible_line(std::int64_t number);

}  // namespace firebreak
