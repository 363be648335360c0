// The fake Slack, driven over real sockets by a small Beast client (HTTP and WebSocket), so
// adapter tests can rely on what it promises: tokens, Web API errors and rate limits, the
// Socket Mode hello/envelope/ack cycle with redelivery, refreshes, dropped sockets, file
// uploads, TLS, and a destructor that never hangs. Every Web API call made here is checked
// against Slack's method definitions.
#include "tests/support/fake_slack.hpp"
#include "tests/support/process_rig.hpp"
#include "tests/support/io_wait.hpp"
#include "tests/support/spec_check.hpp"
#include "tests/support/test_tls.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using firebreak::testing::fake_slack;
using firebreak::testing::fake_slack_options;
using firebreak::testing::eventually;
using firebreak::testing::moment;
using firebreak::testing::posted_message;
using firebreak::testing::slack_api;
using firebreak::testing::slack_call;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

const std::string bot_token = "xoxb-test-bot";
const std::string app_token = "xapp-1-test-app";
const std::string bot = "UFBBOT";

std::string str(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : ""; }


// Every Web API call the fake answers must match Slack's definition of the method.
void check_calls_against_spec(fake_slack& s) {
    s.on_call([](const slack_call& c) {
        if (c.method.empty() || c.error == "unknown_method") return;  // uploads, response_url posts, bogus methods
        auto problems = slack_api::get().check_call(c.method, c.verb, c.args);
        if (problems.empty()) return;
        std::string all;
        for (const auto& p : problems) all += p + "; ";
        throw std::runtime_error(all);
    });
}

// Slack ts are "seconds.micros"; compared as numbers, not strings.
std::pair<long long, long long> ts_parts(const std::string& ts) {
    const auto dot = ts.find('.');
    REQUIRE(dot != std::string::npos);
    return {std::stoll(ts.substr(0, dot)), std::stoll(ts.substr(dot + 1))};
}

bool uuid_shaped(const std::string& s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-')) return false;
        if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

std::vector<std::string> keys(const json::object& o) {
    std::vector<std::string> out;
    for (const auto& kv : o) out.emplace_back(kv.key());
    std::sort(out.begin(), out.end());
    return out;
}

struct url_parts {
    std::string scheme, host, port, target;
};

url_parts parse_url(const std::string& u) {
    url_parts p;
    const auto sep = u.find("://");
    REQUIRE(sep != std::string::npos);
    p.scheme = u.substr(0, sep);
    const std::string rest = u.substr(sep + 3);
    const auto slash = rest.find('/');
    const std::string hostport = rest.substr(0, slash);
    p.target = slash == std::string::npos ? "/" : rest.substr(slash);
    const auto colon = hostport.rfind(':');
    p.host = hostport.substr(0, colon);
    p.port = hostport.substr(colon + 1);
    return p;
}

// A TLS client context trusting `ca_file` (only the system's roots when empty) and checking `host`.
void configure_tls(ssl::context& ctx, const std::string& ca_file, const std::string& host) {
    if (ca_file.empty())
        ctx.set_default_verify_paths();
    else
        ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.set_verify_callback(ssl::host_name_verification(host));
}

struct http_result {
    int status = 0;
    std::string body, retry_after;
    json::object json() const {
        boost::system::error_code ec;
        auto v = json::parse(body, ec);
        return !ec && v.is_object() ? v.as_object() : json::object{};
    }
};

// One synchronous keep-alive HTTP/1.1 connection, plain or TLS; I/O failures throw.
class http_conn {
public:
    http_conn(unsigned short port, bool tls = false, const std::string& ca_file = "",
              const std::string& host = "localhost") {
        const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
        if (!tls) {
            plain_.emplace(ioc_);
            plain_->connect(ep);
            return;
        }
        configure_tls(ctx_, ca_file, host);
        tls_.emplace(ioc_, ctx_);
        if (!SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str())) throw std::runtime_error("cannot set SNI");
        beast::get_lowest_layer(*tls_).connect(ep);
        tls_->handshake(ssl::stream_base::client);
    }

    http_result request(http::verb verb, const std::string& target, const std::string& body,
                        const std::string& content_type, const std::string& authorization) {
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "localhost");
        if (!authorization.empty()) req.set(http::field::authorization, authorization);
        if (!content_type.empty()) req.set(http::field::content_type, content_type);
        req.body() = body;
        req.prepare_payload();
        return with([&](auto& stream) {
            http::write(stream, req);
            http::response_parser<http::string_body> parser;
            parser.body_limit(64u * 1024 * 1024);
            http::read(stream, buffer_, parser);
            const auto& res = parser.get();
            return http_result{static_cast<int>(res.result_int()), res.body(), std::string(res["Retry-After"])};
        });
    }

private:
    template <class F>
    http_result with(F f) {
        if (tls_) return f(*tls_);
        return f(*plain_);
    }
    asio::io_context ioc_;
    ssl::context ctx_{ssl::context::tls_client};
    std::optional<beast::tcp_stream> plain_;
    std::optional<ssl::stream<beast::tcp_stream>> tls_;
    beast::flat_buffer buffer_;
};

// Web API calls the way a client makes them: JSON or form bodies, or GET with a query.
class web_api {
public:
    explicit web_api(const fake_slack& s, std::string token = bot_token, bool tls = false,
                     const std::string& ca_file = "")
        : conn_(s.port(), tls, ca_file), token_(std::move(token)) {}

