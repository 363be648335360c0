// The operators' endpoint over real HTTP on 127.0.0.1: health, readiness, metrics
// that move when events are handled, and bad requests answered with a 4xx.
#include "adapters/console/console_adapter.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/runtime/ops_server.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/runtime/runtime_fixtures.hpp"
#include "tests/support/raw_http.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <sstream>
#include <thread>

using namespace firebreak;
using firebreak::testing::raw_http_exchange;
using firebreak::testing::said_in_general;
using firebreak::testing::status_line;
namespace asio = boost::asio;

namespace {

std::string get(unsigned short port, const std::string& path) {
    return raw_http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

std::string body(const std::string& response) { return response.substr(response.find("\r\n\r\n") + 4); }

// The engine, its metrics and the endpoint on one io_context run by a background thread;
// the test touches the engine only through `on_engine`, as the process would.
struct served {
    sqlite_store store{":memory:"};
    manual_clock clk{from_unix_ms(1'800'000'000'000)};
    std::ostringstream out;
    console_adapter adapter{out, clk, {}, true};
    engine eng{store, engine_settings{}, clk};
    metrics m;
    std::vector<std::string> reasons;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    ops_server server{io.get_executor(), "127.0.0.1:0",
                      ops_handlers{[this] { return reasons; }, [this] { return m.render(eng); }}};
    std::thread runner;

    served() {
        eng.add_adapter(adapter);
        server.start();
        runner = std::thread([this] { io.run_for(std::chrono::seconds{60}); });
    }
    ~served() {
        server.stop();
        work.reset();
        io.stop();
        runner.join();
    }
    template <class F>
    void on_engine(F f) {
        std::promise<void> done;
        asio::post(io, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    }
    void say(const std::string& id, const std::string& text) {
        on_engine([&] {
            eng.handle(said_in_general(id, text, clk.now()));
            m.observe_ack(std::chrono::milliseconds{3});
        });
    }
};

}  // namespace

TEST_CASE("/healthz, /readyz and /metrics answer over HTTP, and the counters move", "[runtime][ops]") {
    served s;
    auto port = s.server.port();
    REQUIRE(port != 0);

    auto health = get(port, "/healthz");
    CHECK(status_line(health) == "HTTP/1.1 200 OK");
    CHECK(body(health) == "ok\n");

    s.on_engine([&] { s.reasons = {"slack: not connected"}; });
    auto not_ready = get(port, "/readyz");
    CHECK(status_line(not_ready) == "HTTP/1.1 503 Service Unavailable");
    CHECK(body(not_ready) == "not ready:\n- slack: not connected\n");
    s.on_engine([&] { s.reasons.clear(); });
    CHECK(status_line(get(port, "/readyz")) == "HTTP/1.1 200 OK");

    auto before = body(get(port, "/metrics"));
    CHECK(before.find("firebreak_events_received_total{type=\"message\"} 0\n") != std::string::npos);
    CHECK(before.find("firebreak_open_incidents{severity=\"SEV1\"} 0\n") != std::string::npos);

    s.say("e1", "!incident declare Checkout down --sev 1");
    s.say("e2", "anyone seeing this?");
    s.say("e2", "anyone seeing this?");  // a redelivery
    auto metrics = get(port, "/metrics");
    CHECK_THAT(metrics, Catch::Contains("Content-Type: text/plain; version=0.0.4"));
    auto after = body(metrics);
    INFO(after);
    CHECK(after.find("firebreak_events_received_total{type=\"message\"} 3\n") != std::string::npos);
    CHECK(after.find("firebreak_duplicate_events_total 1\n") != std::string::npos);
    CHECK(after.find("firebreak_commands_handled_total 1\n") != std::string::npos);
    CHECK(after.find("firebreak_open_incidents{severity=\"SEV1\"} 1\n") != std::string::npos);
    CHECK(after.find("firebreak_ack_latency_seconds_bucket{le=\"0.005\"} 3\n") != std::string::npos);
    CHECK(after.find("firebreak_ack_latency_seconds_bucket{le=\"0.0025\"} 0\n") != std::string::npos);
    CHECK(after.find("firebreak_ack_latency_seconds_count 3\n") != std::string::npos);
    CHECK(after.find("firebreak_outbox_delivered_total 0\n") == std::string::npos);  // the declare was delivered
    CHECK(after.find("firebreak_outbox_depth 0\n") != std::string::npos);
    CHECK(after.find("firebreak_nudges_sent_total 0\n") != std::string::npos);
    // Every sample line belongs to a declared metric family.
    std::istringstream lines(after);
    std::string line, family;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) family = line.substr(7, line.find(' ', 7) - 7);
        else if (line.rfind("#", 0) != 0) CHECK(line.rfind(family, 0) == 0);
    }
}

TEST_CASE("bad requests get a 4xx and the endpoint keeps serving", "[runtime][ops]") {
    served s;
    auto port = s.server.port();
    struct row {
        std::string raw;
        std::string status;
    };
    auto r = GENERATE(row{"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found"},
                      row{"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", "HTTP/1.1 405 Method Not Allowed"},
                      row{"this is not http\r\n\r\n", "HTTP/1.1 400 Bad Request"},
                      row{"GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n", "HTTP/1.1 400 Bad Request"},
                      row{"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", "HTTP/1.1 413 Payload Too Large"},
                      row{std::string("GET /\x01\xff HTTP/1.1\r\n\r\n", 21), "HTTP/1.1 400 Bad Request"});
    INFO(r.raw.substr(0, 60));
    CHECK(status_line(raw_http_exchange(port, r.raw)) == r.status);
    CHECK(status_line(get(port, "/healthz")) == "HTTP/1.1 200 OK");
}

TEST_CASE("listen addresses", "[runtime][ops]") {
    CHECK(parse_listen_address("127.0.0.1:9108")->port() == 9108);
    CHECK(parse_listen_address("[::1]:0")->address().is_v6());
    CHECK(parse_listen_address("localhost:80")->address().to_string() == "127.0.0.1");
    for (auto bad : {"", "9108", ":9108", "127.0.0.1:", "127.0.0.1:99999", "example.org:80", "127.0.0.1:8o"})
        CHECK_FALSE(parse_listen_address(bad).has_value());
    asio::io_context io;
    CHECK_THROWS_WITH(ops_server(io.get_executor(), "nonsense", {}), Catch::Contains("\"nonsense\" is not host:port"));
}
