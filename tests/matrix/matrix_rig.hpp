#pragma once
// The Matrix tests' rig: a fake homeserver on 127.0.0.1 that checks every request and
// every event the bot sends against the v1.19 definitions, and the real `firebreak run`
// service (store in a temp file, engine, Matrix adapter, ops endpoint) on a manual clock.
#include "adapters/matrix/matrix_adapter.hpp"
#include "bot/runtime/service.hpp"
#include "tests/support/fake_homeserver.hpp"
#include "tests/support/io_wait.hpp"
#include "tests/support/spec_check.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_tls.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace firebreak::testing {

inline const std::string alice = "@alice:example.org";
inline const std::string bob = "@bob:example.org";
inline const std::string bot_id = "@firebreak:example.org";

/// Collects what the fake saw that the definitions do not allow.
class conformance {
public:
    /// Installs the checks on a fake homeserver.
    explicit conformance(fake_homeserver& hs) {
        hs.on_request([this](const recorded_request& r) { check(r); });
    }
    /// Every problem found so far.
    std::vector<std::string> problems() const {
        std::lock_guard<std::mutex> l(m_);
        return problems_;
    }
    /// Requests checked so far.
    std::size_t checked() const {
        std::lock_guard<std::mutex> l(m_);
        return checked_;
    }

private:
    void check(const recorded_request& r) {
        auto found = matrix_api::get().check_request(r.method, r.target, r.content_type, r.body);
        // The body of a send is an event's content: check it against that event's schema too.
        auto send = r.target.find("/send/");
        if (r.method == "PUT" && send != std::string::npos) {
            auto type_start = send + 6;
            auto type = r.target.substr(type_start, r.target.find('/', type_start) - type_start);
            boost::system::error_code ec;
            auto v = boost::json::parse(r.body, ec);
            if (ec) found.push_back("send body is not JSON");
            else
                for (auto& p : matrix_api::get().check_event_content(type, v)) found.push_back(type + ": " + p);
        }
        std::lock_guard<std::mutex> l(m_);
        ++checked_;
        for (auto& p : found) problems_.push_back(r.method + " " + r.target + ": " + p);
    }
    mutable std::mutex m_;
    std::vector<std::string> problems_;
    std::size_t checked_ = 0;
};

/// The service as `firebreak run` builds it, pointed at a fake homeserver.
struct matrix_rig {
    fake_homeserver& hs;
    temp_dir dir;
    manual_clock clk{from_unix_ms(1767225600000)};
    boost::asio::io_context io;
    firebreak_config cfg;
    std::unique_ptr<service> svc;

    explicit matrix_rig(fake_homeserver& server, const std::string& announcement_room = "") : hs(server) {
        cfg.database = dir.file("firebreak.sqlite");
        cfg.documents_dir = dir.file("documents");
        cfg.ops_listen = "127.0.0.1:0";
        cfg.matrix.enabled = true;
        cfg.matrix.homeserver = hs.base_url();
        cfg.matrix.access_token = secret{"fake-token-123", "test"};
        cfg.matrix.user_id = bot_id;
        cfg.matrix.sync_timeout = std::chrono::milliseconds{2000};
        cfg.matrix.retry_initial = std::chrono::milliseconds{10};
        cfg.matrix.retry_jitter = std::chrono::milliseconds{0};
        if (!hs.ca_pem().empty()) cfg.matrix.ca_file = write_temp_file("ca.pem", hs.ca_pem());
        if (!announcement_room.empty()) {
            cfg.matrix.announcement_room = announcement_room;
            cfg.settings.announcement_rooms["matrix"] = room_ref{"matrix", announcement_room};
        }
    }
    ~matrix_rig() { svc.reset(); }

    /// Builds and starts the service (again, after a crash or a stop).
    void boot() {
        svc.reset();
        io.restart();
        fatal_seen = false;
        svc = std::make_unique<service>(io, cfg, clk);
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
    /// Whether the running service reported a fatal error.
    bool fatal_seen = false;
    /// Runs until `done()` or ten seconds.
    bool until(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::milliseconds{10000}) {
        return run_io_until(io, done, limit);
    }
    /// Runs until `done()`, checked after every handler, or ten seconds.
    bool until_each(const std::function<bool()>& done) { return run_io_until_each(io, done); }
    /// The engine's view.
    engine& eng() { return svc->eng(); }
    /// The incident room of INC-n on Matrix, or "".
    std::string room_of(std::int64_t n) {
        auto* inc = eng().state().find(n);
        if (!inc) return {};
        auto r = inc->room_on("matrix");
        return r ? r->id : std::string{};
    }
    /// Timeline texts of INC-n.
    std::vector<std::string> texts(std::int64_t n) {
        std::vector<std::string> out;
        for (auto& e : eng().store().timeline(incident_id{n})) out.push_back(e.text);
        return out;
    }
    /// Events the bot sent to a room, by type (m.room.message contents in order).
    std::vector<boost::json::object> bot_messages(const std::string& room) {
        std::vector<boost::json::object> out;
        for (auto& e : hs.timeline(room))
            if (e.at("sender") == bot_id.c_str() && e.at("type") == "m.room.message")
                out.push_back(e.at("content").as_object());
        return out;
    }
    /// Whether a timeline text contains `needle`.
    bool has_text(std::int64_t n, const std::string& needle) {
        for (auto& t : texts(n))
            if (t.find(needle) != std::string::npos) return true;
        return false;
    }
    /// Whether the bot said something containing `needle` in `room`.
    bool bot_said(const std::string& room, const std::string& needle) {
        for (auto& c : bot_messages(room))
            if (c.contains("body") && std::string(c.at("body").as_string()).find(needle) != std::string::npos) return true;
        return false;
    }
};

}  // namespace firebreak::testing
