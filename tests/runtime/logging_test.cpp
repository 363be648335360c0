// Log lines never carry a secret, in text or JSON, whatever message it hides in.
#include "bot/runtime/logging.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>
#include <sstream>

using namespace firebreak;

TEST_CASE("known secrets and token-shaped strings are redacted", "[runtime][logging]") {
    redactor r({"syt_configuredMatrixToken", "xoxb-1-configured"});
    struct row { std::string in, out; };
    auto c = GENERATE(row{"token syt_configuredMatrixToken refused", "token [redacted] refused"},
                      row{"POST /api/chat.postMessage Authorization: Bearer xoxb-99-abc.def failed",
                          "POST /api/chat.postMessage Authorization: Bearer [redacted] failed"},
                      row{"app token xapp-1-A02-3456-abcdef in a message", "app token [redacted] in a message"},
                      row{"GET /_matrix/client/v3/sync?access_token=abc123&since=s1",
                          "GET /_matrix/client/v3/sync?access_token=[redacted]&since=s1"},
                      row{"xoxb-1-configured-and-more", "[redacted]-and-more"},
                      row{"nothing secret here: xoxb- alone", "nothing secret here: xoxb- alone"});
    CHECK(r(c.in) == c.out);
}

TEST_CASE("a captured log shows no token, as text or as JSON lines", "[runtime][logging]") {
    const std::string token = "xoxb-5555-6666-CAPTUREDTOKEN";
    for (auto format : {log_format::text, log_format::json}) {
        std::ostringstream out;
        auto log = make_logger(out, format, redactor({token}));
        log->set_level(spdlog::level::debug);
        log->info("connecting with {}", token);
        log->error("chat.postMessage failed: request {{\"token\":\"{}\",\"channel\":\"C1\"}} -> invalid_auth", token);
        log->debug("event ev1 (message) handled: 1 entries, 0 outbound");
        log->flush();
        auto text = out.str();
        INFO(text);
        CHECK(text.find("CAPTUREDTOKEN") == std::string::npos);
        CHECK(text.find("[redacted]") != std::string::npos);
        std::istringstream lines(text);
        std::string line;
        int n = 0;
        while (std::getline(lines, line)) {
            ++n;
            if (format == log_format::json) {
                auto v = boost::json::parse(line).as_object();
                CHECK(v.contains("ts"));
                CHECK(v.contains("level"));
                CHECK(v.at("msg").as_string().size() > 0);
            } else {
                CHECK(line.find("Z ") == 23);  // 2026-11-22T09:00:00.000Z level msg
            }
        }
        CHECK(n == 3);
    }
}
