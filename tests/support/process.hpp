#pragma once
// Runs the firebreak binary as a child process with input on stdin, capturing
// its output and exit code, for end-to-end tests.
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

/// Runs `FIREBREAK_BINARY args` through the shell with `input` on stdin.
inline process_result run_firebreak(const std::string& args, const std::string& input, const std::string& scratch) {
    std::string in_file = scratch + "/stdin.txt";
    {
        std::ofstream f(in_file, std::ios::binary | std::ios::trunc);
        f << input;
    }
    std::string cmd = std::string("timeout 60 '") + FIREBREAK_BINARY + "' " + args + " < '" + in_file + "' 2>&1";
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

}  // namespace firebreak::testing
