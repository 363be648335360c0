#pragma once
// Everything the pure core decides from, and the change it returns.
#include "bot/core/alert_card.hpp"
#include "bot/core/incident.hpp"
#include "bot/core/outbound.hpp"
#include "bot/core/timeline.hpp"

#include <array>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak {

using namespace std::chrono_literals;

/// When the nudges of PRODUCT §5 fire for one severity. A zero duration (or count)
/// turns that nudge off.
struct nudge_timing {
    duration update_every{0};                    ///< status update cadence; 0 = no cadence
    duration update_overdue_escalation{10min};   ///< overdue this long: tell the announcement room
    duration no_commander_after{5min};           ///< first "no commander" nudge after the commander left
    duration no_commander_repeat{5min};          ///< then again this often
    int no_commander_room_nudges = 3;            ///< room nudges before the announcement room hears
    duration no_scribe_after{10min};             ///< commander asked once to name a scribe
    duration rotation_after{2h};                 ///< anyone on shift this long is asked to hand over
    duration rotation_repeat{30min};             ///< and again this often until they do
    duration hypothesis_timebox{15min};          ///< an open hypothesis this old is questioned once
    duration what_changed_after{10min};          ///< no hypothesis and not mitigated: ask what changed
    duration close_after{24h};                   ///< resolved this long without `close`
    bool operator==(const nudge_timing&) const = default;
};

/// The defaults of PRODUCT §5: only the update cadence differs by severity.
std::array<nudge_timing, 4> default_nudge_timings();

/// Deployment settings the core obeys (filled from config by the runtime).
struct engine_settings {
    severity default_severity = severity::sev2;
    std::set<std::string> admins;                         ///< user ids allowed to close/reopen/replace
    std::string room_name_template = "inc-{n}-{slug}";
    /// The longest room name each platform takes, in bytes, as its adapter says
    /// (capabilities::room_name_limit); a platform not listed gets default_room_name_limit.
    std::map<std::string, std::size_t> room_name_limits;
    static constexpr std::size_t default_room_name_limit = 80;
    std::map<std::string, room_ref> announcement_rooms;   ///< platform -> room
    /// Nudge timings by severity (index 0 = SEV1), PRODUCT §5.
    std::array<nudge_timing, 4> nudges = default_nudge_timings();
    std::string command_prefix = "!incident";
    /// How hints spell the command on a platform where people type it differently
    /// ("slack" -> "/incident", its slash command); elsewhere hints use command_prefix.
    std::map<std::string, std::string> command_forms;
    std::size_t timeline_tail = 50;                       ///< entries kept in memory per incident
    /// Alerts of one group arriving within this of the last one join the same card.
    duration alert_group_window = std::chrono::hours{1};
};

/// The state the core decides from.
struct engine_state {
    std::map<std::int64_t, incident> incidents;           ///< by number, all incidents
    std::int64_t next_number = 1;
    std::map<room_ref, incident_id> room_index;           ///< incident rooms
    std::map<std::int64_t, std::deque<timeline_entry>> recent;  ///< tail per incident
    std::map<std::int64_t, alert_card> cards;             ///< triage cards by number, with their alerts
    std::int64_t next_card = 1;
    std::map<std::string, std::int64_t> card_by_group;    ///< group key -> its latest card
    std::map<std::string, std::int64_t> card_by_alert;    ///< alert key -> the latest card holding it
    bool operator==(const engine_state&) const = default;

    /// The incident whose room this is, if any.
    const incident* by_room(const room_ref& r) const;
    /// The incident with this number, if any.
    const incident* find(std::int64_t n) const;
    /// The card with this number, if any.
    const alert_card* card(std::int64_t n) const;
};

/// The longest text a platform can carry in one message, in bytes: Slack 40,000
/// characters (of up to 4 bytes), Matrix 65,536 bytes per event, the console and anything
/// else as Matrix. Messages and titles are stored whole up to it; only what could never
/// have come from the platform is cut, with a marker.
std::size_t text_limit(std::string_view platform);

/// How hints on `platform` spell the command: its command form, else the prefix.
const std::string& command_form(const engine_settings& s, std::string_view platform);

/// The nudge timings for a severity.
inline const nudge_timing& timing_for(const engine_settings& s, severity sev) {
    return s.nudges[std::size_t(int(sev) - 1)];
}

/// The result of handling one event: everything to commit in one transaction.
struct change {
    std::vector<incident> incidents;              ///< full new value of each changed incident
    std::int64_t next_number = 0;                 ///< new counter value, 0 when unchanged
    std::vector<timeline_entry> entries;          ///< rows to append
    std::vector<timeline_amendment> amendments;   ///< edits/deletes/highlights of earlier rows
    std::vector<outbound> outbox;                 ///< messages to deliver, in order
    std::vector<std::pair<room_ref, incident_id>> rooms_bound;
    /// Cards opened or changed: everything but their alerts (which the state keeps).
    std::vector<alert_card> cards;
    /// Alerts added to a card or changed on it (each names its card).
    std::vector<card_alert> card_alerts;
    std::int64_t next_card = 0;                   ///< new card counter, 0 when unchanged
    bool empty() const {
        return incidents.empty() && next_number == 0 && entries.empty() && amendments.empty() &&
               outbox.empty() && rooms_bound.empty() && cards.empty() && card_alerts.empty() && next_card == 0;
    }
};

/// Folds a committed change into the state (after the store accepted it).
void fold(engine_state& state, const change& c, const engine_settings& settings);

}  // namespace firebreak
