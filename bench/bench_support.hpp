#pragma once
// What the benchmark programs share: a scratch directory removed at exit, a chat adapter
// that completes every call at once or on demand, a store wrapper that counts and times
// the durable writes, the raw SQLite reference, percentiles, CPU time and
// /proc/self/status figures.
#include "bot/core/chat_event.hpp"
#include "bot/core/ports.hpp"
#include "tests/support/forwarding_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace firebreak::bench {

/// A fresh directory under the system temp dir; removed, with everything in it, when
/// this goes out of scope, so no run finds files of an earlier one.
class scratch_dir {
public:
    /// Creates `<tmp>/<prefix>-XXXXXX`; throws when it cannot.
    explicit scratch_dir(const std::string& prefix) {
        std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a scratch directory under " + pattern);
        path_ = pattern;
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    /// A path inside the directory.
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// The platform "bench": every call succeeds, either before it returns (as the console's
/// do) or, when deferred, only at drain() (as a network platform answers later, after the
/// engine has returned and the event has been acknowledged). Either way delivering a
/// message costs the engine its store work and nothing else.
class bench_adapter final : public chat_adapter {
public:
    /// `deferred`: completions wait for drain().
    explicit bench_adapter(bool deferred = false) : deferred_(deferred) {}

    std::string platform() const override { return "bench"; }
    void start(event_sink) override {}
    void stop() override {}
    void display_name(const user_ref& u, std::function<void(std::optional<std::string>)> cb) override { cb(u.id); }
    capabilities caps() const override {
        capabilities c;
        c.ephemeral = c.threads = c.topics = c.rich_text = c.reactions = c.create_rooms = true;
        return c;
    }
    void open_room(const room_request& req, done cb) override {
        delivery d;
        d.room = room_ref{"bench", req.name};
        complete(std::move(cb), std::move(d));
    }
    void post(const room_ref&, const rich_text&, const message_id&, const std::string&, done cb) override {
        sent(std::move(cb));
    }
    void post_ephemeral(const room_ref&, const user_ref&, const rich_text&, done cb) override { sent(std::move(cb)); }
    void invite(const room_ref&, const std::vector<user_ref>&, done cb) override { sent(std::move(cb)); }
    void react(const room_ref&, const message_id&, const std::string&, done cb) override { sent(std::move(cb)); }
    void edit(const room_ref&, const message_id&, const rich_text&, done cb) override { sent(std::move(cb)); }
    void set_topic(const room_ref&, const std::string&, done cb) override { sent(std::move(cb)); }
    void post_file(const room_ref&, const std::string&, const std::string&, const rich_text&, done cb) override {
        sent(std::move(cb));
    }

    /// Completes the waiting calls, and those they lead to, until none is left.
    void drain() {
        while (!waiting_.empty()) {
            auto next = std::move(waiting_.front());
            waiting_.pop_front();
            next();
        }
    }
    /// Calls made so far.
    std::int64_t calls() const { return calls_; }

private:
    void sent(done cb) {
        delivery d;
        d.id = message_id{"b" + std::to_string(calls_ + 1)};
        complete(std::move(cb), std::move(d));
    }
    void complete(done cb, delivery d) {
        ++calls_;
        if (!deferred_) return cb(std::move(d));
        waiting_.push_back([cb = std::move(cb), d = std::move(d)] { cb(d); });
    }
    bool deferred_;
    std::deque<std::function<void()>> waiting_;
    std::int64_t calls_ = 0;
};

/// Forwards to a store and counts its durable writes, the disk flushes: each commit outside
/// a group, each group, each mark_failed, put_document and put_display_name, and each sync()
/// that had lazy mark_sent writes to flush. Times the commits (and groups).
class counting_store final : public testing::forwarding_store {
public:
    using forwarding_store::forwarding_store;

    /// Durable transactions written so far.
    std::int64_t writes() const { return writes_; }
    /// Time spent in commit() so far.
    double commit_ms() const { return commit_ms_; }

    bool commit(change& c, const std::string& id, instant now,
                const std::optional<std::pair<std::string, std::string>>& cursor) override {
        if (!grouped_) {
            ++writes_;
            lazy_ = false;
        }
        return timed([&] { return inner_.commit(c, id, now, cursor); });
    }
    bool commit_lazily(change& c, const std::string& id, instant now) override {
        lazy_ = true;
        return inner_.commit_lazily(c, id, now);
    }
    void sync() override {
        if (lazy_) ++writes_;
        lazy_ = false;
        inner_.sync();
    }
    void begin_group() override {
        grouped_ = true;
        timed([&] {
            inner_.begin_group();
            return true;
        });
    }
    void end_group() override {
        grouped_ = false;
        ++writes_;
        lazy_ = false;
        timed([&] {
            inner_.end_group();
            return true;
        });
    }
    void abandon_group() noexcept override {
        grouped_ = false;
        inner_.abandon_group();
    }
    void mark_sent(std::int64_t id, const message_id& platform_id, instant at) override {
        lazy_ = true;
        inner_.mark_sent(id, platform_id, at);
    }
    void mark_failed(std::int64_t id, const std::string& detail, bool give_up,
                     std::optional<instant> not_before) override {
        ++writes_;
        inner_.mark_failed(id, detail, give_up, not_before);
    }
    void put_document(incident_id inc, const std::string& format, const std::string& body, instant at) override {
        ++writes_;
        inner_.put_document(inc, format, body, at);
    }
    void put_display_name(const std::string& platform, const user_ref& user, const std::string& name,
                          instant at) override {
        ++writes_;
        inner_.put_display_name(platform, user, name, at);
    }

private:
    template <typename F>
    bool timed(F&& f) {
        auto t0 = std::chrono::steady_clock::now();
        bool r = f();
        commit_ms_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return r;
    }
    std::int64_t writes_ = 0;
    double commit_ms_ = 0;
    bool grouped_ = false;
    bool lazy_ = false;
};

/// The raw reference: the columns a timeline row of a message holds (incident, seq, at,
/// author, text, message id) in one table with no index beyond the rowid, written one
/// transaction per row with the store's durability (WAL, synchronous=FULL).
class raw_timeline {
public:
    /// Creates the table in a new database file.
    explicit raw_timeline(const std::string& path)
        : db_(open(path)),
          insert_(db_,
                  "INSERT INTO timeline(seq, incident, at, author, text, msg_id) VALUES (NULL, ?1, ?2, ?3, ?4, ?5)") {}

    /// Inserts one row in its own durable transaction.
    void insert(const chat_event& ev, std::int64_t incident) {
        SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
        put(ev, incident);
        tx.commit();
    }
    /// Inserts rows [from, to) of `events` in one durable transaction: the reference for a
    /// group commit of the same events.
    void insert_group(const std::vector<chat_event>& events, std::size_t from, std::size_t to, std::int64_t incident) {
        SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
        for (std::size_t i = from; i < to; ++i) put(events[i], incident);
        tx.commit();
    }
    /// Rows in the table.
    std::int64_t rows() {
        SQLite::Statement q(db_, "SELECT count(*) FROM timeline");
        q.executeStep();
        return q.getColumn(0).getInt64();
    }

private:
    // Writes one row inside the caller's transaction.
    void put(const chat_event& ev, std::int64_t incident) {
        insert_.bind(1, incident);
        insert_.bind(2, static_cast<std::int64_t>(to_unix_ms(ev.at)));
        insert_.bind(3, ev.user.id);
        insert_.bind(4, ev.text);
        insert_.bind(5, ev.msg.id);
        insert_.exec();
        insert_.reset();
    }
    static SQLite::Database open(const std::string& path) {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA journal_mode = WAL");
        db.exec("PRAGMA synchronous = FULL");
        db.exec("CREATE TABLE timeline (seq INTEGER PRIMARY KEY, incident INTEGER NOT NULL, at INTEGER NOT NULL, "
                "author TEXT NOT NULL, text TEXT NOT NULL, msg_id TEXT NOT NULL)");
        return db;
    }
    SQLite::Database db_;
    SQLite::Statement insert_;
};

/// One row of the table `make bench` prints at the end: every program states each of its
/// targets on a line of its own, tab-separated after "summary", and the Makefile gathers them.
inline void summary(const std::string& what, const std::string& figure, const std::string& target, bool met) {
    fmt::print("summary\t{}\t{}\t{}\t{}\n", what, figure, target, met ? "met" : "MISSED");
}

/// The nearest-rank percentile (0 < p <= 100) of some samples.
inline double percentile(std::vector<double> samples, double p) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    auto rank = static_cast<std::size_t>(p / 100.0 * double(samples.size()) + 0.999999);
    return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

/// CPU time this process has used so far, in milliseconds: in its own code and libraries
/// (user) and in the kernel on its behalf (system: writes, syncs).
struct cpu_times {
    double user_ms = 0, sys_ms = 0;
    cpu_times operator-(const cpu_times& o) const { return {user_ms - o.user_ms, sys_ms - o.sys_ms}; }
    cpu_times& operator+=(const cpu_times& o) {
        user_ms += o.user_ms;
        sys_ms += o.sys_ms;
        return *this;
    }
};
/// The CPU time used so far.
inline cpu_times cpu_now() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    const auto ms = [](const timeval& t) { return double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3; };
    return {ms(u.ru_utime), ms(u.ru_stime)};
}

/// A numeric field ("VmRSS", "wchar") of a /proc/self file ("status", "io"); -1 when absent.
inline long proc_self(const std::string& file, const std::string& key) {
    std::ifstream in("/proc/self/" + file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) != 0) continue;
        return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    }
    return -1;
}

