#include "bot/runtime/wake_timer.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

namespace firebreak {

wake_timer::wake_timer(boost::asio::any_io_executor ex, engine& eng, const clock& clk)
    : timer_(std::move(ex)), eng_(eng), clk_(clk) {
    // Every commit and delivery may move the next wake.
    eng_.set_on_progress([this] { rearm(); });
}

wake_timer::~wake_timer() { eng_.set_on_progress({}); }

void wake_timer::rearm() {
    if (stopped_) return;
    auto wake = eng_.next_wake();
    aimed_ = wake;
    if (!wake) {
        timer_.cancel();
        return;
    }
    // The engine's instants are wall-clock; the timer sleeps on the steady clock for
    // the distance between them, capped so a wall-clock jump is seen within minutes.
    auto delay = std::clamp(*wake - clk_.now(), duration{0}, max_sleep);
    // The wake just handled asked again for the same instant: nothing moved (a failing
    // store, say). Wait a second rather than spin.
    if (fired_for_ && *fired_for_ == *wake) delay = std::max(delay, duration{std::chrono::seconds{1}});
    delay_ = delay;
    timer_.expires_after(delay);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;  // re-armed or cancelled
        fire();
    });
}

void wake_timer::fire() {
    fired_for_.reset();
    if (aimed_ && *aimed_ <= clk_.now()) {
        ++wakes_;
        fired_for_ = aimed_;
        try {
            eng_.tick();
        } catch (const std::exception& e) {
            // A store failure must not end the scheduler; the next wake tries again.
            spdlog::error("scheduler: sending due nudges failed: {}", e.what());
        }
    }
    rearm();
}

void wake_timer::cancel() {
    stopped_ = true;
    aimed_.reset();
    timer_.cancel();
}

}  // namespace firebreak
