// Who may read the web view: a viewer token is exchanged for a session cookie that ends
// with its time or a sign-out; a proxy's header is believed only from the proxy; a private
// incident is readable only by those who would see it in chat.
#include "web/access.hpp"

#include <catch2/catch.hpp>

using namespace firebreak;
using namespace firebreak::web;

namespace {

const std::string manager_token = "m4nager-token-0123456789abcdef";
const std::string lee_token = "lee-token-0123456789abcdef0123";

access_settings settings() {
    access_settings s;
    s.viewers.push_back(viewer_token{"managers", manager_token, {}, false, {"boss@example.com"}});
    s.viewers.push_back(viewer_token{"lee", lee_token, {"lee"}, false, {"lee@example.com"}});
    s.trusted_header = "X-Forwarded-User";
    s.trusted_proxies = {"10.0.0.5"};
    s.session_ttl = std::chrono::hours{1};
    s.admins = {"root"};
    return s;
}

instant at(int minutes) { return from_unix_ms(1'800'000'000'000 + std::int64_t(minutes) * 60'000); }

std::string cookie_header(const std::string& set_cookie) { return set_cookie.substr(0, set_cookie.find(';')); }

incident private_incident() {
    incident inc;
    inc.id = incident_id{7};
    inc.is_private = true;
    inc.members = {user_ref{"lee"}};
    return inc;
}

}  // namespace

TEST_CASE("a right token gives a strict HttpOnly session cookie, a wrong one nothing", "[web][access]") {
    access_gate a(settings());
    CHECK_FALSE(a.login("", at(0)));
    CHECK_FALSE(a.login("m4nager-token-0123456789abcdeX", at(0)));
    CHECK_FALSE(a.login(manager_token.substr(0, 10), at(0)));
    auto c = a.login(manager_token, at(0));
    REQUIRE(c);
    CHECK(c->rfind("firebreak_session=", 0) == 0);
    CHECK(c->find("; HttpOnly") != std::string::npos);
    CHECK(c->find("; SameSite=Strict") != std::string::npos);
    CHECK(c->find("; Path=/") != std::string::npos);
    CHECK(c->find("Max-Age=3600") != std::string::npos);
    CHECK(c->find("Secure") == std::string::npos);
    auto r = a.who("127.0.0.1", "", cookie_header(*c), at(1));
    REQUIRE(r);
    CHECK(r->name == "managers");
    CHECK_FALSE(r->by_proxy);
    auto s = settings();
    s.secure_cookie = true;
    access_gate behind_tls(s);
    CHECK(behind_tls.login(lee_token, at(0))->find("; Secure") != std::string::npos);
}

TEST_CASE("a session ends when its time is up, on sign-out, and a made-up one is nobody", "[web][access]") {
    access_gate a(settings());
    auto c = cookie_header(*a.login(lee_token, at(0)));
    CHECK(a.who("127.0.0.1", "", "theme=dark; " + c, at(59)));
    CHECK_FALSE(a.who("127.0.0.1", "", c, at(60)));
    CHECK(a.sessions() == 0);
    auto d = cookie_header(*a.login(lee_token, at(0)));
    auto cleared = a.logout(d);
    CHECK(cleared.find("Max-Age=0") != std::string::npos);
    CHECK_FALSE(a.who("127.0.0.1", "", d, at(1)));
    CHECK_FALSE(a.who("127.0.0.1", "", "firebreak_session=" + std::string(64, 'a'), at(1)));
    CHECK_FALSE(a.who("127.0.0.1", "", "", at(1)));
}

TEST_CASE("the proxy's header is believed only from the proxy, and names a viewer's reach", "[web][access]") {
    access_gate a(settings());
    CHECK_FALSE(a.who("127.0.0.1", "lee@example.com", "", at(0)));
    auto lee = a.who("10.0.0.5", "lee@example.com", "", at(0));
    REQUIRE(lee);
    CHECK(lee->by_proxy);
    CHECK(lee->people == std::set<std::string>{"lee"});
    auto stranger = a.who("10.0.0.5", "someone@example.com", "", at(0));
    REQUIRE(stranger);
    CHECK(stranger->people.empty());
    auto inc = private_incident();
    CHECK(may_read(inc, *lee, {}));
    CHECK_FALSE(may_read(inc, *stranger, {}));
}

TEST_CASE("a private incident is read by its members, admins and every-incident viewers only", "[web][access]") {
    auto inc = private_incident();
    CHECK(may_read(inc, reader{"lee", {"lee"}, false, false}, {}));
    CHECK_FALSE(may_read(inc, reader{"managers", {}, false, false}, {}));
    CHECK_FALSE(may_read(inc, reader{"kim", {"kim"}, false, false}, {}));
    CHECK(may_read(inc, reader{"kim", {"kim"}, false, false}, {"kim"}));
    CHECK(may_read(inc, reader{"audit", {}, true, false}, {}));
    inc.is_private = false;
    CHECK(may_read(inc, reader{"managers", {}, false, false}, {}));
}

TEST_CASE("beyond the session limit the oldest session goes", "[web][access]") {
    auto s = settings();
    s.max_sessions = 2;
    access_gate a(s);
    auto first = cookie_header(*a.login(lee_token, at(0)));
    auto second = cookie_header(*a.login(lee_token, at(1)));
    auto third = cookie_header(*a.login(lee_token, at(2)));
    CHECK(a.sessions() == 2);
    CHECK_FALSE(a.who("127.0.0.1", "", first, at(3)));
    CHECK(a.who("127.0.0.1", "", second, at(3)));
    CHECK(a.who("127.0.0.1", "", third, at(3)));
}
