// The HTTP serving every listener of the bot shares, over real sockets on 127.0.0.1: a
// handler sees the method, path, lower-cased headers and body; it may answer later (as an
// alert receiver answers after its commit); no answer in time is a 503, and so at once is a
// responder let go unanswered; an oversized body is a 413 the handler never sees.
#include "bot/runtime/http_listener.hpp"
#include "tests/support/raw_http.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace firebreak;
using firebreak::testing::raw_http_exchange;
using firebreak::testing::status_line;
namespace asio = boost::asio;

namespace {

std::string post(unsigned short port, const std::string& path, const std::string& body) {
    return raw_http_exchange(port, "POST " + path + " HTTP/1.1\r\nHost: x\r\nX-Token: Abc\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
}

// A listener on an io_context run by a background thread, with the handler the test gives.
struct listening {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::unique_ptr<http_listener> listener;
    std::atomic<int> handled{0};
    std::thread runner;

    listening(http_listener_options o, http_handler h) {
        listener = std::make_unique<http_listener>(io.get_executor(), "127.0.0.1:0", o,
                                                   [this, h](const http_request_in& r, http_responder d) {
                                                       ++handled;
                                                       h(r, std::move(d));
                                                   });
        listener->start();
        runner = std::thread([this] { io.run_for(std::chrono::seconds{60}); });
    }
    ~listening() {
        asio::post(io, [this] { listener->stop(); });
        work.reset();
        io.stop();
        runner.join();
    }
    unsigned short port() { return listener->port(); }
};

}  // namespace

TEST_CASE("a handler sees the request and may answer after a while", "[runtime][http]") {
    http_request_in seen;
    listening l({}, [&](const http_request_in& r, http_responder respond) {
        seen = r;
        // Answered from a timer, after the handler has returned.
        auto later = std::make_shared<asio::steady_timer>(l.io, std::chrono::milliseconds{50});
        later->async_wait([later, respond](boost::system::error_code) {
            auto a = http_answer::text(202, "committed\n");
            a.headers.emplace_back("X-Alerts", "3");
            respond(a);
        });
    });
    auto r = post(l.port(), "/alerts/prometheus?x=1", R"({"alerts":[]})");
    CHECK(status_line(r) == "HTTP/1.1 202 Accepted");
    CHECK(r.find("X-Alerts: 3") != std::string::npos);
    CHECK(r.substr(r.find("\r\n\r\n") + 4) == "committed\n");
    CHECK(seen.method == "POST");
    CHECK(seen.path == "/alerts/prometheus");
    CHECK(seen.target == "/alerts/prometheus?x=1");
    CHECK(seen.header("x-token") == "Abc");
    CHECK(seen.body == R"({"alerts":[]})");
}

TEST_CASE("no answer in time is a 503, and a responder let go is one at once", "[runtime][http]") {
    http_listener_options o;
    o.handler_timeout = std::chrono::milliseconds{100};
    std::vector<http_responder> kept;
    listening l(o, [&](const http_request_in& r, http_responder respond) {
        if (r.path == "/keep") kept.push_back(std::move(respond));  // never called
    });
    auto slow = post(l.port(), "/keep", "x");
    CHECK(status_line(slow) == "HTTP/1.1 503 Service Unavailable");
    CHECK(slow.substr(slow.find("\r\n\r\n") + 4) == "not answered in time; try again\n");
    // Let go: answered at once, not at the deadline (whose answer says "in time").
    auto dropped = post(l.port(), "/drop", "x");
    CHECK(status_line(dropped) == "HTTP/1.1 503 Service Unavailable");
    CHECK(dropped.substr(dropped.find("\r\n\r\n") + 4) == "not answered; try again\n");
}

TEST_CASE("an oversized body is a 413 the handler never sees, a malformed request a 400", "[runtime][http]") {
    http_listener_options o;
    o.max_body_bytes = 1024;
    listening l(o, [](const http_request_in&, http_responder respond) { respond(http_answer::text(200, "ok\n")); });
    CHECK(status_line(post(l.port(), "/a", std::string(2000, 'x'))) == "HTTP/1.1 413 Payload Too Large");
    CHECK(status_line(raw_http_exchange(l.port(), "this is not http\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
    CHECK(l.handled == 0);
    CHECK(status_line(post(l.port(), "/a", std::string(1000, 'x'))) == "HTTP/1.1 200 OK");
    CHECK(l.handled == 1);
}
