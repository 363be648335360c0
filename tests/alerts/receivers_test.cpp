// The alert translators: what an Alertmanager, Grafana or generic sender's payload becomes
// (title, severity, fingerprint, status, times, link, labels), what makes a retry the same
// alert, and every way a hostile payload is refused with a reason rather than half-read.
#include "alerts/receivers.hpp"

#include "bot/core/time.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace firebreak;
using namespace firebreak::alerts;

namespace {

// Alertmanager's webhook (version 4) as it sends one group: one alert firing, one resolved.
const std::string alertmanager_body = R"json({
  "version": "4",
  "groupKey": "{}:{alertname=\"HighErrorRate\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "firebreak",
  "groupLabels": {"alertname": "HighErrorRate"},
  "commonLabels": {"alertname": "HighErrorRate", "team": "payments"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager.example:9093",
  "alerts": [
    {"status": "firing",
     "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "api-1", "team": "payments"},
     "annotations": {"summary": "5xx above 5% on api-1"},
     "startsAt": "2026-12-07T03:12:40.5Z",
     "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "http://prometheus.example:9090/graph?g0.expr=rate",
     "fingerprint": "a1b2c3d4e5f60708"},
    {"status": "resolved",
     "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "api-2"},
     "annotations": {},
     "startsAt": "2026-12-07T03:10:00Z",
     "endsAt": "2026-12-07T03:20:00+01:00",
     "generatorURL": "",
     "fingerprint": "0f0e0d0c0b0a0908"}
  ]
})json";

// Grafana's webhook contact point: Alertmanager's shape with Grafana's own fields.
const std::string grafana_body = R"json({
  "receiver": "firebreak",
  "status": "firing",
  "orgId": 1,
  "alerts": [
    {"status": "firing",
     "labels": {"alertname": "DiskFull", "grafana_folder": "Storage"},
     "annotations": {"description": "disk /var above 95%"},
     "startsAt": "2026-12-07T04:00:00Z",
     "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "https://grafana.example/alerting/grafana/abc/view",
     "fingerprint": "7d5e8c9a",
     "silenceURL": "https://grafana.example/alerting/silence/new",
     "dashboardURL": "https://grafana.example/d/xyz",
     "panelURL": "https://grafana.example/d/xyz?viewPanel=2",
     "values": {"B": 96.5},
     "valueString": "[ var='B' value=96.5 ]"}
  ],
  "groupLabels": {"alertname": "DiskFull"},
  "commonLabels": {"alertname": "DiskFull"},
  "commonAnnotations": {},
  "externalURL": "https://grafana.example/",
  "version": "1",
  "groupKey": "{}/{}:{alertname=\"DiskFull\"}",
  "truncatedAlerts": 0,
  "title": "[FIRING:1] DiskFull (Storage)",
  "state": "alerting",
  "message": "one alert firing"
})json";

std::string big_alertmanager(std::size_t n) {
    std::string body = R"({"groupKey":"g","status":"firing","alerts":[)";
    for (std::size_t i = 0; i < n; ++i) {
        if (i) body += ',';
        body += R"({"status":"firing","labels":{"alertname":"A"},"annotations":{},"startsAt":"2026-12-07T03:00:00Z","fingerprint":"f)" +
                std::to_string(i) + R"("})";
    }
    return body + "]}";
}

}  // namespace

