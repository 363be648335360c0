// The conformance checkers the adapter tests lean on: requests firebreak sends
// must pass, and each kind of mistake must be caught and named. A checker that
// silently accepts everything would make every adapter test meaningless, so the
// rejections matter as much as the acceptances.
#include "tests/support/spec_check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using firebreak::testing::decode_form;
using firebreak::testing::matrix_api;
using firebreak::testing::slack_api;
using firebreak::testing::validate_schema;
namespace json = boost::json;

namespace {

// Catch prints this when a CHECK fails, so a failure shows the problems themselves.
std::string listed(const std::vector<std::string>& problems) {
    std::string out;
    for (const auto& p : problems) out += "\n  " + p;
    return out.empty() ? " (none)" : out;
}

bool mentions(const std::vector<std::string>& problems, std::string_view needle) {
    for (const auto& p : problems)
        if (p.find(needle) != std::string::npos) return true;
    return false;
}

const std::string room = "/_matrix/client/v3/rooms/%21incident%3Aexample.org";

std::vector<std::string> matrix_request(std::string_view method, const std::string& target,
                                        const std::string& body = {}, std::string_view type = "application/json") {
    return matrix_api::get().check_request(method, target, body.empty() ? std::string_view{} : type, body);
}

}  // namespace

// ---- the schema evaluator --------------------------------------------------

TEST_CASE("validate_schema names the path and both types of a mismatch", "[spec]") {
    auto schema = json::parse(R"({"type":"object","properties":{"content":{"type":"object",
        "properties":{"body":{"type":"string"}}}}})");
    auto problems = validate_schema(schema, json::parse(R"({"content":{"body":5}})"));
    INFO(listed(problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "$.content.body: expected string, found number");
    CHECK(validate_schema(schema, json::parse(R"({"content":{"body":"hi"}})")).empty());
}

TEST_CASE("validate_schema covers the keywords the spec files use", "[spec]") {
    struct row {
        const char* schema;
        const char* good;
        const char* bad;
        const char* says;
    };
    const row rows[] = {
        {R"({"type":["string","null"]})", "null", "1", "expected string or null"},
        {R"({"type":"integer"})", "3", "3.5", "expected integer"},
        {R"({"type":"string","nullable":true})", "null", "true", "expected string or null"},
        {R"({"required":["a"]})", R"({"a":1})", "{}", "missing required property \"a\""},
        {R"({"additionalProperties":false,"properties":{"a":{}}})", R"({"a":1})", R"({"b":1})",
         "property \"b\" is not allowed"},
        {R"({"additionalProperties":{"type":"integer"}})", R"({"x":1})", R"({"x":"1"})", "$.x: expected integer"},
        {R"({"patternProperties":{"^@":{"type":"object"}},"additionalProperties":false})", R"({"@a:b":{}})",
         R"({"@a:b":[]})", "$['@a:b']: expected object"},
        {R"({"items":{"type":"string"}})", R"(["a"])", R"(["a",2])", "$[1]: expected string"},
        {R"({"enum":["a","b"]})", R"("a")", R"("c")", "is not one of"},
        {R"({"const":"m.annotation"})", R"("m.annotation")", R"("m.reference")", "expected the constant"},
        {R"({"anyOf":[{"type":"string"},{"type":"null"}]})", "null", "1", "matches none of the 2 anyOf"},
        {R"({"oneOf":[{"type":"integer"},{"type":"number"}]})", "1.5", "1", "matches 2 oneOf alternatives"},
        {R"({"allOf":[{"required":["a"]},{"required":["b"]}]})", R"({"a":1,"b":2})", R"({"a":1})",
         "missing required property \"b\""},
        {R"({"pattern":"^!"})", R"("!r:x")", R"("#r:x")", "does not match pattern ^!"},
        {R"({"minimum":1,"maximum":3})", "2", "4", "above the maximum 3"},
        {R"({"minimum":1})", "1", "0", "below the minimum 1"},
        {R"({"minLength":2,"maxLength":3})", R"("äb")", R"("abcd")", "longer than 3"},
        {R"({"minLength":2})", R"("ab")", R"("a")", "shorter than 2"},
        {R"({"minItems":1,"maxItems":2})", "[1]", "[]", "fewer than 1 items"},
        {R"({"maxItems":1})", "[1]", "[1,2]", "more than 1 items"},
        {R"({"format":"mx-user-id"})", R"("@bot:example.org")", R"("@bot")", "not a Matrix user id"},
        {R"({"propertyNames":{"pattern":"^[a-z]+$"}})", R"({"ok":1})", R"({"No":1})", "property name \"No\""},
    };
    for (const row& r : rows) {
        INFO(r.schema << " with " << r.bad);
        auto schema = json::parse(r.schema);
        CHECK(validate_schema(schema, json::parse(r.good)).empty());
        auto problems = validate_schema(schema, json::parse(r.bad));
        INFO(listed(problems));
        CHECK(mentions(problems, r.says));
    }
}

TEST_CASE("validate_schema ignores what it cannot judge instead of failing", "[spec]") {
    // An uncompilable pattern, an unknown format and unknown keywords all pass.
    auto schema = json::parse(R"({"type":"string","pattern":"(?<=a)b","format":"x-nonsense","x-weight":3,
        "subtype":"channel"})");
    CHECK(validate_schema(schema, json::value("anything")).empty());
    CHECK(validate_schema(json::value(true), json::value(1)).empty());
    CHECK(mentions(validate_schema(json::value(false), json::value(1)), "no value is allowed"));
}