    json::object call(const std::string& method, const json::object& args = {}) {
        return raw(http::verb::post, "/api/" + method, json::serialize(args), "application/json; charset=utf-8").json();
    }
    json::object form(const std::string& method, const std::string& body) {
        return raw(http::verb::post, "/api/" + method, body, "application/x-www-form-urlencoded").json();
    }
    json::object get(const std::string& method, const std::string& query) {
        return raw(http::verb::get, "/api/" + method + "?" + query, "", "").json();
    }
    http_result raw(http::verb verb, const std::string& target, const std::string& body,
                    const std::string& content_type) {
        return conn_.request(verb, target, body, content_type, token_.empty() ? "" : "Bearer " + token_);
    }
    void token(std::string t) { token_ = std::move(t); }

private:
    http_conn conn_;
    std::string token_;
};

// A Socket Mode client: handshake synchronously, then read frames with a deadline.
class ws_client {
public:
    explicit ws_client(const std::string& url, const std::string& ca_file = "") {
        const url_parts u = parse_url(url);
        const tcp::endpoint ep(asio::ip::make_address(u.host), static_cast<unsigned short>(std::stoi(u.port)));
        if (u.scheme == "wss") {
            configure_tls(ctx_, ca_file, u.host);
            tls_.emplace(ioc_, ctx_);
            beast::get_lowest_layer(*tls_).connect(ep);
            tls_->next_layer().handshake(ssl::stream_base::client);
            tls_->handshake(u.host + ":" + u.port, u.target);
        } else {
            plain_.emplace(ioc_);
            beast::get_lowest_layer(*plain_).connect(ep);
            plain_->handshake(u.host + ":" + u.port, u.target);
        }
    }

    ~ws_client() {
        with([](auto& ws) {
            beast::error_code ignored;
            beast::get_lowest_layer(ws).socket().close(ignored);
        });
    }

    // The next text frame, or nullopt (see last_error()) when the connection ended or `limit` passed.
    std::optional<std::string> read(std::chrono::milliseconds limit = 3s) {
        struct state {
            bool done = false;
            beast::error_code ec;
        };
        auto st = std::make_shared<state>();
        with([&](auto& ws) {
            ws.async_read(buffer_, [st](beast::error_code ec, std::size_t) {
                st->ec = ec;
                st->done = true;
            });
        });
        const std::function<bool()> done = [st] { return st->done; };
        if (!firebreak::testing::run_io_until(ioc_, done, limit)) {
            with([](auto& ws) { beast::get_lowest_layer(ws).close(); });
            firebreak::testing::run_io_until(ioc_, done, 2s);
            last_error_ = asio::error::timed_out;
            return std::nullopt;
        }
        if (st->ec) {
            last_error_ = st->ec;
            return std::nullopt;
        }
        std::string text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        return text;
    }

    json::object next(std::chrono::milliseconds limit = 3s) {
        auto frame = read(limit);
        INFO("read failed: " << last_error_.message());
        REQUIRE(frame);
        boost::system::error_code ec;
        auto v = json::parse(*frame, ec);
        INFO("frame: " << *frame);
        REQUIRE(!ec);
        REQUIRE(v.is_object());
        return v.as_object();
    }

    void send(const std::string& text) {
        with([&](auto& ws) {
            ws.text(true);
            ws.write(asio::buffer(text));
        });
    }

    void ack(const std::string& envelope_id) { send(json::serialize(json::object{{"envelope_id", envelope_id}})); }

    void close() {
        with([](auto& ws) { ws.close(websocket::close_code::normal); });
    }

    beast::error_code last_error() const { return last_error_; }

private:
    template <class F>
    void with(F f) {
        if (tls_)
            f(*tls_);
        else if (plain_)
            f(*plain_);
    }
    asio::io_context ioc_;
    ssl::context ctx_{ssl::context::tls_client};
    std::optional<websocket::stream<beast::tcp_stream>> plain_;
    std::optional<websocket::stream<ssl::stream<beast::tcp_stream>>> tls_;
    beast::flat_buffer buffer_;
    beast::error_code last_error_;
};

// apps.connections.open with the app token; the WebSocket URL it returns.
std::string socket_url(const fake_slack& s, bool tls = false, const std::string& ca_file = "") {
    web_api apps(s, app_token, tls, ca_file);
    auto res = apps.call("apps.connections.open");
    REQUIRE(res.at("ok").as_bool());
    return str(res.at("url"));
}

// A connected Socket Mode client past its hello.
std::unique_ptr<ws_client> connect(const fake_slack& s) {
    auto c = std::make_unique<ws_client>(socket_url(s));
    auto hello = c->next();
    REQUIRE(str(hello.at("type")) == "hello");
    return c;
}

void require_no_hook_failures(const fake_slack& s) {
    const auto failures = s.hook_failures();
    for (const auto& f : failures) UNSCOPED_INFO(f);
    CHECK(failures.empty());
}

}  // namespace

