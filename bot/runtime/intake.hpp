#pragma once
// Event intake: where every adapter hands its events, and the group-commit policy that
// turns what arrives together into one engine batch, one transaction and one disk flush,
// each event acknowledged to its platform only after that commit returns.
#include "bot/runtime/engine.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace firebreak {

/// Queues events from every adapter and hands them to the engine in bounded groups. Use
/// from the engine's strand.
class intake {
public:
    /// How long an event waited from handover to its ack.
    using ack_observer = std::function<void(std::chrono::steady_clock::duration)>;
    /// Called when a group cannot be handled (the store failed): nothing of it was acked.
    using failure_fn = std::function<void(const std::string& why)>;

    intake(boost::asio::any_io_executor ex, engine& eng, ack_observer observe, failure_fn failed);
    ~intake();
    intake(const intake&) = delete;
    intake& operator=(const intake&) = delete;

    /// The sink to give every adapter.
    chat_adapter::event_sink sink();
    /// Takes no more events and forgets the ones not yet handled, unacknowledged: the
    /// platforms hand them over again at the next start.
    void stop();

private:
    struct waiting_event {
        inbound in;
        chat_adapter::ack_fn ack;
        std::chrono::steady_clock::time_point since;
    };
    void take(const inbound& in, chat_adapter::ack_fn ack);
    void post_drain();
    void drain();

    boost::asio::any_io_executor ex_;
    engine& eng_;
    ack_observer observe_;
    failure_fn failed_;
    bool stopped_ = false;
    // Events handed over and not yet handled: whatever the adapters hand in while the engine
    // is busy (a Matrix sync batch, Slack envelopes arriving during a commit) is handled by
    // one drain with one group commit, then acknowledged.
    std::deque<waiting_event> arrived_;
    bool drain_posted_ = false;
    // When the last drain ended, and the timer that holds the next one a moment under load.
    std::chrono::steady_clock::time_point last_drain_end_{};
    boost::asio::steady_timer group_timer_;
    // Expires with the intake: a drain posted before it was destroyed does nothing.
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace firebreak
