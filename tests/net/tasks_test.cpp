// The adapters' coroutine tools: a task_group's tasks end at their next cancellation point
// once cancelled, and never run their owner's code again after that, whichever way the
// operation they wait on ends (called later, called before the cancel but still queued,
// dropped unanswered); other exceptions are not swallowed.
#include "adapters/net/tasks.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
using firebreak::net::task_group;
using firebreak::net::until_called;
using firebreak::net::until_called_with;

namespace {

// An operation written with a completion callback, as the adapters' ports are.
struct callback_op {
    std::vector<std::function<void(int)>> waiting;
    void start(std::function<void(int)> done) { waiting.push_back(std::move(done)); }
    void answer_all(int v) {
        auto w = std::move(waiting);
        waiting.clear();
        for (auto& f : w) f(v);
    }
};

// A task that records what it got after each wait.
asio::awaitable<void> waiter(callback_op& op, std::vector<int>& got, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        int v = co_await until_called_with<int>([&](auto done) { op.start(std::move(done)); });
        got.push_back(v);
    }
}

// An io_context, a task group and one waiter spawned on it, run until it waits.
struct one_waiter {
    asio::io_context io;
    callback_op op;
    std::vector<int> got;
    std::optional<task_group> tasks{io.get_executor()};
    explicit one_waiter(int rounds) {
        tasks->spawn(waiter(op, got, rounds));
        run();
        REQUIRE(op.waiting.size() == 1);
    }
    void run() {
        io.restart();
        io.run_for(std::chrono::milliseconds{50});
    }
};

}  // namespace

TEST_CASE("a task waits on a callback and gets what it is called with", "[net][tasks]") {
    one_waiter t(2);
    t.op.answer_all(7);
    t.run();
    t.op.answer_all(8);
    t.run();
    CHECK(t.got == std::vector<int>{7, 8});
    CHECK(t.tasks->running() == 0);
}

TEST_CASE("a cancelled task does not resume past its wait, even when the callback comes later", "[net][tasks]") {
    one_waiter t(3);
    t.tasks->cancel();
    t.tasks.reset();
    // The owner is gone; the operation still answers.
    t.op.answer_all(1);
    t.run();
    CHECK(t.got.empty());
    CHECK(t.op.waiting.empty());  // no second wait was started
}

TEST_CASE("a cancel outside run() wins over an answer already queued", "[net][tasks]") {
    one_waiter t(3);
    // The answer is queued on the executor first; the cancel comes between runs (a test or a
    // shutdown tearing the owner down), before that answer is handled.
    asio::post(t.io, [&] { t.op.answer_all(5); });
    t.tasks->cancel();
    t.run();
    CHECK(t.got.empty());
    CHECK(t.tasks->running() == 0);
}

TEST_CASE("a callback dropped unanswered ends its task without resuming it", "[net][tasks]") {
    one_waiter t(3);
    t.op.waiting.clear();  // as a stopped intake forgets its acks
    t.run();
    CHECK(t.got.empty());
    CHECK(t.tasks->running() == 0);
}

TEST_CASE("until_called resumes once however often the callback is called", "[net][tasks]") {
    asio::io_context io;
    task_group tasks(io.get_executor());
    std::function<void()> done;
    int resumed = 0;
    tasks.spawn([](std::function<void()>& d, int& n) -> asio::awaitable<void> {
        co_await until_called([&](auto f) { d = std::move(f); });
        ++n;
    }(done, resumed));
    io.run_for(std::chrono::milliseconds{50});
    REQUIRE(done);
    auto copy = done;
    done();
    copy();
    io.restart();
    io.run_for(std::chrono::milliseconds{50});
    CHECK(resumed == 1);
}

TEST_CASE("an exception other than cancellation leaves the task and reaches run()", "[net][tasks]") {
    asio::io_context io;
    task_group tasks(io.get_executor());
    tasks.spawn([]() -> asio::awaitable<void> {
        co_await firebreak::net::cancellation_point();
        throw std::logic_error("a bug in the loop");
    }());
    CHECK_THROWS_WITH(io.run_for(std::chrono::milliseconds{50}), "a bug in the loop");
}

TEST_CASE("a task cancelled before it began never begins, and run() stays quiet", "[net][tasks]") {
    asio::io_context io;
    task_group tasks(io.get_executor());
    bool began = false;
    // Spawned outside run(), as an adapter's start() is, and cancelled before run().
    tasks.spawn([](bool& b) -> asio::awaitable<void> {
        b = true;
        co_return;
    }(began));
    tasks.cancel();
    CHECK_NOTHROW(io.run_for(std::chrono::milliseconds{50}));
    CHECK_FALSE(began);
    CHECK(tasks.running() == 0);
}

TEST_CASE("a task that cancels its group before its first wait ends quietly", "[net][tasks]") {
    asio::io_context io;
    task_group tasks(io.get_executor());
    callback_op op;
    bool after = false;
    // As a sink that fails at once would: the task's own first step stops its owner.
    tasks.spawn([](task_group& g, callback_op& o, bool& a) -> asio::awaitable<void> {
        g.cancel();
        co_await until_called_with<int>([&](auto done) { o.start(std::move(done)); });
        a = true;
    }(tasks, op, after));
    CHECK_NOTHROW(io.run_for(std::chrono::milliseconds{50}));
    CHECK_FALSE(after);
    CHECK(op.waiting.empty());
    CHECK(tasks.running() == 0);
}
