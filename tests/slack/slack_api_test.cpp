// The Web API answers as structs: read leniently, so an answer missing a field gives an
// empty one for the adapter to judge, never an exception.
#include "adapters/slack/slack_api.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace firebreak::slack;
namespace json = boost::json;

namespace {
json::object body(const char* text) { return json::parse(text).as_object(); }
}  // namespace

TEST_CASE("Web API answers read as structs, a missing or mistyped field as empty", "[slack][wire]") {
    auto me = api::read<api::auth_test_response>(body(R"({"ok":true,"user_id":"UBOT","team":"Acme"})"));
    CHECK(me.user_id == "UBOT");
    CHECK(me.team == "Acme");
    CHECK(api::read<api::auth_test_response>(body(R"({"ok":true,"user_id":5})")).user_id.empty());
    CHECK(api::read<api::connections_open_response>(body(R"({"ok":true,"url":"wss://x/link"})")).url == "wss://x/link");
    CHECK(api::read<api::message_response>(body(R"({"ok":true,"ts":"1.2","channel":"C1"})")).ts == "1.2");
    CHECK(api::read<api::ephemeral_response>(body(R"({"ok":true,"message_ts":"3.4"})")).message_ts == "3.4");
    CHECK(api::read<api::conversation_response>(body(R"({"ok":true,"channel":{"id":"C9","name":"inc-1"}})"))
              .channel_id == "C9");
    CHECK(api::read<api::conversation_response>(body(R"({"ok":true,"channel":"C9"})")).channel_id.empty());
    auto up = api::read<api::upload_url_response>(body(R"({"ok":true,"upload_url":"https://u/1","file_id":"F1"})"));
    CHECK(up.upload_url == "https://u/1");
    CHECK(up.file_id == "F1");
    CHECK(api::read<api::user_info_response>(body(R"({"ok":true,"user":{"id":"U1"}})")).user.has_value());
    CHECK_FALSE(api::read<api::user_info_response>(body(R"({"ok":true,"user":[]})")).user.has_value());
}
