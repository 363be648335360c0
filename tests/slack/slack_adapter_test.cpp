// The Slack adapter end to end: the real service against a fake Slack over real sockets
// on 127.0.0.1 (Web API and Socket Mode), every Web API call checked against Slack's
// method definitions, every envelope acknowledged once and in time.
#include "tests/slack/slack_rig.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

using namespace firebreak;
using namespace firebreak::testing;
namespace json = boost::json;


TEST_CASE("a whole incident worked through Slack", "[slack]") {
    fake_slack slack;
    slack_conformance spec(slack);
    slack.add_user(maya, "maya", "Maya");
    slack.add_user(dana, "dana", "Dana");
    auto general = slack.create_channel("general", {maya, dana, "UFBBOT"});
    auto news = slack.create_channel("incidents", {maya, "UFBBOT"});
    slack_rig rig(slack, news);
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));

    auto channel = declare(rig, general);
    // The channel: Slack's name rules, the declarer invited, the topic, the kickoff.
    CHECK(slack.channel_named("inc-1-search-is-timing-out") == channel);
    auto members = slack.members(channel);
    CHECK(std::find(members.begin(), members.end(), maya) != members.end());
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "INC-1"); }));
    auto kickoff = slack.messages(channel).front();
    CHECK(kickoff.blocks.is_array());
    CHECK_FALSE(kickoff.text.empty());
    REQUIRE(rig.until([&] { return slack.topic(channel).find("SEV1") != std::string::npos; }));
    REQUIRE(rig.until([&] { return rig.bot_said(news, "INC-1"); }));

    // A malformed command answers only the person who typed it.
    slack.push_slash_command(general, dana, "sev 9");
    REQUIRE(rig.until([&] {
        for (auto& m : slack.messages(general))
            if (m.ephemeral && m.ephemeral_user == dana) return true;
        return false;
    }));

    // Working the incident: tagged messages, a pin, an edit, a deletion, a thread reply.
    auto hyp = slack.push_message(channel, maya, "#hypothesis the new index is missing <@U0DANA> can you check?");
    slack.push_event(reaction("reaction_added", dana, channel, hyp));
    auto typo = slack.push_message(channel, dana, "rolled back the deploi");
    slack.push_event(json::object{{"type", "message"},
                                  {"subtype", "message_changed"},
                                  {"channel", channel},
                                  {"ts", "1767225800.000100"},
                                  {"message", json::object{{"user", dana}, {"text", "rolled back the deploy"}, {"ts", typo}}},
                                  {"previous_message", json::object{{"user", dana}, {"text", "rolled back the deploi"}}}});
    auto oops = slack.push_message(channel, dana, "password is hunter2");
    slack.push_event(json::object{{"type", "message"},
                                  {"subtype", "message_deleted"},
                                  {"channel", channel},
                                  {"ts", "1767225801.000100"},
                                  {"deleted_ts", oops},
                                  {"previous_message", json::object{{"user", dana}, {"text", "password is hunter2"}}}});
    slack.push_message(channel, maya, "error rate is back to normal", hyp);
    slack.push_slash_command(channel, maya, "status resolved");
    slack.push_slash_command(channel, maya, "close");

    REQUIRE(rig.until([&] { return !slack.files().empty(); }));
    auto md = slack.files().begin()->second;
    CHECK(md.find("Search is timing out") != std::string::npos);
    CHECK(md.find("the new index is missing") != std::string::npos);

    auto* inc = rig.eng().state().find(1);
    REQUIRE(inc);
    CHECK(inc->is_closed());
    CHECK(rig.has_text(1, "@U0DANA can you check?"));
    CHECK(rig.has_text(1, "rolled back the deploy"));
    CHECK_FALSE(rig.has_text(1, "hunter2"));
    bool pinned = false, threaded = false;
    for (auto& e : rig.eng().store().timeline(incident_id{1})) {
        if (e.msg.id == hyp && e.highlight) pinned = true;
        if (e.text == "error rate is back to normal" && e.thread_parent.id == hyp) threaded = true;
    }
    CHECK(pinned);
    CHECK(threaded);
    // The #hypothesis registered: ✅ on the very message (reactions.add), the number said.
    auto acked = slack.reactions(channel, hyp);
    CHECK(std::find(acked.begin(), acked.end(), "white_check_mark") != acked.end());
    CHECK(rig.bot_said(channel, "Recorded hypothesis *H1*"));
    REQUIRE(rig.until([&] { return rig.bot_said(news, "closed"); }));

    // Every envelope acknowledged once; nothing the bot sent broke the definitions.
    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK(slack.bad_frames().empty());
    CHECK_SLACK_CONFORMS(spec);
    CHECK(spec.checked() > 12);
    CHECK(slack.hook_failures().empty());
}

