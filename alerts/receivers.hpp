#pragma once
// The receivers' translators: one payload in, one notification of normalised alerts out,
// or a one-line reason it was refused (the HTTP receiver answers 400 with it). They read
// the documented webhook payloads of Prometheus Alertmanager (version 4) and Grafana's
// unified alerting, and any JSON through a field mapping from the configuration. Text is
// cleaned (invalid UTF-8 repaired, control characters dropped, lengths bounded); a body
// that is not JSON, is not valid UTF-8, or lacks what an alert needs is refused whole.
#include "alerts/alert.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace firebreak::alerts {

/// A notification, or why the payload was refused.
struct parsed {
    std::optional<notification> value;
    std::string error;
};

/// Alertmanager's webhook payload: groupKey, status, alerts[] with labels, annotations,
/// startsAt, endsAt, generatorURL, fingerprint.
parsed parse_alertmanager(std::string_view body, const std::string& source);

/// Grafana's webhook contact point payload (Alertmanager's shape with Grafana's fields:
/// title, panelURL, dashboardURL per alert).
parsed parse_grafana(std::string_view body, const std::string& source);

/// Where a generic sender's fields are, as dotted paths into its JSON ("alert.id",
/// "checks.0.name"); "" for a field it does not send.
struct generic_mapping {
    std::string items;        ///< an array of alerts; "" when the body is one alert
    std::string title;        ///< required
    std::string fingerprint;  ///< required
    std::string status;       ///< "" means always firing
    std::string severity;
    std::string link;
    std::string starts_at;    ///< an RFC 3339 time, or seconds (or milliseconds) since the epoch
    std::string labels;       ///< an object whose members become labels
    /// Status values that mean resolved (compared without case); others mean firing.
    std::vector<std::string> resolved_values{"resolved", "ok", "up", "closed"};
};

/// Any JSON through `m`.
parsed parse_generic(std::string_view body, const generic_mapping& m, const std::string& source);

}  // namespace firebreak::alerts