// ---- Matrix requests -------------------------------------------------------

TEST_CASE("Matrix: the requests firebreak sends pass", "[spec]") {
    const auto& api = matrix_api::get();

    SECTION("long-poll sync") {
        auto problems = matrix_request("GET", "/_matrix/client/v3/sync?timeout=30000&since=s72594_4483_1934&full_state=false");
        INFO(listed(problems));
        CHECK(problems.empty());
    }
    SECTION("an m.notice with formatted_body") {
        std::string body = json::serialize(json::parse(R"({"msgtype":"m.notice","body":"SEV1 declared",
            "format":"org.matrix.custom.html","formatted_body":"<b>SEV1</b> declared"})"));
        auto problems = matrix_request("PUT", room + "/send/m.room.message/fb-42", body);
        INFO(listed(problems));
        CHECK(problems.empty());
    }
    SECTION("createRoom for an incident") {
        std::string body = R"({"name":"inc-7 db down","topic":"SEV1: db down","room_alias_name":"inc-7-db-down",
            "invite":["@maya:example.org","@sam:example.org"],"preset":"private_chat",
            "power_level_content_override":{"users":{"@firebreak:example.org":100}}})";
        auto problems = matrix_request("POST", "/_matrix/client/v3/createRoom", body, "application/json; charset=utf-8");
        INFO(listed(problems));
        CHECK(problems.empty());
    }
    SECTION("state: the room topic, with and without the empty state key's slash") {
        std::string body = R"({"topic":"SEV1 db down | IC @maya"})";
        for (const std::string& target : {room + "/state/m.room.topic/", room + "/state/m.room.topic"}) {
            auto problems = matrix_request("PUT", target, body);
            INFO(target << listed(problems));
            CHECK(problems.empty());
        }
    }
    SECTION("media upload of a postmortem") {
        auto problems = api.check_request("POST", "/_matrix/media/v3/upload?filename=x.md", "text/markdown",
                                          "# Postmortem\n");
        INFO(listed(problems));
        CHECK(problems.empty());
    }
    SECTION("the second operation on a path whose key ends in a space (invite by user id)") {
        auto problems = matrix_request("POST", room + "/invite", R"({"user_id":"@maya:example.org","reason":"IC"})");
        INFO(listed(problems));
        CHECK(problems.empty());
    }
    SECTION("a reaction and a join by alias") {
        auto reaction = matrix_request("PUT", room + "/send/m.reaction/fb-43",
                                       R"({"m.relates_to":{"rel_type":"m.annotation","event_id":"$e1","key":"👍"}})");
        INFO(listed(reaction));
        CHECK(reaction.empty());
        CHECK(matrix_request("POST", "/_matrix/client/v3/join/%23incidents%3Aexample.org", "{}").empty());
    }
    SECTION("a custom event type has no schema to meet") {
        CHECK(matrix_request("PUT", room + "/send/org.firebreak.marker/fb-44", R"({"anything":1})").empty());
    }
}