TEST_CASE("refresh_requested in the middle of a burst: no event lost, none handled twice", "[slack]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;
    auto channel = declare(rig, general);
    for (int i = 0; i < 60; ++i) {
        if (i == 25) slack.request_refresh();
        slack.push_message(channel, maya, "burst " + std::to_string(i));
    }
    REQUIRE(rig.until([&] { return rig.has_text(1, "burst 59") && slack.unacked().empty(); }));
    auto texts = rig.texts(1);
    for (int i = 0; i < 60; ++i) CHECK(std::count(texts.begin(), texts.end(), "burst " + std::to_string(i)) == 1);
    CHECK(slack.connections_opened() == 2);
    REQUIRE(rig.until([&] { return slack.open_connections() == 1; }));
    CHECK(slack.bad_frames().empty());
    CHECK_SLACK_CONFORMS(spec);
}

TEST_CASE("envelopes arriving in a burst are committed in groups and each acked after its group", "[slack]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;
    auto channel = declare(rig, general);
    // Frames come one WebSocket read at a time; under load the service waits a moment for
    // the ones behind the first, so a burst shares commits instead of taking one each.
    constexpr int burst = 200;
    for (int i = 0; i < burst; ++i) slack.push_message(channel, maya, "burst " + std::to_string(i));
    REQUIRE(rig.until([&] { return rig.has_text(1, "burst " + std::to_string(burst - 1)) && slack.unacked().empty(); }));
    const auto& c = rig.eng().counters();
    INFO("groups " << c.groups << ", grouped events " << c.grouped_events);
    CHECK(c.groups > 0);
    CHECK(c.grouped_events > burst / 4);
    auto texts = rig.texts(1);
    for (int i = 0; i < burst; ++i) CHECK(std::count(texts.begin(), texts.end(), "burst " + std::to_string(i)) == 1);
    // Nothing was sent twice: no ack came too late.
    for (const auto& t : slack.envelope_timings()) CHECK(t.retry_attempt == 0);
    CHECK_SLACK_CONFORMS(spec);
}

TEST_CASE("a connection dropped after every N-th frame loses nothing and doubles nothing", "[slack]") {
    for (int n : {1, 2, 3, 5, 8}) {
        DYNAMIC_SECTION("drop after " << n << " frames") {
            fake_slack_options o;
            o.ack_timeout = std::chrono::milliseconds{500};
            o.max_retries = 10;
            fake_slack slack(o);
            auto general = slack.create_channel("general", {maya, "UFBBOT"});
            slack_rig rig(slack);
            rig.boot();
            REQUIRE(rig.until([&] { return rig.connected(); }));
            auto channel = declare(rig, general);
            REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
            const int opened = slack.connections_opened();
            slack.drop_after_frames(n);
            for (int i = 0; i < 20; ++i) slack.push_message(channel, maya, "line " + std::to_string(i));
            // Each new connection is cut after n frames too, three times over.
            int armed_for = opened, rearmed = 0;
            REQUIRE(rig.until([&] {
                if (slack.connections_opened() > armed_for && rearmed < 3) {
                    armed_for = slack.connections_opened();
                    slack.drop_after_frames(n);
                    ++rearmed;
                }
                return rig.has_text(1, "line 19") && slack.unacked().empty();
            }, std::chrono::milliseconds{20000}));
            auto texts = rig.texts(1);
            for (int i = 0; i < 20; ++i) CHECK(std::count(texts.begin(), texts.end(), "line " + std::to_string(i)) == 1);
            CHECK(slack.connections_opened() > opened);
        }
    }
}

TEST_CASE("429 on chat.postMessage is waited out with the channel's order kept and nothing dropped", "[slack]") {
    fake_slack slack;
    slack_conformance spec(slack);
    auto general = slack.create_channel("general", {maya, "UFBBOT"});
    slack_rig rig(slack);
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));
    auto channel = declare(rig, general);
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "INC-1"); }));
    slack.rate_limit("chat.postMessage", 4, 2);
    for (int i = 1; i <= 5; ++i) slack.push_slash_command(channel, maya, "hypothesis idea " + std::to_string(i));
    REQUIRE(rig.until([&] {
        rig.pass_waits();
        return rig.bot_said(channel, "H5");
    }));
    std::vector<int> order;
    for (auto& m : slack.messages(channel))
        for (int i = 1; i <= 5; ++i)
            if (m.text.find("H" + std::to_string(i)) != std::string::npos &&
                m.text.find("idea " + std::to_string(i)) != std::string::npos)
                order.push_back(i);
    CHECK(order == std::vector<int>{1, 2, 3, 4, 5});
    CHECK(rig.eng().counters().rate_limit_waits >= 4);
    CHECK(rig.eng().counters().dropped == 0);
    CHECK_SLACK_CONFORMS(spec);
}

