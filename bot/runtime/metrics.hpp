#pragma once
// The numbers an operator scrapes from /metrics, in Prometheus text format.
#include "bot/runtime/alert_receiver.hpp"
#include "bot/runtime/engine.hpp"

#include <array>
#include <chrono>
#include <map>
#include <string>

namespace firebreak {

/// Counters kept outside the engine (acknowledgement latency, reconnects), and the
/// rendering of everything in Prometheus text format. Used on the engine's strand.
class metrics {
public:
    /// Upper bounds of the ack latency histogram, in seconds.
    static constexpr std::array<double, 11> ack_buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,   0.25,   0.5,   1.0,  2.5};

    /// One event acknowledged `latency` after it was received.
    void observe_ack(std::chrono::duration<double> latency);
    /// A platform connection was re-established.
    void count_reconnect(const std::string& platform) { ++reconnects_[platform]; }

    /// Everything, with the engine's counters, the store's outbox depth and, when alerts
    /// are received, the receivers' counters.
    std::string render(engine& eng, const alert_receiver_counters* alerts = nullptr) const;

private:
    std::array<std::int64_t, ack_buckets.size()> buckets_{};
    std::int64_t acks_ = 0;
    double ack_seconds_ = 0;
    std::map<std::string, std::int64_t> reconnects_;
};

}  // namespace firebreak
