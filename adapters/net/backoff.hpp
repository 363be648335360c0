#pragma once
// Capped exponential backoff with jitter for reconnect loops: 1 s, ×1.75, capped,
// plus 0–3 s of jitter so a fleet that lost its server does not return in step.
#include <chrono>
#include <cstdint>
#include <random>

namespace firebreak::net {

/// The shape of a backoff sequence.
struct backoff_policy {
    std::chrono::milliseconds initial{1000};
    double factor = 1.75;
    std::chrono::milliseconds cap{60000};
    std::chrono::milliseconds jitter{3000};  ///< uniform 0..jitter added to each wait
};

/// The waits of one reconnect sequence; reset() after a good connection.
class backoff {
public:
    explicit backoff(backoff_policy p = {}, std::uint64_t seed = std::random_device{}())
        : policy_(p), rng_(seed) {}
    /// The next wait, growing until the cap.
    std::chrono::milliseconds next() {
        auto base = current_.count() == 0 ? policy_.initial : current_;
        current_ = std::min(policy_.cap, std::chrono::milliseconds{std::int64_t(double(base.count()) * policy_.factor)});
        auto wait = std::min(base, policy_.cap);
        ++attempts_;
        if (policy_.jitter.count() <= 0) return wait;
        std::uniform_int_distribution<std::int64_t> d(0, policy_.jitter.count());
        return wait + std::chrono::milliseconds{d(rng_)};
    }
    /// Starts over from the initial wait.
    void reset() {
        current_ = std::chrono::milliseconds{0};
        attempts_ = 0;
    }
    /// Waits handed out since the last reset.
    int attempts() const { return attempts_; }

private:
    backoff_policy policy_;
    std::mt19937_64 rng_;
    std::chrono::milliseconds current_{0};
    int attempts_ = 0;
};

}  // namespace firebreak::net