TEST_CASE("an Alertmanager group becomes its alerts, each with what a triage card shows", "[alerts]") {
    auto p = parse_alertmanager(alertmanager_body, "prometheus");
    REQUIRE(p.error.empty());
    REQUIRE(p.value);
    CHECK(p.value->group_key == "{}:{alertname=\"HighErrorRate\"}");
    REQUIRE(p.value->alerts.size() == 2);
    const auto& a = p.value->alerts[0];
    CHECK(a.source == "prometheus");
    CHECK(a.title == "HighErrorRate");
    CHECK(a.severity == "critical");
    CHECK(a.fingerprint == "a1b2c3d4e5f60708");
    CHECK(a.status == alert_status::firing);
    CHECK(a.labels.at("instance") == "api-1");
    CHECK(a.annotations.at("summary") == "5xx above 5% on api-1");
    CHECK(a.link == "http://prometheus.example:9090/graph?g0.expr=rate");
    REQUIRE(a.starts_at);
    CHECK(format_iso(*a.starts_at) == format_iso(*parse_iso("2026-12-07T03:12:40.500Z")));
    CHECK_FALSE(a.ends_at);  // Go's zero time: not ended
    const auto& b = p.value->alerts[1];
    CHECK(b.status == alert_status::resolved);
    REQUIRE(b.ends_at);
    CHECK(*b.ends_at == *parse_iso("2026-12-07T02:20:00Z"));  // the offset is applied
    // The group's common labels reach every alert that lacks them.
    CHECK(b.labels.at("team") == "payments");
}

TEST_CASE("a retry of the same notification is the same alert, a resolution is not", "[alerts]") {
    auto first = parse_alertmanager(alertmanager_body, "prometheus");
    auto again = parse_alertmanager(alertmanager_body, "prometheus");
    REQUIRE(first.value);
    REQUIRE(again.value);
    CHECK(dedupe_key(first.value->alerts[0]) == dedupe_key(again.value->alerts[0]));
    auto resolved = first.value->alerts[0];
    resolved.status = alert_status::resolved;
    CHECK(dedupe_key(resolved) != dedupe_key(first.value->alerts[0]));
    auto other_source = first.value->alerts[0];
    other_source.source = "prometheus-eu";
    CHECK(dedupe_key(other_source) != dedupe_key(first.value->alerts[0]));
    auto refired = first.value->alerts[0];
    refired.starts_at = *refired.starts_at + std::chrono::minutes{30};
    CHECK(dedupe_key(refired) != dedupe_key(first.value->alerts[0]));
    // No choice of field values makes two alerts one key.
    alert x, y;
    x.source = "a|b";
    x.fingerprint = "c";
    y.source = "a";
    y.fingerprint = "b|c";
    CHECK(dedupe_key(x) != dedupe_key(y));
}

TEST_CASE("a Grafana alert links to its panel and is named by its rule", "[alerts]") {
    auto p = parse_grafana(grafana_body, "grafana");
    REQUIRE(p.error.empty());
    REQUIRE(p.value);
    REQUIRE(p.value->alerts.size() == 1);
    const auto& a = p.value->alerts[0];
    CHECK(a.title == "DiskFull");
    CHECK(a.link == "https://grafana.example/d/xyz?viewPanel=2");
    CHECK(a.fingerprint == "7d5e8c9a");
    CHECK(a.annotations.at("description") == "disk /var above 95%");
    CHECK(p.value->group_key == "{}/{}:{alertname=\"DiskFull\"}");
}

TEST_CASE("a generic sender's fields are found where the mapping says", "[alerts]") {
    generic_mapping m;
    m.items = "checks";
    m.title = "name";
    m.fingerprint = "id";
    m.status = "state";
    m.severity = "meta.level";
    m.link = "url";
    m.starts_at = "since";
    m.labels = "tags";
    const std::string body = R"({"checks":[
        {"id": 41, "name": "checkout page", "state": "DOWN", "meta": {"level": "high"},
         "url": "https://status.example/41", "since": 1796613600, "tags": {"region": "eu", "tier": 1}},
        {"id": "42", "name": "login page", "state": "Up", "since": "2026-12-07T03:00:00Z"}]})";
    auto p = parse_generic(body, m, "uptime");
    REQUIRE(p.error.empty());
    REQUIRE(p.value->alerts.size() == 2);
    const auto& a = p.value->alerts[0];
    CHECK(a.title == "checkout page");
    CHECK(a.fingerprint == "41");
    CHECK(a.status == alert_status::firing);
    CHECK(a.severity == "high");
    CHECK(a.link == "https://status.example/41");
    REQUIRE(a.starts_at);
    CHECK(to_unix_ms(*a.starts_at) == 1796613600000);
    CHECK(a.labels.at("region") == "eu");
    CHECK(a.labels.at("tier") == "1");
    CHECK(p.value->alerts[1].status == alert_status::resolved);  // "Up" is a resolved value, any case
    // One alert as the whole body.
    generic_mapping one;
    one.title = "alert.title";
    one.fingerprint = "alert.key";
    auto q = parse_generic(R"({"alert":{"title":"queue backlog","key":"q-7"}})", one, "queues");
    REQUIRE(q.value);
    REQUIRE(q.value->alerts.size() == 1);
    CHECK(q.value->alerts[0].title == "queue backlog");
    CHECK(q.value->alerts[0].status == alert_status::firing);
}

