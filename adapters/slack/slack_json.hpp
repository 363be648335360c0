#pragma once
// Internal to adapters/slack: Boost.JSON field access, the plain_text object of Block Kit and
// the value prefix of firebreak's buttons, shared by the slack_* translation files.
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace firebreak::slack::detail {

/// The object at `key`, or nullptr when there is none or it is not an object.
inline const boost::json::object* obj(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}
/// The string at `key`; "" when `o` is null, the key is missing or not a string.
inline std::string str(const boost::json::object* o, std::string_view key) {
    if (!o) return {};
    auto it = o->find(key);
    return it != o->end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string{};
}
inline std::string str(const boost::json::object& o, std::string_view key) { return str(&o, key); }

/// What a firebreak button's value starts with; the command follows ("incident <command>").
inline constexpr std::string_view button_prefix = "incident ";

/// A Block Kit plain_text object (emoji shown).
inline boost::json::object plain_text(std::string_view text) {
    return boost::json::object{{"type", "plain_text"}, {"text", text}, {"emoji", true}};
}

}  // namespace firebreak::slack::detail
