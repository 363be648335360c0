// The translators against payloads as their senders document them (tests/fixtures/alerts,
// copied unchanged from Grafana's and OpenStatus's documentation), and against hostile
// variants made from those same bodies: fields missing, of the wrong type, invalid UTF-8,
// and 10,000 alerts in one Grafana notification.
#include "alerts/receivers.hpp"

#include "bot/core/time.hpp"
#include "tests/support/fixture.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>

using namespace firebreak;
using namespace firebreak::alerts;
namespace json = boost::json;

namespace {

std::string fixture(const std::string& name) { return firebreak::testing::read_fixture("alerts/" + name); }

// The mapping a team would write for OpenStatus (see the README's Alerts section).
generic_mapping openstatus_mapping() {
    generic_mapping m;
    m.title = "monitor.name";
    m.fingerprint = "monitor.id";
    m.status = "status";
    m.link = "monitor.url";
    m.starts_at = "cronTimestamp";
    m.resolved_values = {"recovered"};
    return m;
}

// The documented Grafana body with `change` applied to it, serialised again.
template <class F>
std::string grafana_with(F change) {
    auto v = json::parse(fixture("grafana-webhook.json"));
    change(v.as_object());
    return json::serialize(v);
}

bool refused(const parsed& p) { return !p.value && !p.error.empty(); }

}  // namespace

TEST_CASE("Grafana's documented webhook body becomes its two alerts, grouped, with their times and links", "[alerts]") {
    auto p = parse_grafana(fixture("grafana-webhook.json"), "grafana");
    REQUIRE(p.error.empty());
    REQUIRE(p.value);
    CHECK(p.value->group_key == "{}:{}");  // Grafana groups the two together
    REQUIRE(p.value->alerts.size() == 2);
    const auto& memory = p.value->alerts[0];
    CHECK(memory.source == "grafana");
    CHECK(memory.title == "High memory usage");
    CHECK(memory.fingerprint == "c6eadffa33fcdf37");
    CHECK(memory.status == alert_status::firing);
    REQUIRE(memory.starts_at);
    // 09:51:03.157076 at +02:00, to the millisecond.
    CHECK(format_iso(*memory.starts_at) == "2021-10-12T07:51:03.157Z");
    CHECK_FALSE(memory.ends_at);  // Go's zero time: not ended
    // Its panel and dashboard links are empty, so the rule's own page is the link.
    CHECK(memory.link == "https://play.grafana.org/alerting/1afz29v7z/edit");
    CHECK(memory.labels.at("team") == "blue");
    CHECK(memory.labels.at("zone") == "us-1");
    CHECK(memory.annotations.at("summary") == "This alert was triggered for zone us-1");
    CHECK(memory.severity.empty());  // the example carries no severity label
    const auto& cpu = p.value->alerts[1];
    CHECK(cpu.title == "High CPU usage");
    CHECK(cpu.fingerprint == "bc97ff14869b13e3");
    CHECK(format_iso(*cpu.starts_at) == "2021-10-12T07:56:03.157Z");
    CHECK(dedupe_key(memory) != dedupe_key(cpu));
    // Sent again unchanged, as Grafana retries: the same alerts.
    auto again = parse_grafana(fixture("grafana-webhook.json"), "grafana");
    REQUIRE(again.value);
    CHECK(dedupe_key(again.value->alerts[0]) == dedupe_key(memory));
}

