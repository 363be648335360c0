// The fake Matrix homeserver, driven over real sockets by a small synchronous Beast
// client, so adapter tests can rely on what it promises: auth, parked syncs, txnId
// de-duplication, alias collisions, injected faults, TLS, and a destructor that never hangs.
#include "tests/support/fake_homeserver.hpp"
#include "tests/support/process_rig.hpp"
#include "tests/support/test_tls.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using firebreak::testing::fake_homeserver;
using firebreak::testing::fake_homeserver_options;
using firebreak::testing::eventually;
using steady = std::chrono::steady_clock;

constexpr auto io_deadline = std::chrono::seconds{10};
const std::string alice = "@alice:example.org";
const std::string bob = "@bob:example.org";
const std::string bot = "@firebreak:example.org";
const std::string token = "fake-token-123";

// Percent-encodes everything but RFC 3986 unreserved characters, as clients do for ids.
std::string enc(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

struct http_result {
    int status = 0;
    std::string body;
    std::string retry_after;
    /// The body as a JSON object (empty when it is not one).
    json::object json() const {
        boost::system::error_code ec;
        auto v = json::parse(body, ec);
        return !ec && v.is_object() ? v.as_object() : json::object{};
    }
};

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string().c_str()) : ""; }

// A synchronous keep-alive HTTP/1.1 client over a plain or TLS stream; every operation has a
// deadline, and an I/O failure throws (the tests that expect one catch it).
template <class Stream>
class basic_client {
public:
    http_result request(http::verb verb, const std::string& target, const std::string& body = "",
                        const std::string& bearer = token, const std::string& content_type = "application/json") {
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "localhost");
        if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
        if (!body.empty() || verb == http::verb::post || verb == http::verb::put) {
            req.set(http::field::content_type, content_type);
            req.body() = body;
        }
        req.prepare_payload();
        lowest().expires_after(io_deadline);
        http::write(stream(), req);
        http::response_parser<http::string_body> parser;
        parser.body_limit(64u * 1024 * 1024);
        http::read(stream(), buffer_, parser);
        const auto& res = parser.get();
        return http_result{static_cast<int>(res.result_int()), res.body(), std::string(res["Retry-After"])};
    }
    http_result get(const std::string& target, const std::string& bearer = token) {
        return request(http::verb::get, target, "", bearer);
    }

protected:
    virtual ~basic_client() = default;
    virtual Stream& stream() = 0;
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream()); }
    asio::io_context ioc_;
    beast::flat_buffer buffer_;
};

class plain_client : public basic_client<beast::tcp_stream> {
public:
    explicit plain_client(unsigned short port) : stream_(ioc_) {
        stream_.expires_after(io_deadline);
        stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }

private:
    beast::tcp_stream& stream() override { return stream_; }
    beast::tcp_stream stream_;
};

// Connects over TLS, verifying the chain against `ca_file` and the certificate's name against
// `host`; throws boost::system::system_error when the handshake fails.
class tls_client : public basic_client<ssl::stream<beast::tcp_stream>> {
public:
    tls_client(unsigned short port, const std::string& ca_file, const std::string& host)
        : ctx_(make_context(ca_file, host)), stream_(ioc_, ctx_) {
        if (!SSL_set_tlsext_host_name(stream_.native_handle(), host.c_str()))
            throw std::runtime_error("cannot set SNI");
        auto& tcp_layer = beast::get_lowest_layer(stream_);
        tcp_layer.expires_after(io_deadline);
        tcp_layer.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        stream_.handshake(ssl::stream_base::client);
    }

private:
    static ssl::context make_context(const std::string& ca_file, const std::string& host) {
        ssl::context ctx(ssl::context::tls_client);
        ctx.load_verify_file(ca_file);
        ctx.set_verify_mode(ssl::verify_peer);
        ctx.set_verify_callback(ssl::host_name_verification(host));
        return ctx;
    }
    ssl::stream<beast::tcp_stream>& stream() override { return stream_; }
    ssl::context ctx_;
    ssl::stream<beast::tcp_stream> stream_;
};

// Waits (bounded) until the fake has `n` parked syncs; false if it never happens.
bool wait_for_parked(const fake_homeserver& hs, std::size_t n) {
    return eventually([&] { return hs.parked_syncs() == n; }, std::chrono::seconds{5});
}