TEST_CASE("Matrix: mistakes in requests are named", "[spec]") {
    SECTION("unknown path") {
        auto problems = matrix_request("GET", "/_matrix/client/v3/syncc?timeout=1");
        REQUIRE(problems.size() == 1);
        CHECK(mentions(problems, "the operation is unknown"));
        CHECK(mentions(problems, "no path template"));
    }
    SECTION("wrong method") {
        auto problems = matrix_request("POST", "/_matrix/client/v3/sync");
        INFO(listed(problems));
        REQUIRE(problems.size() == 1);
        CHECK(mentions(problems, "the operation is unknown"));
        CHECK(mentions(problems, "has no POST, only GET"));
    }
    SECTION("non-integer timeout") {
        auto problems = matrix_request("GET", "/_matrix/client/v3/sync?timeout=30s");
        INFO(listed(problems));
        CHECK(mentions(problems, "?timeout: expected integer, found string \"30s\""));
    }
    SECTION("query values out of their enum, and a misspelt parameter") {
        auto problems = matrix_request("GET", "/_matrix/client/v3/sync?set_presence=away&timout=5");
        INFO(listed(problems));
        CHECK(mentions(problems, "?set_presence: \"away\" is not one of"));
        CHECK(mentions(problems, "?timout: query parameter not defined"));
    }
    SECTION("missing required query parameter") {
        auto problems = matrix_request("GET", room + "/messages?limit=10");
        INFO(listed(problems));
        CHECK(mentions(problems, "?dir: required query parameter missing"));
    }
    SECTION("createRoom with invite not an array and an unknown preset") {
        auto problems = matrix_request("POST", "/_matrix/client/v3/createRoom",
                                       R"({"name":"inc-7","invite":"@maya:example.org","preset":"secret"})");
        INFO(listed(problems));
        CHECK(mentions(problems, "$.invite: expected array, found string"));
        CHECK(mentions(problems, "$.preset: \"secret\" is not one of"));
    }
    SECTION("an invitee that is not a user id") {
        auto problems = matrix_request("POST", "/_matrix/client/v3/createRoom", R"({"invite":["maya"]})");
        INFO(listed(problems));
        CHECK(mentions(problems, "$.invite[0]"));
    }
    SECTION("room id path parameter without its sigil") {
        auto problems = matrix_request("PUT", "/_matrix/client/v3/rooms/incident/send/m.room.message/t1",
                                       R"({"msgtype":"m.text","body":"x"})");
        INFO(listed(problems));
        CHECK(mentions(problems, "{roomId}: \"incident\" does not match pattern ^!"));
    }
    SECTION("an m.notice without a body, sent") {
        auto problems = matrix_request("PUT", room + "/send/m.room.message/fb-45", R"({"msgtype":"m.notice"})");
        INFO(listed(problems));
        CHECK(mentions(problems, "[m.room.message$m.notice content] $: missing required property \"body\""));
    }
    SECTION("bodies that are not JSON, or JSON sent as something else") {
        CHECK(mentions(matrix_request("POST", "/_matrix/client/v3/createRoom", "{name:"), "not valid JSON"));
        CHECK(mentions(matrix_request("POST", "/_matrix/client/v3/createRoom", "{}", "text/plain"),
                       "takes application/json"));
        CHECK(mentions(matrix_request("PUT", room + "/send/m.room.message/t2"), "request body required"));
        CHECK(mentions(matrix_request("GET", "/_matrix/client/v3/sync", "{\"a\":1}"), "takes no request body"));
    }
    SECTION("broken percent-encoding") {
        CHECK(mentions(matrix_request("GET", "/_matrix/client/v3/rooms/%zz/state"), "malformed percent-encoding"));
    }
}

