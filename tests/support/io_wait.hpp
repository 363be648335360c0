#pragma once
// Runs an io_context in short slices until a condition holds or a wall-clock limit
// passes: network tests wait for what a fake server saw, never for a fixed time.
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>

namespace firebreak::testing {

/// Runs `io` until `done()` is true (then true) or `limit` has passed (then false).
inline bool run_io_until(boost::asio::io_context& io, const std::function<bool()>& done,
                         std::chrono::milliseconds limit = std::chrono::milliseconds{10000}) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        if (io.stopped()) io.restart();
        io.run_for(std::chrono::milliseconds{2});
    }
    return true;
}

/// Like run_io_until, but checks `done()` after every single handler, so a test can act
/// (crash, say) at an exact point between two of them, e.g. between two group commits.
inline bool run_io_until_each(boost::asio::io_context& io, const std::function<bool()>& done,
                              std::chrono::milliseconds limit = std::chrono::milliseconds{10000}) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        if (io.stopped()) io.restart();
        io.run_one_for(std::chrono::milliseconds{2});
    }
    return true;
}

}  // namespace firebreak::testing
