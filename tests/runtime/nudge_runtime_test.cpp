// Nudges through the real engine and a real SQLite file: sent at their own instants
// during a replay, and exactly once across restarts at any point of a sequence.
#include "adapters/console/console_adapter.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/example_transcript.hpp"
#include "bot/runtime/local_runs.hpp"
#include "commands/dispatcher.hpp"
#include "commands/nudges.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/runtime/runtime_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <sstream>

using namespace firebreak;
using namespace firebreak::testing;
using rig = console_rig;

namespace {

transcript lines_of(const transcript& t, std::function<bool(const transcript_line&)> keep) {
    transcript part;
    for (const auto& l : t.lines)
        if (keep(l)) part.lines.push_back(l);
    return part;
}

std::vector<timeline_entry> nudge_entries(incident_store& store, std::int64_t n) {
    std::vector<timeline_entry> r;
    for (auto& e : store.timeline(incident_id{n}))
        if (e.kind == entry_kind::system && e.tag == "nudge") r.push_back(e);
    return r;
}

}  // namespace

TEST_CASE("the example's nudges are sent during the replay at their own instants", "[runtime][nudges]") {
    temp_dir dir;
    rig r(dir.file("f.sqlite"), dir.path(), from_unix_ms(0));
    std::ostringstream err;
    replay_transcript(r.eng, r.clk, example(), err);
    CHECK(err.str().empty());
    std::vector<std::string> got;
    for (const auto& e : nudge_entries(r.store, 1)) got.push_back(format_utc(e.at) + " " + e.text);
    CHECK(got == std::vector<std::string>{
                     "2026-11-03 14:56:20Z hypothesis nudge: H2 open 15m without evidence",
                     "2026-11-03 14:57:40Z hypothesis nudge: H3 open 15m without evidence",
                     "2026-11-03 15:26:00Z update nudge: status update due",
                     "2026-11-03 15:47:10Z update nudge: status update due",
                     "2026-11-03 16:22:00Z update nudge: status update due",
                     "2026-11-03 16:32:05Z rotation nudge: rotation for @maya (commander for 2h 00m), briefing posted",
                     "2026-11-03 16:34:05Z rotation nudge: rotation for @sam (scribe for 2h 00m), briefing posted",
                 });
    CHECK(r.eng.nudges_sent() == 7);
    // After the close nothing is planned any more.
    CHECK_FALSE(r.eng.next_wake().has_value());
}

TEST_CASE("a restart at any point of the nudge sequence neither repeats nor skips a nudge", "[runtime][nudges][restart]") {
    temp_dir dir;
    auto t = example();
    std::ostringstream err;
    std::vector<std::string> reference;
    std::vector<instant> nudge_times;
    {
        // Every process writes its files to the same place, so the posts naming them compare.
        rig r(dir.file("ref.sqlite"), dir.path() / "files", from_unix_ms(0));
        replay_transcript(r.eng, r.clk, t, err);
        reference = r.said();
        for (const auto& e : nudge_entries(r.store, 1)) nudge_times.push_back(e.at);
    }
    REQUIRE(nudge_times.size() >= 5);
    // Each cut: a process runs up to and including the nudges of one instant and stops;
    // the next starts on the same file and goes on to the end.
    std::set<instant> cuts(nudge_times.begin(), nudge_times.end());
    for (instant cut : cuts) {
        INFO("restart at " << format_utc(cut));
        const std::string db = dir.file("cut-" + std::to_string(to_unix_ms(cut)) + ".sqlite");
        std::vector<std::string> said;
        {
            rig a(db, dir.path() / "files", from_unix_ms(0));
            replay_transcript(a.eng, a.clk, lines_of(t, [&](const auto& l) { return l.event.at < cut; }), err);
            run_until(a.eng, a.clk, cut);
            said = a.said();
        }
        {
            rig b(db, dir.path() / "files", cut);
            auto rest = replay_transcript(b.eng, b.clk, lines_of(t, [&](const auto& l) { return l.event.at >= cut; }), err);
            CHECK(rest.duplicates == 0);
            auto more = b.said();
            said.insert(said.end(), more.begin(), more.end());
            CHECK(b.store.pending_outbox(0).empty());
            std::vector<instant> times;
            for (const auto& e : nudge_entries(b.store, 1)) times.push_back(e.at);
            CHECK(times == nudge_times);
        }
        CHECK(said == reference);
    }
    CHECK(err.str().empty());
}

