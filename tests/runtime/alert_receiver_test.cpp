// The alert receivers over real sockets, with the real intake, engine and SQLite store:
// 200 only once the alerts are committed, a retry deduplicated, wrong credentials 401 with
// nothing recorded, malformed and oversized bodies refused with a reason, and a store that
// fails answered 503 so the sender tries again.
#include "bot/runtime/metrics.hpp"
#include "tests/support/alert_rig.hpp"
#include "tests/support/fixture.hpp"

using namespace firebreak;
using namespace firebreak::testing;


TEST_CASE("an Alertmanager payload is answered 200 once its alerts are committed, and its retry changes nothing", "[runtime][alerts]") {
    receiver_rig r;
    const auto body = alertmanager("{}:{alertname=\"HighErrorRate\"}", 3);
    auto answer = r.exchange(post("/alerts/prometheus", body, bearer()));
    CHECK(status_line(answer) == "HTTP/1.1 200 OK");
    CHECK(answer.find("accepted 3 alerts") != std::string::npos);
    // Committed before the answer: read straight from the file.
    auto state = r.sqlite.load(0).state;
    REQUIRE(state.cards.size() == 1);
    CHECK(state.cards.at(1).alerts.size() == 3);
    CHECK(state.cards.at(1).room == room_ref{"test", "C0ALERTS"});
    // Grouped by Alertmanager's own groupKey (within this source).
    CHECK(state.cards.at(1).group.find("{}:{alertname=\"HighErrorRate\"}") != std::string::npos);
    REQUIRE(r.room.posted_in.size() == 1);  // the one card
    CHECK(r.room.posted_in[0] == room_ref{"test", "C0ALERTS"});

    auto again = r.exchange(post("/alerts/prometheus", body, bearer()));
    CHECK(status_line(again) == "HTTP/1.1 200 OK");
    CHECK(r.sqlite.load(0).state == state);
    CHECK(r.room.posted_in.size() == 1);
    CHECK(r.eng.counters().alerts_deduplicated == 3);
    CHECK(r.eng.counters().alerts_grouped == 2);
    CHECK(r.eng.counters().alert_cards == 1);

    // Resolved: the same alerts change state on the card, no second card.
    CHECK(status_line(r.exchange(post("/alerts/prometheus", alertmanager("{}:{alertname=\"HighErrorRate\"}", 3, "resolved"),
                                      bearer()))) == "HTTP/1.1 200 OK");
    state = r.sqlite.load(0).state;
    CHECK(state.cards.size() == 1);
    CHECK(state.cards.at(1).firing() == 0);

    metrics m;
    auto text = m.render(r.eng, &r.receiver.counters());
    CHECK(text.find("firebreak_alerts_received_total 9\n") != std::string::npos);
    CHECK(text.find("firebreak_alerts_deduplicated_total 3\n") != std::string::npos);
    CHECK(text.find("firebreak_alert_cards_total 1\n") != std::string::npos);
}

TEST_CASE("wrong or missing credentials are 401 and record nothing, and the secret is never echoed", "[runtime][alerts]") {
    receiver_rig r;
    const auto body = alertmanager("g", 2);
    for (const std::string& headers : {std::string{}, bearer("not-the-token"), std::string("Authorization: Basic eDp5\r\n"),
                                       bearer(token + "x")}) {
        auto answer = r.exchange(post("/alerts/prometheus", body, headers));
        INFO(headers);
        CHECK(status_line(answer) == "HTTP/1.1 401 Unauthorized");
        CHECK(answer.find(token) == std::string::npos);
    }
    CHECK(r.alerts_kept() == 0);
    CHECK(r.receiver.counters().rejected.at("unauthorized") == 4);
    // HMAC: the signature of these very bytes, and nothing else, is let in.
    const std::string generic = R"({"name":"checkout down","id":"chk-1","state":"down","check":"checkout"})";
    CHECK(status_line(r.exchange(post("/alerts/uptime", generic, "X-Firebreak-Signature: sha256=" +
                                                                     alerts::hmac_sha256_hex(generic + " ", hmac_key) + "\r\n"))) ==
          "HTTP/1.1 401 Unauthorized");
    CHECK(r.alerts_kept() == 0);
    CHECK(status_line(r.exchange(post("/alerts/uptime", generic,
                                      "X-Firebreak-Signature: sha256=" + alerts::hmac_sha256_hex(generic, hmac_key) + "\r\n"))) ==
          "HTTP/1.1 200 OK");
    CHECK(r.alerts_kept() == 1);
}

