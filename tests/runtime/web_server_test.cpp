// The web view over real sockets, beside a real engine and store file: nobody signed out
// reads any incident data; a token becomes a session; a private incident is absent (not
// even its id) for a reader who would not see it in chat; every route refuses bad tokens,
// expired cookies, oversized, malformed and tricky requests; a live page hears of a commit.
#include "bot/runtime/web_server.hpp"
#include "tests/runtime/runtime_fixtures.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>

using namespace firebreak;
using namespace firebreak::testing;

namespace {

const std::string manager_token = "managers-token-5f1c2a9e07b34d68";
const std::string lee_token = "lee-token-0a9b8c7d6e5f40312233";
const std::string public_title = "Checkout errors for EU";
const std::string secret_title = "Payroll export leaks salaries";

// A clock both threads read (the engine's is a manual one of its own).
struct shared_clock final : clock {
    std::atomic<std::int64_t> ms{1'800'000'000'000};
    instant now() const override { return from_unix_ms(ms.load()); }
    void advance(duration d) { ms += d.count(); }
};

chat_event said(const std::string& id, const std::string& user, const std::string& room, const std::string& text,
                instant at) {
    auto ev = said_in_general(id, text, at);
    ev.user = user_ref{user};
    ev.room = room_ref{"console", room};
    return ev;
}

struct web_rig {
    temp_dir dir;
    console_rig bot{dir.file("fb.sqlite"), dir.path() / "files", from_unix_ms(1'800'000'000'000)};
    shared_clock clk;
    std::unique_ptr<web_server> web;
    int events = 0;

