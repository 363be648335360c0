// The [web] section: viewer tokens from the environment or files, the proxy sign-in, and
// every mistake named by its key without the secret.
#include "bot/runtime/config.hpp"
#include "bot/runtime/service.hpp"

#include <catch2/catch.hpp>

using namespace firebreak;

namespace {

const std::string viewer_secret = "web-SECRET-viewer-token-42";

env_lookup env() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (name == "FB_SLACK_BOT") return std::string("xoxb-1-SECRETBOT");
        if (name == "FB_SLACK_APP") return std::string("xapp-1-SECRETAPP");
        if (name == "FB_WEB") return viewer_secret;
        if (name == "FB_SHORT") return std::string("short");
        return std::nullopt;
    };
}

const std::string slack = R"(
[slack]
enabled = true
bot_token_env = "FB_SLACK_BOT"
app_token_env = "FB_SLACK_APP"
)";

std::string problems_of(const std::string& text) {
    try {
        parse_config(slack + text, "test.toml", env());
    } catch (const config_error& e) {
        return e.what();
    }
    return {};
}

}  // namespace

TEST_CASE("a [web] section is read whole and its tokens are redacted", "[runtime][config][web]") {
    auto c = parse_config(slack + R"(
[incidents]
admins = ["@root:example.org"]
[web]
enabled = true
listen = "0.0.0.0:9110"
secure_cookie = true
session_ttl = "8h"
trusted_header = "X-Forwarded-User"
trusted_proxies = ["10.0.0.5"]
[web.viewers.managers]
token_env = "FB_WEB"
people = ["@lee:example.org", "U0KIM"]
proxy_users = ["lee@example.com"]
)",
                          "test.toml", env());
    REQUIRE(c.web.enabled);
    CHECK(c.web.listen == "0.0.0.0:9110");
    CHECK(c.web.session_ttl == std::chrono::hours{8});
    REQUIRE(c.web.viewers.size() == 1);
    const auto& v = c.web.viewers[0];
    CHECK(v.name == "managers");
    CHECK(v.token.value == viewer_secret);
    CHECK(v.people == std::set<std::string>{"lee:example.org", "U0KIM"});
    auto secrets = c.secrets();
    CHECK(std::find(secrets.begin(), secrets.end(), viewer_secret) != secrets.end());
    auto o = web_options_of(c);
    CHECK(o.access.secure_cookie);
    CHECK(o.access.trusted_proxies == std::set<std::string>{"10.0.0.5"});
    CHECK(o.access.admins.count("root:example.org") == 1);
    CHECK(o.access.viewers.at(0).token == viewer_secret);
    CHECK(o.database == c.database);
    CHECK_FALSE(parse_config(slack, "test.toml", env()).web.enabled);
}

TEST_CASE("[web] mistakes name the key and never the secret", "[runtime][config][web]") {
    auto nobody = problems_of("[web]\nenabled = true\n");
    CHECK(nobody.find("web.viewers: missing") != std::string::npos);
    auto unproxied = problems_of("[web]\ntrusted_header = \"X-User\"\n[web.viewers.a]\ntoken_env = \"FB_WEB\"\n");
    CHECK(unproxied.find("web.trusted_proxies: missing") != std::string::npos);
    auto short_token = problems_of("[web]\nenabled = true\n[web.viewers.a]\ntoken_env = \"FB_SHORT\"\n");
    CHECK(short_token.find("web.viewers.a.token") != std::string::npos);
    CHECK(short_token.find("short\"") == std::string::npos);
    auto unset = problems_of("[web]\nenabled = true\n[web.viewers.a]\ntoken_env = \"FB_NOT_SET\"\n");
    CHECK(unset.find("web.viewers.a.token_env") != std::string::npos);
    auto typo = problems_of("[web]\nenabeld = true\nlisten = \"nowhere\"\n[web.viewers.a]\ntoken_env = \"FB_WEB\"\ncolour = 1\n");
    CHECK(typo.find("web.enabeld") != std::string::npos);
    CHECK(typo.find("web.listen") != std::string::npos);
    CHECK(typo.find("web.viewers.a.colour") != std::string::npos);
    CHECK(typo.find(viewer_secret) == std::string::npos);
}