TEST_CASE("Grafana's documented body, resolved, resolves the same alerts", "[alerts]") {
    auto body = grafana_with([](json::object& o) {
        o["status"] = "resolved";
        for (auto& a : o["alerts"].as_array()) {
            a.as_object()["status"] = "resolved";
            a.as_object()["endsAt"] = "2021-10-12T10:20:00+02:00";
        }
    });
    auto firing = parse_grafana(fixture("grafana-webhook.json"), "grafana");
    auto resolved = parse_grafana(body, "grafana");
    REQUIRE(resolved.value);
    REQUIRE(firing.value);
    const auto& a = resolved.value->alerts[0];
    CHECK(a.status == alert_status::resolved);
    REQUIRE(a.ends_at);
    CHECK(format_iso(*a.ends_at) == "2021-10-12T08:20:00.000Z");
    CHECK(a.fingerprint == firing.value->alerts[0].fingerprint);  // the same alert on the card
    CHECK(dedupe_key(a) != dedupe_key(firing.value->alerts[0]));  // but not a retry of the firing
}

TEST_CASE("hostile variants of Grafana's documented body are refused whole with a reason, or read safely", "[alerts]") {
    // Refused: no alerts, alerts of the wrong type, an alert that is no object, a status
    // that is neither firing nor resolved, or of the wrong type.
    CHECK(refused(parse_grafana(grafana_with([](json::object& o) { o.erase("alerts"); }), "g")));
    CHECK(refused(parse_grafana(grafana_with([](json::object& o) { o["alerts"] = "two"; }), "g")));
    CHECK(refused(parse_grafana(grafana_with([](json::object& o) { o["alerts"].as_array().emplace_back(7); }), "g")));
    auto status_number = parse_grafana(grafana_with([](json::object& o) { o["alerts"].as_array()[1].as_object()["status"] = 1; }), "g");
    CHECK(refused(status_number));
    CHECK(status_number.error.find("alert 2") != std::string::npos);  // says which
    CHECK(refused(parse_grafana(grafana_with([](json::object& o) { o["alerts"].as_array()[0].as_object()["status"] = "pending"; }), "g")));
    // Invalid UTF-8 anywhere is not JSON.
    auto body = fixture("grafana-webhook.json");
    body.replace(body.find("High memory usage"), 4, "\xc3\x28gh");
    auto bad_utf8 = parse_grafana(body, "g");
    CHECK(refused(bad_utf8));
    CHECK(bad_utf8.error.find("UTF-8") != std::string::npos);
    // Truncated in the middle.
    const auto whole = fixture("grafana-webhook.json");
    CHECK(refused(parse_grafana(whole.substr(0, whole.size() / 2), "g")));

    // Read, safely: without a fingerprint the labels are its identity; labels of the wrong
    // type are none; a start time that is no time is left out (receipt time stands in).
    auto no_fp = parse_grafana(grafana_with([](json::object& o) {
        auto& a = o["alerts"].as_array()[0].as_object();
        a.erase("fingerprint");
        a["startsAt"] = "yesterday";
        o["alerts"].as_array()[1].as_object()["labels"] = json::array{1, 2};
        auto& third = o["alerts"].as_array().emplace_back(a).as_object();
        third["labels"].as_object().erase("alertname");
        third["annotations"].as_object().erase("summary");
    }), "g");
    REQUIRE(no_fp.value);
    CHECK(no_fp.value->alerts[0].fingerprint.rfind("labels:", 0) == 0);
    CHECK_FALSE(no_fp.value->alerts[0].starts_at);
    CHECK(no_fp.value->alerts[1].labels.size() == 1);  // only the common team=blue
    CHECK(no_fp.value->alerts[1].title == "This alert was triggered for zone eu-1");  // no alertname: the summary
    CHECK(no_fp.value->alerts[2].title == "[FIRING:2] (blue)");  // nor a summary: the notification's title
}

TEST_CASE("10,000 copies of Grafana's documented alert in one notification are read, 10,001 are refused", "[alerts]") {
    auto storm = [](std::size_t n) {
        return grafana_with([n](json::object& o) {
            const auto one = o["alerts"].as_array()[0];
            json::array all;
            for (std::size_t i = 0; i < n; ++i) {
                auto a = one;
                a.as_object()["fingerprint"] = "fp" + std::to_string(i);
                all.push_back(std::move(a));
            }
            o["alerts"] = std::move(all);
        });
    };
    auto p = parse_grafana(storm(max_alerts_per_payload), "grafana");
    REQUIRE(p.value);
    CHECK(p.value->alerts.size() == max_alerts_per_payload);
    CHECK(p.value->alerts.back().fingerprint == "fp9999");
    auto over = parse_grafana(storm(max_alerts_per_payload + 1), "grafana");
    CHECK(refused(over));
    CHECK(over.error.find("10001 alerts") != std::string::npos);
}

