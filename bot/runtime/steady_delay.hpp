#pragma once
// The runtime's delay timer: a steady_timer on the engine's executor.
#include "bot/core/ports.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace firebreak {

/// A delay_timer over boost::asio::steady_timer.
std::unique_ptr<delay_timer> steady_delay(boost::asio::any_io_executor ex);

}  // namespace firebreak