TEST_CASE("auth.test answers with the bot token and invalid_auth otherwise", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    CHECK(s.api_base_url() == "http://127.0.0.1:" + std::to_string(s.port()) + "/api");
    web_api api(s);

    auto ok = api.call("auth.test");
    CHECK(ok.at("ok").as_bool());
    CHECK(str(ok.at("user_id")) == bot);
    CHECK(str(ok.at("team_id")) == "T0FAKE");
    CHECK(api.form("auth.test", "").at("ok").as_bool());

    // The token in the body instead of the header, as older clients send it.
    web_api headerless(s, "");
    CHECK(headerless.form("auth.test", "token=" + bot_token).at("ok").as_bool());
    CHECK(str(headerless.call("auth.test").at("error")) == "not_authed");

    web_api wrong(s, "xoxb-not-it");
    auto denied = wrong.raw(http::verb::post, "/api/auth.test", "{}", "application/json; charset=utf-8");
    CHECK(denied.status == 200);
    CHECK_FALSE(denied.json().at("ok").as_bool());
    CHECK(str(denied.json().at("error")) == "invalid_auth");
    CHECK(str(wrong.call("chat.postMessage", {{"channel", "C1"}, {"text", "x"}}).at("error")) == "invalid_auth");
    web_api app(s, app_token);
    CHECK(str(app.call("auth.test").at("error")) == "invalid_auth");  // the app token is only for Socket Mode

    CHECK(str(api.call("chat.nope").at("error")) == "unknown_method");
    // A JSON body without a charset works, with Slack's warning.
    auto no_charset = api.raw(http::verb::post, "/api/auth.test", "{}", "application/json").json();
    CHECK(no_charset.at("ok").as_bool());
    CHECK(str(no_charset.at("warning")) == "missing_charset");

    const auto log = s.calls();
    REQUIRE(log.size() == 9);
    CHECK(log[0].method == "auth.test");
    CHECK(log[0].verb == "POST");
    CHECK(log[0].authorization == "Bearer " + bot_token);
    CHECK(log[0].content_type == "application/json; charset=utf-8");
    CHECK(log[0].status == 200);
    CHECK(log[0].error.empty());
    CHECK(str(log[2].args.at("token")) == bot_token);
    CHECK(log[4].error == "invalid_auth");
    CHECK(log[7].error == "unknown_method");
    require_no_hook_failures(s);
}

TEST_CASE("apps.connections.open needs the app token — each ticket opens one WebSocket that says hello", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    web_api api(s);
    CHECK(str(api.call("apps.connections.open").at("error")) == "invalid_auth");

    const std::string url = socket_url(s);
    CHECK(url.rfind("ws://127.0.0.1:" + std::to_string(s.port()) + "/link/?ticket=", 0) == 0);
    ws_client c(url);
    auto hello = c.next();
    CHECK(keys(hello) == std::vector<std::string>{"connection_info", "debug_info", "num_connections", "type"});
    CHECK(str(hello.at("type")) == "hello");
    CHECK(hello.at("num_connections").as_int64() == 1);
    CHECK_FALSE(str(hello.at("debug_info").at("host")).empty());
    CHECK(hello.at("debug_info").at("approximate_connection_time").is_number());
    CHECK(str(hello.at("connection_info").at("app_id")) == "A0FAKEAPP");
    CHECK(s.connections_opened() == 1);
    CHECK(s.open_connections() == 1);

    // A used ticket, or one never issued, is refused at the handshake.
    CHECK_THROWS_AS(ws_client(url), boost::system::system_error);
    auto bogus = parse_url(url);
    CHECK_THROWS_AS(ws_client("ws://127.0.0.1:" + bogus.port + "/link/?ticket=999"), boost::system::system_error);
    CHECK(s.connections_opened() == 1);

    c.close();
    CHECK(eventually([&] { return s.open_connections() == 0; }));
    require_no_hook_failures(s);
}

