#include "bot/runtime/intake.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <vector>

namespace firebreak {

namespace asio = boost::asio;

intake::intake(asio::any_io_executor ex, engine& eng, ack_observer observe, failure_fn failed)
    : ex_(ex), eng_(eng), observe_(std::move(observe)), failed_(std::move(failed)), group_timer_(ex) {}

intake::~intake() { group_timer_.cancel(); }

chat_adapter::event_sink intake::sink() {
    return [this, alive = std::weak_ptr<const bool>(alive_)](const inbound& in, chat_adapter::ack_fn ack) {
        if (!alive.expired()) take(in, std::move(ack));
    };
}

void intake::stop() {
    stopped_ = true;
    group_timer_.cancel();
    arrived_.clear();
}

void intake::take(const inbound& in, chat_adapter::ack_fn ack) {
    // Shutting down: not acknowledged, so the platform hands it over again next start.
    if (stopped_) return;
    arrived_.push_back({in, std::move(ack), std::chrono::steady_clock::now()});
    post_drain();
}

// Under load, an event that arrives right after a drain waits a moment for the ones on its
// heels. A WebSocket hands frames over one read at a time, and each read completes only
// after the handlers queued before it: drained at once, every Slack envelope of a burst
// would get a commit and a disk flush of its own (the Slack path bench measured exactly
// that: 2,000 envelopes/s, the disk's limit, with acks queueing behind). The wait applies
// only when the last drain ended less than `busy` ago, so a quiet room pays nothing.
void intake::post_drain() {
    constexpr auto busy = std::chrono::milliseconds{10};
    constexpr auto window = std::chrono::microseconds{1000};
    if (drain_posted_) return;
    drain_posted_ = true;
    auto run = [this, alive = std::weak_ptr<const bool>(alive_)] {
        if (!alive.expired()) drain();
    };
    if (std::chrono::steady_clock::now() - last_drain_end_ < busy && arrived_.size() < engine::max_batch) {
        group_timer_.expires_after(window);
        group_timer_.async_wait([run](boost::system::error_code ec) {
            if (!ec) run();
        });
        return;
    }
    asio::post(ex_, run);
}

void intake::drain() {
    drain_posted_ = false;
    if (stopped_ || arrived_.empty()) return arrived_.clear();
    // A bounded group, so the first event of a long Matrix sync is not kept waiting for the
    // whole of it; the rest follow in the next drain.
    std::vector<waiting_event> group;
    while (!arrived_.empty() && group.size() < engine::max_batch) {
        group.push_back(std::move(arrived_.front()));
        arrived_.pop_front();
    }
    if (!arrived_.empty()) post_drain();
    std::vector<inbound> batch;
    batch.reserve(group.size());
    for (auto& w : group) batch.push_back(std::move(w.in));
    try {
        eng_.handle_batch(batch);
    } catch (const std::exception& e) {
        spdlog::error("handling {} events from {}: {}; stopping", batch.size(), batch.front().event.event_id, e.what());
        arrived_.clear();
        stopped_ = true;
        if (failed_) failed_(e.what());
        return;
    }
    // Committed: now, and only now, each may be acknowledged, in the order they came.
    const auto now = std::chrono::steady_clock::now();
    for (auto& w : group) {
        if (observe_) observe_(now - w.since);
        w.ack();
    }
    last_drain_end_ = std::chrono::steady_clock::now();
}

}  // namespace firebreak
