#pragma once
// The single-instance lock of a database file: an flock() on the sidecar `<path>.lock`,
// which makes a second firebreak process on the same file fail at start.
#include <string>

namespace firebreak::detail {

// The single-instance lock. SQLite's own locking lets several processes share a
// file, but two firebreak processes on one database would both deliver the
// outbox and both answer every command. A sidecar file with flock() makes the
// second one fail at start, and the kernel drops the lock when a process dies,
// so a crash never leaves a stale lock behind. The sidecar is never deleted:
// unlinking a lock file races with a process about to lock it.
class lock_file {
public:
    /// Holds no lock (":memory:" databases).
    lock_file() = default;
    /// Locks `<db_path>.lock`; throws store_error naming the holder's pid when another
    /// process has it.
    explicit lock_file(const std::string& db_path);
    ~lock_file();
    lock_file(lock_file&& other) noexcept;
    lock_file& operator=(lock_file&&) = delete;
    lock_file(const lock_file&) = delete;
    lock_file& operator=(const lock_file&) = delete;

private:
    std::string read_holder() const;

    int fd_ = -1;
};

}  // namespace firebreak::detail
