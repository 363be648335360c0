// Durable ingest: chat messages in an incident room through the whole engine (apply,
// durable sqlite_store commits, fold) against raw SQLite inserts of the same rows with
// the same durability (WAL, synchronous=FULL), in the same run on the same disk.
//
// Two ways in, as the runtime has them:
//   one by one — each event its own commit and disk flush (an event arriving alone);
//   grouped    — a backlog handled as the service drains it: batches of up to
//                engine::max_batch events, each batch one group commit and one flush,
//                every event of it acknowledgeable only once that flush returns.
// Each is measured against raw inserts with the same grouping, and the grouped engine
// against raw inserts one row per transaction: the target (at least half the raw rate)
// is held against the latter, the plain durable insert.
//
// All four run in alternating chunks, so a disk that slows down or speeds up during the
// run (other builds, writeback) weighs on each alike.
#include "bench/bench_support.hpp"
#include "bot/runtime/allocator.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/stopwatch.hpp"
#include "bot/runtime/system_clock.hpp"
#include "storage/sqlite_store.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <string>
#include <vector>

using namespace firebreak;

namespace {

// One-by-one events wait for a sync of the disk each (0.2 to 2 ms on the 2-core VM this
// was written on), so a few thousand keep the run within 5 to 15 s; `ingest_bench N`
// measures N events per side instead (a small N for profiling under valgrind).
constexpr std::size_t default_events = 5'120;
constexpr std::size_t chunk = 2 * engine::max_batch;
constexpr std::size_t warmup = engine::max_batch;  // per side, not counted: statement caches, file growth
constexpr double target_ratio = 0.5;

// The messages, made before any timing starts so no side pays for them.
std::vector<chat_event> messages(const std::string& prefix, const room_ref& room, instant t0, std::size_t n) {
    bench::sequence rnd;
    const auto& phrases = bench::room_phrases();
    const auto& people = bench::room_people();
    std::vector<chat_event> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        chat_event& ev = out[i];
        ev.kind = event_kind::message;
        ev.event_id = fmt::format("${}{:08}", prefix, i);
        ev.room = room;
        ev.user = user_ref{people[rnd.below(people.size())]};
        ev.at = t0 + std::chrono::milliseconds{std::int64_t(i)};
        ev.text = phrases[rnd.below(phrases.size())];
        ev.msg = message_id{fmt::format("1793000000.{}{:06}", prefix, i)};
    }
    return out;
}

// One engine on its own database, with one incident declared as people do, whose room
// takes every message.
struct engine_side {
    sqlite_store store;
    bench::counting_store counted{store};
    engine eng;
    bench::bench_adapter adapter;
    room_ref room;
    std::int64_t number = 0;

    engine_side(const std::string& path, const firebreak::clock& clk)
        : store(path), eng(counted, settings(), clk) {
        eng.add_adapter(adapter);
        chat_event declare;
        declare.event_id = "$declare";
        declare.room = room_ref{"bench", "general"};
        declare.user = user_ref{"maya"};
        declare.at = clk.now();
        declare.text = "!incident declare Checkout failing in all regions --sev 1";
        eng.handle(declare);
        const incident& inc = eng.state().incidents.begin()->second;
        room = inc.rooms.at(0);
        number = inc.id.n;
    }
    static engine_settings settings() {
        engine_settings s;
        s.announcement_rooms["bench"] = room_ref{"bench", "announcements"};
        return s;
    }
    std::int64_t recorded() const { return eng.state().find(number)->message_count; }
};

// What one side took: wall time, CPU, bytes written, durable transactions.
struct tally {
    double ms = 0;
    bench::cpu_times cpu;
    long bytes = 0;
    std::int64_t flushes = 0;
    template <typename F>
    void run(F&& f) {
        stopwatch w;
        auto cpu0 = bench::cpu_now();
        auto bytes0 = bench::bytes_written();
        f();
        ms += w.elapsed_ms();
        cpu += bench::cpu_now() - cpu0;
        bytes += bench::bytes_written() - bytes0;
    }
    double rate(std::size_t n) const { return double(n) / (ms / 1000.0); }
};

}  // namespace

