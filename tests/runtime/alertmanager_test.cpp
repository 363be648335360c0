// The alert receiver against a real Prometheus Alertmanager (the Debian package, started
// here on 127.0.0.1 with a generated config whose webhook points at the receiver). Alerts
// are pushed to Alertmanager's own API; the test waits, bounded, for what firebreak keeps:
//   - the first notification is answered 503 (the store fails its commit), and
//     Alertmanager's retry reaches the restarted receiver on the same port and is kept;
//   - later alerts of the group join the same card, another alertname opens a second;
//   - the resolution Alertmanager sends marks the card's alerts resolved.
// Alertmanager runs on the wall clock, so the alerts' start and end times come from the
// runtime's system_clock, handed to the Alertmanager side; everything firebreak decides
// runs on the rig's manual clock.
#include "bot/runtime/system_clock.hpp"
#include "tests/support/alert_rig.hpp"
#include "tests/support/process.hpp"
#include "tests/support/process_rig.hpp"

#include <chrono>
#include <csignal>
#include <fmt/format.h>
#include <fstream>
#include <regex>

using namespace firebreak;
using namespace firebreak::testing;

namespace {

constexpr auto patience = std::chrono::milliseconds{30000};

struct alertmanager_process {
    const firebreak::clock& wall;  // Alertmanager's clock: alerts are stamped in its time
    std::unique_ptr<child_process> proc;
    unsigned short port = 0;

    alertmanager_process(const temp_dir& dir, unsigned short receiver_port, const firebreak::clock& c) : wall(c) {
        {
            std::ofstream(dir.file("am-token")) << token;
            std::ofstream f(dir.file("alertmanager.yml"));
            f << fmt::format(R"(route:
  receiver: firebreak
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: firebreak
    webhook_configs:
      - url: http://127.0.0.1:{}/alerts/prometheus
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: {}
)",
                             receiver_port, dir.file("am-token"));
        }
        proc = std::make_unique<child_process>(
            std::vector<std::string>{"/usr/bin/prometheus-alertmanager", "--config.file=" + dir.file("alertmanager.yml"),
                                     "--storage.path=" + dir.file("am-data"), "--web.listen-address=127.0.0.1:0",
                                     "--cluster.listen-address=", "--log.level=debug"},
            std::vector<std::pair<std::string, std::string>>{}, dir.file("alertmanager.log"));
        REQUIRE(proc->wait_output("msg=\"Listening on\"", patience));
        std::smatch m;
        const auto out = proc->output();
        REQUIRE(std::regex_search(out, m, std::regex(R"(msg="Listening on" address=127\.0\.0\.1:(\d+))")));
        port = static_cast<unsigned short>(std::stoi(m[1].str()));
    }
    ~alertmanager_process() {
        proc->signal(SIGTERM);
        proc->wait_exit(std::chrono::milliseconds{5000});
    }

    // Pushes alerts `first`..`last` of `name` to Alertmanager's v2 API, firing, or resolved
    // when `ended`; true when it took them.
    bool push(const std::string& name, int first, int last, bool ended, instant started) {
        std::string items;
        for (int i = first; i <= last; ++i) {
            if (!items.empty()) items += ",";
            items += fmt::format(
                R"({{"labels":{{"alertname":"{}","severity":"critical","instance":"api-{}"}},)"
                R"("annotations":{{"summary":"{} on api-{}"}},"generatorURL":"http://prometheus.test/graph",)"
                R"("startsAt":"{}"{}}})",
                name, i, name, i, format_iso(started),
                ended ? fmt::format(R"(,"endsAt":"{}")", format_iso(wall.now() - std::chrono::seconds{1}))
                      : std::string{});
        }
        const std::string body = "[" + items + "]";
        auto answer = raw_http_exchange(port, "POST /api/v2/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                              "Content-Type: application/json\r\nContent-Length: " +
                                                  std::to_string(body.size()) + "\r\n\r\n" + body);
        INFO(answer);
        return status_line(answer) == "HTTP/1.1 200 OK";
    }
};

