#pragma once
// The wall clock, the only one outside tests and replays. Only bot/runtime reads it.
#include "bot/core/ports.hpp"

namespace firebreak {

/// The system's UTC clock, truncated to milliseconds, optionally shifted forward
/// (the console's `/wait`).
class system_clock final : public clock {
public:
    instant now() const override;
    /// Adds to the shift.
    void advance(duration d) { offset_ += d; }
private:
    duration offset_{0};
};

}  // namespace firebreak
