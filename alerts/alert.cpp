#include "alerts/alert.hpp"

#include <fmt/format.h>

namespace firebreak::alerts {

std::string to_string(alert_status s) { return s == alert_status::firing ? "firing" : "resolved"; }

std::string dedupe_key(const alert& a) {
    // Lengths first, so no choice of fields can make two different alerts one key.
    const std::string start = a.starts_at ? std::to_string(to_unix_ms(*a.starts_at)) : std::string{};
    return fmt::format("{}:{}|{}:{}|{}|{}", a.source.size(), a.source, a.fingerprint.size(), a.fingerprint,
                       to_string(a.status), start);
}

}  // namespace firebreak::alerts
