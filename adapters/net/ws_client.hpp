#pragma once
// One WebSocket connection (ws:// or wss://) over Beast: connect with SNI and
// certificate and host-name verification, awaited reads of each text message, a write
// queue with one write in flight at a time, keep-alive pings and an idle timeout.
#include "adapters/net/http_client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
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
    /// Largest message accepted; a larger one ends the connection.
    static constexpr std::size_t max_message = 8 * 1024 * 1024;

    /// Throws std::runtime_error when the CA file cannot be read.
    ws_client(boost::asio::any_io_executor ex, tls_options tls = {}, ws_timeouts t = {});
    /// Ends the connection; a read under way ends as closed().
    ~ws_client();
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    /// Connects to `address` ("wss://host/path?query") and waits for the handshake: "" once
    /// open, otherwise why not. Once only.
    boost::asio::awaitable<std::string> open(std::string address);
    /// Waits for the next text message; nullopt once the connection has ended (then
    /// end_reason() says why). One read at a time.
    boost::asio::awaitable<std::optional<std::string>> read();
    /// Why the connection ended: "closed by the server", "idle timeout", "closed" (by
    /// close() or abort()), ...; "" while it has not.
    const std::string& end_reason() const;
    /// Queues a text message; dropped when the connection is not open.
    void send(std::string text);
    /// Sends a close frame and ends the connection.
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
