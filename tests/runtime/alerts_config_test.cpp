// The [alerts] section: senders with their authentication and field mappings, routing
// rules, and every mistake named by its key.
#include "bot/runtime/config.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace firebreak;
using namespace std::chrono_literals;

namespace {

const std::string am_token = "am-SECRET-token-1";
const std::string hmac_key = "hmac-SECRET-key-2";

env_lookup env_with_secrets() {
    std::map<std::string, std::string> vars = {{"FB_SLACK_BOT", "xoxb-1-SECRETBOT"},
                                               {"FB_SLACK_APP", "xapp-1-SECRETAPP"},
                                               {"FB_AM_TOKEN", am_token},
                                               {"FB_UPTIME_HMAC", hmac_key}};
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

const std::string slack = R"(
[slack]
enabled = true
bot_token_env = "FB_SLACK_BOT"
app_token_env = "FB_SLACK_APP"
)";

const std::string full_alerts = R"(
[alerts]
enabled = false
listen = "0.0.0.0:9109"
room = "slack:C0ALERTS"
group_window = "30m"

[alerts.sources.prometheus]
kind = "alertmanager"
token_env = "FB_AM_TOKEN"

[alerts.sources.uptime]
kind = "generic"
hmac_secret_env = "FB_UPTIME_HMAC"
signature_header = "X-Uptime-Signature"
group_by = ["check"]
resolved_values = ["up", "green"]
[alerts.sources.uptime.fields]
items = "checks"
title = "name"
fingerprint = "id"
status = "state"
severity = "level"
link = "url"
starts_at = "since"
labels = "tags"

[[alerts.rules]]
name = "drop the watchdog"
match = { alertname = "Watchdog" }
action = "ignore"

[[alerts.rules]]
sources = ["prometheus"]
match = { env = "prod" }
match_regex = { service = "pay.*" }
room = "matrix:!pay:example.org"
action = "declare"
severity = { critical = 1, Warning = 3 }
default_severity = 2
title = "{labels.alertname} on {labels.instance}"
)";

