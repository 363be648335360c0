// `firebreak run` as an operator runs it: the binary as a child process with a config
// file and a token in its environment, talking to a fake homeserver on 127.0.0.1.
// SIGTERM in the middle of a burst exits 0 and loses nothing; a second instance on the
// same database is refused; /readyz and /metrics answer; no log line holds the token.
#include "bot/runtime/service.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/fake_homeserver.hpp"
#include "tests/support/process.hpp"
#include "tests/support/process_rig.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <tuple>
#include <thread>

using namespace firebreak;
using namespace firebreak::testing;
namespace asio = boost::asio;

namespace {

const std::string token = "syt_ZmlyZWJyZWFr_testtokenvalue_1a2b3c";
const std::string alice = "@alice:example.org";
const std::string bot = "@firebreak:example.org";


std::string http_get(unsigned short port, const std::string& path) {
    return firebreak::testing::raw_http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

// The bound ops port, from the start-up log line.
unsigned short ops_port(const child_process& p) {
    static const std::string mark = "ops endpoint http://127.0.0.1:";
    auto out = p.output();
    auto at = out.find(mark);
    if (at == std::string::npos) return 0;
    return static_cast<unsigned short>(std::stoi(out.substr(at + mark.size())));
}

// A counter's value in a /metrics body, or -1.
long metric(const std::string& body, const std::string& series) {
    auto at = body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stol(body.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("firebreak run: SIGTERM mid-burst exits 0, a restart finishes the burst, nothing lost or doubled",
          "[matrix][process]") {
    fake_homeserver_options o;
    o.access_token = token;
    fake_homeserver hs(o);
    auto lobby = hs.create_room(alice, "Lobby");
    hs.invite_bot(lobby, alice);
    temp_dir dir;
    auto db = dir.file("firebreak.sqlite");
    auto cfg = write_run_config(dir, db, hs.base_url(), bot);
    std::vector<std::string> argv{FIREBREAK_BINARY, "run", "--config", cfg};
    std::vector<std::pair<std::string, std::string>> env{{"FB_TEST_MATRIX_TOKEN", token}};

    auto first = std::make_unique<child_process>(argv, env, dir.file("run1.log"));
    if (!eventually([&] {
            auto m = hs.members(lobby);
            return std::find(m.begin(), m.end(), bot) != m.end();
        }))
        FAIL("the bot never joined; it said:\n" << first->output());
    hs.say(lobby, alice, "!incident declare Disk full on db-3 --sev 2");
    REQUIRE(eventually([&] { return hs.rooms().size() == 2; }));
    auto room = hs.rooms().back();
    hs.join(room, alice);

    auto port = ops_port(*first);
    REQUIRE(port != 0);
    CHECK(http_get(port, "/healthz").rfind("HTTP/1.1 200", 0) == 0);
    REQUIRE(eventually([&] { return http_get(port, "/readyz").rfind("HTTP/1.1 200", 0) == 0; }));

    // A second instance on the same database is turned away at once, clearly.
    {
        child_process second(argv, env, dir.file("second.log"));
        auto code = second.wait_exit(std::chrono::milliseconds{15000});
        REQUIRE(code);
        CHECK(*code == 1);
        CHECK(second.output().find("in use by another firebreak process") != std::string::npos);
    }

    constexpr int burst = 2000;
    for (int i = 0; i < burst; ++i) hs.say(room, alice, "load " + std::to_string(i));
    REQUIRE(eventually([&] {
        return metric(http_get(port, "/metrics"), "firebreak_events_received_total{type=\"message\"}") > 40;
    }));
    first->signal(SIGTERM);
    auto code = first->wait_exit(std::chrono::milliseconds{20000});
    REQUIRE(code);
    CHECK(*code == 0);
    auto log1 = first->output();
    CHECK(log1.find("SIGTERM received") != std::string::npos);
    CHECK(log1.find(token) == std::string::npos);
    // The stop really came mid-burst: part of it is committed, part is not.
    {
        sqlite_store store(db);
        std::size_t committed = 0;
        for (const auto& e : store.timeline(incident_id{1})) committed += e.text.rfind("load ", 0) == 0;
        INFO("committed before SIGTERM: " << committed);
        CHECK(committed > 0);
        CHECK(committed < std::size_t(burst));
    }

    // The restart resumes from the committed cursor and finishes the burst.
    child_process again(argv, env, dir.file("run2.log"));
    // A command after the burst: its answer means every message before it was handled.
    hs.say(room, alice, "!incident hypothesis sentinel");
    REQUIRE(eventually([&] {
        for (const auto& e : hs.timeline(room))
            if (e.at("sender") == bot.c_str() && e.at("content").as_object().contains("body") &&
                std::string(e.at("content").at("body").as_string()).find("sentinel") != std::string::npos)
                return true;
        return false;
    }, std::chrono::milliseconds{30000}));
    again.signal(SIGTERM);
    auto code2 = again.wait_exit(std::chrono::milliseconds{20000});
    REQUIRE(code2);
    CHECK(*code2 == 0);
    CHECK(again.output().find(token) == std::string::npos);

    sqlite_store store(db);
    std::map<std::string, int> seen;
    for (const auto& e : store.timeline(incident_id{1}))
        if (e.text.rfind("load ", 0) == 0) ++seen[e.text];
    CHECK(seen.size() == std::size_t(burst));
    for (const auto& [text, n] : seen) {
        INFO(text);
        CHECK(n == 1);
    }
}

TEST_CASE("firebreak run refuses a bad config before connecting anything", "[matrix][process]") {
    temp_dir dir;
    auto cfg = dir.file("bad.toml");
    {
        std::ofstream f(cfg);
        f << "[matrix]\nenabled = true\nhomeserver = \"ftp://nope\"\naccess_token_env = \"FB_TEST_UNSET_VARIABLE\"\n";
    }
    child_process p({FIREBREAK_BINARY, "run", "--config", cfg}, {}, dir.file("bad.log"));
    auto code = p.wait_exit(std::chrono::milliseconds{10000});
    REQUIRE(code);
    CHECK(*code == 2);
    CHECK(p.output().find("matrix.homeserver") != std::string::npos);
    CHECK(p.output().find("FB_TEST_UNSET_VARIABLE") != std::string::npos);
}

TEST_CASE("check-config --online asks the homeserver whether it takes the token", "[matrix][config]") {
    fake_homeserver hs;
    temp_dir dir;
    auto write = [&](const std::string& user) {
        auto cfg = dir.file("online.toml");
        std::ofstream f(cfg);
        f << fmt::format("[matrix]\nenabled = true\nhomeserver = \"{}\"\nuser_id = \"{}\"\naccess_token_env = \"FB_TEST_TOKEN\"\n",
                         hs.base_url(), user);
        return cfg;
    };
    auto run = [&](const std::string& cfg, const std::string& tok) {
        std::ostringstream out, err;
        env_lookup env = [tok](const std::string& k) -> std::optional<std::string> {
            if (k == "FB_TEST_TOKEN") return tok;
            return std::nullopt;
        };
        int code = run_check_config(cfg, env, out, err, true);
        return std::tuple{code, out.str(), err.str()};
    };
    auto [ok, out, err] = run(write(bot), "fake-token-123");
    CHECK(ok == 0);
    CHECK(out.find("accepts the token (signed in as @firebreak:example.org)") != std::string::npos);
    auto [refused, out2, err2] = run(write(bot), "not-the-token");
    CHECK(refused == 3);
    CHECK(err2.find("M_UNKNOWN_TOKEN") != std::string::npos);
    CHECK(err2.find("not-the-token") == std::string::npos);
    auto [wrong_user, out3, err3] = run(write("@someone:example.org"), "fake-token-123");
    CHECK(wrong_user == 3);
    CHECK(err3.find("belongs to @firebreak:example.org") != std::string::npos);
}