TEST_CASE("invalid_auth is one clear fatal error, with no retry storm", "[slack]") {
    SECTION("the bot token") {
        fake_slack slack;
        slack_rig rig(slack);
        rig.cfg.slack.bot_token = secret{"xoxb-wrong", "test"};
        REQUIRE(rig.boot_until_fatal());
        CHECK(slack.calls().size() == 1);
        CHECK(rig.svc->code() == exit_code::platform);
        CHECK(rig.link()->last_error().find("invalid_auth") != std::string::npos);
        CHECK(rig.link()->last_error().find("xoxb-wrong") == std::string::npos);
    }
    SECTION("the app-level token") {
        fake_slack slack;
        slack_rig rig(slack);
        rig.cfg.slack.app_token = secret{"xapp-1-wrong", "test"};
        REQUIRE(rig.boot_until_fatal());
        CHECK(slack.calls().size() == 2);  // auth.test, then apps.connections.open once
        CHECK(slack.connections_opened() == 0);
        CHECK(rig.link()->state() == link_state::failed);
    }
}

TEST_CASE("malformed, unknown and oversized frames are skipped and the connection kept", "[slack]") {
    fake_slack slack;
    auto general = slack.create_channel("general", {maya, "UFBBOT"});
    slack_rig rig(slack);
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));
    auto channel = declare(rig, general, "<!channel> 🔥 *bold* & <script>");
    slack.push_raw_frame("{\"type\": ");
    slack.push_raw_frame("[1,2,3]");
    slack.push_raw_frame(R"({"type":"brand_new_kind","envelope_id":"odd-1","payload":{}})");
    slack.push_raw_frame(R"({"type":"events_api","payload":{"event":{"type":"message"}}})");
    slack.push_raw_frame(std::string(R"({"type":"events_api","envelope_id":"big","payload":{"text":")") +
                         std::string(5 * 1024 * 1024, 'x') + "\"}}");
    slack.push_event(json::object{{"type", "team_join"}, {"user", json::object{{"id", "U9"}}}});
    slack.push_message(channel, maya, std::string(200000, 'y'));
    // A lone surrogate escape is valid JSON text but no character: repaired, not fatal.
    // (Invalid UTF-8 in a text frame, by contrast, ends the connection as RFC 6455 asks.)
    slack.push_raw_frame(R"({"type":"events_api","envelope_id":"sur-1","payload":{"type":"event_callback",)"
                         R"("event_id":"EvSUR","event":{"type":"message","channel":")" + channel +
                         R"(","user":"U0MAYA","text":"lone \ud83d surrogate","ts":"1767225900.000100"}}})");
    slack.push_message(channel, maya, "still listening");
    REQUIRE(rig.until([&] { return rig.has_text(1, "still listening"); }));
    CHECK(rig.link()->skipped_frames() >= 4);
    CHECK(rig.has_text(1, "lone \xEF\xBF\xBD surrogate"));
    CHECK(slack.connections_opened() == 1);
    CHECK(rig.connected());
    for (auto& t : rig.texts(1)) CHECK(t.size() < 200000);
    // The hostile title is a valid channel name and escaped in the kickoff.
    CHECK(slack.channel_named("inc-1-channel-bold-script") == channel);
    for (auto& m : slack.messages(channel)) CHECK(m.text.find("<!channel>") == std::string::npos);
}

TEST_CASE("a slow Web API does not delay acknowledgements", "[slack]") {
    fake_slack_options o;
    o.ack_timeout = std::chrono::milliseconds{400};
    fake_slack slack(o);
    auto general = slack.create_channel("general", {maya, "UFBBOT"});
    slack_rig rig(slack);
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));
    auto channel = declare(rig, general);
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "INC-1"); }));
    slack.delay("chat.postMessage", std::chrono::milliseconds{1500});
    for (int i = 0; i < 5; ++i) slack.push_message(channel, maya, "#decision step " + std::to_string(i));
    REQUIRE(rig.until([&] { return rig.has_text(1, "step 4") && slack.unacked().empty(); }));
    // No envelope needed a second delivery: every ack beat the 400 ms deadline.
    for (auto& f : slack.sent_frames()) CHECK(f.find("\"retry_attempt\":1") == std::string::npos);
}

TEST_CASE("over TLS the bot verifies the fake Slack against the configured CA", "[slack][tls]") {
    fake_slack_options o;
    o.tls = true;
    fake_slack slack(o);
    slack_conformance spec(slack);
    auto general = slack.create_channel("general", {maya, "UFBBOT"});
    {
        slack_rig rig(slack);
        rig.boot();
        REQUIRE(rig.until([&] { return rig.connected(); }));
        auto channel = declare(rig, general);
        REQUIRE(rig.until([&] { return rig.bot_said(channel, "INC-1"); }));
        CHECK(rig.svc->not_ready().empty());
    }
    CHECK_SLACK_CONFORMS(spec);
    auto before = slack.calls().size();
    slack_rig untrusted(slack);
    untrusted.cfg.slack.ca_file.clear();
    untrusted.boot();
    untrusted.until([] { return false; }, std::chrono::milliseconds{300});
    CHECK(slack.calls().size() == before);
    CHECK_FALSE(untrusted.connected());
    CHECK(untrusted.svc->adapter("slack")->last_error().find("handshake") != std::string::npos);
}

