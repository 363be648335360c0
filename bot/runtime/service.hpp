#pragma once
// The production side of the binary: `check-config`, and `run`: the store, the engine,
// the configured platform adapters, the wake timer and the ops endpoint on one
// io_context thread. Each entry point returns the process exit code.
#include "bot/runtime/config.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/web_server.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak {

/// Validates a config file offline and prints what it would run, secrets shown only
/// by where they come from. 0 when usable, 2 otherwise (every problem on `err`). With
/// `online`, also asks each enabled platform whether it accepts the token: 3 when one
/// does not, or cannot be reached.
int run_check_config(const std::string& path, const env_lookup& env, std::ostream& out, std::ostream& err,
                     bool online = false);

/// Exit codes of `firebreak run`.
enum class exit_code : int { ok = 0, failure = 1, config = 2, platform = 3 };

/// How the web view of `c` is served ([web], the store's file, the admins).
web_options web_options_of(const firebreak_config& c);

/// Everything `firebreak run` runs, on one io_context (its thread is the engine's strand).
class service {
public:
    /// Opens the store (refusing a database another process holds), builds the engine and
    /// the enabled adapters (their backoffs on `delays`, steady timers when none). Throws
    /// store_error or std::runtime_error with a clear message.
    service(boost::asio::io_context& io, firebreak_config cfg, const clock& clk, delay_timers delays = {});
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    /// Starts the ops endpoint and connects every adapter.
    void start();
    /// Stops taking events, delivers what the outbox holds for at most `deadline`, closes
    /// every connection, then calls `done`. A second call only waits for the first.
    void shutdown(std::chrono::milliseconds deadline, std::function<void()> done);
    /// Called when the service cannot go on (a platform refused its token, the store
    /// failed); the runtime shuts down with exit_code().
    void on_fatal(std::function<void()> f) { on_fatal_ = std::move(f); }

    /// The engine.
    engine& eng();
    /// The port the ops endpoint listens on (0 when it does not).
    unsigned short ops_port() const;
    /// The port the alert receivers listen on (0 when alerts are off).
    unsigned short alerts_port() const;
    /// The web view's bound port; 0 when [web] is off.
    unsigned short web_port() const;
    /// Why the service is not ready; empty = ready.
    std::vector<std::string> not_ready() const;
    /// What the process should exit with.
    exit_code code() const { return code_; }
    /// The adapter of an enabled platform ("slack"), or null.
    chat_adapter* adapter(std::string_view platform);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::function<void()> on_fatal_;
    exit_code code_ = exit_code::ok;
    void fail(exit_code c);
};

/// `firebreak run --config F`: runs until SIGTERM or SIGINT (exit 0 after a graceful
/// shutdown), a fatal platform error (3) or a bad config (2).
int run_service(const std::string& config_path, const env_lookup& env, std::ostream& err);

}  // namespace firebreak
