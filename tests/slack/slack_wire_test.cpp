// Slack wire <-> core translation on the real Socket Mode frames (copied from the
// shared specs into tests/fixtures/specs/slack/socket-mode) and hostile input.
#include "adapters/slack/slack_errors.hpp"
#include "adapters/slack/slack_events.hpp"
#include "adapters/slack/slack_forms.hpp"
#include "adapters/slack/slack_frames.hpp"
#include "adapters/slack/slack_render.hpp"
#include "tests/support/fixture.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>


using namespace firebreak;
using namespace firebreak::slack;
namespace json = boost::json;

namespace {

std::string fixture(const std::string& name) {
    return firebreak::testing::read_fixture("specs/slack/socket-mode/" + name);
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
    CHECK(p->highlight);
    CHECK(p->reaction_added);
    pin["type"] = "reaction_removed";
    CHECK_FALSE(translate_event(payload_with(pin), "UBOT")->reaction_added);
    CHECK(translate_event(payload_with(pin), "UBOT")->highlight);
    // Slack's names are the adapter's to know: 📍 too, any other emoji not.
    pin["reaction"] = "round_pushpin";
    CHECK(translate_event(payload_with(pin), "UBOT")->highlight);
    pin["reaction"] = "eyes";
    CHECK_FALSE(translate_event(payload_with(pin), "UBOT")->highlight);

    json::object joined{{"type", "member_joined_channel"}, {"user", "U9"}, {"channel", "C1"}, {"event_ts", "1767225605.000100"}};
    CHECK(translate_event(payload_with(joined), "UBOT")->kind == event_kind::member_joined);
    json::object left{{"type", "member_left_channel"}, {"user", "U9"}, {"channel", "C1"}, {"channel_type", "G"},
                      {"team", "T1"}, {"event_ts", "1767225606.000100"}};
    auto l = translate_event(payload_with(left), "UBOT");
    REQUIRE(l);
    CHECK(l->kind == event_kind::member_left);
    CHECK(l->user.id == "U9");
    CHECK(l->room == room_ref{"slack", "C1"});

    // A profile change: the name people see, display name first, then real name, then account.
    json::object change{{"type", "user_change"},
                        {"user", json::object{{"id", "U9"}, {"name", "dana"},
                                              {"profile", json::object{{"display_name", ""}, {"real_name", "Dana K"}}}}},
                        {"event_ts", "1767225607.000100"}};
    auto n = translate_event(payload_with(change), "UBOT");
    REQUIRE(n);
    CHECK(n->kind == event_kind::name_changed);
    CHECK(n->user.id == "U9");
    CHECK(n->text == "Dana K");
    CHECK(n->room.platform == "slack");
    change["user"].as_object()["profile"].as_object()["display_name"] = "dk";
    CHECK(translate_event(payload_with(change), "UBOT")->text == "dk");
    change["user"].as_object()["profile"] = json::object{};
    CHECK(translate_event(payload_with(change), "UBOT")->text == "dana");
    // The bot's own profile, or one with no name at all, is nothing to keep.
    change["user"].as_object()["id"] = "UBOT";
    CHECK_FALSE(translate_event(payload_with(change), "UBOT"));
    change["user"] = json::object{{"id", "U9"}};
    CHECK_FALSE(translate_event(payload_with(change), "UBOT"));
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
    // Mentions reach the core as "@U…", the one form its parser reads.
    f.payload["text"] = "declare X --commander <@U024BE7LH|sam>";
    CHECK(translate_command(f.payload, now)->text == "declare X --commander @U024BE7LH");

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
    // A channel link renders as Slack's channel reference; before the id is known, the name.
    rich_text join;
    join.text("Join ").room_link("inc-3-x", "C0INC3").text(" or ").room_link("inc-4-<y>");
    CHECK(to_mrkdwn(join) == "Join <#C0INC3> or #inc-4-&lt;y&gt;");
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
    CHECK(channel_name("inc-3-Ünïcödé-søk") == "inc-3-unicode-sok");
    // Too long: cut where a word ends, never mid-word ("…-afte").
    std::string long_name = "inc-12";
    while (long_name.size() < 120) long_name += "-checkout-errors-after";
    auto cut = channel_name(long_name);
    CHECK(cut.size() <= 80);
    CHECK((cut.ends_with("-checkout") || cut.ends_with("-errors") || cut.ends_with("-after")));
    auto cut2 = channel_name(long_name, 1);
    CHECK(cut2.size() <= 80);
    CHECK(cut2.ends_with("-2"));
    CHECK((cut2.ends_with("-checkout-2") || cut2.ends_with("-errors-2") || cut2.ends_with("-after-2")));
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

namespace {

json::object submission(const std::string& callback, const std::string& channel, json::object values) {
    return json::object{{"type", "view_submission"},
                        {"user", json::object{{"id", "U5"}, {"name", "dana"}}},
                        {"trigger_id", "9.9.abc"},
                        {"view", json::object{{"id", "V42"},
                                              {"type", "modal"},
                                              {"callback_id", callback},
                                              {"private_metadata", channel},
                                              {"hash", "1767225600.abcd"},
                                              {"state", json::object{{"values", std::move(values)}}}}}};
}

json::object text_value(const std::string& block, const json::value& v) {
    return json::object{{block, json::object{{"value", json::object{{"type", "plain_text_input"}, {"value", v}}}}}};
}

json::object merged(std::initializer_list<json::object> parts) {
    json::object out;
    for (auto& p : parts)
        for (auto& [k, v] : p) out[k] = v;
    return out;
}

json::object severity_value(const std::string& n) {
    return json::object{
        {"severity",
         json::object{{"value", json::object{{"type", "static_select"},
                                             {"selected_option", json::object{{"text", json::object{{"type", "plain_text"}, {"text", "SEV" + n}}},
                                                                              {"value", n}}}}}}}};
}

json::object private_value(bool on) {
    json::array sel;
    if (on) sel.push_back(json::object{{"value", "private"}});
    return json::object{{"private", json::object{{"value", json::object{{"type", "checkboxes"}, {"selected_options", sel}}}}}};
}

}  // namespace

TEST_CASE("a button press runs its command as the presser, {me} included", "[slack]") {
    auto now = from_unix_ms(1767225600000);
    json::object press{{"type", "block_actions"},
                       {"trigger_id", "t1"},
                       {"user", json::object{{"id", "U5"}}},
                       {"container", json::object{{"type", "message"}, {"channel_id", "C7"}}},
                       {"actions", json::array{json::object{{"type", "button"},
                                                            {"action_id", "fb-0"},
                                                            {"value", "incident scribe {me}"},
                                                            {"action_ts", "1.2"}}}}};
    auto b = translate_interaction(press, now);
    REQUIRE(b);
    CHECK(b->text == "scribe @U5");
    CHECK(b->room == room_ref{"slack", "C7"});
    CHECK(b->event_id == "slack:action:t1:1.2");
    press["actions"].as_array()[0].as_object()["value"] = "incident action {me} and {me}{me}";
    CHECK(translate_interaction(press, now)->text == "action @U5 and @U5@U5");
    // A press without a user or a channel is nobody's command.
    auto nobody = press;
    nobody.erase("user");
    CHECK_FALSE(translate_interaction(nobody, now));
}

TEST_CASE("Block Kit for a message with buttons ends in one actions block", "[slack]") {
    rich_text t;
    t.bold("INC-1").text(" declared").button("I'll scribe", "scribe {me}").button("Roles", "roles");
    auto blocks = blocks_for(t);
    REQUIRE(blocks.size() == 2);
    CHECK(blocks[0].at("type") == "section");
    CHECK(blocks[0].at("text").at("text").as_string().find("Roles") == json::string::npos);
    const auto& actions = blocks[1].as_object();
    CHECK(actions.at("type") == "actions");
    const auto& buttons = actions.at("elements").as_array();
    REQUIRE(buttons.size() == 2);
    CHECK(buttons[0].at("type") == "button");
    CHECK(buttons[0].at("text").at("type") == "plain_text");
    CHECK(buttons[0].at("text").at("text") == "I'll scribe");
    CHECK(buttons[0].at("action_id") == "fb-0");
    CHECK(buttons[0].at("value") == "incident scribe {me}");
    CHECK(buttons[1].at("action_id") == "fb-1");
    CHECK(buttons[1].at("value") == "incident roles");
    // The plain fallback has no trace of the buttons.
    CHECK(to_mrkdwn(t) == "*INC-1* declared");

    // Without buttons: no actions block. Past Slack's limits: 50 blocks, 25 buttons, 75-character labels.
    CHECK(blocks_for(rich_text{}.text("x")).size() == 1);
    rich_text huge;
    for (int i = 0; i < 400; ++i) huge.text(std::string(2900, 'x')).line();
    for (int i = 0; i < 30; ++i) huge.button(std::string(100, 'b') + std::to_string(i), "roles");
    huge.button("", "timeline");
    auto many = blocks_for(huge);
    CHECK(many.size() == 50);
    CHECK(many.back().at("type") == "actions");
    CHECK(many.back().at("elements").as_array().size() == 25);
    // What did not fit is not dropped silently: the last text block and the text say so.
    const std::string note = "(cut to fit Slack; `timeline` or the export has the rest)";
    std::string last_text(many[48].at("text").at("text").as_string());
    CHECK(last_text.size() <= 3000);
    CHECK(last_text.find(note) != std::string::npos);
    auto text = message_text(huge);
    CHECK(text.size() <= 39000);
    CHECK(text.find(note) != std::string::npos);
    CHECK(message_text(rich_text{}.text("short")) == "short");
    CHECK(std::string(blocks_for(rich_text{}.text("short"))[0].at("text").at("text").as_string()) == "short");
    for (auto& b : many.back().at("elements").as_array()) CHECK(b.at("text").at("text").as_string().size() <= 75);
    CHECK(blocks_for(rich_text{}.text("x").button("", "timeline"))[1].at("elements").at(0).at("text").at("text") == "timeline");
}

TEST_CASE("declare and update typed alone ask for a form", "[slack]") {
    CHECK(form_for("declare") == declare_form);
    CHECK(form_for("  DECLARE \n") == declare_form);
    CHECK(form_for("Update") == update_form);
    CHECK(form_for("declare Checkout down").empty());
    CHECK(form_for("update impact: x").empty());
    CHECK(form_for("").empty());
    CHECK(form_for("roles").empty());

    auto f = decode(fixture("envelope_slash_commands_hello-socket-mode.json"));
    f.payload["text"] = " declare ";
    auto req = form_request(f.payload);
    REQUIRE(req);
    CHECK(req->at("trigger_id") == "111.222.xxx");
    const auto& view = req->at("view").as_object();
    CHECK(view.at("type") == "modal");
    CHECK(view.at("callback_id") == "firebreak_declare");
    CHECK(view.at("private_metadata") == "C111");
    CHECK(view.at("title").at("type") == "plain_text");
    CHECK(view.at("title").at("text").as_string().size() <= 24);
    CHECK(view.at("submit").at("type") == "plain_text");
    CHECK(view.at("close").at("type") == "plain_text");
    const auto& blocks = view.at("blocks").as_array();
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0].at("block_id") == "title");
    CHECK(blocks[0].at("element").at("type") == "plain_text_input");
    CHECK(blocks[0].at("optional") == false);
    CHECK(blocks[1].at("block_id") == "severity");
    CHECK(blocks[1].at("element").at("type") == "static_select");
    CHECK(blocks[1].at("element").at("options").as_array().size() == 4);
    CHECK(blocks[1].at("element").at("initial_option") == blocks[1].at("element").at("options").at(1));  // SEV2
    CHECK(blocks[2].at("block_id") == "private");
    CHECK(blocks[2].at("element").at("type") == "checkboxes");
    CHECK(blocks[2].at("optional") == true);
    for (auto& b : blocks) CHECK(b.at("type") == "input");
    // A configured default severity starts the select there.
    auto sev3 = form_view(declare_form, "C1", 3);
    CHECK(sev3.at("blocks").at(1).at("element").at("initial_option").at("value") == "3");