namespace {

// A block_actions payload as Slack sends it when `user` presses `button` on message `ts`.
json::object press(const std::string& user, const std::string& channel, const std::string& ts, const json::value& button,
                   const std::string& trigger) {
    json::object action = button.as_object();
    action["block_id"] = "fbk";
    action["action_ts"] = "1767225700.123456";
    return json::object{{"type", "block_actions"},
                        {"user", json::object{{"id", user}, {"username", "dana"}, {"name", "dana"}, {"team_id", "T0FAKE"}}},
                        {"api_app_id", "A0FAKEAPP"},
                        {"token", "verification"},
                        {"container", json::object{{"type", "message"}, {"message_ts", ts}, {"channel_id", channel}, {"is_ephemeral", false}}},
                        {"trigger_id", trigger},
                        {"team", json::object{{"id", "T0FAKE"}, {"domain", "fake"}}},
                        {"channel", json::object{{"id", channel}, {"name", "inc-1"}}},
                        {"response_url", "https://hooks.slack.invalid/actions/T0FAKE/1/x"},
                        {"actions", json::array{std::move(action)}}};
}

// A view_submission of `view` (as views.open answered it) with these input values.
json::object submit(const std::string& user, json::object view, json::object values) {
    view["state"] = json::object{{"values", std::move(values)}};
    return json::object{{"type", "view_submission"},
                        {"team", json::object{{"id", "T0FAKE"}, {"domain", "fake"}}},
                        {"user", json::object{{"id", user}, {"username", "dana"}, {"name", "dana"}, {"team_id", "T0FAKE"}}},
                        {"api_app_id", "A0FAKEAPP"},
                        {"token", "verification"},
                        {"trigger_id", "2000001.1.f00d"},
                        {"view", std::move(view)},
                        {"response_urls", json::array{}}};
}

json::object typed(const std::string& text) {
    return json::object{{"value", json::object{{"type", "plain_text_input"}, {"value", text}}}};
}

// The arguments of the last views.open call.
std::optional<json::object> views_open_args(fake_slack& slack) {
    std::optional<json::object> last;
    for (auto& c : slack.calls())
        if (c.method == "views.open") last = c.args;
    return last;
}

}  // namespace

TEST_CASE("the kickoff offers buttons, and pressing one runs its command as the presser", "[slack]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;
    auto channel = declare(rig, general);
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "First steps"); }));

    posted_message kickoff;
    for (auto& m : slack.messages(channel))
        if (m.text.find("First steps") != std::string::npos) kickoff = m;
    REQUIRE(kickoff.blocks.is_array());
    const json::object* actions = nullptr;
    for (auto& b : kickoff.blocks.as_array())
        if (b.at("type") == "actions") actions = &b.as_object();
    REQUIRE(actions);
    std::map<std::string, std::string> value_of;
    std::set<std::string> action_ids;
    for (auto& e : actions->at("elements").as_array()) {
        CHECK(e.at("type") == "button");
        CHECK(e.at("text").at("type") == "plain_text");
        value_of[std::string(e.at("text").at("text").as_string())] = std::string(e.at("value").as_string());
        action_ids.insert(std::string(e.at("action_id").as_string()));
    }
    CHECK(action_ids.size() == value_of.size());
    CHECK(value_of["I'll scribe"] == "incident scribe {me}");
    CHECK(value_of["Identified"] == "incident status identified");
    CHECK(value_of["Mitigated"] == "incident status mitigated");
    CHECK(value_of["Roles"] == "incident roles");
    CHECK(value_of["Timeline"] == "incident timeline");
    // The plain-text fallback stays text.
    CHECK(kickoff.text.find("I'll scribe") == std::string::npos);

    // Dana presses "I'll scribe" and becomes the scribe.
    json::value scribe_button;
    for (auto& e : actions->at("elements").as_array())
        if (e.at("text").at("text") == "I'll scribe") scribe_button = e;
    slack.push_interactive(press(dana, channel, kickoff.ts, scribe_button, "1500001.1.beef"));
    REQUIRE(rig.until([&] {
        auto* inc = rig.eng().state().find(1);
        return inc && inc->scribe() && inc->scribe()->user.id == dana;
    }));
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "<@" + dana + "> is now scribe of INC-1"); }));

    // Another button: the status moves, and the actor is the presser.
    json::value mitigated;
    for (auto& e : actions->at("elements").as_array())
        if (e.at("text").at("text") == "Mitigated") mitigated = e;
    slack.push_interactive(press(dana, channel, kickoff.ts, mitigated, "1500002.2.beef"));
    REQUIRE(rig.until([&] { return to_title(rig.eng().state().find(1)->state) == "Mitigated"; }));
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "INC-1 is now Mitigated* (by <@" + dana + ">)"); }));

    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK(slack.bad_frames().empty());
    CHECK_SLACK_CONFORMS(spec);
    CHECK(slack.hook_failures().empty());
}