TEST_CASE("envelopes have Slack's shape, acks settle them, and bad frames are recorded", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    const auto ops = s.create_channel("ops", {"U1", bot});
    auto c = connect(s);

    const auto ts = s.push_message(ops, "U1", "db is down");
    auto env = c->next();
    // The keys of envelope_events_api_message.json, Slack's own frame.
    CHECK(keys(env) == std::vector<std::string>{"accepts_response_payload", "envelope_id", "payload", "retry_attempt",
                                                "retry_reason", "type"});
    CHECK(str(env.at("type")) == "events_api");
    CHECK(uuid_shaped(str(env.at("envelope_id"))));
    CHECK_FALSE(env.at("accepts_response_payload").as_bool());
    CHECK(env.at("retry_attempt").as_int64() == 0);
    CHECK(str(env.at("retry_reason")).empty());
    const auto& payload = env.at("payload").as_object();
    CHECK(keys(payload) == std::vector<std::string>{"api_app_id", "authorizations", "event", "event_context",
                                                    "event_id", "event_time", "is_ext_shared_channel", "team_id",
                                                    "token", "type"});
    CHECK(str(payload.at("type")) == "event_callback");
    CHECK(str(payload.at("team_id")) == "T0FAKE");
    CHECK(str(payload.at("event_id")).rfind("Ev", 0) == 0);
    CHECK(payload.at("event_time").as_int64() == ts_parts(ts).first);
    CHECK(str(payload.at("authorizations").at(0).at("user_id")) == bot);
    CHECK(payload.at("authorizations").at(0).at("is_bot").as_bool());
    const auto& event = payload.at("event").as_object();
    CHECK(str(event.at("type")) == "message");
    CHECK(str(event.at("text")) == "db is down");
    CHECK(str(event.at("user")) == "U1");
    CHECK(str(event.at("channel")) == ops);
    CHECK(str(event.at("ts")) == ts);
    CHECK(str(event.at("event_ts")) == ts);
    CHECK(str(event.at("channel_type")) == "channel");
    CHECK(ts_parts(ts).first == 1767225600);

    const auto history = s.messages(ops);
    REQUIRE(history.size() == 1);
    CHECK(history[0].user == "U1");
    CHECK(history[0].ts == ts);

    const std::string id = str(env.at("envelope_id"));
    CHECK(s.unacked() == std::vector<std::string>{id});
    c->ack(id);
    CHECK(eventually([&] { return s.unacked().empty(); }));
    CHECK(s.acked() == std::vector<std::string>{id});

    // A slash command carries its trigger and response_url and takes a response payload in the ack.
    const auto cmd_id = s.push_slash_command(ops, "U1", "declare sev1 checkout");
    auto cmd = c->next();
    CHECK(str(cmd.at("envelope_id")) == cmd_id);
    CHECK(str(cmd.at("type")) == "slash_commands");
    CHECK(cmd.at("accepts_response_payload").as_bool());
    CHECK_FALSE(cmd.contains("retry_attempt"));
    const auto& p = cmd.at("payload").as_object();
    CHECK(str(p.at("command")) == "/incident");
    CHECK(str(p.at("text")) == "declare sev1 checkout");
    CHECK(str(p.at("user_id")) == "U1");
    CHECK(str(p.at("channel_id")) == ops);
    CHECK(str(p.at("channel_name")) == "ops");
    CHECK(str(p.at("response_url")).rfind("http://127.0.0.1:", 0) == 0);
    CHECK_FALSE(str(p.at("trigger_id")).empty());
    c->send(R"({"envelope_id":")" + cmd_id + R"(","payload":{"text":"on it"}})");

    // Interactive payloads go out as given.
    const auto action_id =
        s.push_interactive(json::object{{"type", "block_actions"},
                                        {"user", json::object{{"id", "U1"}}},
                                        {"trigger_id", "1.2.abc"},
                                        {"actions", json::array{json::object{{"action_id", "ack"}}}}});
    auto action = c->next();
    CHECK(str(action.at("type")) == "interactive");
    CHECK_FALSE(action.at("accepts_response_payload").as_bool());
    CHECK(str(action.at("payload").at("actions").at(0).at("action_id")) == "ack");
    c->ack(action_id);
    CHECK(eventually([&] { return s.acked().size() == 3; }));
    CHECK(s.acked() == std::vector<std::string>{id, cmd_id, action_id});
    const auto payloads = s.ack_payloads();
    REQUIRE(payloads.count(cmd_id) == 1);
    CHECK(str(payloads.at(cmd_id).at("text")) == "on it");
    CHECK(payloads.count(id) == 0);

    // Raw frames go out verbatim; what the client sends that is no good ack is kept.
    s.push_raw_frame("{\"type\":\"mystery\"");
    CHECK(c->read() == std::optional<std::string>("{\"type\":\"mystery\""));
    c->send("not json");
    c->send(R"({"payload":{}})");
    c->send(R"({"envelope_id":"00000000-0000-4000-8000-000000000000"})");
    c->ack(id);  // twice
    CHECK(eventually([&] { return s.bad_frames().size() == 4; }));
    CHECK(s.bad_frames().front() == "not json");
    CHECK(s.acked().size() == 3);
    require_no_hook_failures(s);
}

TEST_CASE("an unacked event is sent again after ack_timeout with the same event_id, at most max_retries times",
          "[fakes]") {
    fake_slack_options o;
    o.ack_timeout = 100ms;
    o.max_retries = 2;
    fake_slack s(o);
    auto c = connect(s);

    const auto first_id = s.push_event(json::object{{"type", "app_mention"}, {"text", "<@UFBBOT> hi"}, {"user", "U1"}});
    auto first = c->next();
    CHECK(str(first.at("envelope_id")) == first_id);
    const auto event_id = str(first.at("payload").at("event_id"));
    const auto start = steady::now();
    auto again = c->next();
    CHECK(steady::now() - start >= 80ms);
    CHECK(again.at("retry_attempt").as_int64() == 1);
    CHECK(str(again.at("retry_reason")) == "timeout");
    CHECK(str(again.at("payload").at("event_id")) == event_id);
    const auto retry_id = str(again.at("envelope_id"));
    CHECK(retry_id != first_id);
    CHECK(s.unacked() == std::vector<std::string>{retry_id});

    // A late ack of the first envelope settles the event; acking the retry too is no mistake.
    c->ack(first_id);
    CHECK(eventually([&] { return s.unacked().empty(); }));
    c->ack(retry_id);
    CHECK(eventually([&] { return s.acked().size() == 2; }));
    CHECK(s.bad_frames().empty());

    // Never acked: retry 1, retry 2, then Slack gives up (it stays unacked). A retry of the first
    // event may still be on its way if the ack above was slow, so frames about it are skipped.
    s.push_event(json::object{{"type", "app_mention"}, {"text", "again"}, {"user", "U1"}});
    auto next_again = [&] {
        for (;;) {
            auto f = c->next();
            if (str(f.at("payload").at("event").at("text")) == "again") return f;
        }
    };
    CHECK(next_again().at("retry_attempt").as_int64() == 0);
    CHECK(next_again().at("retry_attempt").as_int64() == 1);
    auto last = next_again();
    CHECK(last.at("retry_attempt").as_int64() == 2);
    // The fake notes a frame once its write completes, which may be just after the client has it.
    const auto last_id = str(last.at("envelope_id"));
    CHECK(eventually([&] { return s.sent_frames().back().find(last_id) != std::string::npos; }));
    const auto frames = s.sent_frames().size();
    moment().wait(400ms);  // several ack timeouts: nothing more may come
    CHECK(s.sent_frames().size() == frames);
    CHECK(s.unacked().size() == 1);

    // A chosen event id pushed again is Slack's redelivery of it.
    s.push_event_with_id(json::object{{"type", "app_mention"}, {"text", "x"}}, "Ev0CHOSEN");
    auto chosen = c->next();
    CHECK(str(chosen.at("payload").at("event_id")) == "Ev0CHOSEN");
    c->ack(str(chosen.at("envelope_id")));
    s.push_event_with_id(json::object{{"type", "app_mention"}, {"text", "x"}}, "Ev0CHOSEN");
    auto redelivered = c->next();
    CHECK(str(redelivered.at("payload").at("event_id")) == "Ev0CHOSEN");
    CHECK(redelivered.at("retry_attempt").as_int64() == 1);
    c->ack(str(redelivered.at("envelope_id")));
}

