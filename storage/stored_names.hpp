#pragma once
// The stable names the database stores for the core's enums (status, role, outbox op ...),
// the lookups both ways, and the name of the incident-number counter row.
#include "bot/core/incident.hpp"
#include "bot/core/outbound.hpp"
#include "bot/core/timeline.hpp"
#include "storage/sqlite_store.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace firebreak::detail {

// Enum names. The database stores stable names of its own rather than the
// display strings of the core (to_string), so a wording change in the UI never
// needs a migration. The CHECK constraints of the schema list the same names.

template <class E>
struct named {
    E value;
    const char* name;
};

inline constexpr named<status> status_names[] = {
    {status::investigating, "investigating"}, {status::identified, "identified"},
    {status::mitigated, "mitigated"},         {status::resolved, "resolved"},
    {status::closed, "closed"},
};
inline constexpr named<role> role_names[] = {
    {role::commander, "commander"}, {role::scribe, "scribe"}, {role::sme, "sme"},
};
inline constexpr named<outcome> outcome_names[] = {
    {outcome::open, "open"}, {outcome::confirmed, "confirmed"}, {outcome::ruled_out, "ruled_out"},
};
inline constexpr named<note_kind> note_kind_names[] = {
    {note_kind::decision, "decision"}, {note_kind::deadend, "deadend"},
    {note_kind::change, "change"},     {note_kind::impact, "impact"},
    {note_kind::mitigation, "mitigation"},
};
inline constexpr named<entry_kind> entry_kind_names[] = {
    {entry_kind::message, "message"}, {entry_kind::system, "system"},
};
inline constexpr named<outbound_op> op_names[] = {
    {outbound_op::post, "post"},           {outbound_op::ephemeral, "ephemeral"},
    {outbound_op::set_topic, "set_topic"}, {outbound_op::open_room, "open_room"},
    {outbound_op::postmortem, "postmortem"}, {outbound_op::invite, "invite"},
    {outbound_op::moderator, "moderator"},
};
inline constexpr named<target_kind> target_names[] = {
    {target_kind::room, "room"},
    {target_kind::incident_room, "incident_room"},
    {target_kind::announcement, "announcement"},
};
inline constexpr named<ephemeral_fallback> fallback_names[] = {
    {ephemeral_fallback::reply_in_room, "reply_in_room"},
    {ephemeral_fallback::incident_room, "incident_room"},
    {ephemeral_fallback::drop, "drop"},
};

template <class E, std::size_t N>
const char* name_of(const named<E> (&table)[N], E value, const char* what) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.name;
    // An enum value added to the core without a name here: a broken invariant.
    throw store_error(fmt::format("cannot store {} value {}: no stored name for it", what,
                                  static_cast<int>(value)));
}

template <class E, std::size_t N>
E value_of(const named<E> (&table)[N], const std::string& name, const char* what) {
    for (const auto& entry : table)
        if (name == entry.name) return entry.value;
    throw store_error(fmt::format("corrupt database: unknown {} '{}'", what, name));
}

inline severity severity_of(std::int64_t n) {
    if (n < 1 || n > 4) throw store_error(fmt::format("corrupt database: severity {}", n));
    return static_cast<severity>(n);
}

/// The `counters` row holding the next incident number.
inline constexpr const char* next_number_counter = "next_incident";
/// The `counters` row holding the next alert card number.
inline constexpr const char* next_card_counter = "next_alert_card";

}  // namespace firebreak::detail
