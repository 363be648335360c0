#pragma once
// Delay timers for adapter tests: a backoff does not sleep for its length; the waits are
// recorded, and each fires when the test rig next steps them (every slice of its io loop),
// so a test sees the schedule the adapter asked for and never waits on the wall clock.
#include "bot/core/ports.hpp"
#include "tests/support/io_wait.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace firebreak::testing {

class stepped_delays {
public:
    /// Timers that report to this object; give it to service(…, delays).
    delay_timers source() {
        return [this] { return std::unique_ptr<delay_timer>(new timer(*state_)); };
    }
    /// Fires every wait asked for since the last step (a wait asked for while stepping
    /// fires at the next step). Returns how many fired.
    int step() {
        auto due = std::move(state_->pending);
        state_->pending.clear();
        int fired = 0;
        for (auto& p : due) {
            auto still = p.alive.lock();
            if (!still || !*still) continue;
            *still = false;
            ++fired;
            p.then();
        }
        return fired;
    }
    /// Runs `io` until `done()` (true) or `limit` (false), stepping these timers every slice.
    bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                   std::chrono::milliseconds limit = std::chrono::milliseconds{10000}) {
        return run_io_until(io, [&] {
            step();
            return done();
        }, limit);
    }
    /// Every wait asked for, in order.
    const std::vector<duration>& asked() const { return state_->asked; }

private:
    struct waiting {
        std::weak_ptr<bool> alive;  // false once cancelled, replaced or fired
        std::function<void()> then;
    };
    struct shared {
        std::vector<duration> asked;
        std::vector<waiting> pending;
    };
    class timer final : public delay_timer {
    public:
        explicit timer(shared& s) : s_(s) {}
        ~timer() override { cancel(); }
        void wait(duration d, std::function<void()> then) override {
            cancel();
            current_ = std::make_shared<bool>(true);
            s_.asked.push_back(d);
            s_.pending.push_back({current_, std::move(then)});
        }
        void cancel() override {
            if (current_) *current_ = false;
            current_.reset();
        }

    private:
        shared& s_;
        std::shared_ptr<bool> current_;
    };
    std::unique_ptr<shared> state_ = std::make_unique<shared>();
};

}  // namespace firebreak::testing