std::string sync_target(const std::string& since, int timeout_ms) {
    return "/_matrix/client/v3/sync?since=" + enc(since) + "&timeout=" + std::to_string(timeout_ms);
}

const json::array& timeline_events(const json::object& sync, const std::string& room) {
    return sync.at("rooms").at("join").at(room).at("timeline").at("events").as_array();
}

// A room made by alice that the bot has joined through the API, and the position after it.
struct joined_room {
    std::string id;
    std::string since;
};

joined_room bot_in_new_room(fake_homeserver& hs, plain_client& c) {
    joined_room r;
    r.id = hs.create_room(alice, "ops");
    hs.invite_bot(r.id, alice);
    REQUIRE(c.request(http::verb::post, "/_matrix/client/v3/join/" + enc(r.id), "{}").status == 200);
    auto initial = c.get("/_matrix/client/v3/sync").json();
    r.since = str(initial.at("next_batch"));
    return r;
}

}  // namespace

TEST_CASE("whoami answers the bot with the token and 401 M_UNKNOWN_TOKEN without", "[fakes]") {
    fake_homeserver hs;
    REQUIRE(hs.base_url() == "http://127.0.0.1:" + std::to_string(hs.port()));
    plain_client c(hs.port());

    auto ok = c.get("/_matrix/client/v3/account/whoami");
    CHECK(ok.status == 200);
    CHECK(str(ok.json().at("user_id")) == bot);
    CHECK(str(ok.json().at("device_id")) == "FAKEDEV");

    auto none = c.get("/_matrix/client/v3/account/whoami", "");
    CHECK(none.status == 401);
    CHECK(str(none.json().at("errcode")) == "M_UNKNOWN_TOKEN");
    auto wrong = c.get("/_matrix/client/v3/account/whoami", "not-the-token");
    CHECK(wrong.status == 401);

    const auto log = hs.requests();
    REQUIRE(log.size() == 3);
    CHECK(log[0].status == 200);
    CHECK(log[0].authorization == "Bearer " + token);
    CHECK(log[1].status == 401);
    CHECK(log[1].authorization.empty());
}

