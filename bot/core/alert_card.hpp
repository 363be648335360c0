#pragma once
// Alerts as the core keeps them: triage cards, each holding the alerts of one problem (one
// group), and the alert event an alert receiver hands in once routing has decided where it
// goes. A card is declared into an incident, attached to one, or dismissed; the alerts it
// holds keep their firing/resolved history in it.
#include "bot/core/ids.hpp"
#include "bot/core/incident.hpp"
#include "bot/core/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace firebreak {

/// One alert on a card: the same alert (source and fingerprint) across its notifications.
struct card_alert {
    std::int64_t card = 0;
    std::string key;              ///< source and fingerprint: what makes it the same alert
    std::string source;           ///< the configured sender
    std::string fingerprint;
    std::string title;
    std::string severity;         ///< as the sender said it; "" when none
    std::string summary;          ///< the summary or description annotation, if any
    std::string link;
    std::vector<std::pair<std::string, std::string>> labels;  ///< sorted by name
    bool firing = true;
    instant started{};            ///< when it started firing (the sender's start, else receipt)
    std::optional<instant> resolved;  ///< when it last resolved, while not firing
    instant received{};           ///< when firebreak first heard of it
    int notifications = 1;        ///< notifications that changed or repeated it
    bool operator==(const card_alert&) const = default;
};

/// A triage card A<n>: the alerts of one group in one room, and what became of them.
struct alert_card {
    std::int64_t number = 0;
    room_ref room;                ///< where the card was posted
    std::string group;            ///< the grouping key of its alerts
    std::string title;            ///< the title an incident declared from it gets
    severity sev = severity::sev3;
    std::string rule;             ///< the routing rule that sent it, for the record
    instant opened{};
    instant last{};               ///< the last notification that reached it
    incident_id incident;         ///< the incident it was declared into or attached to (n 0: none)
    bool dismissed = false;
    user_ref decided_by;          ///< who declared, attached or dismissed it
    bool resolved_told = false;   ///< the incident was told its alerts all resolved
    /// Its alerts in the order they arrived (in the engine's state; the store keeps them as
    /// rows of their own, and a change carries only the ones it touched).
    std::vector<card_alert> alerts;
    bool operator==(const alert_card&) const = default;

    /// "A12".
    std::string str() const { return "A" + std::to_string(number); }
    /// The alert with this key, if the card holds it.
    const card_alert* find(std::string_view key) const;
    /// How many of its alerts are firing.
    std::size_t firing() const;
};

/// The user an alert sender acts as when it declares an incident itself ("alert:prometheus"):
/// never a platform user, so never mentioned.
user_ref alert_sender(const std::string& source);
/// Whether `u` is such a sender.
bool is_alert_sender(const user_ref& u);
/// The sender's configured name ("prometheus"), for text.
std::string sender_name(const user_ref& u);

/// Reads "A12" (any case) as 12.
std::optional<std::int64_t> parse_card_id(std::string_view text);

/// An alert as an alert event carries it: one notification of one alert, routed.
struct alert_arrival {
    card_alert alert;             ///< `card` 0; `started`, `received` and the state as notified
    std::string group;            ///< what groups it with others into one card
    room_ref room;                ///< where its card goes
    severity sev = severity::sev3;
    std::string title;            ///< the incident title its card would give
    std::string rule;
    bool declare = false;         ///< declare an incident at once (still posting the card)
    bool operator==(const alert_arrival&) const = default;
};

}  // namespace firebreak
