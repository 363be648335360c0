#pragma once
// The network plumbing the fake servers (fake_homeserver, fake_slack) share: a listener on
// 127.0.0.1:0, plain or TLS with a fresh make_test_pki(), an io_context on its own thread,
// the connections it tracks so shutdown can close them, and an HTTP/1.1 keep-alive session
// loop that hands each request to the fake. Each fake keeps its protocol; this is the wire.
#include "tests/support/test_tls.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace firebreak::testing::fake_net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

using plain_stream = beast::tcp_stream;
using tls_stream = ssl::stream<beast::tcp_stream>;

// Limits: generous for tests, but bounded so a broken client cannot exhaust memory.
constexpr std::size_t max_body_bytes = 50u * 1024 * 1024;
constexpr std::size_t max_header_bytes = 64u * 1024;
constexpr auto tls_handshake_timeout = std::chrono::seconds{10};
constexpr auto tls_shutdown_timeout = std::chrono::seconds{2};

/// Anything the server must close when it shuts down, whatever its stream type.
class connection : public std::enable_shared_from_this<connection> {
public:
    virtual ~connection() = default;
    /// Closes the socket at once (shutdown, or a drop); server thread only.
    virtual void close() = 0;
};

/// A freshly accepted HTTP connection.
class http_connection : public connection {
public:
    /// Begins serving (TLS handshake first when TLS); server thread only.
    virtual void start() = 0;
};

/// The listener, the io_context and its thread. Everything but the constructor, run(), stop()
/// and the read-only accessors is for the server thread only.
class server {
public:
    using factory = std::function<std::shared_ptr<http_connection>(tcp::socket&&)>;

    /// Makes the TLS context when `tls` and listens on 127.0.0.1:0; throws std::runtime_error
    /// starting with `who` when it cannot. Nothing is served until run().
    server(bool tls, const std::string& who);
    /// Stops (without an on_stop hook) and joins, if stop() was not called.
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Accepts connections, each made by `make` and then started, and starts the thread. What
    /// a handler throws goes to `on_crash` ("server thread: ...") and serving goes on.
    void run(factory make, std::function<void(const std::string&)> on_crash);

    /// Any thread but the server's: on the server thread, marks stopping, closes the acceptor,
    /// calls `on_stop`, closes every tracked connection and stops; then joins the thread.
    void stop(std::function<void()> on_stop);

    /// Accepts with sessions of `Session<plain_stream>` or `Session<tls_stream>`, each made from
    /// (owner, socket[, TLS context]).
    template <template <class> class Session, class Owner>
    void run_sessions(Owner& owner, std::function<void(const std::string&)> on_crash) {
        run(
            [this, &owner](tcp::socket&& socket) -> std::shared_ptr<http_connection> {
                if (tls_enabled_) return std::make_shared<Session<tls_stream>>(owner, std::move(socket), tls_);
                return std::make_shared<Session<plain_stream>>(owner, std::move(socket));
            },
            std::move(on_crash));
    }

    bool tls() const { return tls_enabled_; }
    unsigned short port() const { return port_; }
    /// The CA to trust when tls (empty otherwise).
    const std::string& ca_pem() const { return pki_.ca_cert_pem; }
    asio::io_context& ioc() { return ioc_; }
    /// Set once shutdown has begun: handlers that still run must do nothing.
    bool stopping() const { return stopping_; }
    /// Keeps a connection for shutdown to close (a session that becomes another, too).
    void track(const std::shared_ptr<connection>& c);

private:
    void accept();
    void shutdown(const std::function<void()>& on_stop);

    // In destruction order: the io_context (and with it every session's stream) goes before
    // the TLS context those streams were made from.
    bool tls_enabled_;
    test_pki pki_;
    ssl::context tls_{ssl::context::tls_server};
    asio::io_context ioc_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
    tcp::acceptor acceptor_{ioc_};
    unsigned short port_ = 0;
    std::thread thread_;
    factory make_;
    std::vector<std::weak_ptr<connection>> sessions_;
    bool stopping_ = false;
};

/// An answer as it goes on the wire.
struct http_reply {
    unsigned status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// One HTTP connection: (TLS handshake,) then read a request, hand it to the fake, write what
/// it answers, repeat while keep-alive. `Derived` supplies:
///   void on_request(http::request<http::string_body>)  -- answers later through write()
///   http_reply too_large(); http_reply malformed();     -- for bodies over the limit, bad HTTP
/// and `Base` is the fake's own connection interface (an http_connection).
template <class Derived, class Stream, class Base = http_connection>
class http_session : public Base {
protected:
    static constexpr bool is_tls = !std::is_same_v<Stream, plain_stream>;