TEST_CASE("a parked sync is woken by a new event well before its timeout", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    auto room = bot_in_new_room(hs, c);

    std::thread speaker([&] {
        if (wait_for_parked(hs, 1)) hs.say(room.id, alice, "db is on fire", "<b>db</b> is on fire");
    });
    const auto start = steady::now();
    auto res = c.get(sync_target(room.since, 10'000));
    const auto elapsed = steady::now() - start;
    speaker.join();

    REQUIRE(res.status == 200);
    CHECK(elapsed < std::chrono::seconds{5});
    auto sync = res.json();
    CHECK(str(sync.at("next_batch")) != room.since);
    const auto& events = timeline_events(sync, room.id);
    REQUIRE(events.size() == 1);
    const auto& ev = events[0].as_object();
    CHECK(str(ev.at("type")) == "m.room.message");
    CHECK(str(ev.at("sender")) == alice);
    CHECK(str(ev.at("content").at("body")) == "db is on fire");
    CHECK(str(ev.at("content").at("formatted_body")) == "<b>db</b> is on fire");
    CHECK(str(ev.at("event_id")).rfind("$e", 0) == 0);
    CHECK(ev.at("origin_server_ts").is_int64());
    CHECK_FALSE(ev.contains("room_id"));  // sync carries ClientEventWithoutRoomID
    CHECK(hs.parked_syncs() == 0);
}

TEST_CASE("a sync with nothing new and a short timeout returns an empty batch", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    auto room = bot_in_new_room(hs, c);

    const auto start = steady::now();
    auto res = c.get(sync_target(room.since, 150));
    const auto elapsed = steady::now() - start;

    REQUIRE(res.status == 200);
    CHECK(elapsed >= std::chrono::milliseconds{140});
    CHECK(elapsed < std::chrono::seconds{3});
    auto sync = res.json();
    CHECK(str(sync.at("next_batch")) == room.since);
    CHECK(sync.at("rooms").at("join").as_object().empty());
    CHECK(sync.at("rooms").at("invite").as_object().empty());
}

TEST_CASE("initial sync shows invites and joined rooms — the bot's sends come back in sync", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    const auto room = hs.create_room(alice, "ops");
    hs.invite_bot(room, alice);

    auto initial = c.get("/_matrix/client/v3/sync?timeout=0").json();
    const auto& invite = initial.at("rooms").at("invite").at(room).at("invite_state").at("events").as_array();
    bool saw_own_invite = false;
    for (const auto& e : invite)
        saw_own_invite |= str(e.at("type")) == "m.room.member" && str(e.at("state_key")) == bot;
    CHECK(saw_own_invite);

    REQUIRE(c.request(http::verb::post, "/_matrix/client/v3/join/" + enc(room), "").status == 200);
    CHECK(hs.members(room) == std::vector<std::string>{alice, bot});
    auto after_join = c.get(sync_target(str(initial.at("next_batch")), 0)).json();
    CHECK(timeline_events(after_join, room).size() == 1);  // the bot's own join

    auto sent = c.request(http::verb::put, "/_matrix/client/v3/rooms/" + enc(room) + "/send/m.room.message/t1",
                          R"({"msgtype":"m.text","body":"ack"})");
    REQUIRE(sent.status == 200);
    auto own = c.get(sync_target(str(after_join.at("next_batch")), 0)).json();
    const auto& events = timeline_events(own, room);
    REQUIRE(events.size() == 1);
    CHECK(str(events[0].at("sender")) == bot);
    CHECK(str(events[0].at("unsigned").at("transaction_id")) == "t1");

    // A fresh initial sync is capped at the last 20 events and says it was limited.
    for (int i = 0; i < 25; ++i) hs.say(room, alice, "line " + std::to_string(i));
    auto again = c.get("/_matrix/client/v3/sync").json();
    const auto& tl = again.at("rooms").at("join").at(room).at("timeline").as_object();
    CHECK(tl.at("events").as_array().size() == 20);
    CHECK(tl.at("limited").as_bool());
    CHECK_FALSE(again.at("rooms").at("join").at(room).at("state").at("events").as_array().empty());
}

TEST_CASE("a repeated txnId returns the same event id and appends nothing", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    auto room = bot_in_new_room(hs, c);
    const std::string send = "/_matrix/client/v3/rooms/" + enc(room.id) + "/send/m.room.message/";

    auto first = c.request(http::verb::put, send + "txn-1", R"({"msgtype":"m.text","body":"one"})");
    auto again = c.request(http::verb::put, send + "txn-1", R"({"msgtype":"m.text","body":"one"})");
    auto other = c.request(http::verb::put, send + "txn-2", R"({"msgtype":"m.text","body":"two"})");
    REQUIRE(first.status == 200);
    REQUIRE(again.status == 200);
    CHECK(str(first.json().at("event_id")) == str(again.json().at("event_id")));
    CHECK(str(other.json().at("event_id")) != str(first.json().at("event_id")));

    int messages = 0;
    for (const auto& e : hs.timeline(room.id)) messages += str(e.at("type")) == "m.room.message";
    CHECK(messages == 2);

    // Sending where the bot is not joined is forbidden.
    const auto elsewhere = hs.create_room(alice);
    auto denied = c.request(http::verb::put, "/_matrix/client/v3/rooms/" + enc(elsewhere) + "/send/m.room.message/x",
                            R"({"body":"x"})");
    CHECK(denied.status == 403);
    CHECK(str(denied.json().at("errcode")) == "M_FORBIDDEN");
}

TEST_CASE("createRoom sets up the room and a taken alias gives M_ROOM_IN_USE", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    const std::string body = R"({"name":"INC-42 checkout","topic":"sev1","room_alias_name":"inc-42",
        "invite":["@bob:example.org"],"preset":"private_chat",
        "power_level_content_override":{"users":{"@bob:example.org":50}}})";

    auto made = c.request(http::verb::post, "/_matrix/client/v3/createRoom", body);
    REQUIRE(made.status == 200);
    const auto room = str(made.json().at("room_id"));
    CHECK(room == "!c1:example.org");
    CHECK(hs.members(room) == std::vector<std::string>{bot});
    CHECK(hs.invited(room) == std::vector<std::string>{bob});
    CHECK(str(hs.state(room, "m.room.name")->at("name")) == "INC-42 checkout");
    CHECK(str(hs.state(room, "m.room.topic")->at("topic")) == "sev1");
    const auto pl = *hs.state(room, "m.room.power_levels");
    CHECK(pl.at("users").at(bot).as_int64() == 100);
    CHECK(pl.at("users").at(bob).as_int64() == 50);
    CHECK(str(hs.state(room, "m.room.member", bob)->at("membership")) == "invite");

    auto found = c.get("/_matrix/client/v3/directory/room/" + enc("#inc-42:example.org"));
    CHECK(found.status == 200);
    CHECK(str(found.json().at("room_id")) == room);

    auto taken = c.request(http::verb::post, "/_matrix/client/v3/createRoom", body);
    CHECK(taken.status == 400);
    CHECK(str(taken.json().at("errcode")) == "M_ROOM_IN_USE");
    CHECK(hs.rooms().size() == 1);

    auto missing = c.get("/_matrix/client/v3/directory/room/" + enc("#nope:example.org"));
    CHECK(missing.status == 404);
    CHECK(str(missing.json().at("errcode")) == "M_NOT_FOUND");
}

