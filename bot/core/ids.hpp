#pragma once
// Strong identifier types shared by the core, storage and adapters.
#include <compare>
#include <cstdint>
#include <fmt/format.h>
#include <string>

namespace firebreak {

/// The sequential number of an incident: INC-<n>.
struct incident_id {
    std::int64_t n = 0;
    auto operator<=>(const incident_id&) const = default;
    /// "INC-42".
    std::string str() const { return "INC-" + std::to_string(n); }
};

/// A platform user ("alice" on the console, "U024BE7LH" on Slack, "@bot:example.org" on Matrix).
struct user_ref {
    std::string id;
    auto operator<=>(const user_ref&) const = default;
    bool empty() const { return id.empty(); }
};

/// A room on one platform ("console", "slack", "matrix").
struct room_ref {
    std::string platform;
    std::string id;
    auto operator<=>(const room_ref&) const = default;
    bool empty() const { return id.empty(); }
};

/// A platform message id, unique within its room.
struct message_id {
    std::string id;
    auto operator<=>(const message_id&) const = default;
    bool empty() const { return id.empty(); }
};

}  // namespace firebreak

template <>
struct fmt::formatter<firebreak::incident_id> : fmt::formatter<std::string> {
    auto format(const firebreak::incident_id& v, fmt::format_context& ctx) const {
        return fmt::formatter<std::string>::format(v.str(), ctx);
    }
};
template <>
struct fmt::formatter<firebreak::user_ref> : fmt::formatter<std::string> {
    auto format(const firebreak::user_ref& v, fmt::format_context& ctx) const {
        return fmt::formatter<std::string>::format("@" + v.id, ctx);
    }
};
template <>
struct fmt::formatter<firebreak::room_ref> : fmt::formatter<std::string> {
    auto format(const firebreak::room_ref& v, fmt::format_context& ctx) const {
        return fmt::formatter<std::string>::format(v.platform + ":" + v.id, ctx);
    }
};
template <>
struct fmt::formatter<firebreak::message_id> : fmt::formatter<std::string> {
    auto format(const firebreak::message_id& v, fmt::format_context& ctx) const {
        return fmt::formatter<std::string>::format(v.id, ctx);
    }
};
