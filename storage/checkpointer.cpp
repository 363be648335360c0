#include "storage/checkpointer.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <string>

namespace firebreak::detail {

checkpointer::checkpointer(const std::string& path)
    : db_(path, SQLite::OPEN_READWRITE, 5000), thread_([this] { run(); }) {}

checkpointer::~checkpointer() {
    {
        std::lock_guard<std::mutex> l(m_);
        stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void checkpointer::request() {
    {
        std::lock_guard<std::mutex> l(m_);
        wanted_ = true;
    }
    cv_.notify_one();
}

int checkpointer::on_commit(void* self, sqlite3* db, const char* name, int wal_frames) {
    auto& c = *static_cast<checkpointer*>(self);
    // Only the writer's thread gets here, so next_at_ and seen_ need no lock.
    if (wal_frames < c.seen_) c.next_at_ = frames;  // the WAL started over
    c.seen_ = wal_frames;
    if (wal_frames >= cap) {
        // The background checkpoints have copied nearly everything by now, so this
        // one copies the last few pages (2.5 ms measured). SQLITE_BUSY while the
        // background one runs: the next commit tries again.
        if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_OK)
            ++c.inline_;
    } else if (wal_frames >= c.next_at_) {
        // Once per `frames` new frames, not after every commit past the threshold: each
        // checkpoint ends with a sync of the database file, and a sync per commit
        // would halve what the disk has left for the commits themselves.
        c.next_at_ = wal_frames + frames;
        c.request();
    }
    return SQLITE_OK;
}

void checkpointer::run() {
    std::unique_lock<std::mutex> l(m_);
    for (;;) {
        cv_.wait(l, [this] { return stop_ || wanted_; });
        if (stop_) return;
        wanted_ = false;
        l.unlock();
        // The WAL starts over only when a writer finds every frame copied, so while the
        // writer keeps appending, the copy is chased a few times: each round has only
        // the frames of the last few commits to copy and one gap between commits is
        // enough to catch up. Past `chases` rounds the next request goes on (and past
        // `cap` the writer steps in). A failure (SQLITE_BUSY while the writer's own
        // checkpoint runs) waits for the next request; nothing is lost meanwhile.
        constexpr int chases = 8;
        for (int round = 0; round < chases; ++round) {
            int in_log = 0, copied = 0;
            if (sqlite3_wal_checkpoint_v2(db_.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &in_log,
                                          &copied) != SQLITE_OK)
                break;
            ++done_;
            if (copied >= in_log) break;
        }
        l.lock();
    }
}

}  // namespace firebreak::detail