TEST_CASE("request_refresh sends a disconnect and the next envelope goes to the new connection", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    const auto ops = s.create_channel("ops", {"U1", bot});
    auto old_conn = connect(s);

    s.request_refresh();
    auto bye = old_conn->next();
    CHECK(str(bye.at("type")) == "disconnect");
    CHECK(str(bye.at("reason")) == "refresh_requested");
    CHECK_FALSE(str(bye.at("debug_info").at("host")).empty());

    // Pushed while only the old connection is open: it waits for the new one.
    const auto ts = s.push_message(ops, "U1", "after refresh");
    ws_client fresh(socket_url(s));
    auto hello = fresh.next();
    CHECK(str(hello.at("type")) == "hello");
    CHECK(hello.at("num_connections").as_int64() == 2);
    auto env = fresh.next();
    CHECK(str(env.at("payload").at("event").at("ts")) == ts);
    CHECK(env.at("retry_attempt").as_int64() == 0);  // its first send, so it never went to the old one
    fresh.ack(str(env.at("envelope_id")));

    // The old connection stays until the client closes it.
    CHECK(s.open_connections() == 2);
    old_conn->close();
    CHECK(eventually([&] { return s.open_connections() == 1; }));
    CHECK(eventually([&] { return s.unacked().empty(); }));
    CHECK(s.connections_opened() == 2);
    require_no_hook_failures(s);
}

TEST_CASE("a connection told to disconnect is closed by the fake after the grace period", "[fakes]") {
    fake_slack_options o;
    o.refresh_grace = 150ms;
    fake_slack s(o);
    auto c = connect(s);
    s.send_disconnect("warning");
    CHECK(str(c->next().at("reason")) == "warning");
    CHECK_FALSE(c->read(3s));
    CHECK(c->last_error() == websocket::error::closed);  // a proper close frame this time
    CHECK(eventually([&] { return s.open_connections() == 0; }));

    // link_disabled closes right after the frame.
    auto d = connect(s);
    s.send_disconnect("link_disabled");
    CHECK(str(d->next().at("reason")) == "link_disabled");
    CHECK_FALSE(d->read(3s));
    CHECK(d->last_error() == websocket::error::closed);
}

TEST_CASE("drop_after_frames cuts the socket without a close frame — unacked events come again on reconnect",
          "[fakes]") {
    fake_slack s;
    const auto ops = s.create_channel("ops", {"U1", bot});
    auto a = connect(s);

    s.drop_after_frames(1);
    s.push_message(ops, "U1", "first");
    auto env = a->next();
    const auto event_id = str(env.at("payload").at("event_id"));
    CHECK_FALSE(a->read(3s));
    CHECK(a->last_error() != websocket::error::closed);
    CHECK(a->last_error() != asio::error::timed_out);
    CHECK(eventually([&] { return s.open_connections() == 0; }));

    auto b = connect(s);
    auto again = b->next();
    CHECK(str(again.at("payload").at("event_id")) == event_id);
    CHECK(again.at("retry_attempt").as_int64() == 1);
    CHECK(str(again.at("retry_reason")) == "timeout");
    CHECK(str(again.at("envelope_id")) != str(env.at("envelope_id")));
    b->ack(str(again.at("envelope_id")));
    CHECK(eventually([&] { return s.unacked().empty(); }));

    // Zero more frames: at once.
    s.drop_after_frames(0);
    CHECK_FALSE(b->read(3s));
    CHECK(b->last_error() != websocket::error::closed);
    CHECK(eventually([&] { return s.open_connections() == 0; }));

    // With nothing open it applies to the next connection: hello, then gone.
    s.drop_after_frames(1);
    ws_client c(socket_url(s));
    CHECK(str(c.next().at("type")) == "hello");
    CHECK_FALSE(c.read(3s));
    CHECK(c.last_error() != websocket::error::closed);
    CHECK(s.connections_opened() == 3);
}

TEST_CASE("conversations.create applies Slack's channel name rules and name_taken", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    web_api api(s);
    auto error_for = [&](const std::string& name) {
        return str(api.call("conversations.create", {{"name", name}}).at("error"));
    };

    CHECK(error_for("") == "invalid_name_required");
    CHECK(error_for(std::string(81, 'a')) == "invalid_name_maxlength");
    CHECK(error_for("Incident-1") == "invalid_name_specials");
    CHECK(error_for("inc 1") == "invalid_name_specials");
    CHECK(error_for("inc#1") == "invalid_name_specials");
    CHECK(error_for("--_") == "invalid_name_punctuation");
    CHECK(s.channels().empty());

    auto made = api.call("conversations.create", {{"name", "inc-42_db"}, {"is_private", false}});
    REQUIRE(made.at("ok").as_bool());
    const auto& ch = made.at("channel").as_object();
    const auto id = str(ch.at("id"));
    CHECK(id.rfind("C", 0) == 0);
    CHECK(str(ch.at("name")) == "inc-42_db");
    CHECK_FALSE(ch.at("is_private").as_bool());
    CHECK(str(ch.at("creator")) == bot);
    CHECK(ch.at("created").is_int64());
    CHECK(ch.at("is_member").as_bool());
    CHECK(s.members(id) == std::vector<std::string>{bot});
    CHECK(s.channel_named("inc-42_db") == id);
    CHECK(error_for("inc-42_db") == "name_taken");

    CHECK(api.call("conversations.create", {{"name", std::string(80, 'b')}}).at("ok").as_bool());
    auto priv = api.form("conversations.create", "name=sec-1&is_private=true");
    CHECK(priv.at("channel").at("is_private").as_bool());
    CHECK(s.channels().size() == 3);
    CHECK(s.channels().front() == id);
    require_no_hook_failures(s);
}

