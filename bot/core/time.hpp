#pragma once
// Time in firebreak: absolute UTC instants with millisecond precision.
// Nothing in bot/core reads a clock; instants arrive as arguments.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace firebreak {

/// An absolute UTC instant, millisecond precision.
using instant = std::chrono::sys_time<std::chrono::milliseconds>;
/// A span of time, millisecond precision.
using duration = std::chrono::milliseconds;

/// Milliseconds since the Unix epoch.
inline std::int64_t to_unix_ms(instant t) { return t.time_since_epoch().count(); }
/// Instant from milliseconds since the Unix epoch.
inline instant from_unix_ms(std::int64_t ms) { return instant{duration{ms}}; }

/// "2026-11-22 14:32:05Z" (seconds precision, for people).
std::string format_utc(instant t);
/// "2026-11-22T14:32:05.123Z" (ISO 8601, for files).
std::string format_iso(instant t);
/// "14:32" UTC.
std::string format_hhmm(instant t);
/// "2h 05m", "14m", "35s".
std::string format_span(duration d);
/// As format_span, with the seconds kept where they are not zero ("28m 40s",
/// "1h 05m 12s"): for the postmortem, where a minute matters.
std::string format_span_exact(duration d);

/// Parses "30m", "2h", "1h30m", "45s", "1d"; nullopt when malformed or <= 0.
std::optional<duration> parse_duration(std::string_view text);

/// Result of reading a time the user typed.
struct parsed_time {
    std::optional<instant> value;  ///< set when understood
    std::string error;             ///< one line when not
};

/// Reads "14:32" (UTC, the most recent such time not after `now` + 5 min),
/// "14:32+02:00", "2026-11-22 14:32", "2026-11-22T14:32:00Z", with an optional offset.
parsed_time parse_user_time(std::string_view text, instant now);

/// Reads an ISO 8601 timestamp with offset or Z ("2026-11-22T14:32:05.120Z").
std::optional<instant> parse_iso(std::string_view text);

}  // namespace firebreak