TEST_CASE("/incident declare alone opens a form whose submission declares the incident", "[slack]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;

    auto envelope = slack.push_slash_command(general, dana, "  Declare ");
    REQUIRE(rig.until([&] { return !slack.views().empty() && slack.unacked().empty(); }));
    auto view = slack.views().front();
    CHECK(view.at("type") == "modal");
    CHECK(view.at("callback_id") == "firebreak_declare");
    CHECK(view.at("private_metadata") == json::value(general));
    auto opened = views_open_args(slack);
    REQUIRE(opened);
    CHECK(slack_api::get().check_call("views.open", "POST", *opened).empty());
    // Nothing reached the engine: no incident, no answer in the channel.
    CHECK(rig.eng().state().incidents.empty());
    CHECK(std::find(slack.acked().begin(), slack.acked().end(), envelope) != slack.acked().end());

    json::object values{{"title", typed("Payments are double-charging")},
                        {"severity", json::object{{"value", json::object{{"type", "static_select"},
                                                                        {"selected_option", view.at("blocks").at(1).at("element").at("options").at(2)}}}}},
                        {"private", json::object{{"value", json::object{{"type", "checkboxes"}, {"selected_options", json::array{}}}}}}};
    auto submitted = slack.push_interactive(submit(dana, view, values));
    REQUIRE(rig.until([&] { return !rig.channel_of(1).empty(); }));
    auto* inc = rig.eng().state().find(1);
    REQUIRE(inc);
    CHECK(inc->title == "Payments are double-charging");
    CHECK(to_string(inc->sev) == "SEV3");
    CHECK_FALSE(inc->is_private);
    CHECK(inc->declared_by.id == dana);
    REQUIRE(inc->commander());
    CHECK(inc->commander()->user.id == dana);
    auto channel = rig.channel_of(1);
    CHECK(slack.channel_named("inc-1-payments-are-double-charging") == channel);
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "First steps"); }));

    // A plain ack closes the modal; the submission was handled once.
    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK(std::find(slack.acked().begin(), slack.acked().end(), submitted) != slack.acked().end());
    CHECK(slack.ack_payloads().count(submitted) == 0);

    // A submission that cannot be read is skipped and still acked; so is someone else's form.
    json::object broken = view;
    broken["private_metadata"] = "";
    slack.push_interactive(submit(dana, broken, values));
    json::object foreign = view;
    foreign["callback_id"] = "another_app";
    slack.push_interactive(submit(dana, foreign, values));
    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK(rig.eng().state().incidents.size() == 1);

    // With a title the command goes to the engine as typed, with no form.
    slack.push_slash_command(general, maya, "declare Search is slow --sev 4");
    REQUIRE(rig.until([&] { return !rig.channel_of(2).empty(); }));
    CHECK(slack.views().size() == 1);

    // When the form cannot open (the trigger expired), the person is told how to type it.
    slack.fail("views.open", 1, "expired_trigger_id");
    slack.push_slash_command(general, maya, "declare");
    REQUIRE(rig.until([&] {
        for (auto& m : slack.messages(general))
            if (m.ephemeral && m.ephemeral_user == maya && m.text.find("Type it in full") != std::string::npos) return true;
        return false;
    }));
    CHECK(slack.views().size() == 1);
    CHECK(rig.eng().state().incidents.size() == 2);

    CHECK(slack.bad_frames().empty());
    CHECK_SLACK_CONFORMS(spec);
    CHECK(slack.hook_failures().empty());
}

TEST_CASE("/incident update alone in an incident channel opens a form whose submission posts the update", "[slack]") {
    fake_slack slack;
    slack_conformance spec(slack);
    slack.add_user(maya, "maya", "Maya");
    auto general = slack.create_channel("general", {maya, "UFBBOT"});
    auto news = slack.create_channel("incidents", {maya, "UFBBOT"});
    slack_rig rig(slack, news);
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));
    auto channel = declare(rig, general);
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "First steps") && slack.unacked().empty(); }));

    slack.push_slash_command(channel, maya, "update");
    REQUIRE(rig.until([&] { return !slack.views().empty() && slack.unacked().empty(); }));
    auto view = slack.views().front();
    CHECK(view.at("callback_id") == "firebreak_update");
    CHECK(view.at("private_metadata") == json::value(channel));
    auto opened = views_open_args(slack);
    REQUIRE(opened);
    CHECK(slack_api::get().check_call("views.open", "POST", *opened).empty());
    CHECK(rig.eng().state().find(1)->updates.empty());

    json::object values{{"impact", typed("Search fails for 30% of users")},
                        {"actions", typed("rolling back the index change\nwatching error rates")},
                        {"needs", json::object{{"value", json::object{{"type", "plain_text_input"}, {"value", nullptr}}}}},
                        {"next", typed("15m")}};
    slack.push_interactive(submit(maya, view, values));
    REQUIRE(rig.until([&] { return !rig.eng().state().find(1)->updates.empty(); }));
    const auto& u = rig.eng().state().find(1)->updates.back();
    CHECK(u.impact == "Search fails for 30% of users");
    CHECK(u.actions == "rolling back the index change, watching error rates");
    CHECK(u.needs.empty());
    CHECK(u.next_at == rig.clk.now() + std::chrono::minutes{15});
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "Search fails for 30% of users"); }));
    REQUIRE(rig.until([&] { return rig.bot_said(news, "Search fails for 30% of users"); }));

    // "update" typed with fields goes straight to the engine.
    slack.push_slash_command(channel, maya, "update impact: recovering");
    REQUIRE(rig.until([&] { return rig.eng().state().find(1)->updates.size() == 2; }));
    CHECK(slack.views().size() == 1);

    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK(slack.bad_frames().empty());
    CHECK_SLACK_CONFORMS(spec);
    CHECK(slack.hook_failures().empty());
}

