#pragma once
// The store's background WAL checkpointer: a thread and connection of its own that copy the
// WAL back into the database file, so commits never checkpoint (and wait) themselves.
#include <SQLiteCpp/Database.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace firebreak::detail {

// Copies the WAL back into the database file on a thread and connection of its own.
// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that
// commit then also writes a few MB into the database file and syncs it, and the event
// waiting on it (and every event queued behind) waits too; latency_bench saw 100 ms
// stalls. A PASSIVE checkpoint from another connection never blocks the writer, and
// the writer restarts the WAL from its start once a checkpoint has caught up.
class checkpointer {
public:
    /// WAL frames (pages) after which a commit asks for a checkpoint: SQLite's default.
    static constexpr int frames = 1000;
    /// The WAL restarts from its start only once a checkpoint has caught up with the
    /// writer, which a sustained burst never lets happen. Past this many frames (16 MB)
    /// the writer checkpoints inline after its commit, once, as SQLite itself would.
    static constexpr int cap = 4000;

    /// Opens a connection of its own to the database at `path` and starts the thread.
    explicit checkpointer(const std::string& path);
    /// Stops and joins the thread.
    ~checkpointer();
    checkpointer(const checkpointer&) = delete;
    checkpointer& operator=(const checkpointer&) = delete;

    /// Asks for a checkpoint (cheap; called from the writer's commit).
    void request();
    /// Background checkpoints completed so far.
    std::int64_t done() const { return done_.load(); }

    /// SQLite's wal_hook: called after each commit with the frames now in the WAL.
    static int on_commit(void* self, sqlite3* db, const char* name, int wal_frames);
    /// Checkpoints the writer ran inline (past `cap`) so far.
    std::int64_t inline_done() const { return inline_.load(); }

private:
    void run();

    SQLite::Database db_;
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false, wanted_ = false;
    std::atomic<std::int64_t> done_{0}, inline_{0};
    int next_at_ = frames, seen_ = 0;
    std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace firebreak::detail