/// A "VmRSS"-style line of /proc/self/status, in kB; -1 when absent.
inline long status_kb(const std::string& key) { return proc_self("status", key); }

/// Bytes this process has handed to write calls so far (/proc/self/io `wchar`).
inline long bytes_written() { return proc_self("io", "wchar"); }

/// A deterministic pseudo-random sequence (xorshift64), so every run writes the same data.
struct sequence {
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    std::uint64_t next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
    std::size_t below(std::size_t n) { return std::size_t(next() % n); }
};

/// Things people say in an incident room, 3 to about 150 bytes.
inline const std::vector<std::string>& room_phrases() {
    static const std::vector<std::string> p{
        "checkout-api p99 at 4.1s, pool waiters 40-70 per pod",
        "rolling restart did not help, errors back within 3 min",
        "the config key moved and nobody noticed in review",
        "graph: waiters by pod flat at max since 14:20",
        "not the provider: egress latency flat at 400ms",
        "db cpu 34%, connections 920 -> 240 after the deploy",
        "ack",
        "looking",
        "support has 11 new tickets about failed payments in the last 10 minutes, mostly EU cards, "
        "all with the same 502 from the gateway",
        "can someone with prod access check the loader logs on eu-west-1?",
    };
    return p;
}

/// People in the room.
inline const std::vector<std::string>& room_people() {
    static const std::vector<std::string> p{"maya", "dev", "sam", "priya", "tomas", "lena", "ravi", "ana"};
    return p;
}

}  // namespace firebreak::bench
