#pragma once
// Everything the pure core decides from, and the change it returns.
#include "bot/core/incident.hpp"
#include "bot/core/outbound.hpp"
#include "bot/core/timeline.hpp"

#include <array>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace firebreak {

/// Deployment settings the core obeys (filled from config by the runtime).
struct engine_settings {
    severity default_severity = severity::sev2;
    std::set<std::string> admins;                         ///< user ids allowed to close/reopen/replace
    std::string room_name_template = "inc-{n}-{slug}";
    std::map<std::string, room_ref> announcement_rooms;   ///< platform -> room
    /// Status update cadence by severity (index 0 = SEV1); zero means none.
    std::array<duration, 4> update_cadence{duration{20 * 60000}, duration{30 * 60000},
                                           duration{60 * 60000}, duration{0}};
    std::string command_prefix = "!incident";
    std::size_t max_text_bytes = 4000;                    ///< longer text is cut, with a marker
    std::size_t timeline_tail = 50;                       ///< entries kept in memory per incident
};

/// The state the core decides from.
struct engine_state {
    std::map<std::int64_t, incident> incidents;           ///< by number, all incidents
    std::int64_t next_number = 1;
    std::map<room_ref, incident_id> room_index;           ///< incident rooms
    std::map<std::int64_t, std::deque<timeline_entry>> recent;  ///< tail per incident
    bool operator==(const engine_state&) const = default;

    /// The incident whose room this is, if any.
    const incident* by_room(const room_ref& r) const;
    /// The incident with this number, if any.
    const incident* find(std::int64_t n) const;
};

/// The result of handling one event: everything to commit in one transaction.
struct change {
    std::vector<incident> incidents;              ///< full new value of each changed incident
    std::int64_t next_number = 0;                 ///< new counter value, 0 when unchanged
    std::vector<timeline_entry> entries;          ///< rows to append
    std::vector<timeline_amendment> amendments;   ///< edits/deletes/highlights of earlier rows
    std::vector<outbound> outbox;                 ///< messages to deliver, in order
    std::vector<std::pair<room_ref, incident_id>> rooms_bound;
    bool empty() const {
        return incidents.empty() && next_number == 0 && entries.empty() && amendments.empty() &&
               outbox.empty() && rooms_bound.empty();
    }
};

/// Folds a committed change into the state (after the store accepted it).
void fold(engine_state& state, const change& c, const engine_settings& settings);

}  // namespace firebreak
