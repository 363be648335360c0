// The Client-Server API bodies as structs: what requests are written as, and how leniently
// answers are read (a homeserver that leaves a field out must not crash the adapter).
#include "adapters/matrix/matrix_api.hpp"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using namespace firebreak::matrix;
namespace json = boost::json;

TEST_CASE("request structs are written with the API's field names", "[matrix][wire]") {
    api::create_room_request r;
    r.name = "inc-1-db-down";
    r.topic = "SEV2 · investigating";
    r.room_alias_name = "inc-1-db-down";
    r.preset = "private_chat";
    r.visibility = "private";
    r.invite = {"@maya:example.org"};
    r.creation_content["firebreak.key"] = "k1";
    auto o = api::to_object(r);
    CHECK(o.at("name") == "inc-1-db-down");
    CHECK(o.at("preset") == "private_chat");
    CHECK(o.at("invite").as_array().size() == 1);
    CHECK(o.at("creation_content").at("firebreak.key") == "k1");
    CHECK(o.at("power_level_content_override").as_object().empty());
    CHECK(json::serialize(api::to_object(api::invite_request{"@dana:example.org"})) ==
          R"({"user_id":"@dana:example.org"})");
    CHECK(json::serialize(api::to_object(api::topic_content{"t"})) == R"({"topic":"t"})");
}

TEST_CASE("answers are read leniently: what is missing or mistyped reads as empty", "[matrix][wire]") {
    CHECK(api::read<api::whoami_response>(R"({"user_id":"@bot:example.org"})")->user_id == "@bot:example.org");
    CHECK(api::read<api::whoami_response>(R"({"user_id":7})")->user_id.empty());
    CHECK_FALSE(api::read<api::whoami_response>("not json").has_value());
    CHECK_FALSE(api::read<api::event_response>("[1,2]").has_value());
    CHECK(api::read<api::event_response>(R"({"event_id":"$e1"})")->event_id == "$e1");
    CHECK_FALSE(api::read<api::profile_response>("{}")->displayname.has_value());
    CHECK(api::read<api::profile_response>(R"({"displayname":"Maya"})")->displayname == "Maya");
    auto page = api::read<api::messages_response>(R"({"chunk":[{"type":"m.room.message"},3,{"type":"x"}],"end":"t9"})");
    REQUIRE(page);
    CHECK(page->chunk.size() == 2);
    CHECK(page->end == "t9");
    auto err = api::read<api::error_response>(R"({"errcode":"M_LIMIT_EXCEEDED","error":"slow","retry_after_ms":1500})");
    CHECK(err->errcode == "M_LIMIT_EXCEEDED");
    CHECK(err->retry_after_ms == 1500);
    CHECK_FALSE(api::read<api::error_response>(R"({"retry_after_ms":"soon"})")->retry_after_ms.has_value());
}
