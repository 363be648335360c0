// The Asio scheduler of `firebreak run`: it sleeps until the engine's next wake and
// sends the nudge then, on the real clock (a short, bounded wait).
#include "adapters/console/console_adapter.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/system_clock.hpp"
#include "bot/runtime/wake_timer.hpp"
#include "storage/sqlite_store.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <sstream>

using namespace firebreak;

TEST_CASE("the wake timer sends a nudge when it falls due, and sleeps otherwise", "[runtime][nudges]") {
    sqlite_store store(":memory:");
    system_clock clk;
    engine_settings settings;
    // Only one nudge, due 150 ms after declaring.
    for (auto& t : settings.nudges) t = nudge_timing{};
    for (auto& t : settings.nudges) {
        t.no_scribe_after = duration{150};
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

    chat_event ev;
    ev.kind = event_kind::message;
    ev.event_id = "e1";
    ev.room = room_ref{"console", "general"};
    ev.user = user_ref{"maya"};
    ev.text = "!incident declare Checkout down";
    ev.at = clk.now();
    eng.handle(ev);  // the commit re-aims the timer by itself
    const instant declared = eng.state().find(1)->times.declared;
    REQUIRE(timer.aimed_at() == declared + duration{150});

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    while (eng.nudges_sent() == 0 && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(std::chrono::milliseconds{100});
    REQUIRE(eng.nudges_sent() == 1);
    auto sent = store.timeline(incident_id{1}).back();
    CHECK(sent.tag == "nudge");
    CHECK(sent.at >= declared + duration{150});     // not early
    CHECK(sent.at < declared + std::chrono::seconds{2});  // and not much later
    CHECK(timer.wakes() == 1);                      // one wake, no polling
    bool posted = false;
    for (const auto& p : adapter.posts()) posted = posted || p.text.find("INC-1 has no scribe yet") != std::string::npos;
    CHECK(posted);
    CHECK_FALSE(timer.aimed_at().has_value());      // the scribe nudge is sent once
    timer.cancel();
    io.run_for(std::chrono::milliseconds{10});
    CHECK(timer.wakes() == 1);
}
