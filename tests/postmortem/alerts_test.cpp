// The alerts behind an incident in its postmortem: every alert of the cards declared into
// or attached to it, when it first fired and resolved, and its labels, in every format;
// read from the store, so another incident's cards stay out.
#include "bot/runtime/local_runs.hpp"
#include "postmortem/html.hpp"
#include "postmortem/json_export.hpp"
#include "postmortem/markdown.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/postmortem/fixtures.hpp"

#include <boost/json.hpp>

using namespace firebreak;
using namespace firebreak::testing;
namespace json = boost::json;

namespace {

card_alert alert_of(std::int64_t card, const std::string& fp, const std::string& title, instant started,
                    std::optional<instant> resolved, std::vector<std::pair<std::string, std::string>> labels) {
    card_alert a;
    a.card = card;
    a.source = "prometheus";
    a.fingerprint = fp;
    a.key = "prometheus/" + fp;
    a.title = title;
    a.severity = "critical";
    a.link = "http://prometheus.test/graph";
    a.labels = std::move(labels);
    a.started = started;
    a.firing = !resolved;
    a.resolved = resolved;
    a.received = started;
    a.notifications = 1;
    return a;
}

alert_card card_of(std::int64_t number, incident_id inc, instant opened) {
    alert_card c;
    c.number = number;
    c.room = room_ref{"slack", "C0ALERTS"};
    c.group = "prometheus|g" + std::to_string(number);
    c.title = "HighErrorRate";
    c.opened = opened;
    c.last = opened;
    c.incident = inc;
    return c;
}

}  // namespace

TEST_CASE("the postmortem lists the incident's alerts with first fired, resolved and labels", "[postmortem][alerts]") {
    auto src0 = empty_draft();  // INC-7
    const instant t0 = src0.inc.times.declared;
    src0.inc.times.impact_started = t0 - std::chrono::minutes{4};
    sqlite_store store(":memory:");
    change c;
    c.incidents = {src0.inc};
    c.cards = {card_of(1, src0.inc.id, t0), card_of(2, incident_id{8}, t0), card_of(3, src0.inc.id, t0)};
    c.card_alerts = {
        alert_of(1, "fp1", "HighErrorRate", t0 - std::chrono::minutes{4}, t0 + std::chrono::minutes{30},
                 {{"alertname", "HighErrorRate"}, {"instance", "api-1"}}),
        alert_of(1, "fp2", "HighErrorRate", t0 - std::chrono::minutes{3}, std::nullopt,
                 {{"alertname", "HighErrorRate"}, {"instance", "api-2"}}),
        alert_of(2, "fp9", "OtherIncidentAlert", t0, std::nullopt, {{"alertname", "Other"}}),
        alert_of(3, "fp3", hostile, t0 - std::chrono::minutes{1}, std::nullopt, {{"team", hostile}}),
    };
    c.next_card = 4;
    REQUIRE(store.commit(c, "ev", t0, std::nullopt));

    auto src = postmortem_source(src0.inc, store);
    REQUIRE(src.cards.size() == 2);
    CHECK(src.cards[0].str() == "A1");
    CHECK(src.cards[1].str() == "A3");

    auto md = postmortem_markdown(src);
    INFO(md);
    CHECK(md.find("3 alerts from 2 alert cards:") != std::string::npos);
    CHECK(md.find("| A1 | HighErrorRate | prometheus | " + format_utc(t0 - std::chrono::minutes{4}) + " | " +
                  format_utc(t0 + std::chrono::minutes{30}) + " | alertname=HighErrorRate, instance=api-1 |") !=
          std::string::npos);
    CHECK(md.find("| A1 | HighErrorRate | prometheus | " + format_utc(t0 - std::chrono::minutes{3}) +
                  " | still firing | alertname=HighErrorRate, instance=api-2 |") != std::string::npos);
    CHECK(md.find("OtherIncidentAlert") == std::string::npos);
    // Impact start is the one set (from the earliest alert when the card was declared).
    CHECK(md.find("Impact started " + format_utc(t0 - std::chrono::minutes{4})) != std::string::npos);

    auto html = postmortem_html(src);
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("still firing") != std::string::npos);

    auto doc = json::parse(postmortem_json(src)).as_object();
    const auto& alerts = doc.at("alerts").as_array();
    REQUIRE(alerts.size() == 3);
    const auto& first = alerts[0].as_object();
    CHECK(first.at("card") == "A1");
    CHECK(first.at("fingerprint") == "fp1");
    CHECK(first.at("labels").as_object().at("instance") == "api-1");
    CHECK(first.at("first_fired_at") == format_iso(t0 - std::chrono::minutes{4}).c_str());
    CHECK(first.at("resolved_at") == format_iso(t0 + std::chrono::minutes{30}).c_str());
    CHECK(alerts[1].as_object().at("resolved_at").is_null());
    CHECK(alerts[2].as_object().at("labels").as_object().contains("team"));
}

TEST_CASE("an incident without alerts has no alerts in its postmortem", "[postmortem][alerts]") {
    sqlite_store store(":memory:");
    auto src0 = empty_draft();
    change c;
    c.incidents = {src0.inc};
    REQUIRE(store.commit(c, "ev", src0.inc.times.declared, std::nullopt));
    auto src = postmortem_source(src0.inc, store);
    CHECK(src.cards.empty());
    CHECK(postmortem_markdown(src).find("Alerts") == std::string::npos);
    CHECK(json::parse(postmortem_json(src)).as_object().contains("alerts") == false);
}