TEST_CASE("room endpoints: state, members, invite, profile, upload, redact, filter", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    auto room = bot_in_new_room(hs, c);
    const std::string base = "/_matrix/client/v3/rooms/" + enc(room.id);

    // The bot joined alice's room at level 0: state needs 50 (state_default), so the topic
    // is refused until alice raises it; so is raising itself or lowering alice.
    auto refused = c.request(http::verb::put, base + "/state/m.room.topic/", R"({"topic":"early"})");
    CHECK(refused.status == 403);
    CHECK(str(refused.json().at("errcode")) == "M_FORBIDDEN");
    hs.push_event(room.id, alice,
                  json::object{{"type", "m.room.power_levels"},
                               {"state_key", ""},
                               {"content", json::object{{"users", json::object{{alice, 100}, {bot, 60}}},
                                                        {"users_default", 0},
                                                        {"state_default", 50},
                                                        {"events", json::object{{"m.room.power_levels", 60}}}}}});
    auto pl_put = [&](std::int64_t alice_level, std::int64_t bot_level, std::int64_t carol_level) {
        json::object users{{alice, alice_level}, {bot, bot_level}, {"@carol:example.org", carol_level}};
        json::object pl{{"users", users}, {"users_default", 0}, {"state_default", 50},
                        {"events", json::object{{"m.room.power_levels", 60}}}};
        return c.request(http::verb::put, base + "/state/m.room.power_levels/", boost::json::serialize(pl)).status;
    };
    CHECK(pl_put(50, 60, 0) == 403);    // alice is above the bot
    CHECK(pl_put(100, 100, 0) == 403);  // nobody rises above their own level
    CHECK(pl_put(100, 60, 60) == 200);  // up to its own level is allowed
    CHECK(pl_put(100, 60, 0) == 403);   // but not lowering a peer
    CHECK(hs.state(room.id, "m.room.power_levels")->at("users").as_object().at("@carol:example.org") == 60);

    // State with an empty state key, with and without the trailing slash.
    auto topic = c.request(http::verb::put, base + "/state/m.room.topic/", R"({"topic":"investigating"})");
    CHECK(topic.status == 200);
    CHECK(str(hs.state(room.id, "m.room.topic")->at("topic")) == "investigating");
    CHECK(c.request(http::verb::put, base + "/state/m.room.topic", R"({"topic":"fixed"})").status == 200);
    CHECK(str(hs.state(room.id, "m.room.topic")->at("topic")) == "fixed");

    auto members = c.get(base + "/joined_members").json();
    CHECK(members.at("joined").as_object().contains(alice));
    CHECK(members.at("joined").as_object().contains(bot));

    auto already = c.request(http::verb::post, base + "/invite", R"({"user_id":"@alice:example.org"})");
    CHECK(already.status == 403);
    CHECK(str(already.json().at("errcode")) == "M_FORBIDDEN");
    CHECK(c.request(http::verb::post, base + "/invite", R"({"user_id":"@bob:example.org"})").status == 200);
    CHECK(hs.invited(room.id) == std::vector<std::string>{bob});

    hs.set_display_name(alice, "Alice");
    auto name = c.get("/_matrix/client/v3/profile/" + enc(alice) + "/displayname");
    CHECK(str(name.json().at("displayname")) == "Alice");
    CHECK(c.get("/_matrix/client/v3/profile/" + enc(bob) + "/displayname").status == 404);

    auto up = c.request(http::verb::post, "/_matrix/media/v3/upload?filename=pm.html", "<html></html>", token,
                        "text/html");
    const auto uri = str(up.json().at("content_uri"));
    CHECK(uri == "mxc://example.org/m1");
    CHECK(hs.media().at(uri) == std::pair<std::string, std::string>{"text/html", "<html></html>"});

    const auto said = hs.say(room.id, alice, "oops, secret");
    auto red = c.request(http::verb::put, base + "/redact/" + enc(said) + "/r1", R"({"reason":"secret"})");
    CHECK(red.status == 200);
    for (const auto& e : hs.timeline(room.id))
        if (str(e.at("event_id")) == said) CHECK(e.at("content").as_object().empty());

    auto filter = c.request(http::verb::post, "/_matrix/client/v3/user/" + enc(bot) + "/filter",
                            R"({"room":{"timeline":{"limit":50}}})");
    CHECK(str(filter.json().at("filter_id")) == "f1");
    CHECK(hs.filters().count("f1") == 1);
}

