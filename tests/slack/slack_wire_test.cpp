// Slack wire <-> core translation on the real Socket Mode frames (copied from the
// shared specs into tests/fixtures/specs/slack/socket-mode) and hostile input.
#include "adapters/slack/slack_wire.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace firebreak;
using namespace firebreak::slack;
namespace json = boost::json;

namespace {

std::string fixture(const std::string& name) {
    std::ifstream f(std::string(FIREBREAK_SOURCE_DIR) + "/tests/fixtures/specs/slack/socket-mode/" + name);
    REQUIRE(f);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

frame decode(const std::string& text) {
    std::string error;
    auto f = decode_frame(text, error);
    INFO(error);
    REQUIRE(f);
    return *f;
}

json::object payload_with(json::object event) {
    return json::object{{"type", "event_callback"}, {"event_id", "Ev42"}, {"event_time", 1767225600}, {"event", std::move(event)}};
}

}  // namespace

TEST_CASE("the real Socket Mode frames decode to their kinds", "[slack]") {
    CHECK(decode(fixture("hello.json")).type == frame::kind::hello);
    auto refresh = decode(fixture("doc-disconnect_refresh_requested.json"));
    CHECK(refresh.type == frame::kind::disconnect);
    CHECK(refresh.reason == "refresh_requested");
    CHECK(decode(fixture("doc-disconnect_link_disabled.json")).reason == "link_disabled");
    auto msg = decode(fixture("envelope_events_api_message.json"));
    CHECK(msg.type == frame::kind::events_api);
    CHECK(msg.envelope_id == "ac2cfd40-6f8c-4d5e-a1ad-646e532baa19");
    auto cmd = decode(fixture("envelope_slash_commands_hello-socket-mode.json"));
    CHECK(cmd.type == frame::kind::slash_commands);
    CHECK(decode(fixture("envelope_interactive_block_actions.json")).type == frame::kind::interactive);
    CHECK(ack_frame("abc") == R"({"envelope_id":"abc"})");
}

TEST_CASE("a channel message from the real envelope becomes a chat event", "[slack]") {
    auto f = decode(fixture("envelope_events_api_message.json"));
    auto ev = translate_event(f.payload, "U333");
    REQUIRE(ev);
    CHECK(ev->kind == event_kind::message);
    CHECK(ev->event_id == "slack:Ev111");
    CHECK(ev->room == room_ref{"slack", "C111"});
    CHECK(ev->user.id == "U222");
    CHECK(ev->msg.id == "1610241741.000200");
    CHECK(to_unix_ms(ev->at) == 1610241741000);
    CHECK(ev->text == "@U111 Hi here!");
    // The same envelope from the bot's own user is never an event.
    CHECK_FALSE(translate_event(f.payload, "U222"));
}

TEST_CASE("edits, deletions, thread replies, reactions and joins map onto the core's kinds", "[slack]") {
    json::object changed{{"type", "message"},
                         {"subtype", "message_changed"},
                         {"channel", "C1"},
                         {"ts", "1767225601.000100"},
                         {"message", json::object{{"user", "U2"}, {"text", "rolled back the deploy"}, {"ts", "1767225600.000100"}}},
                         {"previous_message", json::object{{"user", "U2"}, {"text", "rolled back the deploi"}}}};
    auto e = translate_event(payload_with(changed), "UBOT");
    REQUIRE(e);
    CHECK(e->kind == event_kind::edit);
    CHECK(e->msg.id == "1767225600.000100");
    CHECK(e->text == "rolled back the deploy");
    // An unfurl changes the message but not its text: not an edit.
    changed["previous_message"].as_object()["text"] = "rolled back the deploy";
    CHECK_FALSE(translate_event(payload_with(changed), "UBOT"));

    json::object deleted{{"type", "message"}, {"subtype", "message_deleted"}, {"channel", "C1"}, {"ts", "1767225602.000100"},
                         {"deleted_ts", "1767225600.000100"}};
    auto d = translate_event(payload_with(deleted), "UBOT");
    REQUIRE(d);
    CHECK(d->kind == event_kind::remove);
    CHECK(d->msg.id == "1767225600.000100");

    json::object reply{{"type", "message"}, {"channel", "C1"}, {"user", "U2"}, {"text", "in thread"},
                       {"ts", "1767225603.000100"}, {"thread_ts", "1767225600.000100"}};
    auto r = translate_event(payload_with(reply), "UBOT");
    REQUIRE(r);
    CHECK(r->thread_parent.id == "1767225600.000100");

    json::object pin{{"type", "reaction_added"}, {"user", "U2"}, {"reaction", "pushpin"}, {"event_ts", "1767225604.000100"},
                     {"item", json::object{{"type", "message"}, {"channel", "C1"}, {"ts", "1767225600.000100"}}}};
    auto p = translate_event(payload_with(pin), "UBOT");
    REQUIRE(p);
    CHECK(p->kind == event_kind::reaction);
    CHECK(p->reaction == "pushpin");
    CHECK(p->reaction_added);
    pin["type"] = "reaction_removed";
    CHECK_FALSE(translate_event(payload_with(pin), "UBOT")->reaction_added);

    json::object joined{{"type", "member_joined_channel"}, {"user", "U9"}, {"channel", "C1"}, {"event_ts", "1767225605.000100"}};
    CHECK(translate_event(payload_with(joined), "UBOT")->kind == event_kind::member_joined);
}

TEST_CASE("bot posts, channel joins and unknown events are not what people said", "[slack]") {
    json::object bot{{"type", "message"}, {"subtype", "bot_message"}, {"channel", "C1"}, {"bot_id", "B1"},
                     {"text", "deploy finished"}, {"ts", "1767225600.000100"}};
    CHECK_FALSE(translate_event(payload_with(bot), "UBOT"));
    json::object join{{"type", "message"}, {"subtype", "channel_join"}, {"channel", "C1"}, {"user", "U2"},
                      {"text", "<@U2> has joined"}, {"ts", "1767225600.000100"}};
    CHECK_FALSE(translate_event(payload_with(join), "UBOT"));
    CHECK_FALSE(translate_event(payload_with(json::object{{"type", "team_join"}}), "UBOT"));
    CHECK_FALSE(translate_event(json::object{{"event", 7}}, "UBOT"));
}

TEST_CASE("slash commands and button presses become commands", "[slack]") {
    auto f = decode(fixture("envelope_slash_commands_hello-socket-mode.json"));
    f.payload["text"] = "declare Checkout errors --sev 1";
    auto now = from_unix_ms(1767225600000);
    auto c = translate_command(f.payload, now);
    REQUIRE(c);
    CHECK(c->kind == event_kind::command);
    CHECK(c->text == "declare Checkout errors --sev 1");
    CHECK(c->user.id == "U111");
    CHECK(c->room == room_ref{"slack", "C111"});
    CHECK(c->event_id == "slack:cmd:111.222.xxx");
    CHECK(c->at == now);

    json::object press{{"type", "block_actions"},
                       {"trigger_id", "t1"},
                       {"user", json::object{{"id", "U5"}}},
                       {"channel", json::object{{"id", "C7"}}},
                       {"actions", json::array{json::object{{"value", "incident status mitigated"}, {"action_ts", "1.2"}}}}};
    auto b = translate_interaction(press, now);
    REQUIRE(b);
    CHECK(b->text == "status mitigated");
    CHECK(b->user.id == "U5");
    press["actions"].as_array()[0].as_object()["value"] = "something else";
    CHECK_FALSE(translate_interaction(press, now));
}

TEST_CASE("Slack's mentions, links and entities read as plain text", "[slack]") {
    CHECK(readable_text("<@U024BE7LH> please look") == "@U024BE7LH please look");
    CHECK(readable_text("see <#C0123|ops-war-room>") == "see #ops-war-room");
    CHECK(readable_text("<https://grafana.example/d/1|dashboard> is red") == "dashboard (https://grafana.example/d/1) is red");
    CHECK(readable_text("<https://example.org>") == "https://example.org");
    CHECK(readable_text("<!here> p99 &gt; 2s &amp; rising &lt;3") == "@here p99 > 2s & rising <3");
    CHECK(readable_text("unclosed <bracket") == "unclosed <bracket");
}

TEST_CASE("bot output in mrkdwn escapes user text and mentions Slack users", "[slack]") {
    rich_text t;
    t.bold("INC-3").text(" <!channel> & <script>").line().text("commander ").mention("U024BE7LH").text(" and ").mention("maya");
    auto m = to_mrkdwn(t);
    CHECK(m.find("*INC-3*") != std::string::npos);
    CHECK(m.find("&lt;!channel&gt; &amp; &lt;script&gt;") != std::string::npos);
    CHECK(m.find("<@U024BE7LH>") != std::string::npos);
    CHECK(m.find("@maya") != std::string::npos);
    auto blocks = blocks_for(t);
    REQUIRE(blocks.size() == 1);
    CHECK(blocks[0].at("type") == "section");
    // Long text is split into sections within Slack's 3,000-character limit.
    rich_text long_text;
    for (int i = 0; i < 400; ++i) long_text.text("line of incident text " + std::to_string(i)).line();
    auto many = blocks_for(long_text);
    CHECK(many.size() > 1);
    for (auto& b : many) CHECK(b.at("text").at("text").as_string().size() <= 3000);
}

TEST_CASE("hostile titles still yield a valid channel name", "[slack]") {
    auto valid = [](const std::string& n) {
        if (n.empty() || n.size() > 80) return false;
        for (unsigned char c : n)
            if (!(std::islower(c) || std::isdigit(c) || c == '-' || c == '_')) return false;
        return true;
    };
    for (std::string title : {std::string("inc-1-search-is-down"), std::string("INC 2: 🔥🔥 Checkout DOWN!!!"),
                              std::string(200, 'x'), std::string("!!!???..."), std::string("инцидент в базе"),
                              std::string("数据库故障"), std::string("<script>alert(1)</script>"), std::string("")}) {
        INFO(title);
        CHECK(valid(channel_name(title)));
        CHECK(valid(channel_name(title, 3)));
    }
    CHECK(channel_name("INC 2: 🔥🔥 Checkout DOWN!!!") == "inc-2-checkout-down");
    CHECK(channel_name("!!!???...") == "incident");
    CHECK(channel_name("inc-1-x", 1) == "inc-1-x-2");
    CHECK(channel_name(std::string(200, 'x'), 4).size() == 80);
    CHECK(channel_name(std::string(200, 'x'), 4).ends_with("-5"));
}

TEST_CASE("Slack error codes map to the few kinds the engine acts on", "[slack]") {
    CHECK(classify("ratelimited") == error_kind::retry_after);
    CHECK(classify("invalid_auth") == error_kind::auth);
    CHECK(classify("missing_scope") == error_kind::auth);
    CHECK(classify("channel_not_found") == error_kind::not_found);
    CHECK(classify("internal_error") == error_kind::transient);
    CHECK(classify("invalid_blocks") == error_kind::invalid);
    CHECK(fatal_auth_error("token_revoked"));
    CHECK_FALSE(fatal_auth_error("channel_not_found"));
}

TEST_CASE("malformed frames are refused with the reason", "[slack]") {
    std::string error;
    CHECK_FALSE(decode_frame("{not json", error));
    CHECK(error.find("not JSON") != std::string::npos);
    CHECK_FALSE(decode_frame("[]", error));
    CHECK_FALSE(decode_frame(R"({"envelope_id":"x"})", error));
    auto odd = decode_frame(R"({"type":"brand_new_thing","envelope_id":"e1"})", error);
    REQUIRE(odd);
    CHECK(odd->type == frame::kind::unknown);
    CHECK(odd->envelope_id == "e1");
}
