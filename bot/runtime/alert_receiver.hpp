#pragma once
// The alert receivers on their own listener: POST /alerts/<source> with the sender's
// payload. Each request is authenticated (the source's bearer token or HMAC signature:
// else 401, nothing recorded), translated (else 400 with the reason), routed alert by
// alert, and handed to the intake as alert events; the answer is 200 only once every one
// of them is committed. A payload the store could not take is answered 503 (the intake let
// go of it), so the sender tries again, and its retry is deduplicated alert by alert.
#include "bot/core/ports.hpp"
#include "bot/runtime/config.hpp"
#include "bot/runtime/http_listener.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace firebreak {

/// What the receivers have done since start, for /metrics.
struct alert_receiver_counters {
    std::int64_t payloads = 0;                    ///< payloads taken in (authentic and readable)
    std::int64_t received = 0;                    ///< alerts handed to the intake
    std::int64_t ignored = 0;                     ///< alerts a rule said to ignore
    std::map<std::string, std::int64_t> rejected; ///< payloads refused, by reason (unauthorized, malformed, …)
};

class alert_receiver {
public:
    /// The largest payload taken: Alertmanager sends a whole group in one, so thousands of
    /// alerts must fit; larger is 413.
    static constexpr std::size_t max_body_bytes = 8 * 1024 * 1024;

    /// Binds cfg.listen; throws std::runtime_error when it cannot.
    alert_receiver(boost::asio::any_io_executor ex, const alerts_config& cfg, chat_adapter::event_sink sink,
                   const clock& clk);
    ~alert_receiver();
    alert_receiver(const alert_receiver&) = delete;
    alert_receiver& operator=(const alert_receiver&) = delete;

    void start();
    /// Stops accepting; requests under way are answered (503 when their alerts are not committed).
    void stop();
    unsigned short port() const;
    const alert_receiver_counters& counters() const { return counters_; }

private:
    void handle(const http_request_in& req, http_responder respond);
    const alerts_config& cfg_;
    chat_adapter::event_sink sink_;
    const clock& clock_;
    alert_receiver_counters counters_;
    std::unique_ptr<http_listener> listener_;
};

/// The alert event a receiver hands in for one routed alert.
chat_event alert_event(const alerts::alert& a, const std::string& group_key, const alert_source_config& source,
                       const alerts::routing_decision& d, instant now);

}  // namespace firebreak