TEST_CASE("bad JSON gets M_NOT_JSON and unknown endpoints M_UNRECOGNIZED", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    auto room = bot_in_new_room(hs, c);

    auto bad = c.request(http::verb::put, "/_matrix/client/v3/rooms/" + enc(room.id) + "/send/m.room.message/b1",
                         "{not json");
    CHECK(bad.status == 400);
    CHECK(str(bad.json().at("errcode")) == "M_NOT_JSON");
    auto unknown = c.get("/_matrix/client/v3/nonsense");
    CHECK(unknown.status == 404);
    CHECK(str(unknown.json().at("errcode")) == "M_UNRECOGNIZED");
    auto bad_since = c.get("/_matrix/client/v3/sync?since=garbage");
    CHECK(bad_since.status == 400);
}

TEST_CASE("rate_limit answers 429 with Retry-After, then lets the request through", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    auto room = bot_in_new_room(hs, c);
    hs.rate_limit("PUT", "/send/", 1, 1500);
    const std::string target = "/_matrix/client/v3/rooms/" + enc(room.id) + "/send/m.room.message/rl-1";
    const auto before = hs.timeline(room.id).size();

    auto limited = c.request(http::verb::put, target, R"({"msgtype":"m.text","body":"hi"})");
    CHECK(limited.status == 429);
    CHECK(limited.retry_after == "2");
    CHECK(str(limited.json().at("errcode")) == "M_LIMIT_EXCEEDED");
    CHECK(limited.json().at("retry_after_ms").as_int64() == 1500);
    CHECK(hs.timeline(room.id).size() == before);  // refused, so not performed

    auto ok = c.request(http::verb::put, target, R"({"msgtype":"m.text","body":"hi"})");
    CHECK(ok.status == 200);
    CHECK(hs.timeline(room.id).size() == before + 1);
}

TEST_CASE("fail and drop_after_handling inject errors and lost answers", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    auto room = bot_in_new_room(hs, c);

    hs.fail("GET", "/whoami", 1, 500, R"({"errcode":"M_UNKNOWN","error":"boom"})");
    CHECK(c.get("/_matrix/client/v3/account/whoami").status == 500);
    CHECK(c.get("/_matrix/client/v3/account/whoami").status == 200);

    // The send is performed but its answer is lost; the retry with the same txnId, on a new
    // connection, learns the event id without a duplicate.
    hs.drop_after_handling("PUT", "/send/", 1);
    const std::string target = "/_matrix/client/v3/rooms/" + enc(room.id) + "/send/m.room.message/d1";
    CHECK_THROWS(c.request(http::verb::put, target, R"({"msgtype":"m.text","body":"once"})"));
    plain_client retry(hs.port());
    auto res = retry.request(http::verb::put, target, R"({"msgtype":"m.text","body":"once"})");
    REQUIRE(res.status == 200);
    int copies = 0;
    for (const auto& e : hs.timeline(room.id)) copies += str(e.at("type")) == "m.room.message";
    CHECK(copies == 1);
    const auto log = hs.requests();
    CHECK(log[log.size() - 2].dropped);
    CHECK(log.back().status == 200);

    hs.inject_raw_sync("{\"next_batch\": ");
    auto raw = retry.get(sync_target(room.since, 0));
    CHECK(raw.status == 200);
    CHECK(raw.body == "{\"next_batch\": ");
    CHECK(retry.get(sync_target(room.since, 0)).json().contains("next_batch"));
}

