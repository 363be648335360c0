// Display names through Slack end to end: the engine asks users.info once per person,
// keeps the answer, and the postmortem uploaded to the channel names "Maya" beside
// U0MAYA; after a restart the stored names are used without asking again.
#include "tests/slack/slack_rig.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace firebreak;
using namespace firebreak::testing;
namespace json = boost::json;

namespace {

// users.info calls the fake answered, by the user asked about.
std::map<std::string, int> users_info_calls(const fake_slack& slack) {
    std::map<std::string, int> out;
    for (const auto& c : slack.calls()) {
        if (c.method != "users.info") continue;
        auto it = c.args.find("user");
        ++out[it != c.args.end() && it->value().is_string() ? std::string(it->value().as_string()) : "?"];
    }
    return out;
}

}  // namespace

TEST_CASE("the postmortem names people by their Slack display names, looked up once each", "[slack][names]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;

    auto channel = declare(rig, general);
    REQUIRE(rig.until([&] { return rig.bot_said(channel, "INC-1"); }));
    slack.push_message(channel, maya, "#hypothesis the new index is missing");
    slack.push_message(channel, dana, "checking the index");
    slack.push_message(channel, dana, "it is missing, rebuilding");
    slack.push_message(channel, maya, "thanks");
    slack.push_slash_command(channel, maya, "sme @U0DANA search");
    // Names arrive in the background; the record waits for nobody, the test waits for them.
    REQUIRE(rig.until([&] { return rig.eng().store().display_names("slack").size() == 2; }));
    CHECK(rig.eng().store().display_names("slack") ==
          std::map<std::string, std::string>{{maya, "Maya"}, {dana, "Dana"}});

    slack.push_slash_command(channel, maya, "status resolved");
    slack.push_slash_command(channel, maya, "close");
    REQUIRE(rig.until([&] { return !slack.files().empty(); }));
    auto md = slack.files().begin()->second;
    INFO(md);
    CHECK(md.find("Maya (@U0MAYA)") != std::string::npos);
    CHECK(md.find("Dana (@U0DANA)") != std::string::npos);
    CHECK(md.find("| commander | Maya (@U0MAYA) |") != std::string::npos);
    CHECK(md.find("| Dana (@U0DANA) | 2 | sme |") != std::string::npos);
    // The other formats, kept beside it, carry the names too.
    auto html = rig.eng().store().document(incident_id{1}, "html");
    REQUIRE(html);
    CHECK(html->find("Maya (@U0MAYA)") != std::string::npos);
    auto js = rig.eng().store().document(incident_id{1}, "json");
    REQUIRE(js);
    CHECK(js->find("\"display_name\": \"Maya\"") != std::string::npos);

    // One users.info per person, never one for the bot itself.
    CHECK(users_info_calls(slack) == std::map<std::string, int>{{maya, 1}, {dana, 1}});

    // A restart knows the names from the store: no new lookups.
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));
    slack.push_slash_command(general, maya, "declare Search is slow again --sev 3");
    REQUIRE(rig.until([&] { return !rig.channel_of(2).empty(); }));
    auto second = rig.channel_of(2);
    slack.push_message(second, dana, "here again");
    REQUIRE(rig.until([&] { return rig.has_text(2, "here again"); }));
    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK(users_info_calls(slack) == std::map<std::string, int>{{maya, 1}, {dana, 1}});

    CHECK(slack.bad_frames().empty());
    CHECK_SLACK_CONFORMS(spec);
    CHECK(slack.hook_failures().empty());
}

TEST_CASE("a failed users.info leaves the id in the postmortem and the incident unharmed", "[slack][names]") {
    fake_slack slack;
    slack_conformance spec(slack);
    slack.add_user(maya, "maya", "Maya");
    auto general = slack.create_channel("general", {maya, "UFBBOT"});
    slack.fail("users.info", 100, "user_not_found");
    slack_rig rig(slack);
    rig.boot();
    REQUIRE(rig.until([&] { return rig.connected(); }));

    auto channel = declare(rig, general);
    slack.push_message(channel, maya, "looking");
    REQUIRE(rig.until([&] { return rig.has_text(1, "looking"); }));
    slack.push_slash_command(channel, maya, "status resolved");
    slack.push_slash_command(channel, maya, "close");
    REQUIRE(rig.until([&] { return !slack.files().empty(); }));
    auto md = slack.files().begin()->second;
    CHECK(md.find("| commander | @U0MAYA |") != std::string::npos);
    CHECK(md.find("Maya") == std::string::npos);
    CHECK(rig.eng().store().display_names("slack").empty());
    CHECK(users_info_calls(slack) == std::map<std::string, int>{{maya, 1}});
    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK_SLACK_CONFORMS(spec);
}

TEST_CASE("a user_change keeps the new display name: the next topic and the lookups use it", "[slack][names]") {
    slack_world world;
    auto& [slack, spec, general, rig] = world;
    auto channel = declare(rig, general);
    REQUIRE(rig.until([&] { return rig.eng().store().display_names("slack").count(maya) == 1; }));
    // The topic names the commander by name, never by a raw id.
    REQUIRE(rig.until([&] { return slack.topic(channel).find("Commander Maya |") != std::string::npos; }));

    // Maya renames herself; Slack tells every app that can read users.
    slack.add_user(maya, "maya", "Maya (on call)");
    json::object profile{{"display_name", "Maya (on call)"}, {"real_name", "Maya Raman"}};
    slack.push_event(json::object{{"type", "user_change"},
                                  {"user", json::object{{"id", maya}, {"name", "maya"}, {"profile", profile}}}});
    REQUIRE(rig.until([&] { return rig.eng().store().display_names("slack")[maya] == "Maya (on call)"; }));
    slack.push_slash_command(channel, maya, "sev 2 contained to one region");
    REQUIRE(rig.until([&] { return slack.topic(channel).find("Commander Maya (on call) |") != std::string::npos; }));
    // Known by name already: no lookup for the rename.
    CHECK(users_info_calls(slack)[maya] == 1);
    REQUIRE(rig.until([&] { return slack.unacked().empty(); }));
    CHECK(slack.bad_frames().empty());
    CHECK_SLACK_CONFORMS(spec);
    CHECK(slack.hook_failures().empty());
}
