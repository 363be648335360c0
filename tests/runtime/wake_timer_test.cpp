// The Asio scheduler of `firebreak run`: it sleeps until the engine's next wake and
// sends the nudge then, on the real clock (a short, bounded wait).
#include "adapters/console/console_adapter.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/wake_timer.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/runtime/runtime_fixtures.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <sstream>

using namespace firebreak;
using firebreak::testing::said_in_general;

TEST_CASE("the wake timer sleeps until the next nudge and sends it then, without polling", "[runtime][nudges]") {
    sqlite_store store(":memory:");
    // The engine's clock is a manual one: the test moves it where a wall clock would
    // have moved, and the timer's own sleep is what is checked.
    manual_clock clk(from_unix_ms(1'800'000'000'000));
    engine_settings settings;
    // Only one nudge, due three minutes after declaring.
    for (auto& t : settings.nudges) {
        t = nudge_timing{};
        t.no_scribe_after = std::chrono::minutes{3};
        t.no_commander_after = t.rotation_after = t.hypothesis_timebox = t.what_changed_after = t.close_after =
            duration{0};
        t.update_overdue_escalation = duration{0};
    }
    engine eng(store, settings, clk);
    std::ostringstream out;
    console_adapter adapter(out, clk, {}, true);
    eng.add_adapter(adapter);
    boost::asio::io_context io;
    wake_timer timer(io.get_executor(), eng, clk);
    timer.rearm();
    CHECK_FALSE(timer.aimed_at().has_value());  // nothing to do: no timer

    const auto ev = said_in_general("e1", "!incident declare Checkout down", clk.now());
    eng.handle(ev);  // the commit re-aims the timer by itself
    const instant declared = eng.state().find(1)->times.declared;
    REQUIRE(timer.aimed_at() == declared + std::chrono::minutes{3});
    CHECK(timer.armed_delay() == std::chrono::minutes{3});  // one sleep, exactly as long as needed
    io.poll();                                              // nothing is due yet
    CHECK(eng.nudges_sent() == 0);
    CHECK(timer.wakes() == 0);

    clk.advance(std::chrono::minutes{3});
    timer.rearm();
    CHECK(timer.armed_delay() == duration{0});
    // Handlers of the waits the re-aiming cancelled run first; then the expired timer fires.
    while (eng.nudges_sent() == 0 && io.run_one() > 0) {
    }
    REQUIRE(eng.nudges_sent() == 1);
    auto sent = store.timeline(incident_id{1}).back();
    CHECK(sent.tag == "nudge");
    CHECK(sent.at == declared + std::chrono::minutes{3});
    CHECK(timer.wakes() == 1);
    bool posted = false;
    for (const auto& p : adapter.posts()) posted = posted || p.text.find("INC-1 has no scribe yet") != std::string::npos;
    CHECK(posted);
    CHECK_FALSE(timer.aimed_at().has_value());  // the scribe nudge is sent once
    timer.cancel();
    io.poll();
    CHECK(timer.wakes() == 1);
}

TEST_CASE("the wake timer sleeps at most a few minutes at once, so a wall-clock jump is noticed", "[runtime][nudges]") {
    sqlite_store store(":memory:");
    manual_clock clk(from_unix_ms(1'800'000'000'000));
    engine eng(store, engine_settings{}, clk);
    std::ostringstream out;
    console_adapter adapter(out, clk, {}, true);
    eng.add_adapter(adapter);
    boost::asio::io_context io;
    wake_timer timer(io.get_executor(), eng, clk);
    const auto ev = said_in_general("e1", "!incident declare Checkout down --sev 3", clk.now());
    eng.handle(ev);
    REQUIRE(timer.aimed_at() == clk.now() + std::chrono::minutes{10});  // no scribe, nothing suspected
    CHECK(timer.armed_delay() == wake_timer::max_sleep);
}
