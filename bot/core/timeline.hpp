#pragma once
// Timeline entries: every message in an incident room, and a system entry
// for every change firebreak makes.
#include "bot/core/ids.hpp"
#include "bot/core/time.hpp"

#include <optional>
#include <string>

namespace firebreak {

/// What kind of entry a timeline row is.
enum class entry_kind {
    message,  ///< something a person said in the incident room
    system,   ///< a change firebreak recorded (roles, severity, status, updates, nudges, handoffs)
};

/// One timeline row.
struct timeline_entry {
    std::int64_t seq = 0;           ///< assigned by the store; 0 before it is stored
    incident_id incident;
    instant at{};                   ///< platform timestamp, UTC ms
    entry_kind kind = entry_kind::message;
    std::string tag;                ///< "decision", "hypothesis", "status", "role", ... or empty
    user_ref author;                ///< the person, or the actor of a system change
    std::string text;
    room_ref room;
    message_id msg;                 ///< platform message id (messages only)
    message_id thread_parent;       ///< platform id of the thread root, if any
    bool highlight = false;
    bool edited = false;
    bool deleted = false;
    bool operator==(const timeline_entry&) const = default;
};

/// A change to an existing message entry, addressed by its platform id.
struct timeline_amendment {
    enum class what { edit, remove, highlight, unhighlight };
    what op = what::edit;
    incident_id incident;
    room_ref room;
    message_id msg;
    std::string new_text;           ///< for edits
    std::string new_tag;            ///< for edits: the tag the new text carries, or empty
    user_ref actor;
    instant at{};
    bool operator==(const timeline_amendment&) const = default;
};

}  // namespace firebreak