TEST_CASE("a channel name already taken gets the next suffix", "[slack]") {
    fake_slack slack;
    slack_conformance spec(slack);
    auto general = slack.create_channel("general", {maya, "UFBBOT"});
    slack.create_channel("inc-1-search-is-timing-out", {dana});
    slack.create_channel("inc-1-search-is-timing-out-2", {dana});
    slack_rig rig(slack);
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));
    auto channel = declare(rig, general);
    CHECK(slack.channel_named("inc-1-search-is-timing-out-3") == channel);
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "INC-1"); }));
    CHECK_SLACK_CONFORMS(spec);
}

TEST_CASE("link_disabled stops the adapter with one clear error — warning just moves to a new connection", "[slack]") {
    fake_slack slack;
    auto general = slack.create_channel("general", {maya, "UFBBOT"});
    slack_rig rig(slack);
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));
    slack.send_disconnect("warning");
    REQUIRE(rig.until([&] { return slack.connections_opened() == 2 && rig.connected(); }));
    auto channel = declare(rig, general);
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "INC-1"); }));
    CHECK_FALSE(rig.fatal_seen);

    slack.send_disconnect("link_disabled");
    REQUIRE(rig.until([&] { return rig.fatal_seen; }));
    rig.until([] { return false; }, std::chrono::milliseconds{200});
    CHECK(slack.connections_opened() == 2);
    CHECK(rig.svc->code() == exit_code::platform);
    CHECK(rig.link()->last_error().find("link_disabled") != std::string::npos);
}

TEST_CASE("a private incident through Slack: outsiders learn nothing, a member who leaves the channel loses access",
          "[slack][privacy]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;
    const std::string zed = "U0ZED";
    slack.add_user(zed, "zed", "Zed");
    auto ops = slack.create_channel("ops", {maya, dana, zed, "UFBBOT"});

    slack.push_slash_command(general, maya, "declare leaked deploy token --private --sev 1");
    REQUIRE(rig.until([&] { return !rig.channel_of(1).empty(); }));
    auto channel = rig.channel_of(1);
    REQUIRE(rig.until([&] { return rig.bot_said(general, "*INC-1* declared (private)"); }));
    REQUIRE(rig.until([&] { return rig.bot_said(general, "leaked deploy token", true); }));
    // The channel hears that a private incident exists; only Maya sees what it is.
    for (auto& m : slack.messages(general)) {
        INFO(m.text);
        if (!m.ephemeral) CHECK(m.text.find("leaked deploy token") == std::string::npos);
        else CHECK(m.ephemeral_user == maya);
    }

    // Dana is brought in as SME from #ops by Maya: she is a member now.
    slack.push_message(ops, maya, "!incident INC-1 sme <@" + dana + "> secrets");
    REQUIRE(rig.until([&] { return rig.eng().state().find(1)->members.count(user_ref{dana}) == 1; }));

    // Zed, from #ops, by message and by slash command: the answer of a missing incident,
    // and nothing reaches the private channel or #ops.
    slack.push_message(ops, zed, "!incident INC-1 timeline");
    slack.push_slash_command(ops, zed, "INC-1 scribe <@" + zed + ">");
    REQUIRE(rig.until([&] {
        int seen = 0;
        for (auto& m : slack.messages(ops))
            if (m.ephemeral && m.ephemeral_user == zed && m.text == "There is no INC-1 you can see.") ++seen;
        return seen == 2;
    }));
    CHECK_FALSE(rig.eng().state().find(1)->scribe());
    for (auto& m : slack.messages(ops)) {
        INFO(m.text);
        CHECK(m.text.find("leaked deploy token") == std::string::npos);
        if (!m.ephemeral) CHECK(m.user != "UFBBOT");
    }
    auto members = slack.members(channel);
    CHECK(std::find(members.begin(), members.end(), zed) == members.end());

    // Dana leaves the channel: from then on she gets the same answer as Zed.
    json::object left{{"type", "member_left_channel"}, {"user", dana}, {"channel", channel},
                      {"channel_type", "G"}, {"team", "T0FAKE"}, {"event_ts", "1767225800.000100"}};
    slack.push_event(left);
    REQUIRE(rig.until([&] { return rig.eng().state().find(1)->members.count(user_ref{dana}) == 0; }));
    slack.push_slash_command(ops, dana, "INC-1 roles");
    REQUIRE(rig.until([&] {
        for (auto& m : slack.messages(ops))
            if (m.ephemeral && m.ephemeral_user == dana && m.text == "There is no INC-1 you can see.") return true;
        return false;
    }));

    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK(slack.bad_frames().empty());
    CHECK_SLACK_CONFORMS(spec);
    CHECK(slack.hook_failures().empty());
}