    f.payload["text"] = "update";
    auto up = form_request(f.payload);
    REQUIRE(up);
    const auto& uv = up->at("view").as_object();
    CHECK(uv.at("callback_id") == "firebreak_update");
    CHECK(uv.at("private_metadata") == "C111");
    const auto& ub = uv.at("blocks").as_array();
    REQUIRE(ub.size() == 4);
    std::vector<std::string> ids;
    for (auto& b : ub) ids.emplace_back(b.at("block_id").as_string());
    CHECK(ids == std::vector<std::string>{"impact", "actions", "needs", "next"});
    CHECK(ub[0].at("optional") == false);
    CHECK(ub[0].at("element").at("multiline") == true);
    CHECK(ub[1].at("optional") == true);
    CHECK(ub[3].at("optional") == true);
    CHECK(ub[3].at("element").at("multiline") == false);

    // With arguments, or without a trigger id, the command goes to the engine as typed.
    f.payload["text"] = "update impact: x";
    CHECK_FALSE(form_request(f.payload));
    f.payload["text"] = "declare";
    f.payload.erase("trigger_id");
    CHECK_FALSE(form_request(f.payload));
}

TEST_CASE("a submitted declare form becomes the declare command", "[slack]") {
    auto now = from_unix_ms(1767225600000);
    auto p = submission("firebreak_declare", "C9",
                        merged({text_value("title", "Checkout errors"), severity_value("1"), private_value(true)}));
    auto ev = translate_interaction(p, now);
    REQUIRE(ev);
    CHECK(ev->kind == event_kind::command);
    CHECK(ev->text == "declare Checkout errors --sev 1 --private");
    CHECK(ev->user.id == "U5");
    CHECK(ev->room == room_ref{"slack", "C9"});
    CHECK(ev->event_id == "slack:view:V42:1767225600.abcd");
    CHECK(ev->at == now);

    std::string error;
    auto plain = submission_command(p["view"].as_object(), error);
    REQUIRE(plain);
    // No severity chosen and not private: the engine's defaults.
    json::object view = submission("firebreak_declare", "C9", merged({text_value("title", "  DB   down\nagain "), private_value(false)}))["view"].as_object();
    CHECK(submission_command(view, error) == std::optional<std::string>{"declare DB down, again"});
    // Words that would read as options stay in the title.
    view = submission("firebreak_declare", "C9", text_value("title", "ignore --sev 4 and --private -- x"))["view"].as_object();
    CHECK(submission_command(view, error) == std::optional<std::string>{"declare ignore \u2014sev 4 and \u2014private -- x"});
}

