#pragma once
// Elapsed time on the monotonic clock, for measuring (benchmarks, latency metrics).
// Like every clock read, it lives in bot/runtime.
#include <chrono>

namespace firebreak {

/// Starts when made; elapsed() is the time since then (or since the last restart()).
class stopwatch {
public:
    stopwatch() : start_(std::chrono::steady_clock::now()) {}
    /// Milliseconds since the start, with fractions.
    double elapsed_ms() const {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    }
    /// Starts again from now.
    void restart() { start_ = std::chrono::steady_clock::now(); }
private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace firebreak
