// The alert receivers over real sockets, with the real intake, engine and SQLite store:
// 200 only once the alerts are committed, a retry deduplicated, wrong credentials 401 with
// nothing recorded, malformed and oversized bodies refused with a reason, and a store that
// fails answered 503 so the sender tries again.
#include "alerts/auth.hpp"
#include "bot/runtime/alert_receiver.hpp"
#include "bot/runtime/intake.hpp"
#include "bot/runtime/metrics.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/io_wait.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_adapter.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <future>

using namespace firebreak;
using firebreak::testing::raw_http_exchange;
using firebreak::testing::status_line;

namespace {

const std::string token = "am-SECRET-token-7";
const std::string hmac_key = "uptime-SECRET-key";

std::string alertmanager(const std::string& group, int alerts, const std::string& status = "firing") {
    std::string items;
    for (int i = 0; i < alerts; ++i) {
        if (i) items += ",";
        items += R"({"status":")" + status + R"(","labels":{"alertname":"HighErrorRate","severity":"critical","instance":"api-)" +
                 std::to_string(i) + R"("},"annotations":{"summary":"5xx above 5%"},"startsAt":"2026-12-07T03:12:40Z",)" +
                 R"("endsAt":"2026-12-07T04:00:00Z","generatorURL":"http://prometheus.local/graph","fingerprint":"fp)" +
                 std::to_string(i) + R"("})";
    }
    std::string key;  // as a JSON string
    for (char ch : group) {
        if (ch == '"' || ch == '\\') key += '\\';
        key += ch;
    }
    return R"({"version":"4","groupKey":")" + key + R"(","status":")" + status + R"(","receiver":"firebreak","alerts":[)" +
           items + "]}";
}

std::string post(const std::string& path, const std::string& body, const std::string& extra_headers) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string bearer(const std::string& t = token) { return "Authorization: Bearer " + t + "\r\n"; }

// A store whose next `failures` group commits fail, as a full disk would.
class failing_store final : public firebreak::testing::forwarding_store {
public:
    using forwarding_store::forwarding_store;
    int failures = 0;
    void end_group() override {
        if (failures > 0) {
            --failures;
            throw store_error("disk full (test)");
        }
        inner_.end_group();
    }
};

// The platform the cards go to: every call succeeds at once.
class card_room final : public firebreak::testing::test_adapter {
public:
    void on_call(firebreak::testing::adapter_call c) override {
        delivery d;
        d.id = message_id{"m" + std::to_string(++n_)};
        c.cb(d);
    }
private:
    int n_ = 0;
};

struct receiver_rig {
    std::shared_ptr<firebreak::testing::temp_dir> dir;
    manual_clock clk{from_unix_ms(1796613600000)};
    boost::asio::io_context io;
    sqlite_store sqlite{dir->file("alerts.sqlite")};
    failing_store store{sqlite};
    engine eng{store, engine_settings{}, clk};
    card_room room;
    std::string failure;
    intake events{io.get_executor(), eng, {}, [this](const std::string& why) { failure = why; }};
    alerts_config cfg = [] {
        alerts_config a;
        a.enabled = true;
        a.listen = "127.0.0.1:0";
        a.room = room_ref{"test", "C0ALERTS"};
        alert_source_config prom;
        prom.name = "prometheus";
        prom.kind = "alertmanager";
        prom.token.value = token;
        alert_source_config up;
        up.name = "uptime";
        up.kind = "generic";
        up.hmac_secret.value = hmac_key;
        up.fields.title = "name";
        up.fields.fingerprint = "id";
        up.fields.status = "state";
        up.group_by = {"check"};
        a.sources = {prom, up};
        alerts::routing_rule ignore;
        ignore.name = "drop the watchdog";
        ignore.matchers.push_back(alerts::label_matcher::equals("alertname", "Watchdog"));
        ignore.action = alerts::alert_action::ignore;
        a.rules = {ignore};
        return a;
    }();
    alert_receiver receiver{io.get_executor(), cfg, events.sink(), clk};

    // A fresh store, or the one in `d` (a restart).
    explicit receiver_rig(std::shared_ptr<firebreak::testing::temp_dir> d = std::make_shared<firebreak::testing::temp_dir>())
        : dir(std::move(d)) {
        eng.add_adapter(room);
        receiver.start();
    }

    // Sends `raw` from another thread while the io_context runs here; the whole answer.
    std::string exchange(const std::string& raw) {
        auto answer = std::async(std::launch::async, [port = receiver.port(), raw] { return raw_http_exchange(port, raw); });
        const auto ready = [&] { return answer.wait_for(std::chrono::milliseconds{0}) == std::future_status::ready; };
        REQUIRE(firebreak::testing::run_io_until(io, ready, std::chrono::milliseconds{20000}));
        return answer.get();
    }
    std::size_t alerts_kept() {
        std::size_t n = 0;
        for (const auto& [number, card] : sqlite.load(0).state.cards) n += card.alerts.size();
        return n;
    }
};

}  // namespace

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
    auto dir = std::make_shared<firebreak::testing::temp_dir>();
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
