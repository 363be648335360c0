// Routing rules as the on-call team writes them: the first match wins, equality and anchored
// regex label matchers, sources, the severity mapping, title templates, the default room for
// what no rule matches, and what groups a storm into one card.
#include "alerts/routing.hpp"

#include <catch2/catch.hpp>

using namespace firebreak;
using namespace firebreak::alerts;

namespace {

alert make(std::string source, std::map<std::string, std::string> labels, std::string severity = "") {
    alert a;
    a.source = std::move(source);
    a.fingerprint = "fp-1";
    a.title = labels.count("alertname") ? labels["alertname"] : "untitled";
    a.labels = std::move(labels);
    a.severity = std::move(severity);
    return a;
}

label_matcher regex(const std::string& label, const std::string& expr) {
    std::string error;
    auto m = label_matcher::matches(label, expr, error);
    REQUIRE(m);
    return *m;
}

const room_ref alerts_room{"slack", "C0ALERTS"};
const room_ref payments_room{"slack", "C0PAY"};

}  // namespace

TEST_CASE("the first matching rule decides the room, the action and the severity", "[alerts][routing]") {
    std::vector<routing_rule> rules(3);
    rules[0].name = "noise";
    rules[0].matchers = {label_matcher::equals("alertname", "Watchdog")};
    rules[0].action = alert_action::ignore;
    rules[1].name = "payments";
    rules[1].matchers = {regex("service", "pay.*"), label_matcher::equals("env", "prod")};
    rules[1].room = payments_room;
    rules[1].action = alert_action::declare;
    rules[1].severity_map = {{"critical", 1}, {"warning", 3}};
    rules[1].default_severity = 2;
    rules[2].name = "everything from grafana";
    rules[2].sources = {"grafana"};

    auto watchdog = route(make("prometheus", {{"alertname", "Watchdog"}}), rules, alerts_room);
    CHECK(watchdog.rule == &rules[0]);
    CHECK(watchdog.action == alert_action::ignore);

    auto pay = route(make("prometheus", {{"service", "payments-api"}, {"env", "prod"}}, "CRITICAL"), rules, alerts_room);
    CHECK(pay.rule == &rules[1]);
    CHECK(pay.action == alert_action::declare);
    CHECK(pay.room == payments_room);
    CHECK(pay.severity == 1);  // the mapping ignores case
    CHECK(route(make("prometheus", {{"service", "payments"}, {"env", "prod"}}, "page"), rules, alerts_room).severity == 2);

    // Regexes are anchored: "repay" is not "pay.*"; every matcher must hold.
    CHECK(route(make("prometheus", {{"service", "repay"}, {"env", "prod"}}), rules, alerts_room).rule == nullptr);
    CHECK(route(make("prometheus", {{"service", "payments"}, {"env", "dev"}}), rules, alerts_room).rule == nullptr);

    // A rule for one source does not take another's alerts.
    CHECK(route(make("grafana", {{"alertname", "DiskFull"}}), rules, alerts_room).rule == &rules[2]);
    auto none = route(make("uptime", {{"alertname", "DiskFull"}}), rules, alerts_room);
    CHECK(none.rule == nullptr);
    CHECK(none.action == alert_action::card);  // nothing is dropped silently
    CHECK(none.room == alerts_room);
    CHECK(none.title == "DiskFull");
}

TEST_CASE("an absent label matches an empty value, as in Alertmanager", "[alerts][routing]") {
    auto a = make("p", {{"alertname", "X"}});
    CHECK(label_matcher::equals("team", "")(a));
    CHECK_FALSE(label_matcher::equals("team", "core")(a));
    CHECK(regex("team", "(core)?")(a));
    std::string error;
    CHECK_FALSE(label_matcher::matches("team", "(unclosed", error));
    CHECK_FALSE(error.empty());
}

TEST_CASE("title templates fill in labels and annotations and refuse what they cannot read", "[alerts][routing]") {
    auto a = make("prometheus", {{"alertname", "HighErrorRate"}, {"instance", "api-1"}}, "critical");
    a.annotations["summary"] = "5xx above 5%";
    CHECK(render_title("{labels.alertname} on {labels.instance} ({severity})", a) == "HighErrorRate on api-1 (critical)");
    CHECK(render_title("{annotations.summary} [{source}] {{literal}}", a) == "5xx above 5% [prometheus] {literal}");
    CHECK(render_title("{labels.missing}", a) == "HighErrorRate");  // empty falls back to the title
    a.labels["instance"] = "api-1\n<script>";
    CHECK(render_title("{labels.alertname} on {labels.instance}", a) == "HighErrorRate on api-1 <script>");
    CHECK(check_template("{labels.alertname} on {labels.instance}").empty());
    CHECK(check_template("{labels.alertname").find("unclosed") != std::string::npos);
    CHECK(check_template("{nope}").find("unknown field {nope}") != std::string::npos);
    CHECK(check_template("a } b").find("lone }") != std::string::npos);
    CHECK(check_template("{labels.}").find("unknown field") != std::string::npos);
}

TEST_CASE("a storm of one problem groups into one key", "[alerts][routing]") {
    auto a = make("prometheus", {{"alertname", "HighErrorRate"}, {"instance", "api-1"}});
    auto b = make("prometheus", {{"alertname", "HighErrorRate"}, {"instance", "api-2"}});
    b.fingerprint = "fp-2";
    // Alertmanager's groupKey groups them.
    CHECK(group_of(a, "{}:{alertname=\"HighErrorRate\"}", {}) == group_of(b, "{}:{alertname=\"HighErrorRate\"}", {}));
    CHECK(group_of(a, "g1", {}) != group_of(b, "g2", {}));
    // Other senders group by the configured labels.
    CHECK(group_of(a, "", {"alertname"}) == group_of(b, "", {"alertname"}));
    CHECK(group_of(a, "", {"alertname", "instance"}) != group_of(b, "", {"alertname", "instance"}));
    // With neither, each alert is its own group; sources never share one.
    CHECK(group_of(a, "", {}) != group_of(b, "", {}));
    auto c = a;
    c.source = "grafana";
    CHECK(group_of(a, "g", {}) != group_of(c, "g", {}));
}