TEST_CASE("malformed, oversized, misdirected and ignored payloads get their answer and keep the bot up", "[runtime][alerts]") {
    receiver_rig r;
    auto bad = r.exchange(post("/alerts/prometheus", "{\"alerts\": [", bearer()));
    CHECK(status_line(bad) == "HTTP/1.1 400 Bad Request");
    CHECK(bad.find("bad request: ") != std::string::npos);
    auto wrong_type = r.exchange(post("/alerts/prometheus", R"({"version":"4","alerts":"many"})", bearer()));
    CHECK(status_line(wrong_type) == "HTTP/1.1 400 Bad Request");
    auto not_utf8 = r.exchange(post("/alerts/prometheus", "{\"version\":\"4\",\"alerts\":[\"\xff\xfe\"]}", bearer()));
    CHECK(status_line(not_utf8) == "HTTP/1.1 400 Bad Request");
    const std::string huge(10 * 1024 * 1024, ' ');
    CHECK(status_line(r.exchange(post("/alerts/prometheus", huge, bearer()))) == "HTTP/1.1 413 Payload Too Large");
    CHECK(status_line(r.exchange("GET /alerts/prometheus HTTP/1.1\r\nHost: x\r\n\r\n")) == "HTTP/1.1 405 Method Not Allowed");
    CHECK(status_line(r.exchange(post("/alerts/nobody", "{}", bearer()))) == "HTTP/1.1 404 Not Found");
    CHECK(status_line(r.exchange(post("/elsewhere", "{}", bearer()))) == "HTTP/1.1 404 Not Found");
    CHECK(r.alerts_kept() == 0);
    CHECK(r.receiver.counters().rejected.at("malformed") == 3);
    CHECK(r.receiver.counters().rejected.at("too_large") == 1);

    // A rule that ignores: answered, nothing kept.
    std::string watchdog = alertmanager("wd", 1);
    watchdog.replace(watchdog.find("HighErrorRate"), 13, "Watchdog");
    CHECK(status_line(r.exchange(post("/alerts/prometheus", watchdog, bearer()))) == "HTTP/1.1 200 OK");
    CHECK(r.alerts_kept() == 0);
    CHECK(r.receiver.counters().ignored == 1);

    // Still up, and 10,000 alerts in one payload are all kept.
    auto storm = r.exchange(post("/alerts/prometheus", alertmanager("storm", 10000), bearer()));
    CHECK(status_line(storm) == "HTTP/1.1 200 OK");
    CHECK(r.alerts_kept() == 10000);
    CHECK(r.sqlite.load(0).state.cards.size() == 1);
}

TEST_CASE("a payload the store could not commit is answered 503, and the sender's retry after a restart is kept once", "[runtime][alerts]") {
    auto dir = std::make_shared<temp_dir>();
    const auto body = alertmanager("g", 5);
    {
        receiver_rig r(dir);
        CHECK(status_line(r.exchange(post("/alerts/prometheus", alertmanager("g", 2), bearer()))) == "HTTP/1.1 200 OK");
        r.store.failures = 1;
        auto failed = r.exchange(post("/alerts/prometheus", body, bearer()));
        CHECK(status_line(failed) == "HTTP/1.1 503 Service Unavailable");
        CHECK(r.alerts_kept() == 2);
        // The intake stops on a failed store (the service exits and is restarted); until
        // then every payload is 503, never 200 for what was not kept.
        CHECK_FALSE(r.failure.empty());
        CHECK(status_line(r.exchange(post("/alerts/prometheus", body, bearer()))) == "HTTP/1.1 503 Service Unavailable");
        CHECK(r.alerts_kept() == 2);
    }
    receiver_rig again(dir);
    CHECK(status_line(again.exchange(post("/alerts/prometheus", body, bearer()))) == "HTTP/1.1 200 OK");
    CHECK(again.alerts_kept() == 5);
    CHECK(again.eng.counters().alerts_deduplicated == 2);
    CHECK(again.sqlite.load(0).state.cards.size() == 1);
    CHECK(again.room.posted_in.empty());  // the card was posted before the failure, once
}

TEST_CASE("Grafana's and OpenStatus's documented webhook bodies, posted as they send them, become cards", "[runtime][alerts]") {
    receiver_rig r;
    // Grafana's example: two alerts of one group, one card, posted once.
    const auto grafana = read_fixture("alerts/grafana-webhook.json");
    auto first = r.exchange(post("/alerts/grafana", grafana, bearer()));
    CHECK(status_line(first) == "HTTP/1.1 200 OK");
    CHECK(first.find("accepted 2 alerts") != std::string::npos);
    CHECK(r.alerts_kept() == 2);
    CHECK(r.room.posted_in.size() == 1);
    // Grafana's retry of the same notification changes nothing.
    CHECK(status_line(r.exchange(post("/alerts/grafana", grafana, bearer()))) == "HTTP/1.1 200 OK");
    CHECK(r.alerts_kept() == 2);
    CHECK(r.room.posted_in.size() == 1);
    // The same body with a wrong token, or grown past the limit: refused, nothing kept.
    CHECK(status_line(r.exchange(post("/alerts/grafana", grafana, bearer("not-the-token")))) == "HTTP/1.1 401 Unauthorized");
    auto huge = grafana;
    huge.insert(huge.find("**Firing**"), std::string(10 * 1024 * 1024, 'x'));
    CHECK(status_line(r.exchange(post("/alerts/grafana", huge, bearer()))) == "HTTP/1.1 413 Payload Too Large");

    // OpenStatus's failure through the generic receiver: its own card, started when the
    // check ran (its milliseconds read as such); its recovery resolves that alert.
    auto down = r.exchange(post("/alerts/openstatus", read_fixture("alerts/openstatus-failure.json"), bearer()));
    CHECK(status_line(down) == "HTTP/1.1 200 OK");
    auto cards = r.sqlite.load(0).state.cards;
    REQUIRE(cards.size() == 2);
    const alert_card* monitor = nullptr;
    for (const auto& [n, c] : cards)
        if (c.alerts.size() == 1) monitor = &c;
    REQUIRE(monitor != nullptr);
    CHECK(monitor->alerts[0].title == "test");
    CHECK(monitor->alerts[0].link == "http://openstat.us");
    CHECK(format_iso(monitor->alerts[0].started) == "2025-04-07T11:01:45.307Z");
    CHECK(monitor->firing() == 1);
    CHECK(status_line(r.exchange(post("/alerts/openstatus", read_fixture("alerts/openstatus-recovery.json"), bearer()))) ==
          "HTTP/1.1 200 OK");
    cards = r.sqlite.load(0).state.cards;
    CHECK(cards.size() == 2);
    for (const auto& [n, c] : cards)
        if (c.alerts.size() == 1) CHECK(c.firing() == 0);
    CHECK(r.room.posted_in.size() == 2);
    CHECK(r.alerts_kept() == 3);
}
