// Durable ingest: chat messages in an incident room through the whole engine (apply,
// one durable sqlite_store commit per event, fold) against raw SQLite inserts of the
// same rows with the same durability (WAL, synchronous=FULL, one transaction per row),
// in the same run on the same disk. Target: the engine keeps at least half the raw rate.
//
// Both run in alternating chunks, so a disk that slows down or speeds up during the run
// (other builds, writeback) weighs on both alike.
#include "bench/bench_support.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/stopwatch.hpp"
#include "bot/runtime/system_clock.hpp"
#include "storage/sqlite_store.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <string>
#include <vector>

using namespace firebreak;

namespace {

// Each event waits for a sync of the disk (0.3 to 2 ms per event on the 2-core VM this was
// written on), so a few thousand keep the run within 5 to 15 s; `ingest_bench N` measures
// N events instead (a small N for profiling under valgrind).
constexpr std::size_t default_events = 5'000;
constexpr std::size_t chunk = 500;
constexpr std::size_t warmup = 200;  // per side, not counted: statement caches, file growth
constexpr double target_ratio = 0.5;

// The messages, made before any timing starts so neither side pays for them.
std::vector<chat_event> messages(const room_ref& room, instant t0, std::size_t n) {
    bench::sequence rnd;
    const auto& phrases = bench::room_phrases();
    const auto& people = bench::room_people();
    std::vector<chat_event> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        chat_event& ev = out[i];
        ev.kind = event_kind::message;
        ev.event_id = fmt::format("$ev{:08}", i);
        ev.room = room;
        ev.user = user_ref{people[rnd.below(people.size())]};
        ev.at = t0 + std::chrono::milliseconds{std::int64_t(i)};
        ev.text = phrases[rnd.below(phrases.size())];
        ev.msg = message_id{fmt::format("1793000000.{:06}", i)};
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t event_count = argc > 1 ? std::size_t(std::stoul(argv[1])) : default_events;
    bench::scratch_dir dir("firebreak-ingest");
    sqlite_store store(dir.file("engine.sqlite"));
    bench::counting_store counted(store);
    system_clock clk;
    engine_settings settings;
    settings.announcement_rooms["bench"] = room_ref{"bench", "announcements"};
    engine eng(counted, settings, clk);
    bench::bench_adapter adapter;
    eng.add_adapter(adapter);
    bench::raw_timeline raw(dir.file("raw.sqlite"));

    // One incident, declared as people do, whose room takes every message.
    chat_event declare;
    declare.event_id = "$declare";
    declare.room = room_ref{"bench", "general"};
    declare.user = user_ref{"maya"};
    declare.at = clk.now();
    declare.text = "!incident declare Checkout failing in all regions --sev 1";
    eng.handle(declare);
    const incident& inc = eng.state().incidents.begin()->second;
    const room_ref room = inc.rooms.at(0);
    const std::int64_t incident_number = inc.id.n;

    auto events = messages(room, clk.now(), warmup + event_count);
    for (std::size_t i = 0; i < warmup; ++i) {
        eng.handle(events[i]);
        raw.insert(events[i], incident_number);
    }

    double engine_ms = 0, raw_ms = 0;
    bench::cpu_times engine_cpu, raw_cpu;
    long engine_bytes = 0, raw_bytes = 0;
    const double commit_before = counted.commit_ms();
    for (std::size_t from = warmup; from < events.size(); from += chunk) {
        const std::size_t to = std::min(events.size(), from + chunk);
        stopwatch w;
        auto cpu = bench::cpu_now();
        auto bytes = bench::bytes_written();
        for (std::size_t i = from; i < to; ++i) eng.handle(events[i]);
        engine_ms += w.elapsed_ms();
        engine_cpu += bench::cpu_now() - cpu;
        engine_bytes += bench::bytes_written() - bytes;
        w.restart();
        cpu = bench::cpu_now();
        bytes = bench::bytes_written();
        for (std::size_t i = from; i < to; ++i) raw.insert(events[i], incident_number);
        raw_ms += w.elapsed_ms();
        raw_cpu += bench::cpu_now() - cpu;
        raw_bytes += bench::bytes_written() - bytes;
    }
    const double commit_ms = counted.commit_ms() - commit_before;

    // Every message must have landed, or the rate means nothing.
    const auto recorded = eng.state().find(incident_number)->message_count;
    const auto raw_rows = raw.rows();
    if (recorded != std::int64_t(warmup + event_count) || raw_rows != std::int64_t(warmup + event_count)) {
        fmt::print(stderr, "ingest_bench: lost rows: engine recorded {}, raw table holds {}, expected {}\n", recorded,
                   raw_rows, warmup + event_count);
        return 1;
    }

    const double engine_rate = double(event_count) / (engine_ms / 1000.0);
    const double raw_rate = double(event_count) / (raw_ms / 1000.0);
    const double ratio = engine_rate / raw_rate;
    const bool ok = ratio >= target_ratio;
    fmt::print("ingest_bench: {} message events into one incident room, one durable commit each "
               "(WAL, synchronous=FULL), alternating chunks of {} with the raw reference\n",
               event_count, chunk);
    const double n = double(event_count);
    fmt::print("  {:<30} {:>14}  {:>10}  {}\n", "figure", "value", "target", "");
    fmt::print("  {:<30} {:>9.0f} ev/s  {:>10}  {:.2f} s; per event {:.3f} ms wall, CPU {:.3f} user {:.3f} system\n",
               "engine + sqlite_store", engine_rate, "", engine_ms / 1000, engine_ms / n, engine_cpu.user_ms / n,
               engine_cpu.sys_ms / n);
    fmt::print("  {:<30} {:>9.0f} rows/s{:>10}  {:.2f} s; per row   {:.3f} ms wall, CPU {:.3f} user {:.3f} system\n",
               "raw SQLite inserts (reference)", raw_rate, "", raw_ms / 1000, raw_ms / n, raw_cpu.user_ms / n,
               raw_cpu.sys_ms / n);
    fmt::print("  {:<30} {:>12.1f} %  {:>10}  {}\n", "ratio engine / raw", ratio * 100, ">= 50 %", ok ? "met" : "MISSED");
    fmt::print("  {:<30} {:>12.1f} %  {:>10}  (the rest: apply, fold, the engine loop)\n",
               "engine time in store.commit", commit_ms / engine_ms * 100, "");
    fmt::print("  {:<30} {:>10.1f} KiB  {:>10}  raw: {:.1f} KiB per row (WAL frames of 4 KiB pages, checkpoints)\n",
               "written per event", double(engine_bytes) / 1024 / n, "", double(raw_bytes) / 1024 / n);
    return ok ? 0 : 1;
}
