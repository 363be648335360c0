#pragma once
// One alert as firebreak keeps it, whatever sent it: Prometheus Alertmanager, Grafana, or
// any tool that can POST JSON (through a configured field mapping). The receivers turn each
// payload into a notification of such alerts; routing, grouping and the triage cards work
// on these alone.
#include "bot/core/time.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace firebreak::alerts {

enum class alert_status { firing, resolved };
/// "firing" or "resolved".
std::string to_string(alert_status s);

struct alert {
    std::string source;       ///< the configured source it came through ("prometheus", "grafana", …)
    std::string fingerprint;  ///< the sender's stable id of the alert across notifications
    alert_status status = alert_status::firing;
    std::string title;        ///< alertname, rule title, or the mapped title
    std::string severity;     ///< as the sender says it ("critical", "warning", …); "" when none
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;
    std::optional<instant> starts_at;
    std::optional<instant> ends_at;  ///< when it resolved (or will be considered resolved)
    std::string link;                ///< where it came from (generatorURL, the panel, …)
};

/// One delivery from a sender: the alerts it carries and what groups them.
struct notification {
    std::string group_key;  ///< Alertmanager's groupKey; "" when the sender has none
    std::vector<alert> alerts;
};

/// What makes a sender's retry of the same notification a no-op: source, fingerprint,
/// status and start, as one string.
std::string dedupe_key(const alert& a);

/// The most alerts one payload may carry; more is refused whole.
constexpr std::size_t max_alerts_per_payload = 10000;
/// The longest label or annotation value kept; longer ones are cut at a character.
constexpr std::size_t max_value_bytes = 4096;

}  // namespace firebreak::alerts
