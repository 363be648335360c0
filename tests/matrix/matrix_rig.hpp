#pragma once
// The Matrix tests' rig: a fake homeserver on 127.0.0.1 that checks every request and
// every event the bot sends against the v1.19 definitions, and the real `firebreak run`
// service (store in a temp file, engine, Matrix adapter, ops endpoint) on a manual clock.
#include "adapters/matrix/matrix_adapter.hpp"
#include "bot/runtime/service.hpp"
#include "tests/support/fake_homeserver.hpp"
#include "tests/support/service_rig.hpp"
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
struct matrix_rig : service_rig {
    fake_homeserver& hs;

    explicit matrix_rig(fake_homeserver& server, const std::string& announcement_room = "") : hs(server) {
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

    /// The incident room of INC-n on Matrix, or "".
    std::string room_of(std::int64_t n) { return room_on("matrix", n); }
    /// Events the bot sent to a room, by type (m.room.message contents in order).
    std::vector<boost::json::object> bot_messages(const std::string& room) {
        std::vector<boost::json::object> out;
        for (auto& e : hs.timeline(room))
            if (e.at("sender") == bot_id.c_str() && e.at("type") == "m.room.message")
                out.push_back(e.at("content").as_object());
        return out;
    }
    /// Whether the bot said something containing `needle` in `room`.
    bool bot_said(const std::string& room, const std::string& needle) {
        for (auto& c : bot_messages(room))
            if (c.contains("body") && std::string(c.at("body").as_string()).find(needle) != std::string::npos) return true;
        return false;
    }
};

}  // namespace firebreak::testing
