#include "storage/lock_file.hpp"

#include "storage/sqlite_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace firebreak::detail {

lock_file::lock_file(const std::string& db_path) {
    const std::string lock_path = db_path + ".lock";
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw store_error(fmt::format("cannot open database {}: cannot create lock file {}: {}",
                                      db_path, lock_path, std::strerror(errno)));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const std::string holder = read_holder();
        ::close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK) {
            throw store_error(fmt::format("database {} is in use by another firebreak process{}",
                                          db_path, holder.empty() ? "" : " (pid " + holder + ")"));
        }
        throw store_error(fmt::format("cannot open database {}: cannot lock {}: {}", db_path,
                                      lock_path, std::strerror(err)));
    }
    // Record our pid so the error above can tell an operator which process to look at.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) {
        [[maybe_unused]] const auto n = ::pwrite(fd_, pid.data(), pid.size(), 0);
    }
}

lock_file::~lock_file() {
    if (fd_ >= 0) ::close(fd_);
}

lock_file::lock_file(lock_file&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

std::string lock_file::read_holder() const {
    char buf[32] = {};
    const auto n = ::pread(fd_, buf, sizeof buf - 1, 0);
    if (n <= 0) return {};
    std::string pid(buf, static_cast<std::size_t>(n));
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == '\r')) pid.pop_back();
    const bool digits = !pid.empty() && std::all_of(pid.begin(), pid.end(), [](char ch) {
        return ch >= '0' && ch <= '9';
    });
    return digits ? pid : std::string{};
}

}  // namespace firebreak::detail