int main(int argc, char** argv) {
    // As the firebreak binary does: the figures are those of the process that ships.
    firebreak::tune_allocator();
    const std::size_t event_count = argc > 1 ? std::size_t(std::stoul(argv[1])) : default_events;
    bench::scratch_dir dir("firebreak-ingest");
    system_clock clk;
    engine_side single(dir.file("single.sqlite"), clk), grouped(dir.file("grouped.sqlite"), clk);
    bench::raw_timeline raw_single(dir.file("raw-single.sqlite")), raw_grouped(dir.file("raw-grouped.sqlite"));

    const std::size_t total = warmup + event_count;
    const auto single_events = messages("s", single.room, clk.now(), total);
    const auto grouped_events = messages("g", grouped.room, clk.now(), total);
    // The batches the service would hand the grouped engine: inbound events, no cursor.
    std::vector<inbound> grouped_in(total);
    for (std::size_t i = 0; i < total; ++i) grouped_in[i].event = grouped_events[i];
    const auto batch = [&](std::size_t from, std::size_t to) {
        return std::vector<inbound>(grouped_in.begin() + std::ptrdiff_t(from), grouped_in.begin() + std::ptrdiff_t(to));
    };
    const auto handle_groups = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; i += engine::max_batch) {
            const std::size_t end = std::min(to, i + engine::max_batch);
            auto b = batch(i, end);
            grouped.eng.handle_batch(b);
        }
    };
    const auto raw_groups = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; i += engine::max_batch)
            raw_grouped.insert_group(grouped_events, i, std::min(to, i + engine::max_batch), grouped.number);
    };

    for (std::size_t i = 0; i < warmup; ++i) {
        single.eng.handle(single_events[i]);
        raw_single.insert(single_events[i], single.number);
    }
    handle_groups(0, warmup);
    raw_groups(0, warmup);

    tally eng1, raw1, engg, rawg;
    const auto flushes_single = single.counted.writes(), flushes_grouped = grouped.counted.writes();
    for (std::size_t from = warmup; from < total; from += chunk) {
        const std::size_t to = std::min(total, from + chunk);
        eng1.run([&] {
            for (std::size_t i = from; i < to; ++i) single.eng.handle(single_events[i]);
        });
        raw1.run([&] {
            for (std::size_t i = from; i < to; ++i) raw_single.insert(single_events[i], single.number);
        });
        engg.run([&] { handle_groups(from, to); });
        rawg.run([&] { raw_groups(from, to); });
    }
    eng1.flushes = single.counted.writes() - flushes_single;
    engg.flushes = grouped.counted.writes() - flushes_grouped;
    raw1.flushes = std::int64_t(event_count);
    rawg.flushes = std::int64_t((event_count + engine::max_batch - 1) / engine::max_batch);

    // Every message must have landed, or the rates mean nothing.
    const auto expect = std::int64_t(total);
    if (single.recorded() != expect || grouped.recorded() != expect || raw_single.rows() != expect ||
        raw_grouped.rows() != expect) {
        fmt::print(stderr, "ingest_bench: lost rows: engines recorded {} and {}, raw tables hold {} and {}, expected {}\n",
                   single.recorded(), grouped.recorded(), raw_single.rows(), raw_grouped.rows(), expect);
        return 1;
    }

    const double n = double(event_count);
    const double ratio = engg.rate(event_count) / raw1.rate(event_count);
    const bool ok = ratio >= target_ratio;
    fmt::print("ingest_bench: {} message events per side into one incident room, durable commits (WAL, "
               "synchronous=FULL), the four sides in alternating chunks of {}; groups of up to {} events\n",
               event_count, chunk, engine::max_batch);
    fmt::print("  {:<34} {:>11}  {:>8}  {:>9}  {:>9}  {:>9}  {:>9}\n", "side", "rate /s", "flushes", "wall/ev",
               "user/ev", "sys/ev", "KiB/ev");
    const auto row = [&](const char* name, const tally& t) {
        fmt::print("  {:<34} {:>11.0f}  {:>8}  {:>6.3f} ms  {:>6.3f} ms  {:>6.3f} ms  {:>9.1f}\n", name,
                   t.rate(event_count), t.flushes, t.ms / n, t.cpu.user_ms / n, t.cpu.sys_ms / n,
                   double(t.bytes) / 1024 / n);
    };
    row("engine, one by one", eng1);
    row("raw inserts, one per transaction", raw1);
    row("engine, grouped (as the service)", engg);
    row("raw inserts, same groups", rawg);
    fmt::print("  {:<46} {:>7.1f} %   target >= 50 %: {}\n", "ratio engine grouped / raw one per transaction",
               ratio * 100, ok ? "met" : "MISSED");
    fmt::print("  {:<46} {:>7.1f} %   (like for like: the engine's own work per row)\n",
               "ratio engine grouped / raw same groups", engg.rate(event_count) / rawg.rate(event_count) * 100);
    fmt::print("  {:<46} {:>7.1f} %   (like for like, one flush per event)\n", "ratio engine one by one / raw one by one",
               eng1.rate(event_count) / raw1.rate(event_count) * 100);
    bench::summary("durable ingest (grouped, vs raw one per transaction)",
                   fmt::format("{:.0f} vs {:.0f}/s = {:.0f} %", engg.rate(event_count), raw1.rate(event_count), ratio * 100),
                   ">= 50 %", ok);
    return ok ? 0 : 1;
}