    explicit web_rig(std::set<std::string> trusted_proxies = {"127.0.0.2"}) {
        web_options o;
        o.listen = "127.0.0.1:0";
        o.database = dir.file("fb.sqlite");
        o.access.viewers.push_back(web::viewer_token{"managers", manager_token, {}, false, {}});
        o.access.viewers.push_back(web::viewer_token{"lee", lee_token, {"lee"}, false, {"lee@example.com"}});
        o.access.trusted_header = "X-Forwarded-User";
        o.access.trusted_proxies = std::move(trusted_proxies);
        say("maya", "general", "!incident declare " + public_title + " --sev 2");
        say("lee", "general", "!incident declare " + secret_title + " --private --sev 1");
        web = std::make_unique<web_server>(std::move(o), clk);
        bot.eng.set_on_commit([this](const change& c) { web->publish(c); });
        web->start(bot.eng.state());
    }
    void say(const std::string& user, const std::string& room, const std::string& text) {
        bot.clk.advance(std::chrono::seconds{30});
        bot.eng.handle(said("e" + std::to_string(++events), user, room, text, bot.clk.now()));
    }
    unsigned short port() const { return web->port(); }
    std::string get(const std::string& target, const std::string& extra = "") const {
        return raw_http_exchange(port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n");
    }
    std::string post(const std::string& target, const std::string& body, const std::string& extra = "") const {
        return raw_http_exchange(port(), "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                         "application/x-www-form-urlencoded\r\nContent-Length: " +
                                             std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
    }
    // The Cookie header a sign-in with `token` gives.
    std::string login(const std::string& token) const {
        auto r = post("/login", "token=" + token);
        REQUIRE(status_line(r) == "HTTP/1.1 303 See Other");
        auto p = r.find("Set-Cookie: ");
        REQUIRE(p != std::string::npos);
        auto value = r.substr(p + 12, r.find(';', p) - p - 12);
        return "Cookie: " + value + "\r\n";
    }
};

std::string body_of(const std::string& r) { return r.substr(r.find("\r\n\r\n") + 4); }

}  // namespace

TEST_CASE("signed out, every data route gives the sign-in page or 401 and no incident data", "[runtime][web]") {
    web_rig w;
    for (const auto* target : {"/", "/incidents/INC-1", "/incidents/INC-2", "/incidents/INC-1/postmortem.md",
                               "/?status=investigating", "/events", "/events?topic=INC-1", "/nothing-here"}) {
        auto r = w.get(target);
        INFO(target);
        CHECK(status_line(r) == "HTTP/1.1 401 Unauthorized");
        CHECK(r.find(public_title) == std::string::npos);
        CHECK(r.find(secret_title) == std::string::npos);
        CHECK(r.find("INC-") == std::string::npos);
    }
    CHECK(body_of(w.get("/")).find("Viewer token") != std::string::npos);
    CHECK(status_line(w.get("/assets/view.css")) == "HTTP/1.1 200 OK");
    CHECK(status_line(w.get("/assets/view.js")) == "HTTP/1.1 200 OK");
    CHECK(status_line(w.get("/login")) == "HTTP/1.1 200 OK");
}

TEST_CASE("a wrong token, a sign-in from another site and a made-up or expired cookie read nothing", "[runtime][web]") {
    web_rig w;
    auto wrong = w.post("/login", "token=managers-token-5f1c2a9e07b34d69");
    CHECK(status_line(wrong) == "HTTP/1.1 401 Unauthorized");
    CHECK(wrong.find("Set-Cookie") == std::string::npos);
    CHECK(body_of(wrong).find("That token is not valid.") != std::string::npos);
    CHECK(status_line(w.post("/login", "token=")) == "HTTP/1.1 401 Unauthorized");
    auto csrf = w.post("/login", "token=" + manager_token, "Origin: http://evil.example\r\n");
    CHECK(status_line(csrf) == "HTTP/1.1 403 Forbidden");
    CHECK(csrf.find("Set-Cookie") == std::string::npos);
    CHECK(status_line(w.get("/", "Cookie: firebreak_session=" + std::string(64, '0') + "\r\n")) ==
          "HTTP/1.1 401 Unauthorized");
    auto cookie = w.login(manager_token);
    CHECK(status_line(w.get("/", cookie)) == "HTTP/1.1 200 OK");
    w.clk.advance(std::chrono::hours{12});
    auto expired = w.get("/", cookie);
    CHECK(status_line(expired) == "HTTP/1.1 401 Unauthorized");
    CHECK(expired.find(public_title) == std::string::npos);
    // Signing out ends the session at once.
    auto again = w.login(manager_token);
    CHECK(status_line(w.post("/logout", "", again)) == "HTTP/1.1 303 See Other");
    CHECK(status_line(w.get("/", again)) == "HTTP/1.1 401 Unauthorized");
}

TEST_CASE("a private incident is absent for a reader who would not see it in chat, not even its id", "[runtime][web]") {
    web_rig w;
    auto manager = w.login(manager_token);
    auto list = w.get("/", manager);
    CHECK(status_line(list) == "HTTP/1.1 200 OK");
    CHECK(list.find(public_title) != std::string::npos);
    CHECK(list.find(secret_title) == std::string::npos);
    CHECK(list.find("INC-2") == std::string::npos);
    auto hidden = w.get("/incidents/INC-2", manager);
    auto missing = w.get("/incidents/INC-3", manager);
    CHECK(status_line(hidden) == "HTTP/1.1 404 Not Found");
    CHECK(body_of(hidden).find("There is no INC-2 you can see.") != std::string::npos);
    CHECK(body_of(missing).find("There is no INC-3 you can see.") != std::string::npos);
    CHECK(hidden.find(secret_title) == std::string::npos);
    CHECK(status_line(w.get("/events?topic=INC-2", manager)) == "HTTP/1.1 404 Not Found");
    // lee declared it: lee's token reads it.
    auto lee = w.login(lee_token);
    CHECK(w.get("/", lee).find(secret_title) != std::string::npos);
    auto page = w.get("/incidents/INC-2", lee);
    CHECK(status_line(page) == "HTTP/1.1 200 OK");
    CHECK(page.find(secret_title) != std::string::npos);
}

TEST_CASE("every answer carries the strict policy, and pages show the record", "[runtime][web]") {
    web_rig w;
    auto cookie = w.login(manager_token);
    w.say("maya", "inc-1-checkout-errors-for-eu", "!incident update impact: EU card payments fail; actions: rolling back; next: 30m");
    auto page = w.get("/incidents/INC-1", cookie);
    CHECK(status_line(page) == "HTTP/1.1 200 OK");
    CHECK(page.find("Content-Security-Policy: default-src 'none'; style-src 'self'; script-src 'self'") != std::string::npos);
    CHECK(page.find("X-Content-Type-Options: nosniff") != std::string::npos);
    CHECK(page.find("Cache-Control: no-store") != std::string::npos);
    CHECK(page.find("EU card payments fail") != std::string::npos);
    CHECK(page.find("<svg") != std::string::npos);
    // A stored draft is served as stored, with the policy its inline style needs.
    CHECK(status_line(w.get("/incidents/INC-1/postmortem.html", cookie)) == "HTTP/1.1 404 Not Found");
    w.bot.store.put_document(incident_id{1}, "html", "<html><body>draft of INC-1</body></html>", w.bot.clk.now());
    auto draft = w.get("/incidents/INC-1/postmortem.html", cookie);
    CHECK(status_line(draft) == "HTTP/1.1 200 OK");
    CHECK(draft.find("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'") != std::string::npos);
    CHECK(body_of(draft) == "<html><body>draft of INC-1</body></html>");
}

TEST_CASE("tricky paths, wrong methods, oversized and malformed requests are refused", "[runtime][web]") {
    web_rig w;
    auto cookie = w.login(manager_token);
    for (const auto* target : {"/incidents/INC-1%2f..", "/incidents/INC-1%2F..%2F..%2Fetc%2Fpasswd",
                               "/incidents/INC-99999999999999999999", "/incidents/INC-01", "/incidents/INC--1",
                               "/incidents/inc-1", "/incidents/INC-2/postmortem.md", "/incidents/INC-1/../INC-2",
                               "/incidents/INC-1/postmortem.exe", "/incidents/", "/../../etc/passwd"}) {
        INFO(target);
        auto r = w.get(target, cookie);
        CHECK(status_line(r) == "HTTP/1.1 404 Not Found");
        CHECK(r.find(secret_title) == std::string::npos);
    }
    CHECK(status_line(w.post("/", "x=1", cookie)) == "HTTP/1.1 405 Method Not Allowed");
    CHECK(status_line(w.get("/logout", cookie)) == "HTTP/1.1 405 Method Not Allowed");
    CHECK(status_line(w.post("/login", "token=" + std::string(10000, 'a'))) == "HTTP/1.1 413 Payload Too Large");
    CHECK(status_line(raw_http_exchange(w.port(), "NOT HTTP AT ALL\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
    CHECK(status_line(w.get("/", "X-Big: " + std::string(20000, 'b') + "\r\n")) == "HTTP/1.1 400 Bad Request");
    // The view still answers after all that.
    CHECK(status_line(w.get("/", cookie)) == "HTTP/1.1 200 OK");
}

TEST_CASE("a live page hears of a commit to what it shows, and never of a private incident it may not see",
          "[runtime][web]") {
    web_rig w;
    auto manager = w.login(manager_token);
    open_client list(w.port());
    list.send("GET /events?topic=list HTTP/1.1\r\nHost: x\r\n" + manager + "\r\n");
    REQUIRE(list.until([&] { return list.got.find("retry: 2000") != std::string::npos; }));
    CHECK(list.got.find("Content-Type: text/event-stream") != std::string::npos);
    REQUIRE(list.until([&] { return w.web->live_viewers() == 1; }));
    w.say("lee", "inc-2-payroll-export-leaks-salaries", "!incident status identified");
    w.say("maya", "inc-1-checkout-errors-for-eu", "!incident status identified");
    REQUIRE(list.until([&] { return list.got.find("data: INC-1") != std::string::npos; }));
    // INC-2's change was published before INC-1's: had it been sent, it would be here.
    CHECK(list.got.find("INC-2") == std::string::npos);
    // A page of its own incident hears of it; the list page of lee hears of INC-2.
    auto lee = w.login(lee_token);
    open_client lee_list(w.port());
    lee_list.send("GET /events HTTP/1.1\r\nHost: x\r\n" + lee + "\r\n");
    REQUIRE(lee_list.until([&] { return w.web->live_viewers() == 2; }));
    w.say("lee", "inc-2-payroll-export-leaks-salaries", "!incident sev 2 contained to one export");
    REQUIRE(lee_list.until([&] { return lee_list.got.find("data: INC-2") != std::string::npos; }));
    w.web->stop();
    REQUIRE(list.until([&] { return list.ended; }));
}

TEST_CASE("the proxy's header signs a reader in only from a trusted proxy", "[runtime][web]") {
    {
        web_rig w;  // trusts 127.0.0.2 only; this test connects from 127.0.0.1
        auto r = w.get("/incidents/INC-2", "X-Forwarded-User: lee@example.com\r\n");
        CHECK(status_line(r) == "HTTP/1.1 401 Unauthorized");
    }
    web_rig w({"127.0.0.1"});
    auto lee = w.get("/incidents/INC-2", "X-Forwarded-User: lee@example.com\r\n");
    CHECK(status_line(lee) == "HTTP/1.1 200 OK");
    CHECK(lee.find(secret_title) != std::string::npos);
    auto other = w.get("/", "X-Forwarded-User: kim@example.com\r\n");
    CHECK(status_line(other) == "HTTP/1.1 200 OK");
    CHECK(other.find(public_title) != std::string::npos);
    CHECK(other.find(secret_title) == std::string::npos);
}
