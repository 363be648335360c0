#include "adapters/matrix/matrix_api.hpp"
#include "adapters/matrix/matrix_json.hpp"

#include <boost/json/parse.hpp>

namespace firebreak::matrix::api {

namespace json = boost::json;

namespace {

// A string member, "" when absent or not a string (homeservers differ; the caller decides).
std::string text(const json::value& v, std::string_view key) { return detail::str(v.if_object(), key); }

}  // namespace

std::optional<json::object> object_of(std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.get_object());
}

whoami_response tag_invoke(json::value_to_tag<whoami_response>, const json::value& v) { return {text(v, "user_id")}; }

filter_response tag_invoke(json::value_to_tag<filter_response>, const json::value& v) { return {text(v, "filter_id")}; }

event_response tag_invoke(json::value_to_tag<event_response>, const json::value& v) { return {text(v, "event_id")}; }

room_response tag_invoke(json::value_to_tag<room_response>, const json::value& v) { return {text(v, "room_id")}; }

upload_response tag_invoke(json::value_to_tag<upload_response>, const json::value& v) {
    return {text(v, "content_uri")};
}

profile_response tag_invoke(json::value_to_tag<profile_response>, const json::value& v) {
    profile_response r;
    if (const auto* o = v.if_object())
        if (auto it = o->find("displayname"); it != o->end() && it->value().is_string())
            r.displayname = std::string(it->value().get_string());
    return r;
}

messages_response tag_invoke(json::value_to_tag<messages_response>, const json::value& v) {
    messages_response r;
    r.end = text(v, "end");
    if (const auto* o = v.if_object())
        if (auto it = o->find("chunk"); it != o->end() && it->value().is_array())
            for (const auto& e : it->value().get_array())
                if (e.is_object()) r.chunk.push_back(e.get_object());
    return r;
}

error_response tag_invoke(json::value_to_tag<error_response>, const json::value& v) {
    error_response r;
    r.errcode = text(v, "errcode");
    r.error = text(v, "error");
    if (const auto* o = v.if_object())
        if (auto it = o->find("retry_after_ms"); it != o->end() && it->value().is_int64())
            r.retry_after_ms = it->value().get_int64();
    return r;
}

}  // namespace firebreak::matrix::api