// The card of group `alertname` in the store, or nullptr.
const alert_card* card_of(const engine_state& s, const std::string& alertname) {
    for (const auto& [n, c] : s.cards)
        if (c.group.find("alertname=\"" + alertname + "\"") != std::string::npos) return &c;
    return nullptr;
}

}  // namespace

TEST_CASE("a real Alertmanager's notifications become cards: its retry after a 503, grouping and resolution",
          "[runtime][alerts][alertmanager]") {
    auto dir = std::make_shared<temp_dir>();
    auto first = std::make_unique<receiver_rig>(dir);
    const unsigned short receiver_port = first->receiver.port();
    first->store.failures = 1;  // the first commit fails, as a full disk would
    const system_clock wall;
    alertmanager_process am(*dir, receiver_port, wall);

    // Runs `rig` until `done`, or fails the test with what Alertmanager said.
    const auto wait = [&](receiver_rig& rig, const char* what, const std::function<bool()>& done) {
        if (!rig.run_until(done, patience)) {
            auto said = am.proc->output();
            FAIL(what << " did not happen; alertmanager said:\n" << said.substr(said.size() > 8000 ? said.size() - 8000 : 0));
        }
    };

    // Started a minute ago, as Prometheus would report an alert that has been pending.
    const instant started = wall.now() - std::chrono::minutes{1};
    REQUIRE(am.push("HighErrorRate", 1, 3, false, started));

    // Alertmanager's first notification: the commit fails, the answer is 503.
    wait(*first, "a 503 answer", [&] { return first->receiver.counters().rejected.count("unanswered") > 0; });
    CHECK_FALSE(first->failure.empty());
    CHECK(first->alerts_kept() == 0);
    CHECK(first->room.posted_in.empty());
    first.reset();  // the service exits on a failed store and is restarted

    // Restarted on the same port: Alertmanager's retry is kept, and the card posted once.
    receiver_rig again(dir, fmt::format("127.0.0.1:{}", receiver_port));
    wait(again, "the retry", [&] { return again.alerts_kept() == 3; });
    INFO(am.proc->output());
    CHECK(am.proc->output().find("unexpected status code 503") != std::string::npos);  // refused, then retried
    CHECK(again.room.posted_in.size() == 1);

    // Two more of the group and one of another alertname: one card joined, one opened.
    REQUIRE(am.push("HighErrorRate", 4, 5, false, started));
    REQUIRE(am.push("DiskFull", 1, 1, false, started));
    wait(again, "the grouping", [&] {
        auto s = again.sqlite.load(0).state;
        auto* errors = card_of(s, "HighErrorRate");
        auto* disk = card_of(s, "DiskFull");
        return errors && errors->alerts.size() == 5 && disk && disk->alerts.size() == 1;
    });
    auto state = again.sqlite.load(0).state;
    CHECK(state.cards.size() == 2);
    CHECK(again.room.posted_in.size() == 2);
    const auto* errors = card_of(state, "HighErrorRate");
    REQUIRE(errors != nullptr);
    CHECK(errors->firing() == 5);
    CHECK(errors->title.find("HighErrorRate") != std::string::npos);
    for (const auto& a : errors->alerts) {
        CHECK(a.link == "http://prometheus.test/graph");
        CHECK(a.fingerprint.size() == 16);  // Alertmanager's own fingerprint, hex
    }

    // Resolved at Alertmanager: its resolved notification marks all five on the card.
    REQUIRE(am.push("HighErrorRate", 1, 5, true, started));
    wait(again, "the resolution", [&] {
        auto s = again.sqlite.load(0).state;
        auto* c = card_of(s, "HighErrorRate");
        return c && c->firing() == 0;
    });
    state = again.sqlite.load(0).state;
    CHECK(state.cards.size() == 2);
    CHECK(card_of(state, "HighErrorRate")->alerts.size() == 5);
    CHECK(card_of(state, "DiskFull")->firing() == 1);
    CHECK(again.room.posted_in.size() == 2);
    CHECK(again.eng.counters().alert_cards == 2);
}