TEST_CASE("chat.postMessage needs the bot in the channel — ts increase — update and ephemeral work", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    web_api api(s);
    const auto general = s.create_channel("general", {"U1"});

    CHECK(str(api.call("chat.postMessage", {{"channel", general}, {"text", "hi"}}).at("error")) == "not_in_channel");
    CHECK(str(api.call("chat.postMessage", {{"channel", "C404"}, {"text", "hi"}}).at("error")) == "channel_not_found");
    CHECK(api.call("conversations.join", {{"channel", general}}).at("ok").as_bool());
    CHECK(str(api.call("conversations.join", {{"channel", general}}).at("warning")) == "already_in_channel");
    CHECK(str(api.call("chat.postMessage", {{"channel", general}}).at("error")) == "no_text");

    auto one = api.call("chat.postMessage", {{"channel", general}, {"text", "one"}});
    REQUIRE(one.at("ok").as_bool());
    CHECK(str(one.at("channel")) == general);
    CHECK(str(one.at("message").at("text")) == "one");
    CHECK(str(one.at("message").at("user")) == bot);
    const json::array blocks{
        json::object{{"type", "section"}, {"text", json::object{{"type", "mrkdwn"}, {"text", "*two*"}}}}};
    const auto root = str(one.at("ts"));
    auto two =
        api.call("chat.postMessage", {{"channel", general}, {"text", "two"}, {"blocks", blocks}, {"thread_ts", root}});
    const auto reply_ts = str(two.at("ts"));
    CHECK(ts_parts(root) < ts_parts(reply_ts));
    // A form body carries blocks as a JSON string.
    auto three = api.form("chat.postMessage",
                          "channel=" + general + "&text=three&blocks=" + "%5B%7B%22type%22%3A%22divider%22%7D%5D");
    REQUIRE(three.at("ok").as_bool());
    CHECK(ts_parts(reply_ts) < ts_parts(str(three.at("ts"))));
    CHECK(str(api.form("chat.postMessage", "channel=" + general + "&blocks=%5Bnope").at("error")) ==
          "invalid_blocks_format");

    auto msgs = s.messages(general);
    REQUIRE(msgs.size() == 3);
    CHECK(msgs[1].text == "two");
    CHECK(msgs[1].thread_ts == root);
    CHECK(msgs[1].blocks == json::value(blocks));
    CHECK(str(msgs[2].blocks.at(0).at("type")) == "divider");

    auto updated = api.call("chat.update", {{"channel", general}, {"ts", root}, {"text", "one (edited)"}});
    CHECK(updated.at("ok").as_bool());
    CHECK(s.messages(general)[0].text == "one (edited)");
    CHECK(s.messages(general)[0].edited);
    CHECK(str(api.call("chat.update", {{"channel", general}, {"ts", "1.000001"}, {"text", "x"}}).at("error")) ==
          "message_not_found");
    const auto theirs = s.push_message(general, "U1", "mine");
    CHECK(str(api.call("chat.update", {{"channel", general}, {"ts", theirs}, {"text", "x"}}).at("error")) ==
          "cant_update_message");

    auto eph = api.call("chat.postEphemeral", {{"channel", general}, {"user", "U1"}, {"text", "just you"}});
    REQUIRE(eph.at("ok").as_bool());
    const auto last = s.messages(general).back();
    CHECK(last.ephemeral);
    CHECK(last.ephemeral_user == "U1");
    CHECK(last.ts == str(eph.at("message_ts")));
    CHECK(str(api.call("chat.postEphemeral", {{"channel", general}, {"user", "U2"}, {"text", "x"}}).at("error")) ==
          "user_not_in_channel");
    require_no_hook_failures(s);
}

