#pragma once
// The nudges of PRODUCT §5 as a pure function of the state and the time: which are
// due, and when the next one will be. Sending one is `apply_nudge` (dispatcher).
//
// Each nudge belongs to a sequence: one episode of one condition, such as "no
// commander since 14:05" or "the update due at 15:20". The incident keeps how many
// steps of each sequence were sent and when (incident::nudges), committed together
// with the nudge, so a restart picks up exactly at the next step. Repeats are timed
// from the previous step actually sent, so after a long pause the sequence resumes
// one step at a time instead of firing every missed step at once.
#include "bot/core/engine_state.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak {

/// What a nudge is about; also what `snooze` names.
enum class nudge_kind { commander, scribe, update, rotation, hypothesis, rollback, close };

/// Every kind, in the order help lists them.
inline constexpr std::array<nudge_kind, 7> all_nudge_kinds{nudge_kind::commander, nudge_kind::scribe,
                                                           nudge_kind::update,    nudge_kind::rotation,
                                                           nudge_kind::hypothesis, nudge_kind::rollback,
                                                           nudge_kind::close};
/// "commander", "scribe", "update", ... (the names snoozes are stored and typed by).
std::string_view to_string(nudge_kind k);
/// The kind with this name, if any.
std::optional<nudge_kind> parse_nudge_kind(std::string_view name);
inline std::ostream& operator<<(std::ostream& o, nudge_kind k) { return o << to_string(k); }

/// One step of one nudge sequence.
struct nudge {
    incident_id incident;
    nudge_kind kind = nudge_kind::update;
    std::string sequence;      ///< key in incident::nudges, e.g. "update@1800000000000"
    int step = 1;              ///< 1 for the first nudge of the sequence
    instant due{};             ///< when it is due (already past for a due nudge)
    bool escalate = false;     ///< also tell the announcement room
    user_ref subject;          ///< the person it is about (rotation), if any
    role subject_role = role::commander;
    int hypothesis = 0;        ///< H<n> for the hypothesis time-box
    bool operator==(const nudge&) const = default;
};

/// The next step of every live sequence of every open incident, due or not, ordered
/// by due time. Snoozed kinds are due when their snooze ends.
std::vector<nudge> planned_nudges(const engine_state& state, const engine_settings& settings);

/// The planned nudges of one incident.
std::vector<nudge> planned_nudges(const incident& inc, const engine_settings& settings);

/// The nudges due at `now`, in order.
std::vector<nudge> due_nudges(const engine_state& state, instant now, const engine_settings& settings);

/// When the earliest planned nudge is due, if any.
std::optional<instant> next_nudge_at(const engine_state& state, const engine_settings& settings);

/// Since when `r` has had nobody in it: the end of its last shift, or the declaration
/// (or the last reopen, whichever is later).
instant role_empty_since(const incident& inc, role r);

/// What stakeholders were promised for the update due at `due_at`: a promise later
/// than the cadence's reminder, else `due_at` itself.
instant promised_update_time(const incident& inc, instant due_at);

/// The event id under which a nudge is committed (the store de-duplicates on it).
std::string nudge_event_id(const nudge& n);

}  // namespace firebreak

template <>
struct fmt::formatter<firebreak::nudge_kind> : fmt::formatter<std::string_view> {
    auto format(firebreak::nudge_kind k, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(firebreak::to_string(k), ctx);
    }
};