std::string error_of(const std::string& text) {
    try {
        parse_config(text, "test.toml", env_with_secrets());
    } catch (const config_error& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("an [alerts] section is read whole: senders, their secrets and mappings, the rules", "[runtime][config][alerts]") {
    auto c = parse_config(slack + full_alerts, "test.toml", env_with_secrets());
    const auto& a = c.alerts;
    CHECK_FALSE(a.enabled);
    CHECK(a.listen == "0.0.0.0:9109");
    CHECK(a.room == room_ref{"slack", "C0ALERTS"});
    CHECK(a.group_window == 30min);
    REQUIRE(a.sources.size() == 2);
    const auto& prom = a.sources[0];
    CHECK(prom.name == "prometheus");
    CHECK(prom.kind == "alertmanager");
    CHECK(prom.token.value == am_token);
    const auto& up = a.sources[1];
    CHECK(up.name == "uptime");
    CHECK(up.hmac_secret.value == hmac_key);
    CHECK(up.signature_header == "X-Uptime-Signature");
    CHECK(up.group_by == std::vector<std::string>{"check"});
    CHECK(up.fields.items == "checks");
    CHECK(up.fields.title == "name");
    CHECK(up.fields.labels == "tags");
    CHECK(up.fields.resolved_values == std::vector<std::string>{"green", "up"});
    REQUIRE(a.rules.size() == 2);
    CHECK(a.rules[0].name == "drop the watchdog");
    CHECK(a.rules[0].action == alerts::alert_action::ignore);
    const auto& pay = a.rules[1];
    CHECK(pay.name == "alerts.rules[1]");
    CHECK(pay.sources == std::vector<std::string>{"prometheus"});
    CHECK(pay.matchers.size() == 2);
    CHECK(pay.room == room_ref{"matrix", "!pay:example.org"});
    CHECK(pay.action == alerts::alert_action::declare);
    CHECK(pay.severity_map == std::map<std::string, int>{{"critical", 1}, {"warning", 3}});
    CHECK(pay.default_severity == 2);
    // The rules read from the file route as written.
    alerts::alert al;
    al.source = "prometheus";
    al.title = "HighErrorRate";
    al.severity = "critical";
    al.labels = {{"alertname", "HighErrorRate"}, {"env", "prod"}, {"service", "payments"}, {"instance", "api-1"}};
    auto d = alerts::route(al, a.rules, a.room);
    CHECK(d.rule == &a.rules[1]);
    CHECK(d.severity == 1);
    CHECK(d.title == "HighErrorRate on api-1");
    // The senders' secrets are redacted like every other.
    auto secrets = c.secrets();
    CHECK(std::find(secrets.begin(), secrets.end(), am_token) != secrets.end());
    CHECK(std::find(secrets.begin(), secrets.end(), hmac_key) != secrets.end());
}

TEST_CASE("an enabled [alerts] is taken, and its window is the engine's", "[runtime][config][alerts]") {
    std::string text = slack + full_alerts;
    text.replace(text.find("enabled = false"), 15, "enabled = true");
    auto c = parse_config(text, "test.toml", env_with_secrets());
    CHECK(c.alerts.enabled);
    CHECK(c.settings.alert_group_window == 30min);
    // Enabled with no sender would receive nothing.
    std::string none = slack + "\n[alerts]\nenabled = true\nroom = \"slack:C0ALERTS\"\n";
    CHECK(error_of(none).find("alerts.sources: missing") != std::string::npos);
}

TEST_CASE("[alerts] mistakes name the key and what was expected, never a secret", "[runtime][config][alerts]") {
    const std::string bad = slack + R"(
[alerts]
listen = "everywhere"
room = "C0ALERTS"
group_window = "soon"
colour = "red"

[alerts.sources.Prom]
kind = "alertmanager"

[alerts.sources.nosecret]
kind = "alertmanager"

[alerts.sources.both]
kind = "grafana"
token_env = "FB_AM_TOKEN"
hmac_secret_env = "FB_UPTIME_HMAC"

[alerts.sources.gen]
kind = "generic"
token_env = "FB_AM_TOKEN"
fields = { items = "x" }

[alerts.sources.am]
kind = "alertmanager"
token_env = "FB_AM_TOKEN"
group_by = ["alertname"]
fields = { title = "t" }

[alerts.sources.what]
kind = "pagerduty"
token_env = "FB_AM_TOKEN"

[[alerts.rules]]
sources = ["nowhere"]
match = { severity = 1 }
match_regex = { service = "(unclosed" }
room = "irc:#ops"
action = "page"
severity = { critical = 0 }
title = "{labels.alertname"
)";
    auto e = error_of(bad);
    for (const char* expected : {
             "alerts.listen: expected host:port",
             "alerts.room: expected a room as platform:id",
             "alerts.group_window: expected a duration",
             "alerts.colour: unknown key",
             "alerts.sources.Prom: a source's name is its URL path",
             "alerts.sources.nosecret: missing: every sender authenticates",
             "alerts.sources.both: give a token or an hmac_secret, not both",
             "alerts.sources.gen.fields.title: missing",
             "alerts.sources.gen.fields.fingerprint: missing",
             "alerts.sources.am.group_by: Alertmanager groups alerts itself",
             "alerts.sources.am.fields: only a generic source has a field mapping",
             "alerts.sources.what.kind: expected one of alertmanager, grafana, generic",
             "alerts.rules[0].sources: no source \"nowhere\"",
             "alerts.rules[0].match.severity: expected a string, found 1",
             "alerts.rules[0].match_regex.service: not a regular expression",
             "alerts.rules[0].room: expected a room as platform:id",
             "alerts.rules[0].action: expected one of card, declare, ignore",
             "alerts.rules[0].severity.critical: expected an incident severity from 1 to 4",
             "alerts.rules[0].title: unclosed {",
         }) {
        INFO(expected);
        CHECK(e.find(expected) != std::string::npos);
    }
    CHECK(e.find(am_token) == std::string::npos);
    CHECK(e.find(hmac_key) == std::string::npos);
    // An enabled section also wants its default room and its secrets readable.
    auto missing = error_of(slack + R"(
[alerts]
enabled = true
[alerts.sources.prometheus]
kind = "alertmanager"
token_env = "FB_NOT_SET"
)");
    CHECK(missing.find("alerts.room: missing") != std::string::npos);
    CHECK(missing.find("alerts.sources.prometheus.token: the secret is empty or cannot be read") != std::string::npos);
}

TEST_CASE("the example config in deploy/ is accepted, [alerts] and [web] included", "[runtime][config][alerts]") {
    auto env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "FIREBREAK_MATRIX_TOKEN") return std::string("syt_example");
        return std::nullopt;
    };
    auto c = load_config_file(std::string(FIREBREAK_SOURCE_DIR) + "/deploy/firebreak.example.toml", env);
    CHECK_FALSE(c.alerts.enabled);
    CHECK(c.alerts.sources.size() == 2);
    CHECK(c.alerts.rules.size() == 2);
    CHECK(c.alerts.room == room_ref{"matrix", "!alerts:example.org"});
    CHECK_FALSE(c.web.enabled);
    CHECK(c.web.viewers.size() == 2);
    CHECK(c.web.viewers[1].every_incident);
}
