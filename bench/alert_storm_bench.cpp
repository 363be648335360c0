// Alert storm through the real receiver: 10,000 Alertmanager alerts in 500 groups POSTed
// over loopback HTTP to POST /alerts/<source>, each answered only once committed to a
// SQLite file (synchronous=FULL) through the real intake and engine.
//   1. Paced at 500 alerts/s (one alert per notification, four senders): the 2xx latency
//      per request, p50/p99 (target p99 < 50 ms).
//   2. As fast as four senders go, one notification per group of 20 alerts: alerts/s.
// Both runs must end with every alert kept, exactly 500 cards posted and no incident
// (the default action is a card; at most one incident per group could be declared).
#include "bench/bench_support.hpp"
#include "bot/runtime/alert_receiver.hpp"
#include "bot/runtime/allocator.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/intake.hpp"
#include "bot/runtime/system_clock.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/raw_http.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <thread>

using namespace firebreak;

namespace {

constexpr int groups = 500;
constexpr int per_group = 20;
constexpr int senders = 4;
const std::string token = "bench-alert-token";

// One notification of group `g` carrying alerts `from`..`to` (exclusive) of it, firing.
std::string notification(int g, int from, int to) {
    std::string items;
    for (int i = from; i < to; ++i) {
        if (!items.empty()) items += ",";
        items += fmt::format(
            R"({{"status":"firing","labels":{{"alertname":"Storm{}","severity":"critical","instance":"host-{}"}},)"
            R"("annotations":{{"summary":"storm alert {} of group {}"}},"startsAt":"2026-12-07T03:00:00Z",)"
            R"("endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus.bench/graph","fingerprint":"g{}a{}"}})",
            g, i, i, g, g, i);
    }
    const std::string body = fmt::format(R"({{"version":"4","groupKey":"{{}}:{{alertname=\"Storm{}\"}}","status":"firing",)"
                                         R"("receiver":"firebreak","alerts":[{}]}})",
                                         g, items);
    return "POST /alerts/prometheus HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
           token + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct receiver_side {
    system_clock clk;
    sqlite_store store;
    engine eng;
    bench::bench_adapter room;
    boost::asio::io_context io;
    std::string failure;
    intake events;
    alerts_config cfg;
    std::unique_ptr<alert_receiver> receiver;
    std::thread runner;

    explicit receiver_side(const std::string& path)
        : store(path), eng(store, engine_settings{}, clk),
          events(io.get_executor(), eng, {}, [this](const std::string& why) { failure = why; }) {
        eng.add_adapter(room);
        cfg.enabled = true;
        cfg.listen = "127.0.0.1:0";
        cfg.room = room_ref{"bench", "C0ALERTS"};
        alert_source_config prom;
        prom.name = "prometheus";
        prom.kind = "alertmanager";
        prom.token.value = token;
        cfg.sources = {prom};
        receiver = std::make_unique<alert_receiver>(io.get_executor(), cfg, events.sink(), clk);
        receiver->start();
        runner = std::thread([this] {
            auto guard = boost::asio::make_work_guard(io);
            io.run();
        });
    }
    ~receiver_side() {
        boost::asio::post(io, [this] { receiver->stop(); io.stop(); });
        runner.join();
    }
    unsigned short port() const { return receiver->port(); }
};

struct storm_result {
    std::vector<double> latency_ms;
    int refused = 0;
    double seconds = 0;
};

// Sends `requests` from `senders` threads, request i not before start + i * `spacing`
// (no pacing when zero); each waits for its whole answer.
storm_result storm(unsigned short port, const std::vector<std::string>& requests, std::chrono::microseconds spacing) {
    storm_result out;
    std::vector<std::vector<double>> lat(senders);
    std::atomic<int> refused{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int s = 0; s < senders; ++s)
        threads.emplace_back([&, s] {
            for (std::size_t i = std::size_t(s); i < requests.size(); i += senders) {
                if (spacing.count() > 0) std::this_thread::sleep_until(start + spacing * std::int64_t(i));
                const auto sent = std::chrono::steady_clock::now();
                auto answer = testing::raw_http_exchange(port, requests[i]);
                lat[std::size_t(s)].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
                if (testing::status_line(answer) != "HTTP/1.1 200 OK") ++refused;
            }
        });
    for (auto& t : threads) t.join();
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (auto& l : lat) out.latency_ms.insert(out.latency_ms.end(), l.begin(), l.end());
    out.refused = refused;
    return out;
}

struct kept {
    std::size_t cards = 0, alerts = 0, incidents = 0;
};
kept what_is_kept(const std::string& path) {
    sqlite_store s(path);
    auto st = s.load(0).state;
    kept k;
    k.cards = st.cards.size();
    for (const auto& [n, c] : st.cards) k.alerts += c.alerts.size();
    k.incidents = st.incidents.size();
    return k;
}

}  // namespace

int main() {
    firebreak::tune_allocator();
    bench::scratch_dir dir("firebreak-alerts");
    const int total = groups * per_group;
    bool ok = true;

    // 1. Paced: one alert per notification, group after group interleaved (alert i of
    //    every group before alert i + 1 of any), at 500 alerts/s.
    std::vector<std::string> single;
    for (int i = 0; i < per_group; ++i)
        for (int g = 0; g < groups; ++g) single.push_back(notification(g, i, i + 1));
    storm_result paced;
    std::int64_t paced_posts = 0;
    {
        receiver_side side(dir.file("paced.sqlite"));
        paced = storm(side.port(), single, std::chrono::microseconds{2000});
        paced_posts = side.room.calls();
        if (!side.failure.empty()) fmt::print("the store failed: {}\n", side.failure);
    }
    const auto pk = what_is_kept(dir.file("paced.sqlite"));
    const double p50 = bench::percentile(paced.latency_ms, 50), p99 = bench::percentile(paced.latency_ms, 99);
    fmt::print("paced at 500 alerts/s: {} notifications in {:.1f} s, {} refused; 2xx latency p50 {:.2f} ms, p99 {:.2f} ms, "
               "max {:.2f} ms\n",
               single.size(), paced.seconds, paced.refused, p50, p99,
               *std::max_element(paced.latency_ms.begin(), paced.latency_ms.end()));
    fmt::print("  kept: {} alerts on {} cards, {} card posts, {} incidents\n", pk.alerts, pk.cards, paced_posts, pk.incidents);
    const bool paced_whole = paced.refused == 0 && pk.alerts == std::size_t(total) && pk.cards == groups &&
                             paced_posts == groups && pk.incidents <= groups;
    ok = ok && paced_whole && p99 < 50;

    // 2. Flat out: one notification per group carrying its 20 alerts.
    std::vector<std::string> grouped;
    for (int g = 0; g < groups; ++g) grouped.push_back(notification(g, 0, per_group));
    storm_result fast;
    std::int64_t fast_posts = 0;
    {
        receiver_side side(dir.file("fast.sqlite"));
        fast = storm(side.port(), grouped, std::chrono::microseconds{0});
        fast_posts = side.room.calls();
    }
    const auto fk = what_is_kept(dir.file("fast.sqlite"));
    const double rate = double(total) / fast.seconds;
    fmt::print("flat out, 20 alerts per notification: {} alerts in {:.2f} s = {:.0f} alerts/s, {} refused\n", total,
               fast.seconds, rate, fast.refused);
    fmt::print("  kept: {} alerts on {} cards, {} card posts, {} incidents\n", fk.alerts, fk.cards, fast_posts, fk.incidents);
    const bool fast_whole = fast.refused == 0 && fk.alerts == std::size_t(total) && fk.cards == groups &&
                            fast_posts == groups && fk.incidents <= groups;
    ok = ok && fast_whole && rate >= 500;

    bench::summary("alert storm: 2xx p99 at 500 alerts/s (10,000 in 500 groups)", fmt::format("{:.2f} ms", p99), "< 50 ms",
                   p99 < 50 && paced_whole);
    bench::summary("alert storm: alerts/s flat out, 20 per notification", fmt::format("{:.0f}/s", rate), ">= 500/s",
                   rate >= 500 && fast_whole);
    bench::summary("alert storm: cards posted, incidents (both runs)",
                   fmt::format("{}+{} cards, {}+{} incidents", paced_posts, fast_posts, pk.incidents, fk.incidents),
                   "500 each, <= 500", paced_whole && fast_whole);
    return ok ? 0 : 1;
}
