// The HTTP serving every listener of the bot shares, over real sockets on 127.0.0.1: a
// handler sees the method, path, lower-cased headers and body; it may answer later (as an
// alert receiver answers after its commit); no answer in time is a 503, and so at once is a
// responder let go unanswered; an oversized body is a 413 the handler never sees.
#include "bot/runtime/http_listener.hpp"
#include "tests/support/io_wait.hpp"
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

using firebreak::testing::open_client;

TEST_CASE("a streamed answer sends its headers, then each chunk as it is pushed, until closed", "[runtime][http]") {
    std::shared_ptr<http_stream> open;
    listening l({}, [&](const http_request_in&, http_responder respond) {
        http_answer a;
        a.content_type = "text/event-stream";
        a.headers.emplace_back("Cache-Control", "no-store");
        a.stream = std::make_shared<http_stream>();
        a.stream->push("data: one\n\n");
        open = a.stream;
        respond(a);
    });
    open_client c(l.port());
    c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(c.until([&] { return c.got.find("data: one\n\n") != std::string::npos; }));
    CHECK(status_line(c.got) == "HTTP/1.1 200 OK");
    CHECK(c.got.find("Content-Type: text/event-stream") != std::string::npos);
    CHECK(c.got.find("Cache-Control: no-store") != std::string::npos);
    CHECK(c.got.find("Content-Length") == std::string::npos);
    CHECK_FALSE(c.ended);
    // Pushed later, from the listener's executor, as the web view does on a commit.
    asio::post(l.io, [&] { open->push("data: two\n\n"); });
    REQUIRE(c.until([&] { return c.got.find("data: two\n\n") != std::string::npos; }));
    CHECK_FALSE(c.ended);
    asio::post(l.io, [&] {
        open->push("data: three\n\n");
        open->close();
    });
    REQUIRE(c.until([&] { return c.ended; }));
    CHECK(c.got.substr(c.got.size() - 13) == "data: three\n\n");
}

TEST_CASE("stopping the listener ends its open streams, and a client gone closes its stream", "[runtime][http]") {
    std::vector<std::shared_ptr<http_stream>> streams;
    http_listener_options o;
    o.stream_heartbeat = std::chrono::milliseconds{20};
    listening l(o, [&](const http_request_in&, http_responder respond) {
        http_answer a;
        a.stream = std::make_shared<http_stream>();
        streams.push_back(a.stream);
        respond(a);
    });
    {
        open_client gone(l.port());
        gone.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(gone.until([&] { return gone.got.find("\r\n\r\n") != std::string::npos; }));
    }
    // The heartbeat's write fails on the closed socket: the stream says it is closed.
    std::atomic<bool> first_closed{false};
    open_client waiting(l.port());
    waiting.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(waiting.until([&] {
        asio::post(l.io, [&] { first_closed = !streams.empty() && streams[0]->closed(); });
        return first_closed.load() && waiting.got.find(":\n\n") != std::string::npos;
    }));
    CHECK_FALSE(waiting.ended);
    asio::post(l.io, [&] { l.listener->stop(); });
    REQUIRE(waiting.until([&] { return waiting.ended; }));
}

TEST_CASE("connections past the limit are closed at accept, and served again once others end", "[runtime][http]") {
    http_listener_options o;
    o.max_connections = 3;
    o.timeout = std::chrono::milliseconds{400};
    std::atomic<int> refused{0};
    o.on_refused = [&](int status) {
        if (status == 503) ++refused;
    };
    listening l(o, [](const http_request_in&, http_responder respond) { respond(http_answer::text(200, "ok\n")); });
    // Three idle clients that never send a byte hold every place.
    std::vector<std::unique_ptr<open_client>> idle;
    for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<open_client>(l.port()));
    std::atomic<std::size_t> open{0};
    REQUIRE(idle[0]->until([&] {
        asio::post(l.io, [&] { open = l.listener->open_connections(); });
        return open.load() == 3;
    }));
    auto r = raw_http_exchange(l.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(r.empty());
    CHECK(refused.load() == 1);
    // Their read deadline closes them; then a request is answered again.
    for (auto& c : idle) REQUIRE(c->until([&] { return c->ended; }));
    std::string again;
    REQUIRE(idle[0]->until([&] {
        again = raw_http_exchange(l.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        return !again.empty();
    }));
    CHECK(status_line(again) == "HTTP/1.1 200 OK");
}