TEST_CASE("Matrix: event content is checked against the event schemas, by msgtype", "[spec]") {
    const auto& api = matrix_api::get();
    auto ok = [&](std::string_view type, const char* content) {
        auto problems = api.check_event_content(type, json::parse(content));
        INFO(type << " " << content << listed(problems));
        CHECK(problems.empty());
    };
    ok("m.room.message", R"({"msgtype":"m.notice","body":"hi","format":"org.matrix.custom.html","formatted_body":"<i>hi</i>"})");
    ok("m.room.message", R"({"msgtype":"org.example.custom","body":"hi"})");
    ok("m.room.topic", R"({"topic":"db down","m.topic":{"m.text":[{"body":"db down"}]}})");
    ok("m.reaction", R"({"m.relates_to":{"rel_type":"m.annotation","event_id":"$e","key":"✅"}})");
    ok("m.room.power_levels", R"({"users":{"@firebreak:example.org":100},"events_default":0})");

    auto notice = api.check_event_content("m.room.message", json::parse(R"({"msgtype":"m.notice"})"));
    INFO(listed(notice));
    CHECK(notice == std::vector<std::string>{"$.content: missing required property \"body\""});

    // m.image needs a url or file beyond the base schema's body: proof the variant, not the base, was used.
    auto image = api.check_event_content("m.room.message", json::parse(R"({"msgtype":"m.image","body":"x.png","url":5})"));
    INFO(listed(image));
    CHECK(mentions(image, "$.content.url: expected string, found number"));

    CHECK(mentions(api.check_event_content("m.room.topic", json::parse(R"({"topic":7})")),
                   "$.content.topic: expected string, found number"));
    CHECK(mentions(api.check_event_content("m.reaction", json::parse(R"({"m.relates_to":{"rel_type":"m.reference"}})")),
                   "$.content['m.relates_to'].rel_type"));
    CHECK(api.check_event_content("org.example.nothing", json::object{}) ==
          std::vector<std::string>{"unknown event type \"org.example.nothing\""});
}

TEST_CASE("Matrix: 2,000 requests of the kinds a busy bot sends all pass", "[spec]") {
    const auto& api = matrix_api::get();  // loading is paid once, outside the timing
    const std::string send_target = room + "/send/m.room.message/fb-";
    const std::string notice = R"({"msgtype":"m.notice","body":"update","format":"org.matrix.custom.html","formatted_body":"<b>u</b>"})";
    std::size_t problems = 0;
    for (int i = 0; i < 1000; ++i) {
        problems += api.check_request("GET", "/_matrix/client/v3/sync?timeout=30000&since=s" + std::to_string(i), {}, {}).size();
        problems += api.check_request("PUT", send_target + std::to_string(i), "application/json", notice).size();
    }
    CHECK(problems == 0);
}

// ---- Slack calls -----------------------------------------------------------

TEST_CASE("Slack: the calls firebreak makes pass", "[spec]") {
    const auto& api = slack_api::get();
    auto post = json::parse(R"({"channel":"C0123","text":"SEV1 declared",
        "blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*SEV1* declared"}}]})");
    auto problems = api.check_call("chat.postMessage", "POST", post.as_object());
    INFO(listed(problems));
    CHECK(problems.empty());

    auto create = api.check_call("conversations.create", "POST", json::parse(R"({"name":"inc-7-db-down","is_private":false})").as_object());
    INFO(listed(create));
    CHECK(create.empty());

    // The same calls as form bodies: every value is text, blocks JSON-encoded.
    CHECK(api.check_call("conversations.create", "POST", decode_form("name=inc-7&is_private=true")).empty());
    CHECK(api.check_call("chat.postMessage", "post",
                         decode_form("channel=C0123&text=hi+there&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D"))
              .empty());
    CHECK(api.check_call("conversations.info", "GET", decode_form("channel=C0123")).empty());
    CHECK(api.check_call("files.getUploadURLExternal", "POST", decode_form("filename=pm.md&length=1024")).empty());
    CHECK(api.check_call("chat.update", "POST", decode_form("channel=C1&ts=1.2&file_ids=F1,F2")).empty());
    CHECK(api.check_call("chat.update", "POST", json::parse(R"({"channel":"C1","ts":"1.2","file_ids":["F1"]})").as_object()).empty());
}

