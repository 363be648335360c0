#pragma once
// Internal to adapters/matrix: Boost.JSON field access that never throws on a payload of
// the wrong shape, shared by matrix_wire and matrix_api.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace firebreak::matrix::detail {

namespace json = boost::json;

// Field access that never throws on a payload of the wrong shape.
inline const json::object* obj(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}
inline const json::array* arr(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_array() ? &it->value().get_array() : nullptr;
}
inline std::string str(const json::object* o, std::string_view key) {
    if (!o) return {};
    auto it = o->find(key);
    return it != o->end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string{};
}
inline std::string str(const json::object& o, std::string_view key) { return str(&o, key); }

}  // namespace firebreak::matrix::detail
