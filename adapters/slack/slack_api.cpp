#include "adapters/slack/slack_api.hpp"
#include "adapters/slack/slack_json.hpp"

namespace firebreak::slack::api {

namespace json = boost::json;

namespace {

// The answers are read from a JSON object; anything else reads as empty.
const json::object* object_at(const json::value& v, std::string_view key) {
    const auto* o = v.if_object();
    return o ? detail::obj(*o, key) : nullptr;
}

std::string text(const json::object* o, std::string_view key) { return detail::str(o, key); }

std::string text(const json::value& v, std::string_view key) { return detail::str(v.if_object(), key); }

}  // namespace

auth_test_response tag_invoke(json::value_to_tag<auth_test_response>, const json::value& v) {
    return {text(v, "user_id"), text(v, "team")};
}

connections_open_response tag_invoke(json::value_to_tag<connections_open_response>, const json::value& v) {
    return {text(v, "url")};
}

message_response tag_invoke(json::value_to_tag<message_response>, const json::value& v) {
    return {text(v, "ts"), text(v, "channel")};
}

ephemeral_response tag_invoke(json::value_to_tag<ephemeral_response>, const json::value& v) {
    return {text(v, "message_ts")};
}

conversation_response tag_invoke(json::value_to_tag<conversation_response>, const json::value& v) {
    return {text(object_at(v, "channel"), "id")};
}

upload_url_response tag_invoke(json::value_to_tag<upload_url_response>, const json::value& v) {
    return {text(v, "upload_url"), text(v, "file_id")};
}

user_info_response tag_invoke(json::value_to_tag<user_info_response>, const json::value& v) {
    user_info_response r;
    if (const auto* u = object_at(v, "user")) r.user = *u;
    return r;
}

}  // namespace firebreak::slack::api