TEST_CASE("invite, topic, info, pins, reactions and users.info", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    web_api api(s);
    s.add_user("U1", "alice", "Alice");
    s.add_user("U2", "bob", "Bob");
    const auto inc = str(api.call("conversations.create", {{"name", "inc-1"}}).at("channel").at("id"));

    CHECK(api.call("conversations.invite", {{"channel", inc}, {"users", "U1,U2"}}).at("ok").as_bool());
    CHECK(s.members(inc) == std::vector<std::string>{bot, "U1", "U2"});
    CHECK(str(api.call("conversations.invite", {{"channel", inc}, {"users", "U1, U2"}}).at("error")) ==
          "already_in_channel");
    auto self = api.call("conversations.invite", {{"channel", inc}, {"users", bot}});
    CHECK(str(self.at("error")) == "cant_invite_self");
    CHECK(str(self.at("errors").at(0).at("user")) == bot);
    CHECK(str(api.call("conversations.invite", {{"channel", inc}, {"users", "UNOPE"}}).at("error")) ==
          "user_not_found");

    CHECK(api.call("conversations.setTopic", {{"channel", inc}, {"topic", "sev1: checkout down"}}).at("ok").as_bool());
    CHECK(s.topic(inc) == "sev1: checkout down");
    CHECK(str(api.call("conversations.setTopic", {{"channel", inc}, {"topic", std::string(251, 'x')}}).at("error")) ==
          "too_long");
    std::string accents;
    for (int i = 0; i < 250; ++i) accents += "\xc3\xa9";  // 250 characters, 500 bytes
    CHECK(api.call("conversations.setTopic", {{"channel", inc}, {"topic", accents}}).at("ok").as_bool());

    auto info = api.get("conversations.info", "channel=" + inc + "&include_num_members=true");
    CHECK(str(info.at("channel").at("topic").at("value")) == accents);
    CHECK(info.at("channel").at("num_members").as_int64() == 3);
    CHECK(str(api.get("conversations.info", "channel=C404").at("error")) == "channel_not_found");

    const auto ts = str(api.call("chat.postMessage", {{"channel", inc}, {"text", "timeline"}}).at("ts"));
    CHECK(api.call("pins.add", {{"channel", inc}, {"timestamp", ts}}).at("ok").as_bool());
    CHECK(s.pins(inc) == std::vector<std::string>{ts});
    CHECK(str(api.call("pins.add", {{"channel", inc}, {"timestamp", ts}}).at("error")) == "already_pinned");
    CHECK(str(api.call("pins.add", {{"channel", inc}, {"timestamp", "1.000002"}}).at("error")) == "message_not_found");
    CHECK(api.call("reactions.add", {{"channel", inc}, {"timestamp", ts}, {"name", "eyes"}}).at("ok").as_bool());
    CHECK(str(api.call("reactions.add", {{"channel", inc}, {"timestamp", ts}, {"name", "eyes"}}).at("error")) ==
          "already_reacted");
    CHECK(s.reactions(inc, ts) == std::vector<std::string>{"eyes"});

    auto bob = api.get("users.info", "user=U2");
    CHECK(str(bob.at("user").at("id")) == "U2");
    CHECK(str(bob.at("user").at("name")) == "bob");
    CHECK(str(bob.at("user").at("real_name")) == "Bob");
    CHECK(str(bob.at("user").at("profile").at("display_name")) == "Bob");
    CHECK(str(api.get("users.info", "user=UNOPE").at("error")) == "user_not_found");
    require_no_hook_failures(s);
}

TEST_CASE("rate limits answer 429 with Retry-After — injected errors and delays", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    web_api api(s);
    const auto ops = s.create_channel("ops", {bot});
    const std::string body = json::serialize(json::object{{"channel", ops}, {"text", "hi"}});

    s.rate_limit("chat.postMessage", 2, 7);
    for (int i = 0; i < 2; ++i) {
        auto limited = api.raw(http::verb::post, "/api/chat.postMessage", body, "application/json; charset=utf-8");
        CHECK(limited.status == 429);
        CHECK(limited.retry_after == "7");
        CHECK(str(limited.json().at("error")) == "ratelimited");
    }
    CHECK(api.call("chat.postMessage", {{"channel", ops}, {"text", "hi"}}).at("ok").as_bool());
    CHECK(s.messages(ops).size() == 1);  // the limited calls did nothing
    auto log = s.calls();
    REQUIRE(log.size() == 3);
    CHECK(log[0].status == 429);
    CHECK(log[0].error == "ratelimited");
    CHECK(log[2].status == 200);

    s.fail("conversations.create", 1, "restricted_action");
    CHECK(str(api.call("conversations.create", {{"name", "inc-9"}}).at("error")) == "restricted_action");
    CHECK_FALSE(s.channel_named("inc-9"));
    CHECK(api.call("conversations.create", {{"name", "inc-9"}}).at("ok").as_bool());

    s.delay("auth.test", 300ms);
    auto start = steady::now();
    CHECK(api.call("auth.test").at("ok").as_bool());
    CHECK(steady::now() - start >= 280ms);
    s.delay("auth.test", 0ms);
    start = steady::now();
    CHECK(api.call("auth.test").at("ok").as_bool());
    CHECK(steady::now() - start < 250ms);
    require_no_hook_failures(s);
}

TEST_CASE("a file upload goes from the upload URL to a message in the channel", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    web_api api(s);
    const auto ops = s.create_channel("ops", {bot, "U1"});
    const std::string bytes = "# Postmortem\n\nroot cause: a full disk\n";

    auto url = api.form("files.getUploadURLExternal", "filename=pm.md&length=" + std::to_string(bytes.size()));
    REQUIRE(url.at("ok").as_bool());
    const auto file_id = str(url.at("file_id"));
    const auto upload_url = str(url.at("upload_url"));
    const std::string origin = "http://127.0.0.1:" + std::to_string(s.port());
    REQUIRE(upload_url == origin + "/upload/" + file_id);

    // Too early: nothing uploaded yet.
    const json::object files_arg{{"files", json::array{json::object{{"id", file_id}, {"title", "Postmortem"}}}},
                                 {"channel_id", ops},
                                 {"initial_comment", "postmortem attached"}};
    CHECK(str(api.call("files.completeUploadExternal", files_arg).at("error")) == "file_not_found");

    http_conn upload(s.port());
    auto up = upload.request(http::verb::post, upload_url.substr(origin.size()), bytes, "text/markdown", "");
    CHECK(up.status == 200);
    CHECK(up.body == "OK - " + std::to_string(bytes.size()));
    CHECK(s.files().empty());  // not complete yet

    auto done = api.call("files.completeUploadExternal", files_arg);
    REQUIRE(done.at("ok").as_bool());
    CHECK(str(done.at("files").at(0).at("id")) == file_id);
    CHECK(str(done.at("files").at(0).at("title")) == "Postmortem");
    CHECK(s.files() == std::map<std::string, std::string>{{file_id, bytes}});
    const auto last = s.messages(ops).back();
    CHECK(last.files == std::vector<std::string>{file_id});
    CHECK(last.text == "postmortem attached");
    CHECK(last.user == bot);

    CHECK(str(api.call("files.completeUploadExternal",
                       {{"files", json::array{json::object{{"id", "F404"}}}}, {"channel_id", ops}})
                  .at("error")) == "file_not_found");
    require_no_hook_failures(s);
}