TEST_CASE("a submitted update form becomes the update command with the fields given", "[slack]") {
    auto now = from_unix_ms(1767225600000);
    auto p = submission("firebreak_update", "C9",
                        merged({text_value("impact", "EU checkout fails"), text_value("actions", "rolling back\nwatching; errors"),
                                text_value("needs", nullptr), text_value("next", "30m")}));
    auto ev = translate_interaction(p, now);
    REQUIRE(ev);
    CHECK(ev->text == "update impact: EU checkout fails; actions: rolling back, watching, errors; next: 30m");
    CHECK(ev->room == room_ref{"slack", "C9"});
    auto only = submission("firebreak_update", "C9", text_value("impact", "none yet"));
    CHECK(translate_interaction(only, now)->text == "update impact: none yet");
}

TEST_CASE("malformed and foreign submissions are refused with a reason", "[slack]") {
    auto now = from_unix_ms(1767225600000);
    std::string why;
    // Not ours: nothing to say.
    auto foreign = submission("someone_else", "C9", text_value("title", "x"));
    CHECK_FALSE(translate_interaction(foreign, now, &why));
    CHECK(why.empty());
    CHECK_FALSE(translate_interaction(json::object{{"type", "view_submission"}}, now, &why));
    CHECK(why.empty());

    auto refused = [&](json::object p) {
        why.clear();
        bool none = !translate_interaction(p, now, &why);
        INFO(json::serialize(p));
        CHECK(none);
        CHECK_FALSE(why.empty());
    };
    refused(submission("firebreak_declare", "C9", json::object{}));                         // no title
    refused(submission("firebreak_declare", "C9", text_value("title", "   \n ")));            // blank title
    refused(submission("firebreak_declare", "C9", text_value("title", 42)));                  // not text
    refused(submission("firebreak_declare", "C9", merged({text_value("title", "x"), severity_value("9")})));
    refused(submission("firebreak_declare", "C9", merged({text_value("title", "x"), severity_value("1 --private")})));
    refused(submission("firebreak_update", "C9", text_value("actions", "only actions")));   // no impact
    refused(submission("firebreak_update", "", text_value("impact", "x")));                 // no channel
    refused(submission("firebreak_update", "C9; rm", text_value("impact", "x")));           // not a channel id
    auto no_user = submission("firebreak_update", "C9", text_value("impact", "x"));
    no_user.erase("user");
    refused(no_user);
    auto no_id = submission("firebreak_update", "C9", text_value("impact", "x"));
    no_id["view"].as_object().erase("id");
    refused(no_id);
    auto no_state = submission("firebreak_update", "C9", text_value("impact", "x"));
    no_state["view"].as_object()["state"] = "garbage";
    refused(no_state);
}
