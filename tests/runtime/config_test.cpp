// The config file of `firebreak run`: every key read, every mistake named by its key
// path with what was expected and what was found, and secrets never echoed.
#include "bot/runtime/config.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

using namespace firebreak;
using firebreak::testing::temp_dir;
using namespace std::chrono_literals;

namespace {

const std::string bot_token = "xoxb-1111-2222-SECRETBOT";
const std::string app_token = "xapp-1-A111-SECRETAPP";
const std::string matrix_token = "syt_SECRETMATRIX";

env_lookup fake_env(std::map<std::string, std::string> vars = {{"FB_SLACK_BOT", bot_token},
                                                               {"FB_SLACK_APP", app_token},
                                                               {"FB_MATRIX", matrix_token}}) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

const char* slack_only = R"(
[slack]
enabled = true
bot_token_env = "FB_SLACK_BOT"
app_token_env = "FB_SLACK_APP"
)";

std::string error_of(const std::string& text, const env_lookup& env = fake_env()) {
    try {
        parse_config(text, "test.toml", env);
    } catch (const config_error& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("a full config is read into the settings the engine obeys", "[runtime][config]") {
    auto c = parse_config(R"(
[storage]
path = "/srv/fb/firebreak.sqlite"

[ops]
listen = "0.0.0.0:9200"

[log]
level = "debug"
format = "json"

[incidents]
room_name_template = "incident-{n}-{slug}"
default_severity = 3
admins = ["U0ADMIN", "@root:example.org"]
command_prefix = "!inc"

[nudges]
rotation_after = "90m"
no_commander_room_nudges = 2

[nudges.sev1]
update_every = "15m"
rotation_after = "1h"

[nudges.sev4]
close_after = "off"

[slack]
enabled = true
bot_token_env = "FB_SLACK_BOT"
app_token_env = "FB_SLACK_APP"
api_base_url = "http://127.0.0.1:8443/api/"
announcement_channel = "C0ANNOUNCE"

[matrix]
enabled = true
homeserver = "https://matrix.example.org"
user_id = "@firebreak:example.org"
access_token_env = "FB_MATRIX"
announcement_room = "!ann:example.org"
)",
                          "test.toml", fake_env());
    CHECK(c.database == "/srv/fb/firebreak.sqlite");
    CHECK(c.documents_dir == "/srv/fb/documents");
    CHECK(c.ops_listen == "0.0.0.0:9200");
    CHECK(c.log_level == "debug");
    CHECK(c.log_format == "json");
    const auto& s = c.settings;
    CHECK(s.room_name_template == "incident-{n}-{slug}");
    CHECK(s.default_severity == severity::sev3);
    // Admins match the core's user ids, which carry no leading '@'.
    CHECK(s.admins == std::set<std::string>{"U0ADMIN", "root:example.org"});
    CHECK(s.command_prefix == "!inc");
    CHECK(s.nudges[0].update_every == 15min);
    CHECK(s.nudges[0].rotation_after == 1h);      // per severity wins
    CHECK(s.nudges[1].rotation_after == 90min);   // shared value
    CHECK(s.nudges[1].update_every == 30min);     // default kept
    CHECK(s.nudges[2].no_commander_room_nudges == 2);
    CHECK(s.nudges[3].close_after == duration{0});
    CHECK(s.nudges[3].update_every == duration{0});
    CHECK(c.slack.enabled);
    CHECK(c.slack.bot_token.value == bot_token);
    CHECK(c.slack.bot_token.origin == "environment variable FB_SLACK_BOT");
    CHECK(c.slack.app_token.value == app_token);
    CHECK(c.slack.api_base_url == "http://127.0.0.1:8443/api");
    CHECK(s.announcement_rooms.at("slack") == room_ref{"slack", "C0ANNOUNCE"});
    CHECK(c.matrix.enabled);
    CHECK(c.matrix.homeserver == "https://matrix.example.org");
    CHECK(c.matrix.access_token.value == matrix_token);
    CHECK(s.announcement_rooms.at("matrix") == room_ref{"matrix", "!ann:example.org"});
    CHECK(c.secrets() == std::vector<std::string>{bot_token, app_token, matrix_token});
}

TEST_CASE("the smallest config keeps every default", "[runtime][config]") {
    auto c = parse_config(slack_only, "test.toml", fake_env());
    CHECK(c.database == "/var/lib/firebreak/firebreak.sqlite");
    CHECK(c.ops_listen == "127.0.0.1:9108");  // loopback unless told otherwise
    CHECK(c.settings.nudges == default_nudge_timings());
    CHECK(c.slack.api_base_url == "https://slack.com/api");
    CHECK_FALSE(c.matrix.enabled);
    // Hints on Slack spell the slash command; elsewhere the prefix.
    CHECK(command_form(c.settings, "slack") == "/incident");
    CHECK(command_form(c.settings, "matrix") == "!incident");
}

TEST_CASE("slack.slash_command names the command hints spell, and must be one", "[runtime][config]") {
    auto c = parse_config(std::string(slack_only) + "slash_command = \"/inc\"\n", "test.toml", fake_env());
    CHECK(command_form(c.settings, "slack") == "/inc");
    for (const char* bad : {"\"inc\"", "\"/\"", "\"/inc dent\""}) {
        INFO(bad);
        CHECK(error_of(std::string(slack_only) + "slash_command = " + bad + "\n").find("slack.slash_command") !=
              std::string::npos);
    }
}

TEST_CASE("config mistakes name the key, what was expected and what was found", "[runtime][config]") {
    struct row {
        std::string text;
        std::string says;
    };
    auto r = GENERATE(
        row{"[storage]\npath = 5\n", "storage.path: expected a string, found 5"},
        row{"[storage]\nfile = \"x\"\n", "storage.file: unknown key (expected one of: path, documents_dir)"},
        row{"[stroage]\n", "stroage: unknown key (expected one of: storage, ops, log, incidents, nudges, slack, matrix, alerts, web)"},
        row{"storage = 3\n", "storage: expected a table, found 3"},
        row{"[ops]\nlisten = \"localhost\"\n", "ops.listen: expected host:port such as \"127.0.0.1:9108\", found \"localhost\""},
        row{"[ops]\nlisten = \"127.0.0.1:99999\"\n", "ops.listen: expected host:port"},
        row{"[log]\nlevel = \"loud\"\n", "log.level: expected one of trace, debug, info, warn, error, critical, off, found \"loud\""},
        row{"[incidents]\ndefault_severity = 5\n", "incidents.default_severity: expected an integer from 1 to 4, found 5"},
        row{"[incidents]\ndefault_severity = \"2\"\n", "incidents.default_severity: expected an integer from 1 to 4, found \"2\""},
        row{"[incidents]\nadmins = \"U1\"\n", "incidents.admins: expected an array of strings, found \"U1\""},
        row{"[incidents]\nadmins = [\"U1\", 7]\n", "incidents.admins[1]: expected a non-empty string, found 7"},
        row{"[incidents]\nroom_name_template = \"inc-{slug}\"\n", "incidents.room_name_template: expected a template containing {n}"},
        row{"[nudges.sev1]\nupdate_every = \"soon\"\n",
            "nudges.sev1.update_every: expected a duration like \"20m\", \"2h\" or \"off\", found \"soon\""},
        row{"[nudges.sev1]\nupdate_every = 20\n", "nudges.sev1.update_every: expected a duration like \"20m\", \"2h\" or \"off\", found 20"},
        row{"[nudges]\nrotation = \"2h\"\n", "nudges.rotation: unknown key"},
        row{"[nudges.sev5]\n", "nudges.sev5: unknown key"},
        row{"[nudges]\nrotation_after = \"-2h\"\n", "nudges.rotation_after: expected a duration"},
        row{"[slack]\nenabled = \"yes\"\n", "slack.enabled: expected true or false, found \"yes\""},
        row{"[slack]\nenabled = true\nbot_token_env = \"FB_MISSING\"\napp_token_env = \"FB_SLACK_APP\"\n",
            "slack.bot_token_env: environment variable FB_MISSING is not set"},
        row{"[slack]\nenabled = true\napp_token_env = \"FB_SLACK_APP\"\n",
            "slack.bot_token: missing: set bot_token_env (an environment variable name) or bot_token_file"},
        row{"[slack]\nenabled = true\nbot_token_env = \"FB_SLACK_APP\"\napp_token_env = \"FB_SLACK_APP\"\n",
            "slack.bot_token: expected a bot token (xoxb-…) in environment variable FB_SLACK_APP"},
        row{std::string(slack_only) + "api_base_url = \"ftp://slack.com/api\"\n",
            "slack.api_base_url: expected an https:// URL, found \"ftp://slack.com/api\""},
        row{std::string(slack_only) + "api_base_url = \"http://slack.com/api\"\n",
            "slack.api_base_url: expected https:// (plain http only to a loopback address)"},
        row{std::string(slack_only) + "api_base_url = \"https://\"\n", "slack.api_base_url: expected an https:// URL"},
        row{std::string(slack_only) + "ca_file = \"/nonexistent/ca.pem\"\n", "slack.ca_file: no file at /nonexistent/ca.pem"},
        row{"[matrix]\nenabled = true\nhomeserver = \"https://m.example.org\"\nuser_id = \"firebreak\"\naccess_token_env = \"FB_MATRIX\"\n",
            "matrix.user_id: expected a user id like \"@firebreak:example.org\", found \"firebreak\""},
        row{"[matrix]\nenabled = true\nuser_id = \"@fb:example.org\"\naccess_token_env = \"FB_MATRIX\"\n",
            "matrix.homeserver: missing"},
        row{"", "no platform enabled: set enabled = true in [slack] or [matrix]"},
        row{"[slack\n", "line 1: not valid TOML"});
    INFO(r.text);
    auto what = error_of(r.text);
    INFO(what);
    CHECK(what.rfind("test.toml: ", 0) == 0);
    CHECK(what.find(r.says) != std::string::npos);
}

TEST_CASE("every problem of a file is reported at once", "[runtime][config]") {
    auto what = error_of("[storage]\npath = 1\n[log]\nformat = \"xml\"\n[nudges]\nclose_after = \"never\"\n" +
                         std::string(slack_only));
    CHECK(what.find("test.toml: 3 problems") == 0);
    CHECK(what.find("storage.path") != std::string::npos);
    CHECK(what.find("log.format") != std::string::npos);
    // A shared nudge value is reported once, not once per severity.
    CHECK(what.find("nudges.close_after") == what.rfind("nudges.close_after"));
}

TEST_CASE("secrets come from files too, and never appear in an error", "[runtime][config]") {
    temp_dir dir;
    auto bot = dir.file("bot-token");
    auto app = dir.file("app-token");
    std::ofstream(bot) << bot_token << "\n";
    std::ofstream(app) << "not-an-app-token-SECRETVALUE\n";
    auto text = "[slack]\nenabled = true\nbot_token_file = \"" + bot + "\"\napp_token_file = \"" + app + "\"\n";
    auto what = error_of(text);
    INFO(what);
    CHECK(what.find("slack.app_token: expected an app-level token (xapp-…) in file " + app) != std::string::npos);
    CHECK(what.find("SECRETVALUE") == std::string::npos);
    std::ofstream(app, std::ios::trunc) << app_token << "\n";
    auto c = parse_config(text, "test.toml", fake_env());
    CHECK(c.slack.bot_token.value == bot_token);  // trailing newline dropped
    CHECK(c.slack.app_token.origin == "file " + app);
    // Both at once is ambiguous.
    CHECK(error_of(text + "bot_token_env = \"FB_SLACK_BOT\"\n").find("give either bot_token_env or bot_token_file") !=
          std::string::npos);
}

TEST_CASE("a missing config file is a clear error", "[runtime][config]") {
    try {
        load_config_file("/nonexistent/firebreak.toml", fake_env());
        FAIL("accepted");
    } catch (const config_error& e) {
        CHECK(std::string(e.what()) == "/nonexistent/firebreak.toml: 1 problem\n  cannot read the file");
    }
}

TEST_CASE("an endless or huge secret or config file is refused, not read forever", "[runtime][config]") {
    // /dev/zero never ends: reading it whole would never return.
    auto text = std::string("[slack]\nenabled = true\nbot_token_file = \"/dev/zero\"\napp_token_file = \"/dev/zero\"\n");
    auto what = error_of(text);
    CHECK(what.find("slack.bot_token_file: /dev/zero is larger than 64 KiB: not a token file") != std::string::npos);
    CHECK(what.find("slack.app_token_file: /dev/zero is larger than 64 KiB") != std::string::npos);
    try {
        load_config_file("/dev/zero", fake_env());
        FAIL("accepted");
    } catch (const config_error& e) {
        CHECK(std::string(e.what()) == "/dev/zero: 1 problem\n  larger than 1024 KiB: not a firebreak config");
    }
    // A token file right at the limit is still read (and then judged as a token).
    temp_dir dir;
    auto big = dir.file("big-token");
    std::ofstream(big) << std::string(64 * 1024, 'x');
    auto at_limit = error_of("[slack]\nenabled = true\nbot_token_file = \"" + big + "\"\napp_token_env = \"FB_SLACK_APP\"\n");
    CHECK(at_limit.find("larger than") == std::string::npos);
}