TEST_CASE("Slack: mistakes in calls are named", "[spec]") {
    const auto& api = slack_api::get();
    auto missing = api.check_call("chat.postMessage", "POST", json::parse(R"({"text":"hi"})").as_object());
    INFO(listed(missing));
    CHECK(missing == std::vector<std::string>{"chat.postMessage: missing required argument \"channel\""});

    auto unknown_arg = api.check_call("chat.postMessage", "POST", json::parse(R"({"channel":"C1","colour":"red"})").as_object());
    CHECK(unknown_arg == std::vector<std::string>{"chat.postMessage: argument \"colour\" is not declared by the method"});

    CHECK(api.check_call("chat.postMesage", "POST", {}) ==
          std::vector<std::string>{"unknown Slack method \"chat.postMesage\""});
    CHECK(!api.knows("chat.postMesage"));

    CHECK(mentions(api.check_call("conversations.info", "POST", decode_form("channel=C1")),
                   "called with POST, documented as GET"));
    CHECK(mentions(api.check_call("conversations.create", "POST", json::parse(R"({"name":"x","is_private":"maybe"})").as_object()),
                   "$.is_private: expected boolean, found string \"maybe\""));
    CHECK(mentions(api.check_call("conversations.create", "POST", json::parse(R"({"name":7})").as_object()),
                   "$.name: expected string, found number"));
    CHECK(mentions(api.check_call("files.getUploadURLExternal", "POST", decode_form("filename=a&length=0")),
                   "$.length: below the minimum 1"));
    CHECK(mentions(api.check_call("chat.update", "POST", json::parse(R"({"channel":"C1","ts":"1.2","file_ids":[7]})").as_object()),
                   "$.file_ids[0]: expected string, found number"));
    CHECK(mentions(api.check_call("bookmarks.add", "POST", json::parse(R"({"channel_id":"C1","title":"t","type":"link","access_level":"admin"})").as_object()),
                   "$.access_level"));
    // The token may travel in the body (Slack allows it) but is never demanded there.
    CHECK(api.check_call("auth.test", "POST", {}).empty());
}

TEST_CASE("every request example in the Matrix definition meets its own schema", "[spec]") {
    // The spec's own examples are the largest body of known-good input there
    // is: a false alarm from the evaluator shows up here first.
    std::ifstream in(std::string(FIREBREAK_SPECS_DIR) + "/matrix/client-server-v1.19.openapi.json");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    json::value doc = json::parse(text.str());
    std::size_t checked = 0;
    for (const auto& [path, item] : doc.at("paths").as_object()) {
        for (const auto& [method, op] : item.as_object()) {
            auto where = std::string(method) + " " + std::string(path);
            if (const auto* params = op.as_object().if_contains("parameters")) {
                for (const auto& p : params->as_array()) {
                    const auto* example = p.as_object().if_contains("example");
                    const auto* schema = p.as_object().if_contains("schema");
                    if (!example || !schema) continue;
                    auto problems = validate_schema(*schema, *example);
                    INFO(where << " parameter " << p.at("name") << listed(problems));
                    CHECK(problems.empty());
                    ++checked;
                }
            }
            const auto* body = op.as_object().if_contains("requestBody");
            const auto* js = body ? body->at("content").as_object().if_contains("application/json") : nullptr;
            const auto* schema = js ? js->as_object().if_contains("schema") : nullptr;
            const auto* example = schema ? schema->as_object().if_contains("example") : nullptr;
            if (!example) continue;
            auto problems = validate_schema(*schema, *example);
            INFO(where << " body" << listed(problems));
            CHECK(problems.empty());
            ++checked;
        }
    }
    CHECK(checked > 150);
}

TEST_CASE("every Slack argument example, sent as form text, fits its declared type", "[spec]") {
    // Slack documents examples as the text a form body carries ("true", "1024"):
    // the lenient reading of form values must accept all of them.
    const auto& api = slack_api::get();
    std::size_t checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(FIREBREAK_SPECS_DIR) + "/slack/methods")) {
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        json::value doc = json::parse(text.str());
        std::string method = entry.path().stem().string();
        REQUIRE(api.knows(method));
        for (const auto& [name, arg] : doc.at("args").at("properties").as_object()) {
            const auto* example = arg.as_object().if_contains("example");
            if (!example || name == "token") continue;
            json::object args{{name, *example}};
            auto problems = api.check_call(method, doc.at("http_method").as_string(), args);
            problems.erase(std::remove_if(problems.begin(), problems.end(),
                                          [](const std::string& p) { return p.find("missing required") != std::string::npos; }),
                           problems.end());
            INFO(method << " " << name << " = " << *example << listed(problems));
            CHECK(problems.empty());
            ++checked;
        }
    }
    CHECK(checked > 50);
}
