#pragma once
// Wakes the engine when it next has something to do by itself (a nudge, the end of
// a rate-limit wait), on an Asio executor. Nothing polls: the timer sleeps until
// the engine's next wake and is re-armed after everything that may change it.
#include "bot/runtime/engine.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace firebreak {

/// The scheduler of `firebreak run`: one steady timer aimed at engine::next_wake().
class wake_timer {
public:
    /// Sleeps at most this long at once, so a jump of the wall clock is noticed.
    static constexpr duration max_sleep{std::chrono::minutes{5}};

    /// Registers itself with the engine, so every commit and delivery re-aims it.
    wake_timer(boost::asio::any_io_executor ex, engine& eng, const clock& clk);
    ~wake_timer();
    wake_timer(const wake_timer&) = delete;
    wake_timer& operator=(const wake_timer&) = delete;

    /// Aims the timer at the engine's next wake; call after every handled event.
    void rearm();
    /// Stops waking (shutdown).
    void cancel();

    /// Times the engine was woken by the timer.
    std::int64_t wakes() const { return wakes_; }
    /// Where the timer is aimed, if anywhere.
    std::optional<instant> aimed_at() const { return aimed_; }
    /// How long the timer was last set to sleep.
    duration armed_delay() const { return delay_; }

private:
    void fire();

    boost::asio::steady_timer timer_;
    engine& eng_;
    const clock& clk_;
    std::optional<instant> aimed_;
    std::optional<instant> fired_for_;   ///< the wake the last fire handled
    std::int64_t wakes_ = 0;
    duration delay_{0};
    bool stopped_ = false;
};

}  // namespace firebreak