TEST_CASE("OpenStatus's documented failure and recovery read through a generic mapping as one alert", "[alerts]") {
    const auto m = openstatus_mapping();
    auto down = parse_generic(fixture("openstatus-failure.json"), m, "openstatus");
    REQUIRE(down.error.empty());
    REQUIRE(down.value);
    REQUIRE(down.value->alerts.size() == 1);
    const auto& a = down.value->alerts[0];
    CHECK(a.title == "test");
    CHECK(a.fingerprint == "1");  // the monitor's numeric id, as text
    CHECK(a.status == alert_status::firing);  // "error" is not a resolved value
    CHECK(a.link == "http://openstat.us");
    REQUIRE(a.starts_at);
    // cronTimestamp is in milliseconds: 2025-04-07T11:01:45.307Z, not the year 57235.
    CHECK(to_unix_ms(*a.starts_at) == 1744023705307);
    auto up = parse_generic(fixture("openstatus-recovery.json"), m, "openstatus");
    REQUIRE(up.value);
    REQUIRE(up.value->alerts.size() == 1);
    CHECK(up.value->alerts[0].status == alert_status::resolved);
    CHECK(up.value->alerts[0].fingerprint == a.fingerprint);  // it resolves the same alert
    CHECK(dedupe_key(up.value->alerts[0]) != dedupe_key(a));
}

TEST_CASE("hostile variants of OpenStatus's documented body are refused with a reason, or read safely", "[alerts]") {
    const auto m = openstatus_mapping();
    auto with = [](auto change) {
        auto v = json::parse(fixture("openstatus-failure.json"));
        change(v.as_object());
        return json::serialize(v);
    };
    auto no_monitor = parse_generic(with([](json::object& o) { o.erase("monitor"); }), m, "o");
    CHECK(refused(no_monitor));
    CHECK(no_monitor.error.find("monitor.name") != std::string::npos);  // says where it looked
    CHECK(refused(parse_generic(with([](json::object& o) { o["monitor"] = "one"; }), m, "o")));
    CHECK(refused(parse_generic(with([](json::object& o) { o["monitor"].as_object()["name"] = json::object{}; }), m, "o")));
    CHECK(refused(parse_generic(with([](json::object& o) { o["monitor"].as_object().erase("id"); }), m, "o")));
    CHECK(refused(parse_generic("[" + fixture("openstatus-failure.json"), m, "o")));
    // Times that are not times are left out rather than misread: a string that is not
    // RFC 3339, a negative number, one past any plausible date.
    for (const json::value& t : {json::value("soon"), json::value(-5), json::value(1e300)}) {
        auto p = parse_generic(with([&](json::object& o) { o["cronTimestamp"] = t; }), m, "o");
        REQUIRE(p.value);
        CHECK_FALSE(p.value->alerts[0].starts_at);
    }
    // Seconds stay seconds.
    auto seconds = parse_generic(with([](json::object& o) { o["cronTimestamp"] = 1744023705; }), m, "o");
    REQUIRE(seconds.value);
    CHECK(to_unix_ms(*seconds.value->alerts[0].starts_at) == 1744023705000);
    // A status of the wrong type is not a resolution.
    auto odd = parse_generic(with([](json::object& o) { o["status"] = json::array{"recovered"}; }), m, "o");
    REQUIRE(odd.value);
    CHECK(odd.value->alerts[0].status == alert_status::firing);
}
