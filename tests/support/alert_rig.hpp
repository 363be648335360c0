#pragma once
// The alert receivers as `firebreak run` wires them, for tests over real sockets: the real
// intake, engine and SQLite store in a temp dir (a store that can be made to fail), a card
// room that takes every post at once, and the sources the tests send as: "prometheus"
// (Alertmanager, bearer token), "uptime" (generic JSON, HMAC), "grafana" (bearer) and
// "openstatus" (generic JSON mapped to OpenStatus's documented webhook, bearer).
#include "alerts/auth.hpp"
#include "bot/runtime/alert_receiver.hpp"
#include "bot/runtime/intake.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/io_wait.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_adapter.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <future>
#include <memory>
#include <string>

namespace firebreak::testing {

inline const std::string token = "am-SECRET-token-7";
inline const std::string hmac_key = "uptime-SECRET-key";

/// An Alertmanager v4 payload: `alerts` alerts fp0.. of group `group`, all in `status`.
inline std::string alertmanager(const std::string& group, int alerts, const std::string& status = "firing") {
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

/// A POST of `body` to `path` with `extra_headers` (each ending in CRLF).
inline std::string post(const std::string& path, const std::string& body, const std::string& extra_headers) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::string bearer(const std::string& t = token) { return "Authorization: Bearer " + t + "\r\n"; }

// A store whose next `failures` group commits fail, as a full disk would.
class failing_store final : public forwarding_store {
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
class card_room final : public test_adapter {
public:
    void on_call(adapter_call c) override {
        delivery d;
        d.id = message_id{"m" + std::to_string(++n_)};
        c.cb(d);
    }
private:
    int n_ = 0;
};

struct receiver_rig {
    std::shared_ptr<temp_dir> dir;
    std::string listen;
    manual_clock clk{from_unix_ms(1796613600000)};
    boost::asio::io_context io;
    sqlite_store sqlite{dir->file("alerts.sqlite")};
    failing_store store{sqlite};
    engine eng{store, engine_settings{}, clk};
    card_room room;
    std::string failure;
    intake events{io.get_executor(), eng, {}, [this](const std::string& why) { failure = why; }};
    alerts_config cfg = [this] {
        alerts_config a;
        a.enabled = true;
        a.listen = listen;
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
        alert_source_config grafana;
        grafana.name = "grafana";
        grafana.kind = "grafana";
        grafana.token.value = token;
        alert_source_config openstatus;  // a sender without a translator, mapped in TOML
        openstatus.name = "openstatus";
        openstatus.kind = "generic";
        openstatus.token.value = token;
        openstatus.fields.title = "monitor.name";
        openstatus.fields.fingerprint = "monitor.id";
        openstatus.fields.status = "status";
        openstatus.fields.link = "monitor.url";
        openstatus.fields.starts_at = "cronTimestamp";
        openstatus.fields.resolved_values = {"recovered"};
        a.sources = {prom, up, grafana, openstatus};
        alerts::routing_rule ignore;
        ignore.name = "drop the watchdog";
        ignore.matchers.push_back(alerts::label_matcher::equals("alertname", "Watchdog"));
        ignore.action = alerts::alert_action::ignore;
        a.rules = {ignore};
        return a;
    }();
    alert_receiver receiver{io.get_executor(), cfg, events.sink(), clk};

    // A fresh store, or the one in `d` (a restart), listening on `at`.
    explicit receiver_rig(std::shared_ptr<temp_dir> d = std::make_shared<temp_dir>(), std::string at = "127.0.0.1:0")
        : dir(std::move(d)), listen(std::move(at)) {
        eng.add_adapter(room);
        receiver.start();
    }

    // Sends `raw` from another thread while the io_context runs here; the whole answer.
    std::string exchange(const std::string& raw) {
        auto answer = std::async(std::launch::async, [port = receiver.port(), raw] { return raw_http_exchange(port, raw); });
        const auto ready = [&] { return answer.wait_for(std::chrono::milliseconds{0}) == std::future_status::ready; };
        REQUIRE(run_io_until(io, ready, std::chrono::milliseconds{20000}));
        return answer.get();
    }
    /// Runs the io_context until `done()` or `limit`: for senders in other processes.
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
        return run_io_until(io, done, limit);
    }
    std::size_t alerts_kept() {
        std::size_t n = 0;
        for (const auto& [number, card] : sqlite.load(0).state.cards) n += card.alerts.size();
        return n;
    }
};

}  // namespace firebreak::testing