TEST_CASE("a sync batch carries at most 5000 events", "[fakes]") {
    fake_homeserver hs;
    plain_client c(hs.port());
    auto room = bot_in_new_room(hs, c);
    for (int i = 0; i < 5003; ++i) hs.say(room.id, alice, "spam");

    auto first = c.get(sync_target(room.since, 0)).json();
    CHECK(timeline_events(first, room.id).size() == 5000);
    auto second = c.get(sync_target(str(first.at("next_batch")), 0)).json();
    CHECK(timeline_events(second, room.id).size() == 3);
}

TEST_CASE("malformed HTTP and oversized bodies are refused without harming the server", "[fakes]") {
    fake_homeserver hs;
    auto raw_exchange = [&](const std::string& bytes) {
        asio::io_context ioc;
        beast::tcp_stream s(ioc);
        s.expires_after(io_deadline);
        s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), hs.port()));
        asio::write(s, asio::buffer(bytes));
        beast::flat_buffer buf;
        http::response<http::string_body> res;
        http::read(s, buf, res);
        return res.result_int();
    };
    CHECK(raw_exchange("THIS IS NOT HTTP\r\n\r\n") == 400);
    CHECK(raw_exchange("PUT /_matrix/media/v3/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n\r\n") == 413);

    plain_client c(hs.port());
    CHECK(c.get("/_matrix/client/v3/account/whoami").status == 200);
}

TEST_CASE("the request hook sees every answered request — its failures are collected", "[fakes]") {
    fake_homeserver hs;
    std::atomic<int> seen{0};
    hs.on_request([&](const firebreak::testing::recorded_request& r) {
        ++seen;
        if (r.status == 401) throw std::runtime_error("unauthenticated request");
    });
    plain_client c(hs.port());
    c.get("/_matrix/client/v3/account/whoami");
    c.get("/_matrix/client/v3/account/whoami", "");
    CHECK(seen == 2);
    REQUIRE(hs.hook_failures().size() == 1);
    CHECK(hs.hook_failures()[0].find("unauthenticated request") != std::string::npos);
}

TEST_CASE("the destructor returns promptly while a sync is parked", "[fakes]") {
    auto hs = std::make_unique<fake_homeserver>();
    plain_client c(hs->port());
    const auto since = str(c.get("/_matrix/client/v3/sync").json().at("next_batch"));

    std::atomic<bool> client_failed{false};
    std::thread parked([&] {
        try {
            c.get(sync_target(since, 30'000));
        } catch (const std::exception&) {
            client_failed = true;  // the fake closed the connection: what a client should see
        }
    });
    REQUIRE(wait_for_parked(*hs, 1));

    const auto start = steady::now();
    hs.reset();
    const auto elapsed = steady::now() - start;
    parked.join();
    CHECK(elapsed < std::chrono::seconds{2});
    CHECK(client_failed);
}

TEST_CASE("over TLS the fake's certificate verifies against ca_pem for localhost", "[fakes]") {
    fake_homeserver_options o;
    o.tls = true;
    fake_homeserver hs(o);
    CHECK(hs.base_url() == "https://localhost:" + std::to_string(hs.port()));
    const auto ca_file = firebreak::testing::write_temp_file("fake-ca.pem", hs.ca_pem());

    tls_client c(hs.port(), ca_file, "localhost");
    auto res = c.get("/_matrix/client/v3/account/whoami");
    CHECK(res.status == 200);
    CHECK(str(res.json().at("user_id")) == bot);
    auto again = c.get("/_matrix/client/v3/account/whoami");  // keep-alive over TLS
    CHECK(again.status == 200);
    std::filesystem::remove(ca_file);
}

TEST_CASE("TLS verification fails with a CA that is not the fake's, or the wrong host name", "[fakes]") {
    fake_homeserver_options o;
    o.tls = true;
    fake_homeserver hs(o);
    const auto stranger = firebreak::testing::make_test_pki();
    const auto wrong_ca = firebreak::testing::write_temp_file("stranger-ca.pem", stranger.ca_cert_pem);
    const auto right_ca = firebreak::testing::write_temp_file("fake-ca.pem", hs.ca_pem());

    CHECK_THROWS_AS(tls_client(hs.port(), wrong_ca, "localhost"), boost::system::system_error);
    CHECK_THROWS_AS(tls_client(hs.port(), right_ca, "example.com"), boost::system::system_error);
    // The failed handshakes did not disturb the server.
    tls_client ok(hs.port(), right_ca, "localhost");
    CHECK(ok.get("/_matrix/client/v3/account/whoami").status == 200);
    std::filesystem::remove(wrong_ca);
    std::filesystem::remove(right_ca);
}