TEST_CASE("malformed and hostile payloads are refused whole, with a reason", "[alerts]") {
    auto refused = [](const parsed& p) { return !p.value && !p.error.empty(); };
    CHECK(refused(parse_alertmanager("", "p")));
    CHECK(refused(parse_alertmanager("{not json", "p")));
    CHECK(refused(parse_alertmanager("[1,2]", "p")));
    CHECK(refused(parse_alertmanager(R"({"alerts":"none"})", "p")));
    CHECK(refused(parse_alertmanager(R"({"alerts":[42]})", "p")));
    CHECK(refused(parse_alertmanager(R"({"alerts":[{"status":"burning","fingerprint":"x"}]})", "p")));
    CHECK(refused(parse_alertmanager(R"({"alerts":[{"status":"firing"}]})", "p")));  // no identity at all
    // Invalid UTF-8 is not JSON.
    CHECK(refused(parse_alertmanager("{\"alerts\":[{\"status\":\"firing\",\"fingerprint\":\"\xff\xfe\"}]}", "p")));
    auto too_many = parse_alertmanager(big_alertmanager(max_alerts_per_payload + 1), "p");
    CHECK(refused(too_many));
    CHECK(too_many.error.find("10001 alerts") != std::string::npos);
    generic_mapping m;
    m.title = "t";
    m.fingerprint = "f";
    CHECK(refused(parse_generic(R"({"f":"1"})", m, "g")));          // no title
    CHECK(refused(parse_generic(R"({"t":"x"})", m, "g")));          // no fingerprint
    CHECK(refused(parse_generic(R"({"t":{"a":1},"f":"1"})", m, "g")));  // a title that is no text
    m.items = "list.0";
    CHECK(refused(parse_generic(R"({"list":[{"t":"x","f":"1"}]})", m, "g")));  // not an array there
}

TEST_CASE("a storm of 10,000 alerts in one payload is read, and hostile text is cleaned", "[alerts]") {
    auto p = parse_alertmanager(big_alertmanager(max_alerts_per_payload), "p");
    REQUIRE(p.value);
    CHECK(p.value->alerts.size() == max_alerts_per_payload);
    const std::string hostile = R"({"alerts":[{"status":"firing","fingerprint":"h",
        "labels":{"alertname":"<script>alert(1)</script>\u0007\nsecond line","note":")" +
                                std::string(20000, 'x') + R"("}}]})";
    auto h = parse_alertmanager(hostile, "p");
    REQUIRE(h.value);
    const auto& a = h.value->alerts[0];
    // One line, no control characters; escaping is the renderer's job, the text is kept.
    CHECK(a.title == "<script>alert(1)</script> second line");
    CHECK(a.labels.at("note").size() < 4200);
    // Without an alertname the summary, and without either the fingerprint, names it.
    auto unnamed = parse_alertmanager(R"({"alerts":[{"status":"firing","fingerprint":"zz","annotations":{"summary":"db slow"}}]})", "p");
    REQUIRE(unnamed.value);
    CHECK(unnamed.value->alerts[0].title == "db slow");
    auto bare = parse_alertmanager(R"({"alerts":[{"status":"firing","fingerprint":"zz"}]})", "p");
    REQUIRE(bare.value);
    CHECK(bare.value->alerts[0].title == "alert zz");
}
