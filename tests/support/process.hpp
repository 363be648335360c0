#pragma once
// Runs child processes (the firebreak binary with input on stdin, or any command
// line), capturing their output and exit code, for end-to-end tests.
#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/wait.h>

namespace firebreak::testing {

/// What a finished process printed and returned.
struct process_result {
    int exit_code = -1;
    std::string output;   ///< stdout and stderr together
};

/// Runs a shell command line, capturing what it prints on stdout and stderr.
inline process_result run_command(const std::string& command_line) {
    std::string cmd = command_line + " 2>&1";
    process_result r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

/// Runs `FIREBREAK_BINARY args` through the shell with `input` on stdin.
inline process_result run_firebreak(const std::string& args, const std::string& input, const std::string& scratch) {
    std::string in_file = scratch + "/stdin.txt";
    {
        std::ofstream f(in_file, std::ios::binary | std::ios::trunc);
        f << input;
    }
    return run_command(std::string("timeout 60 '") + FIREBREAK_BINARY + "' " + args + " < '" + in_file + "'");
}

}  // namespace firebreak::testing

#include <chrono>
#include <csignal>
#include <optional>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>
#include <fcntl.h>

namespace firebreak::testing {

/// A child process started directly (fork and exec, no shell), so a test can signal it;
/// its stdout and stderr go to a file. Killed and reaped on destruction if still running.
class child_process {
public:
    /// Starts `argv` with `env` added to this process's environment.
    child_process(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                  std::string log_path)
        : log_(std::move(log_path)) {
        pid_ = ::fork();
        if (pid_ == 0) {
            int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            int null_in = ::open("/dev/null", O_RDONLY);
            if (null_in >= 0) ::dup2(null_in, 0);
            // Nothing else of the test goes along: a listening socket of the test (Asio does
            // not open them close-on-exec) held by the child would outlive the test's own.
            if (::close_range(3, ~0U, 0) != 0)
                for (int other = 3, top = int(::sysconf(_SC_OPEN_MAX)); other < top; ++other) ::close(other);
            for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
    }
    ~child_process() {
        if (pid_ > 0 && !code_) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// Sends a signal.
    void signal(int sig) const { ::kill(pid_, sig); }
    /// Waits up to `limit` for the process to end: its exit code (128+n when killed by
    /// signal n), or nullopt while it still runs.
    std::optional<int> wait_exit(std::chrono::milliseconds limit) {
        auto until = std::chrono::steady_clock::now() + limit;
        while (!code_) {
            int status = 0;
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            if (std::chrono::steady_clock::now() >= until) break;
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        return code_;
    }
    /// Everything it printed so far.
    std::string output() const {
        std::ifstream f(log_, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }
    /// Waits up to `limit` until its output contains `needle`.
    bool wait_output(const std::string& needle, std::chrono::milliseconds limit) const {
        auto until = std::chrono::steady_clock::now() + limit;
        while (output().find(needle) == std::string::npos) {
            if (std::chrono::steady_clock::now() >= until) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        return true;
    }

private:
    std::string log_;
    pid_t pid_ = -1;
    std::optional<int> code_;
};

}  // namespace firebreak::testing
