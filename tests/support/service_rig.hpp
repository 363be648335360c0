#pragma once
// The real `firebreak run` service for platform tests: a store in a temp file, a manual
// clock, an io_context the test drives, and the ways to boot, crash and wait on it. The
// Matrix and Slack rigs derive from it and point the config at their fake server.
#include "bot/runtime/service.hpp"
#include "tests/support/io_wait.hpp"
#include "tests/support/stepped_delays.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace firebreak::testing {

struct service_rig {
    temp_dir dir;
    manual_clock clk{from_unix_ms(1767225600000)};
    boost::asio::io_context io;
    firebreak_config cfg;
    /// The adapters' backoff timers: stepped on every slice of until(), whatever they ask.
    stepped_delays delays;
    std::unique_ptr<service> svc;
    /// Whether the running service reported a fatal error.
    bool fatal_seen = false;

    service_rig() {
        cfg.database = dir.file("firebreak.sqlite");
        cfg.documents_dir = dir.file("documents");
        cfg.ops_listen = "127.0.0.1:0";
    }
    ~service_rig() { svc.reset(); }
    service_rig(const service_rig&) = delete;
    service_rig& operator=(const service_rig&) = delete;

    /// Builds and starts the service (again, after a crash or a stop).
    void boot() {
        svc.reset();
        io.restart();
        fatal_seen = false;
        svc = std::make_unique<service>(io, cfg, clk, delays.source());
        svc->on_fatal([this] { fatal_seen = true; });
        svc->start();
    }
    /// Drops the service as a crash would: nothing flushed, nothing acknowledged.
    void crash() { svc.reset(); }
    /// Builds and starts the service expecting it to give up: true once it reported a fatal
    /// error; then runs a little longer, so a retry storm would show in the fake's records.
    bool boot_until_fatal() {
        boot();
        bool gave_up = until([this] { return fatal_seen; });
        until([] { return false; }, std::chrono::milliseconds{200});
        return gave_up;
    }
    /// Runs until `done()` or ten seconds.
    bool until(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::milliseconds{10000}) {
        return delays.run_until(io, done, limit);
    }
    /// Runs until `done()`, checked after every handler, or ten seconds.
    bool until_each(const std::function<bool()>& done) {
        return run_io_until_each(io, [&] {
            delays.step();
            return done();
        });
    }
    /// The engine's view.
    engine& eng() { return svc->eng(); }
    /// The room of INC-n on `platform`, or "".
    std::string room_on(const std::string& platform, std::int64_t n) {
        auto* inc = eng().state().find(n);
        if (!inc) return {};
        auto r = inc->room_on(platform);
        return r ? r->id : std::string{};
    }
    /// Timeline texts of INC-n.
    std::vector<std::string> texts(std::int64_t n) {
        std::vector<std::string> out;
        for (auto& e : eng().store().timeline(incident_id{n})) out.push_back(e.text);
        return out;
    }
    /// Whether a timeline text of INC-n contains `needle`.
    bool has_text(std::int64_t n, const std::string& needle) {
        for (auto& t : texts(n))
            if (t.find(needle) != std::string::npos) return true;
        return false;
    }
};

}  // namespace firebreak::testing
