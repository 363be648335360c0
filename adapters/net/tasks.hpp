#pragma once
// The coroutines an adapter runs (its link loop, one per envelope awaiting its commit) and
// the two pieces they are written with:
// - task_group: starts coroutines that are all cancelled together when their owner stops
//   or is destroyed. Cancelled, a coroutine ends at its next cancellation point by throwing
//   operation_aborted and unwinds without touching its owner again; each keeps its own
//   cancellation signal alive until it has ended, so a resumption after the owner is gone
//   is safe.
// - until_called: awaits an operation written with a completion callback (a delay timer,
//   the runtime's event sink, a queued HTTP request), with a cancellation point after it.
//   A callback that is destroyed without being called ends the waiting coroutine quietly.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <exception>
#include <type_traits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace firebreak::net {

/// The completion token of an awaited operation whose error is a value, not an exception:
/// `auto [ec, n] = co_await op(..., net::no_throw);`.
inline constexpr auto no_throw = boost::asio::as_tuple(boost::asio::use_awaitable);

/// Throws operation_aborted when the calling coroutine has been cancelled (Asio checks
/// on every co_await of an awaitable); returns at once otherwise.
inline boost::asio::awaitable<void> cancellation_point() { co_return; }

/// Coroutines of one owner, cancelled together. Use from the executor it was given.
class task_group {
public:
    explicit task_group(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
    /// Cancels every task still running.
    ~task_group() { cancel(); }
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    /// Starts `task`. A task that ends by cancellation ends quietly; any other exception
    /// leaves it and propagates out of the executor's run(), as a callback's would.
    void spawn(boost::asio::awaitable<void> task) {
        auto state = std::make_shared<task_state>();
        forget_ended();
        tasks_.push_back(state);
        auto body = run(state, std::move(task));
        boost::asio::co_spawn(ex_, std::move(body), task_end{std::move(state), ex_});
    }
    /// Cancels every task still running; each ends at its next cancellation point (one not
    /// yet begun does not begin).
    void cancel() {
        auto running = std::move(tasks_);
        tasks_.clear();
        for (auto& w : running) {
            auto s = w.lock();
            if (!s) continue;
            if (s->begun) s->signal.emit(boost::asio::cancellation_type::terminal);
            else s->cancelled = true;
        }
    }
    /// Tasks started and not yet ended (for tests).
    std::size_t running() {
        std::erase_if(tasks_, [](const auto& w) { return w.expired(); });
        return tasks_.size();
    }

private:
    struct task_state {
        boost::asio::cancellation_signal signal;
        bool begun = false;      // its body has started: a cancel is a signal now
        bool cancelled = false;  // cancelled before it began
    };
    // Where a task ends. Its cancellation slot is a member, not a bound one: with no
    // executor of its own, co_spawn emits a cancellation at once, even when cancel() is
    // called outside the executor's run() (a test tearing down), so no completion queued
    // before it can resume the task first.
    struct task_end {
        std::shared_ptr<task_state> state;
        boost::asio::any_io_executor ex;
        using cancellation_slot_type = boost::asio::cancellation_slot;
        cancellation_slot_type get_cancellation_slot() const noexcept { return state->signal.slot(); }
        void operator()(std::exception_ptr e) {
            // The coroutine's frames may still be let go of after this: the signal its
            // cancellation state lives in goes a moment later.
            boost::asio::post(ex, [s = std::move(state)] {});
            if (e) std::rethrow_exception(e);
        }
    };
    // The task inside what co_spawn runs. Asio 1.81's co_spawn awaits once more after a
    // task that never suspended, and that await throws when the task was cancelled: so a
    // task cancelled before it began is never begun (and never signalled), and cancellation
    // is no longer thrown once the task has ended.
    static boost::asio::awaitable<void> run(std::shared_ptr<task_state> state, boost::asio::awaitable<void> task) {
        if (state->cancelled) co_return;
        state->begun = true;
        try {
            co_await std::move(task);
        } catch (const boost::system::system_error& s) {
            if (s.code() != boost::asio::error::operation_aborted) throw;
        }
        co_await boost::asio::this_coro::throw_if_cancelled(false);
    }
    static_assert(std::is_void_v<typename boost::asio::associated_executor<
                      task_end, boost::asio::any_io_executor>::asio_associated_executor_is_unspecialised>,
                  "co_spawn must emit a task's cancellation at once");

    // Ended tasks are swept out of the list now and then, not one by one.
    void forget_ended() {
        if (tasks_.size() < next_sweep_) return;
        std::erase_if(tasks_, [](const auto& w) { return w.expired(); });
        next_sweep_ = std::max<std::size_t>(16, tasks_.size() * 2);
    }

    boost::asio::any_io_executor ex_;
    std::vector<std::weak_ptr<task_state>> tasks_;
    std::size_t next_sweep_ = 16;
};

namespace detail {
// The callback handed to a callback-style operation: copyable (std::function wants that),
// it resumes the waiting coroutine at most once.
template <class Handler>
struct resume_once {
    std::shared_ptr<std::optional<Handler>> h;
    template <class... Args>
    void operator()(Args&&... args) const {
        if (!h || !*h) return;
        Handler handler = std::move(**h);
        h->reset();
        std::move(handler)(std::forward<Args>(args)...);
    }
};
template <class Signature, class Start>
auto initiate(Start& start) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, Signature>(
        [&start](auto handler) {
            using H = decltype(handler);
            start(resume_once<H>{std::make_shared<std::optional<H>>(std::move(handler))});
        },
        boost::asio::use_awaitable);
}
}  // namespace detail

/// Calls `start(done)` and waits until `done()` is called. `start` runs while the caller
/// waits in this co_await, so it may refer to the caller's locals; a `done()` called
/// inside `start` resumes the caller from there.
template <class Start>
boost::asio::awaitable<void> until_called(Start start) {
    co_await detail::initiate<void()>(start);
    co_await cancellation_point();
}

/// Calls `start(done)` and waits until `done(value)` is called; returns the value.
template <class T, class Start>
boost::asio::awaitable<T> until_called_with(Start start) {
    T value = co_await detail::initiate<void(T)>(start);
    co_await cancellation_point();
    co_return value;
}

}  // namespace firebreak::net