TEST_CASE("📌 on firebreak's own status update puts it on the record, highlighted", "[slack]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;
    auto channel = declare(rig, general);
    slack.push_slash_command(channel, maya, "update impact: 4% of searches time out; actions: failing over; next: 20m");
    std::string ts;
    REQUIRE(rig.until([&] {
        for (auto& m : slack.messages(channel))
            if (!m.ephemeral && m.user == "UFBBOT" && m.text.find("4% of searches time out") != std::string::npos)
                ts = m.ts;
        return !ts.empty();
    }));
    // A person reacts after seeing the message, long after the bot has read Slack's answer
    // to its post (and so knows the ts as its own); the fake shows the message before that.
    REQUIRE(rig.until([&] { return rig.eng().store().pending_outbox(100).empty(); }));
    slack.push_event(reaction("reaction_added", dana, channel, ts));
    auto pinned = [&] {
        for (auto& e : rig.eng().store().timeline(incident_id{1}))
            if (e.msg.id == ts && e.highlight && e.tag == "bot" && e.text.find("4% of searches time out") != std::string::npos)
                return true;
        return false;
    };
    REQUIRE(rig.until(pinned));
    // Unpinning takes the highlight off; pinning again puts it back, on the same row.
    slack.push_event(reaction("reaction_removed", dana, channel, ts));
    REQUIRE(rig.until([&] { return !pinned(); }));
    slack.push_event(reaction("reaction_added", maya, channel, ts));
    REQUIRE(rig.until(pinned));
    std::size_t rows = 0;
    for (auto& e : rig.eng().store().timeline(incident_id{1}))
        if (e.msg.id == ts) ++rows;
    CHECK(rows == 1);
    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK_SLACK_CONFORMS(spec);
}

namespace {

// The answers the fake took through slash commands' response_urls, in order.
std::vector<slack_call> response_url_answers(const fake_slack& slack) {
    std::vector<slack_call> out;
    for (auto& c : slack.calls())
        if (c.method.empty() && c.target.rfind("/commands/", 0) == 0) out.push_back(c);
    return out;
}

}  // namespace

TEST_CASE("a slash command in a channel firebreak is not in is answered through its response_url",
          "[slack]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;
    // #random has people but not the bot: chat.post* there fails with not_in_channel.
    auto random = slack.create_channel("random", {maya, dana});

    slack.push_slash_command(random, maya, "help");
    REQUIRE(rig.until([&] { return rig.bot_said(random, "declare", true); }));
    for (auto& m : slack.messages(random))
        if (m.ephemeral) CHECK(m.ephemeral_user == maya);
    auto calls = slack.calls();
    CHECK(std::any_of(calls.begin(), calls.end(), [](const slack_call& c) {
        return c.method == "chat.postEphemeral" && c.error == "not_in_channel";
    }));

    // A declare typed there keeps its confirmation, and the channel is made as usual.
    slack.push_slash_command(random, dana, "declare Payments are failing --sev 2");
    REQUIRE(rig.until([&] { return !rig.channel_of(1).empty(); }));
    REQUIRE(rig.until([&] { return rig.bot_said(random, "INC-1", false) || rig.bot_said(random, "INC-1", true); }));

    // The answers went to the commands' response_urls, and Slack took each of them.
    auto answered = response_url_answers(slack);
    for (auto& c : answered) CHECK(c.status == 200);
    CHECK(answered.size() >= 2);
    CHECK_SLACK_CONFORMS(spec);
}