TEST_CASE("after downtime a due nudge is sent once on restart, and the sequence goes on from there", "[runtime][nudges][restart]") {
    temp_dir dir;
    const std::string db = dir.file("down.sqlite");
    const instant t0 = from_unix_ms(1'800'000'000'000);
    const auto declare = said_in_general("e1", "!incident declare Checkout down --sev 1", t0);
    {
        rig a(db, dir.path(), t0);
        a.eng.handle(declare);
        auto wake = a.eng.next_wake();
        REQUIRE(wake.has_value());
        CHECK(*wake == t0 + std::chrono::minutes{10});  // no scribe, nothing suspected
        run_until(a.eng, a.clk, t0 + std::chrono::minutes{15});
        CHECK(a.eng.nudges_sent() == 2);
    }
    // Down from 14 minutes in until 55 minutes in: the 20-minute update reminder is late.
    rig b(db, dir.path(), t0 + std::chrono::minutes{55});
    CHECK(b.eng.next_wake() == t0 + std::chrono::minutes{20});  // overdue: due at once
    CHECK(b.eng.tick() == 1);
    CHECK(b.eng.tick() == 0);  // the escalation waits its ten minutes after the reminder
    CHECK(b.eng.next_wake() == t0 + std::chrono::minutes{65});
    run_until(b.eng, b.clk, t0 + std::chrono::minutes{65});
    std::vector<std::string> kinds;
    for (const auto& e : nudge_entries(b.store, 1)) kinds.push_back(format_hhmm(e.at) + " " + e.text.substr(0, e.text.find(':')));
    auto hhmm = [&](int m) { return format_hhmm(t0 + std::chrono::minutes{m}); };
    CHECK(kinds == std::vector<std::string>{hhmm(10) + " scribe nudge", hhmm(10) + " rollback nudge",
                                            hhmm(55) + " update nudge", hhmm(65) + " update nudge"});
}

TEST_CASE("a crash between two nudges of one instant, before delivery, loses and repeats nothing",
          "[runtime][nudges][restart]") {
    temp_dir dir;
    const std::string db = dir.file("crash.sqlite");
    const instant t0 = from_unix_ms(1'800'000'000'000);
    const instant t10 = t0 + std::chrono::minutes{10};
    const auto declare = said_in_general("e1", "!incident declare Checkout down", t0);
    {
        rig a(db, dir.path(), t0);
        a.eng.handle(declare);
        a.clk.set(t10);
        auto due = due_nudges(a.eng.state(), t10, a.eng.settings());
        REQUIRE(due.size() == 2);  // no scribe, and nothing suspected: both at ten minutes
        // The first is committed; the process dies before delivering it or sending the second.
        auto c = apply_nudge(a.eng.state(), due[0], t10, a.eng.settings());
        REQUIRE(a.store.commit(c, nudge_event_id(due[0]), t10, std::nullopt));
    }
    rig b(db, dir.path(), t10);
    b.eng.deliver();  // what the dead process committed goes out first
    run_until(b.eng, b.clk, t10 + std::chrono::minutes{1});
    std::vector<std::string> kinds;
    for (const auto& e : nudge_entries(b.store, 1)) kinds.push_back(e.text.substr(0, e.text.find(':')));
    CHECK(kinds == std::vector<std::string>{"scribe nudge", "rollback nudge"});
    auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (const auto& p : b.adapter.posts()) n += p.text.find(needle) != std::string::npos;
        return n;
    };
    CHECK(count("has no scribe") == 1);
    CHECK(count("What changed just before it started") == 1);
    CHECK(b.store.pending_outbox(0).empty());
}
