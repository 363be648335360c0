#pragma once
// One WebSocket connection (ws:// or wss://) over Beast: connect with SNI and
// certificate and host-name verification, a read loop that hands over each text
// message, a write queue with one write in flight at a time, keep-alive pings and an
// idle timeout. Callbacks run on the executor given at construction.
#include "adapters/net/http_client.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace firebreak::net {

/// Timings of a WebSocket connection.
struct ws_timeouts {
    std::chrono::milliseconds handshake{10000};
    std::chrono::milliseconds idle{30000};  ///< no traffic this long (after a ping) ends the connection
};

/// A WebSocket client connection. Not thread-safe: use from its executor.
class ws_client {
public:
    /// Called once the handshake is done (error "") or failed (error says why).
    using opened_fn = std::function<void(const std::string& error)>;
    /// Called with each text message.
    using message_fn = std::function<void(std::string text)>;
    /// Called once when an open connection ends, with why.
    using closed_fn = std::function<void(const std::string& why)>;
    /// Largest message accepted; a larger one ends the connection.
    static constexpr std::size_t max_message = 8 * 1024 * 1024;

    /// Throws std::runtime_error when the CA file cannot be read.
    ws_client(boost::asio::any_io_executor ex, tls_options tls = {}, ws_timeouts t = {});
    /// Closes without calling back.
    ~ws_client();
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    /// Connects to `address` ("wss://host/path?query"). Each callback is called at most as
    /// documented above; none after close() or destruction.
    void connect(const std::string& address, opened_fn on_open, message_fn on_message, closed_fn on_closed);
    /// Queues a text message; dropped when the connection is not open.
    void send(std::string text);
    /// Sends a close frame and ends the connection quietly (no closed_fn).
    void close();
    /// Ends the connection at once, without a close frame (tests, fatal errors).
    void abort();
    /// Whether the handshake is done and the connection not yet ended.
    bool is_open() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace firebreak::net
