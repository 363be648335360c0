// Footprint: a store of 1,000 incidents and 1,000,000 timeline entries, and what the
// bot costs to start on it: the time from opening the store to ready (the engine loads
// every incident and each one's last 50 entries, delivers what the outbox holds and aims
// its wake timer, as `firebreak run` does before it takes events), and the resident
// memory once it is. Targets: ready in under 1 s, under 64 MB resident.
//
// The store is written through the store API itself (incident_store::commit), in a
// dozen big transactions, so its rows are exactly what the engine writes. Each start is
// measured in a fresh process (fork and exec of this program with --measure), so nothing
// of the builder is resident in it: first with the file's pages dropped from the page
// cache (a start after a reboot), then again with them cached (a restart).
#include "bench/bench_support.hpp"
#include "bot/runtime/allocator.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/stopwatch.hpp"
#include "bot/runtime/system_clock.hpp"
#include "storage/sqlite_store.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace firebreak;
using namespace std::chrono_literals;

namespace {

constexpr int incident_count = 1'000;
constexpr std::int64_t entry_count = 1'000'000;
constexpr std::size_t batch = 100'000;  // entries per transaction while building
constexpr double target_ready_ms = 1000;
constexpr long target_rss_kb = 64 * 1024;

engine_settings bench_settings() {
    engine_settings s;
    s.announcement_rooms["bench"] = room_ref{"bench", "announcements"};
    return s;
}

// ---- the builder ---------------------------------------------------------------------

// Incident n over its life: declared every 8 hours over a year, worked for about an hour;
// all but the last fifteen are closed, the last five still open.
incident make_incident(int n, std::int64_t entries, std::int64_t messages, bench::sequence& rnd) {
    const auto& people = bench::room_people();
    const auto person = [&] { return user_ref{people[rnd.below(people.size())]}; };
    const instant declared = from_unix_ms(1'761'000'000'000) + std::chrono::hours{8} * n;
    const instant end = declared + std::chrono::milliseconds{3'400} * entries;
    incident inc;
    inc.id = incident_id{n};
    inc.title = fmt::format("{} after the config loader change #{}", n % 3 ? "Checkout failures" : "Search timeouts", n);
    inc.sev = static_cast<severity>(1 + int(rnd.below(4)));
    inc.state = n <= incident_count - 15 ? status::closed
                : n <= incident_count - 5 ? status::resolved
                                          : status::investigating;
    inc.declared_by = person();
    inc.declared_in = room_ref{"bench", "general"};
    inc.rooms.push_back(room_ref{"bench", fmt::format("inc-{}-checkout", n)});
    inc.times.impact_started = declared - 11min;
    inc.times.detected = declared - 5min;
    inc.times.declared = declared;
    inc.times.commander_assigned = declared;
    const bool open = inc.state == status::investigating;
    if (!open) {
        inc.times.identified = declared + (end - declared) / 4;
        inc.times.mitigated = declared + (end - declared) / 2;
        inc.times.resolved = end;
    }
    if (inc.state == status::closed) inc.times.closed = end + 2h;
    const std::optional<instant> over = open ? std::nullopt : std::optional<instant>{end + 2h};
    inc.shifts.push_back({role::commander, inc.declared_by, "", declared, over, inc.declared_by, open ? user_ref{} : inc.declared_by});
    inc.shifts.push_back({role::scribe, person(), "", declared + 4min, over, inc.declared_by, {}});
    inc.shifts.push_back({role::sme, person(), "database", declared + 9min, over, inc.declared_by, {}});
    inc.history.push_back({declared, inc.sev, status::investigating, inc.declared_by, {}});
    if (!open) {
        inc.history.push_back({*inc.times.identified, inc.sev, status::identified, inc.declared_by, {}});
        inc.history.push_back({*inc.times.mitigated, inc.sev, status::mitigated, inc.declared_by, {}});
        inc.history.push_back({end, inc.sev, status::resolved, inc.declared_by, {}});
    }
    if (inc.times.closed) inc.history.push_back({*inc.times.closed, inc.sev, status::closed, inc.declared_by, {}});
    for (int h = 1; h <= 3; ++h)
        inc.hypotheses.push_back({h, bench::room_phrases()[std::size_t(h)], person(), declared + 10min * h,
                                  open ? outcome::open : h == 2 ? outcome::confirmed : outcome::ruled_out,
                                  open ? std::nullopt : std::optional<instant>{declared + 10min * h + 15min},
                                  open ? user_ref{} : person(), open ? "" : "error rate flat after the rollback", {}, {}});
    for (int k = 0; k < 4; ++k)
        inc.notes.push_back({note_kind(k), bench::room_phrases()[std::size_t(k + 2)], person(), declared + 7min * k, {}});
    for (int a = 1; a <= 2; ++a)
        inc.actions.push_back({a, fmt::format("add an alert on pool waiters ({})", a), person(), "2026-12-01",
                               inc.declared_by, end, {}});
    for (int u = 0; u < 3; ++u)
        inc.updates.push_back({declared + 20min * u, inc.declared_by, "about 9% of order submissions failing",
                               "rolling back the config loader", "", declared + 20min * (u + 1)});
    if (open) inc.next_update_due = declared + 80min;
    inc.message_count = messages;
    return inc;
}

// Writes the store: the incidents in one transaction, then their timelines, incident by
// incident, in transactions of `batch` entries. Returns the seconds it took.
double build_store(const std::string& path) {
    stopwatch w;
    sqlite_store store(path);
    bench::sequence rnd;
    const auto& phrases = bench::room_phrases();
    const auto& people = bench::room_people();
    static const char* system_tags[] = {"role", "status", "update", "severity"};

    // How many entries each incident gets: 100 to 1,900, in pairs that sum to 2,000.
    std::vector<std::int64_t> sizes(incident_count);
    for (int i = 0; i < incident_count; i += 2) {
        const auto d = std::int64_t(rnd.below(1801)) - 900;
        sizes[std::size_t(i)] = entry_count / incident_count + d;
        sizes[std::size_t(i + 1)] = entry_count / incident_count - d;
    }
    // Which entries are system rows is decided up front, so each incident's message
    // count is known when it is written.
    std::vector<std::int64_t> messages(incident_count);
    std::vector<std::vector<bool>> is_system(incident_count);
    for (int i = 0; i < incident_count; ++i) {
        auto& s = is_system[std::size_t(i)];
        s.resize(std::size_t(sizes[std::size_t(i)]));
        for (std::size_t k = 0; k < s.size(); ++k) s[k] = k == 0 || rnd.below(10) == 0;
        messages[std::size_t(i)] = std::int64_t(std::count(s.begin(), s.end(), false));
    }

    change incidents;
    for (int n = 1; n <= incident_count; ++n)
        incidents.incidents.push_back(make_incident(n, sizes[std::size_t(n - 1)], messages[std::size_t(n - 1)], rnd));
    incidents.next_number = incident_count + 1;
    store.commit(incidents, "", from_unix_ms(1'761'000'000'000), std::nullopt);

    change c;
    c.entries.reserve(batch);
    std::int64_t written = 0;
    for (const incident& inc : incidents.incidents) {
        const auto& system = is_system[std::size_t(inc.id.n - 1)];
        for (std::size_t k = 0; k < system.size(); ++k) {
            timeline_entry& e = c.entries.emplace_back();
            e.incident = inc.id;
            e.at = inc.times.declared + std::chrono::milliseconds{3'400} * std::int64_t(k);
            e.room = inc.rooms.front();
            if (system[k]) {
                e.kind = entry_kind::system;
                e.tag = system_tags[rnd.below(4)];
                e.author = inc.declared_by;
                e.text = fmt::format("status update: impact: about 9% of order submissions failing | next at {}",
                                     format_utc(e.at + 30min));
            } else {
                e.kind = entry_kind::message;
                e.tag = rnd.below(20) == 0 ? "decision" : "";
                e.author = user_ref{people[rnd.below(people.size())]};
                e.text = phrases[rnd.below(phrases.size())];
                e.msg = message_id{fmt::format("{}.{:06}", to_unix_ms(e.at) / 1000, k)};
                if (rnd.below(8) == 0 && k > 1)
                    e.thread_parent = message_id{fmt::format("{}.{:06}", to_unix_ms(e.at) / 1000 - 3, k - 1)};
                e.highlight = rnd.below(200) == 0;
            }
            if (c.entries.size() == batch) {
                store.commit(c, "", e.at, std::nullopt);
                written += std::int64_t(c.entries.size());
                c.entries.clear();
            }
        }
    }
    if (!c.entries.empty()) {
        written += std::int64_t(c.entries.size());
        store.commit(c, "", from_unix_ms(0), std::nullopt);
    }
    if (written != entry_count) throw std::runtime_error(fmt::format("wrote {} entries, meant {}", written, entry_count));
    return w.elapsed_ms() / 1000;  // the store closes here, checkpointing its WAL into the file
}

// Drops the file's pages from the page cache (they are clean: the last close synced
// them), so the next start reads from the disk as after a reboot. Only this file's pages.
void evict(const std::string& path) {
    for (const auto& p : {path, path + "-wal"}) {
        const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
}

// ---- the measured start, in its own process ----------------------------------------

struct start_figures {
    double open_ms = 0, ready_ms = 0;
    long base_kb = 0, rss_kb = 0, hwm_kb = 0;
    long incidents = 0, tail_entries = 0, messages = 0;
};

// The child: opens the store and starts the engine as the service does, then reports on
// stdout (a pipe to the parent), one line of numbers.
int measure(const std::string& path) {
    start_figures f;
    f.base_kb = bench::status_kb("VmRSS");
    stopwatch w;
    sqlite_store store(path);
    f.open_ms = w.elapsed_ms();
    system_clock clk;
    engine eng(store, bench_settings(), clk);
    bench::bench_adapter adapter;
    eng.add_adapter(adapter);
    eng.deliver();
    [[maybe_unused]] auto wake = eng.next_wake();
    f.ready_ms = w.elapsed_ms();
    f.rss_kb = bench::status_kb("VmRSS");
    f.hwm_kb = bench::status_kb("VmHWM");
    f.incidents = long(eng.state().incidents.size());
    for (const auto& [n, tail] : eng.state().recent) f.tail_entries += long(tail.size());
    for (const auto& [n, inc] : eng.state().incidents) f.messages += long(inc.message_count);
    fmt::print("{} {} {} {} {} {} {} {}\n", f.open_ms, f.ready_ms, f.base_kb, f.rss_kb, f.hwm_kb, f.incidents,
               f.tail_entries, f.messages);
    return 0;
}

// Runs this program again with --measure in a new process and reads its line.
std::optional<start_figures> measure_in_child(const std::string& path) {
    int fds[2];
    if (::pipe(fds) != 0) return std::nullopt;
    const pid_t pid = ::fork();
    if (pid < 0) return std::nullopt;
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        const char* args[] = {"footprint_bench", "--measure", path.c_str(), nullptr};
        ::execv("/proc/self/exe", const_cast<char* const*>(args));
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, std::size_t(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    start_figures f;
    std::istringstream in(out);
    if (!(in >> f.open_ms >> f.ready_ms >> f.base_kb >> f.rss_kb >> f.hwm_kb >> f.incidents >> f.tail_entries >>
          f.messages))
        return std::nullopt;
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    // As the firebreak binary does: the figures are those of the process that ships.
    firebreak::tune_allocator();
    if (argc == 3 && std::string_view(argv[1]) == "--measure") return measure(argv[2]);

    bench::scratch_dir dir("firebreak-footprint");
    const std::string path = dir.file("firebreak.sqlite");
    const double build_s = build_store(path);
    const auto file_mb = double(std::filesystem::file_size(path)) / 1e6;

    evict(path);
    const auto cold = measure_in_child(path);
    const auto warm = measure_in_child(path);
    if (!cold || !warm) {
        fmt::print(stderr, "footprint_bench: the measuring process failed\n");
        return 1;
    }
    if (cold->incidents != incident_count || warm->incidents != incident_count) {
        fmt::print(stderr, "footprint_bench: loaded {} incidents, expected {}\n", cold->incidents, incident_count);
        return 1;
    }

    fmt::print("footprint_bench: store of {} incidents and {} timeline entries ({:.0f} MB file, written in {:.1f} s "
               "through sqlite_store::commit); each start in a fresh process\n",
               incident_count, entry_count, file_mb, build_s);
    fmt::print("  {:<22} {:>10} {:>10} {:>10} {:>10} {:>10}  {}\n", "start", "open", "ready", "VmRSS", "VmHWM",
               "before", "targets: ready < 1000 ms, VmRSS < 64 MB");
    bool ok = true;
    const auto row = [&](const char* name, const start_figures& f) {
        const bool met = f.ready_ms < target_ready_ms && f.rss_kb < target_rss_kb;
        ok = ok && met;
        fmt::print("  {:<22} {:>7.1f} ms {:>7.1f} ms {:>7.1f} MB {:>7.1f} MB {:>7.1f} MB  {}{}\n", name, f.open_ms,
                   f.ready_ms, double(f.rss_kb) / 1024, double(f.hwm_kb) / 1024, double(f.base_kb) / 1024,
                   met ? "met" : "MISSED",
                   f.hwm_kb >= target_rss_kb ? " (the peak, VmHWM, went over 64 MB)" : "");
    };
    row("cold (pages evicted)", *cold);
    row("warm (pages cached)", *warm);
    bench::summary("footprint: start to ready, 1M entries (cold)", fmt::format("{:.0f} ms", cold->ready_ms), "< 1000 ms",
                   cold->ready_ms < target_ready_ms);
    bench::summary("footprint: resident memory, 1M entries (cold)", fmt::format("{:.1f} MB", double(cold->rss_kb) / 1024),
                   "< 64 MB", cold->rss_kb < target_rss_kb);
    fmt::print("  loaded: {} incidents, {} tail entries in memory (the last {} of each), {} messages counted\n",
               cold->incidents, cold->tail_entries, bench_settings().timeline_tail, cold->messages);
    return ok ? 0 : 1;
}
