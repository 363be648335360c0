#pragma once
// What the tests that run `firebreak run` as a child process share: waiting on what the
// child moves, and the config that points it at a fake homeserver.
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace firebreak::testing {

/// Polls a condition a child process moves (it runs on its own clock, not the test's).
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::milliseconds{15000}) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return true;
}

/// An instant to time a signal from: `wait(d)` returns d after the moment was taken.
class moment {
public:
    moment() : at_(std::chrono::steady_clock::now()) {}
    /// Sleeps until `after` has passed since the moment.
    void wait(std::chrono::milliseconds after) const { std::this_thread::sleep_until(at_ + after); }

private:
    std::chrono::steady_clock::time_point at_;
};

/// Writes a `firebreak run` config into `dir`: the store at `db`, the ops endpoint on a free
/// loopback port, debug logs, Matrix on `homeserver` as `bot` with the token taken from
/// the environment variable FB_TEST_MATRIX_TOKEN. Returns the config's path.
inline std::string write_run_config(const temp_dir& dir, const std::string& db, const std::string& homeserver,
                                    const std::string& bot) {
    auto cfg = dir.file("firebreak.toml");
    std::ofstream f(cfg);
    f << fmt::format(R"([storage]
path = "{}"
[ops]
listen = "127.0.0.1:0"
[log]
level = "debug"
[matrix]
enabled = true
homeserver = "{}"
user_id = "{}"
access_token_env = "FB_TEST_MATRIX_TOKEN"
)",
                     db, homeserver, bot);
    return cfg;
}

}  // namespace firebreak::testing
