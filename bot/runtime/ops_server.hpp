#pragma once
// The operators' HTTP endpoint: /healthz, /readyz and /metrics, served through the
// shared http_listener on the engine's executor (so handlers read the engine without
// locks). Loopback by default; every request is bounded in size and time, and a bad one
// gets a 4xx.
#include "bot/runtime/http_listener.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

namespace firebreak {

/// What the endpoint serves; each is called on the server's executor.
struct ops_handlers {
    /// Why the process is not ready (store closed, an adapter not connected); empty = ready.
    std::function<std::vector<std::string>()> not_ready;
    /// The Prometheus text of /metrics.
    std::function<std::string()> metrics;
};

/// Accepts connections until stopped.
class ops_server {
public:
    /// Binds `listen` ("127.0.0.1:9108", "[::1]:0"); throws std::runtime_error naming the
    /// address when it cannot.
    ops_server(boost::asio::any_io_executor ex, const std::string& listen, ops_handlers handlers);
    ~ops_server();

    /// Starts accepting, stops accepting (open requests finish), the bound port.
    void start() { listener_->start(); }
    void stop() { listener_->stop(); }
    unsigned short port() const { return listener_->port(); }

private:
    std::unique_ptr<http_listener> listener_;
};

}  // namespace firebreak