    template <class... Args>
    http_session(server& net, const char* server_name, Args&&... args)
        : net_(net), server_name_(server_name), stream_(std::forward<Args>(args)...) {}

public:
    void start() override {
        if constexpr (is_tls) {
            beast::get_lowest_layer(stream_).expires_after(tls_handshake_timeout);
            stream_.async_handshake(ssl::stream_base::server, [self = self()](beast::error_code ec) {
                if (ec || self->net_.stopping()) return self->close();
                self->read();
            });
        } else {
            read();
        }
    }

protected:
    std::shared_ptr<Derived> self() { return std::static_pointer_cast<Derived>(this->shared_from_this()); }

    void close_stream() { beast::get_lowest_layer(stream_).close(); }

    void read() {
        // An idle keep-alive connection may wait as long as the client likes (clients pool
        // them); the destructor closes whatever is left.
        beast::get_lowest_layer(stream_).expires_never();
        parser_.emplace();
        parser_->header_limit(max_header_bytes);
        parser_->body_limit(max_body_bytes);
        http::async_read(stream_, buffer_, *parser_,
                         [self = self()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void write(http_reply r, unsigned version) {
        res_ = {};
        res_.version(version);
        res_.result(r.status);
        res_.set(http::field::server, server_name_);
        res_.set(http::field::content_type, r.content_type);
        for (const auto& [name, value] : r.headers) res_.set(name, value);
        res_.keep_alive(keep_alive_);
        res_.body() = std::move(r.body);
        res_.prepare_payload();
        http::async_write(stream_, res_, [self = self()](beast::error_code ec, std::size_t) {
            if (self->net_.stopping()) return;
            if (ec) return self->close();
            if (!self->keep_alive_) return self->finish();
            self->read();
        });
    }

    server& net_;
    const char* server_name_;  // the Server header
    Stream stream_;
    unsigned version_ = 11;
    bool keep_alive_ = true;

private:
    Derived& derived() { return static_cast<Derived&>(*this); }

    void on_read(beast::error_code ec) {
        if (net_.stopping()) return;
        if (ec == http::error::end_of_stream || ec == http::error::partial_message) return this->close();
        if (ec == http::error::body_limit) {
            keep_alive_ = false;
            return write(derived().too_large(), 11);
        }
        if (ec && ec.category() == http::make_error_code(http::error::bad_method).category()) {
            // Malformed HTTP: say so and hang up, since the byte stream cannot be resynchronised.
            keep_alive_ = false;
            return write(derived().malformed(), 11);
        }
        if (ec) return this->close();

        auto req = parser_->release();
        version_ = req.version();
        keep_alive_ = req.keep_alive();
        derived().on_request(std::move(req));
    }

    // The client asked to close: a TLS close_notify first, then the socket.
    void finish() {
        if constexpr (is_tls) {
            beast::get_lowest_layer(stream_).expires_after(tls_shutdown_timeout);
            stream_.async_shutdown([self = self()](beast::error_code) { self->close(); });
        } else {
            beast::error_code ignored;
            beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
            this->close();
        }
    }

    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> res_;
};

/// The requests a fake answered and the test's hook on them, under the fake's own mutex (the
/// one its world is guarded by). Thread-safe.
template <class Call>
class call_log {
public:
    /// `describe` names a call in a hook failure ("POST /path").
    call_log(std::mutex& mu, std::string (*describe)(const Call&)) : mu_(mu), describe_(describe) {}

    /// Logs an answered request, then shows it to the hook outside the lock (the hook may call
    /// back into the fake). The hook runs off the test thread, so what it throws is collected
    /// for the test to read rather than unwinding the server.
    void record(const Call& c) {
        std::function<void(const Call&)> h;
        {
            std::lock_guard lock(mu_);
            calls_.push_back(c);
            h = hook_;
        }
        if (!h) return;
        std::string failure;
        try {
            h(c);
        } catch (const std::exception& e) {
            failure = e.what();
        } catch (...) {
            failure = "non-standard exception";
        }
        if (!failure.empty()) note_failure(describe_(c) + ": " + failure);
    }

    void note_failure(std::string what) {
        std::lock_guard lock(mu_);
        failures_.push_back(std::move(what));
    }

    void set_hook(std::function<void(const Call&)> f) {
        std::lock_guard lock(mu_);
        hook_ = std::move(f);
    }

    std::vector<Call> calls() const {
        std::lock_guard lock(mu_);
        return calls_;
    }

    std::vector<std::string> failures() const {
        std::lock_guard lock(mu_);
        return failures_;
    }

private:
    std::mutex& mu_;
    std::string (*describe_)(const Call&);
    std::vector<Call> calls_;                 // guarded by mu_
    std::function<void(const Call&)> hook_;  // guarded by mu_
    std::vector<std::string> failures_;       // guarded by mu_
};

}  // namespace firebreak::testing::fake_net
