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