TEST_CASE("a slash command's trigger opens one view, and its response_url answers in the channel", "[fakes]") {
    fake_slack s;
    check_calls_against_spec(s);
    web_api api(s);
    const auto ops = s.create_channel("ops", {bot, "U1"});
    auto c = connect(s);

    s.push_slash_command(ops, "U1", "");
    auto cmd = c->next();
    c->ack(str(cmd.at("envelope_id")));
    const auto trigger = str(cmd.at("payload").at("trigger_id"));
    const json::object view{{"type", "modal"},
                            {"callback_id", "declare"},
                            {"title", json::object{{"type", "plain_text"}, {"text", "Declare"}}},
                            {"blocks", json::array{}}};
    auto opened = api.call("views.open", {{"trigger_id", trigger}, {"view", view}});
    REQUIRE(opened.at("ok").as_bool());
    CHECK(str(opened.at("view").at("id")).rfind("V", 0) == 0);
    CHECK(str(opened.at("view").at("callback_id")) == "declare");
    CHECK(s.views().size() == 1);
    CHECK(str(api.call("views.open", {{"trigger_id", trigger}, {"view", view}}).at("error")) == "exchanged_trigger_id");
    CHECK(str(api.call("views.open", {{"trigger_id", "9.9.nope"}, {"view", view}}).at("error")) ==
          "invalid_trigger_id");

    const auto response_url = str(cmd.at("payload").at("response_url"));
    const std::string origin = "http://127.0.0.1:" + std::to_string(s.port());
    http_conn hook(s.port());
    const std::string path = response_url.substr(origin.size());
    CHECK(hook.request(http::verb::post, path, R"({"text":"only you"})", "application/json", "").status == 200);
    CHECK(hook.request(http::verb::post, path, R"({"text":"everyone","response_type":"in_channel"})",
                       "application/json", "")
              .status == 200);
    const auto msgs = s.messages(ops);
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].ephemeral);
    CHECK(msgs[0].ephemeral_user == "U1");
    CHECK_FALSE(msgs[1].ephemeral);
    CHECK(msgs[1].text == "everyone");
    require_no_hook_failures(s);
}

TEST_CASE("over TLS, HTTPS and WSS verify against the test CA and fail without it", "[fakes]") {
    fake_slack_options o;
    o.tls = true;
    fake_slack s(o);
    check_calls_against_spec(s);
    CHECK(s.api_base_url() == "https://localhost:" + std::to_string(s.port()) + "/api");
    const auto ca_file = firebreak::testing::write_temp_file("fake-slack-ca", s.ca_pem());
    const auto ops = s.create_channel("ops", {bot, "U1"});

    web_api api(s, bot_token, true, ca_file);
    CHECK(api.call("auth.test").at("ok").as_bool());
    CHECK_THROWS_AS(web_api(s, bot_token, true, ""), boost::system::system_error);

    const auto url = socket_url(s, true, ca_file);
    CHECK(url.rfind("wss://127.0.0.1:" + std::to_string(s.port()) + "/link/?ticket=", 0) == 0);
    CHECK_THROWS_AS(ws_client(url, ""), boost::system::system_error);  // no trust, no handshake
    ws_client c(url, ca_file);                                         // the ticket was not spent by the failure
    CHECK(str(c.next().at("type")) == "hello");
    s.push_message(ops, "U1", "secure");
    auto env = c.next();
    CHECK(str(env.at("payload").at("event").at("text")) == "secure");
    c.ack(str(env.at("envelope_id")));
    CHECK(eventually([&] { return s.unacked().empty(); }));
    require_no_hook_failures(s);
}

TEST_CASE("the destructor returns promptly with open WebSockets and a slow call in flight", "[fakes]") {
    auto s = std::make_unique<fake_slack>();
    auto a = connect(*s);
    auto b = connect(*s);
    CHECK(s->open_connections() == 2);
    s->delay("auth.test", 10s);
    std::atomic<bool> call_failed{false};
    std::thread slow([&, port = s->port()] {
        try {
            http_conn conn(port);
            conn.request(http::verb::post, "/api/auth.test", "{}", "application/json; charset=utf-8",
                         "Bearer " + bot_token);
        } catch (const std::exception&) {
            call_failed = true;
        }
    });
    moment().wait(50ms);  // let it reach the fake, where the delay holds its answer

    const auto start = steady::now();
    s.reset();
    CHECK(steady::now() - start < 1s);
    slow.join();
    CHECK(call_failed);
    CHECK_FALSE(a->read(2s));
    CHECK_FALSE(b->read(2s));
}
