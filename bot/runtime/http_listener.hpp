#pragma once
// The bot's HTTP serving, shared by every listener it has (the ops endpoint, the alert
// receivers): accept on one address, read one request per connection with a size limit
// and a deadline, hand it to the listener's handler, write its answer, close. The handler
// answers when it is ready (an alert receiver answers once the alert is committed); no
// answer in time, or a responder let go unanswered (a shutdown), is a 503 so the sender
// tries again.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace firebreak {

/// One request as a handler sees it.
struct http_request_in {
    std::string method;   ///< "GET", "POST", …
    std::string target;   ///< as sent, with the query
    std::string path;     ///< the target without the query
    std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
    std::string body;
    std::string peer;     ///< the client's address ("127.0.0.1")
    /// A header's value (name in lower case); "" when absent.
    std::string header(std::string_view name) const;
};

/// The body of an answer that goes on after its headers (Server-Sent Events): the listener
/// writes each chunk pushed, in order, until either side closes. Used on the listener's
/// executor only. A client that stops reading is dropped once a write takes longer than
/// the listener's timeout.
class http_stream {
public:
    /// Queues a chunk; ignored once closed.
    void push(std::string chunk);
    /// Ends the answer once what is queued is written.
    void close();
    /// Closed by the handler, the listener stopping, or the client gone.
    bool closed() const { return closed_; }
    /// Chunks queued and not yet written.
    std::size_t backlog() const { return queue_.size(); }

private:
    friend struct http_stream_access;
    std::deque<std::string> queue_;
    bool closed_ = false;
    boost::asio::steady_timer* wake_ = nullptr;  // while the writer waits for a chunk
    void poke();
};

/// One answer.
struct http_answer {
    int status = 200;
    std::string body;
    std::string content_type = "text/plain; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers;
    /// Set: the answer's body is this stream (no Content-Length), not `body`.
    std::shared_ptr<http_stream> stream;
    /// A plain-text answer.
    static http_answer text(int status, std::string body);
};

/// How a listener reads its requests.
struct http_listener_options {
    std::string name = "http";                             ///< for logs and errors: "ops endpoint"
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 8 * 1024;                 ///< larger: 413
    std::chrono::milliseconds timeout{5000};               ///< to read the request, and again to write the answer
    std::chrono::milliseconds handler_timeout{30000};      ///< for the handler to answer: then 503
    /// Connections open at once; one more is closed at accept, before anything is read, so
    /// a flood of idle clients costs a file descriptor each and never the process.
    std::size_t max_connections = 512;
    /// A stream with nothing to write for this long gets a comment line, so a client gone
    /// without a word is noticed.
    std::chrono::milliseconds stream_heartbeat{15000};
    /// Told of each answer the listener gives on its own (400, 413, 503), for counters.
    std::function<void(int status)> on_refused;
};

/// Answers a request, once.
using http_responder = std::function<void(http_answer)>;
/// What a listener does with each request; called on the listener's executor.
using http_handler = std::function<void(const http_request_in&, http_responder)>;

/// Accepts connections until stopped.
class http_listener {
public:
    /// Binds `listen` ("127.0.0.1:9108", "[::1]:0"); throws std::runtime_error naming the
    /// listener and the address when it cannot.
    http_listener(boost::asio::any_io_executor ex, const std::string& listen, http_listener_options options,
                  http_handler handler);
    ~http_listener();
    http_listener(const http_listener&) = delete;
    http_listener& operator=(const http_listener&) = delete;

    /// Starts accepting.
    void start();
    /// Stops accepting; open requests finish, those not yet handed to the handler get 503.
    void stop();
    /// The bound port (useful with port 0).
    unsigned short port() const;
    /// Connections open now (being read, waiting for the handler, written, streaming).
    std::size_t open_connections() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// Splits "host:port" / "[v6]:port" into an endpoint; nullopt when malformed.
std::optional<boost::asio::ip::tcp::endpoint> parse_listen_address(const std::string& listen);

}  // namespace firebreak