TEST_CASE("a response_url is used at most five times and for 30 minutes, then the answer fails plainly",
          "[slack]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;
    auto random = slack.create_channel("random", {maya, dana});
    slack.push_slash_command(random, maya, "help");
    REQUIRE(rig.until([&] { return rig.bot_said(random, "declare", true); }));
    auto hook_calls = [&] { return response_url_answers(slack).size(); };
    REQUIRE(hook_calls() == 1);  // the help answer

    // Four more posts in the channel take the same URL; the sixth finds none left and
    // fails as Slack's own answer did, without touching the used-up URL.
    std::vector<delivery> outcomes;
    auto* adapter = rig.link();
    for (int i = 0; i < 5; ++i)
        adapter->post(room_ref{"slack", random}, rich_text{}.text("note " + std::to_string(i)), {}, "k" + std::to_string(i),
                      [&](delivery d) { outcomes.push_back(d); });
    REQUIRE(rig.until([&] { return outcomes.size() == 5; }));
    for (int i = 0; i < 4; ++i) CHECK(outcomes[std::size_t(i)].ok());
    CHECK_FALSE(outcomes[4].ok());
    CHECK(outcomes[4].error == error_kind::not_found);
    CHECK(hook_calls() == 5);

    // A fresh command brings a fresh URL, good for 30 minutes and not a moment longer.
    slack.push_slash_command(random, dana, "help");
    REQUIRE(rig.until([&] { return hook_calls() == 6; }));
    rig.clk.advance(std::chrono::minutes{29});
    outcomes.clear();
    adapter->post(room_ref{"slack", random}, rich_text{}.text("still in time"), {}, "k-late",
                  [&](delivery d) { outcomes.push_back(d); });
    REQUIRE(rig.until([&] { return outcomes.size() == 1; }));
    CHECK(outcomes[0].ok());
    rig.clk.advance(std::chrono::minutes{2});
    adapter->post(room_ref{"slack", random}, rich_text{}.text("too late"), {}, "k-later",
                  [&](delivery d) { outcomes.push_back(d); });
    REQUIRE(rig.until([&] { return outcomes.size() == 2; }));
    CHECK_FALSE(outcomes[1].ok());
    CHECK(hook_calls() == 7);
    // Slack (the fake) took every use: none was beyond a URL's limits.
    for (auto& c : response_url_answers(slack)) CHECK(c.status == 200);
    CHECK_SLACK_CONFORMS(spec);
}

TEST_CASE("check-config --online asks Slack whether it takes the bot token", "[slack][config]") {
    fake_slack slack;
    temp_dir dir;
    auto run = [&](const std::string& base, const std::string& bot) {
        auto cfg = dir.file("online.toml");
        {
            std::ofstream f(cfg);
            f << "[slack]\nenabled = true\napi_base_url = \"" << base
              << "\"\nbot_token_env = \"FB_TEST_BOT\"\napp_token_env = \"FB_TEST_APP\"\n";
        }
        std::ostringstream out, err;
        env_lookup env = [bot](const std::string& k) -> std::optional<std::string> {
            if (k == "FB_TEST_BOT") return bot;
            if (k == "FB_TEST_APP") return std::string("xapp-1-test-app");
            return std::nullopt;
        };
        int code = run_check_config(cfg, env, out, err, true);
        return std::tuple{code, out.str(), err.str()};
    };
    auto [ok, out, err] = run(slack.api_base_url(), "xoxb-test-bot");
    CHECK(ok == 0);
    CHECK(out.find("slack: accepts the token (signed in as UFBBOT in Fake Workspace)") != std::string::npos);
    auto [refused, out2, err2] = run(slack.api_base_url(), "xoxb-not-the-token");
    CHECK(refused == 3);
    CHECK(err2.find("invalid_auth") != std::string::npos);
    CHECK(err2.find("xoxb-not-the-token") == std::string::npos);
    // Only the one "who am I" call each time, and no Socket Mode connection.
    std::size_t auth_tests = 0;
    for (const auto& c : slack.calls()) {
        CHECK(c.method == "auth.test");
        auth_tests += c.method == "auth.test";
    }
    CHECK(auth_tests == 2);
    // Nobody listens there: a clear "cannot reach", exit 3.
    auto [unreachable, out3, err3] = run("http://127.0.0.1:1", "xoxb-test-bot");
    CHECK(unreachable == 3);
    CHECK(err3.find("slack: cannot reach http://127.0.0.1:1") != std::string::npos);
}

TEST_CASE("reconnects wait the backoff the adapter's timer is asked for, which a good connection resets",
          "[slack]") {
    using ms = std::chrono::milliseconds;
    fake_slack slack;
    slack_rig rig(slack);
    rig.cfg.slack.retry_initial = ms{1000};  // a second each time: stepped, so no test waits for it
    slack.fail("apps.connections.open", 2, "internal_error");
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));
    // 1 s, then ×1.75; no jitter in the rig.
    CHECK(rig.delays.asked() == std::vector<duration>{ms{1000}, ms{1750}});
    CHECK(rig.link()->last_error().empty());
    // After hello the sequence starts over.
    slack.fail("apps.connections.open", 1, "internal_error");
    const int opened = slack.connections_opened();
    slack.request_refresh();
    REQUIRE(rig.until([&] { return slack.connections_opened() > opened && rig.connected(); }));
    CHECK(rig.delays.asked() == std::vector<duration>{ms{1000}, ms{1750}, ms{1000}});
}
