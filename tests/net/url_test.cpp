// The URL helpers of the network layer, built on Boost.URL: what a base URL parses to (the
// adapters' API and Socket Mode addresses), and the exact bytes of percent- and form encoding
// the fake servers and the API conformance checks read.
#include "adapters/net/http_client.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using firebreak::net::form_encode;
using firebreak::net::url;
using firebreak::net::url_encode;

namespace {

// "scheme|host|port|path", or "none": one string so a failure shows every part.
std::string parts(const std::string& text) {
    auto u = url::parse(text);
    return u ? u->scheme + "|" + u->host + "|" + u->port + "|" + u->path : "none";
}

}  // namespace

TEST_CASE("url::parse fills in the scheme's default port", "[net][url]") {
    CHECK(parts("http://example.org") == "http|example.org|80|");
    CHECK(parts("https://example.org") == "https|example.org|443|");
    CHECK(parts("ws://example.org") == "ws|example.org|80|");
    CHECK(parts("wss://example.org") == "wss|example.org|443|");
    CHECK(parts("https://example.org:") == "https|example.org|443|");
    CHECK(url::parse("https://example.org")->tls());
    CHECK(url::parse("wss://example.org")->tls());
    CHECK_FALSE(url::parse("http://example.org")->tls());
    CHECK_FALSE(url::parse("ws://example.org")->tls());
}

TEST_CASE("url::parse keeps an explicit port, the base path and its query", "[net][url]") {
    CHECK(parts("http://127.0.0.1:8080/api") == "http|127.0.0.1|8080|/api");
    CHECK(parts("https://slack.com/api/") == "https|slack.com|443|/api");
    CHECK(parts("https://matrix.example.org:8448/") == "https|matrix.example.org|8448|");
    CHECK(parts("https://host//") == "https|host|443|");
    CHECK(parts("HTTPS://Host.Example/Base/") == "https|Host.Example|443|/Base");
    // Socket Mode's address: the query is part of the WebSocket target.
    CHECK(parts("wss://wss-primary.slack.com/link/?ticket=1a2b&app_id=A1") ==
          "wss|wss-primary.slack.com|443|/link/?ticket=1a2b&app_id=A1");
    CHECK(parts("ws://127.0.0.1:5000/link/?ticket=3") == "ws|127.0.0.1|5000|/link/?ticket=3");
    // Escapes stay as written: the path is sent as it is.
    CHECK(parts("https://host/a%20b/%40c") == "https|host|443|/a%20b/%40c");
    CHECK(parts("https://host:65535/x/y/?z") == "https|host|65535|/x/y/?z");
}

TEST_CASE("url::parse takes an IPv6 literal without its brackets", "[net][url]") {
    CHECK(parts("https://[::1]:8448/_matrix") == "https|::1|8448|/_matrix");
    CHECK(parts("http://[::1]") == "http|::1|80|");
}

TEST_CASE("url::parse refuses what is not an http(s) or ws(s) address", "[net][url]") {
    for (const char* bad : {"", "example.org", "ftp://example.org", "mailto:a@example.org", "https:example.org",
                            "https:/example.org", "https://", "https:///path", "https://:443/", "https://user@host/",
                            "https://user:pw@host/", "https://host:abc", "https://host:123456", "https://host:80:90",
                            "https://host/a b", "https://host/%zz", "https://host ", " https://host", "http://::1:8080",
                            "https://[::1", "https://[::1]x", "https://host?x=1", "https://host#frag"}) {
        INFO(bad);
        CHECK_FALSE(url::parse(bad));
    }
}

TEST_CASE("url_encode keeps RFC 3986 unreserved characters and escapes the rest in upper case", "[net][url]") {
    CHECK(url_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(url_encode("a b+c&d=e/f?g#h%i") == "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25i");
    CHECK(url_encode("@firebreak:example.org") == "%40firebreak%3Aexample.org");
    CHECK(url_encode("!room:example.org") == "%21room%3Aexample.org");
    CHECK(url_encode("h\xC3\xA9") == "h%C3%A9");
    CHECK(url_encode(std::string_view("\0\xFF", 2)) == "%00%FF");
    CHECK(url_encode("") == "");
}

TEST_CASE("form_encode joins escaped pairs in order, a space as %20", "[net][url]") {
    using fields = std::vector<std::pair<std::string, std::string>>;
    CHECK(form_encode(fields{}) == "");
    CHECK(form_encode(fields{{"channel", "C123"}}) == "channel=C123");
    CHECK(form_encode(fields{{"text", "a b"}, {"channel", "C1"}}) == "text=a%20b&channel=C1");
    // The data's own '&', '=', '+' and '#' never read as form syntax.
    CHECK(form_encode(fields{{"a&b", "c=d"}, {"e", "1+1#2"}}) == "a%26b=c%3Dd&e=1%2B1%232");
    CHECK(form_encode(fields{{"text", "caf\xC3\xA9 \xE2\x9C\x93"}}) == "text=caf%C3%A9%20%E2%9C%93");
    CHECK(form_encode(fields{{"blocks", R"([{"type":"section","text":"x"}])"}}) ==
          "blocks=%5B%7B%22type%22%3A%22section%22%2C%22text%22%3A%22x%22%7D%5D");
    CHECK(form_encode(fields{{"empty", ""}, {"", "v"}}) == "empty=&=v");
    CHECK(form_encode(fields{{"k", "1"}, {"k", "2"}}) == "k=1&k=2");
}
