#include "adapters/net/ws_client.hpp"
#include "adapters/net/tasks.hpp"
#include "adapters/net/tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <optional>
#include <stdexcept>
#include <tuple>

namespace firebreak::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct ws_client::impl : std::enable_shared_from_this<impl> {
    using plain_ws = websocket::stream<beast::tcp_stream>;
    using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

    asio::any_io_executor ex_;
    ssl::context ctx_{ssl::context::tls_client};
    ws_timeouts timeouts_;
    std::optional<plain_ws> plain_;
    std::optional<tls_ws> tls_;
    beast::flat_buffer buffer_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool started_ = false;
    bool open_ = false;
    std::string end_reason_;  // set once the connection has ended

    impl(asio::any_io_executor ex, const tls_options& tls, ws_timeouts t) : ex_(std::move(ex)), timeouts_(t) {
        prepare_client_tls(ctx_, tls);
    }

    beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : beast::get_lowest_layer(*plain_); }

    void shut_socket() {
        beast::error_code ec;
        if (tls_ || plain_) lowest().socket().close(ec);
    }

    void end(const std::string& why) {
        open_ = false;
        if (end_reason_.empty()) end_reason_ = why;
        shut_socket();
    }

    template <class WS>
    void configure(WS& ws) {
        // Beast's own timers replace the TCP stream's once the socket is a WebSocket:
        // a ping after half the idle time, the connection ended when no answer comes.
        beast::get_lowest_layer(ws).expires_never();
        websocket::stream_base::timeout t{};
        t.handshake_timeout = timeouts_.handshake;
        t.idle_timeout = timeouts_.idle;
        t.keep_alive_pings = true;
        ws.set_option(t);
        ws.set_option(websocket::stream_base::decorator(
            [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "firebreak"); }));
        ws.read_message_max(max_message);
    }

    // Resolve, connect, TLS, WebSocket handshake, top to bottom; "" once open. After
    // each step a connection ended meanwhile (close(), destruction) stops it.
    static asio::awaitable<std::string> open(std::shared_ptr<impl> self, url u) {
        tcp::resolver resolver(self->ex_);
        auto [rec, results] = co_await resolver.async_resolve(u.host, u.port, no_throw);
        if (!self->end_reason_.empty()) co_return self->end_reason_;
        if (rec) co_return self->failed("resolve " + u.host + ": " + rec.message());
        boost::system::error_code ip_ec;
        asio::ip::make_address(u.host, ip_ec);
        const bool ip_literal = !ip_ec;
        if (u.tls()) {
            self->tls_.emplace(self->ex_, self->ctx_);
            if (!ip_literal && !SSL_set_tlsext_host_name(self->tls_->next_layer().native_handle(), u.host.c_str()))
                co_return self->failed("tls: cannot set the server name");
            self->tls_->next_layer().set_verify_callback(ssl::host_name_verification(u.host));
        } else {
            self->plain_.emplace(self->ex_);
        }
        self->lowest().expires_after(self->timeouts_.handshake);
        auto [cec, ep] = co_await self->lowest().async_connect(results, no_throw);
        if (!self->end_reason_.empty()) co_return self->end_reason_;
        if (cec) co_return self->failed("connect " + u.host + ":" + u.port + ": " + cec.message());
        const std::string host = u.host + ":" + u.port;
        const std::string target = u.path.empty() ? "/" : u.path;
        beast::error_code wec;
        if (self->tls_) {
            self->lowest().expires_after(self->timeouts_.handshake);
            auto [hec] = co_await self->tls_->next_layer().async_handshake(ssl::stream_base::client, no_throw);
            if (!self->end_reason_.empty()) co_return self->end_reason_;
            if (hec) co_return self->failed("tls handshake with " + u.host + ": " + hec.message());
            self->configure(*self->tls_);
            std::tie(wec) = co_await self->tls_->async_handshake(host, target, no_throw);
        } else {
            self->configure(*self->plain_);
            std::tie(wec) = co_await self->plain_->async_handshake(host, target, no_throw);
        }
        if (!self->end_reason_.empty()) co_return self->end_reason_;
        if (wec) co_return self->failed("websocket handshake: " + wec.message());
        self->open_ = true;
        self->kick_writer();
        co_return std::string{};
    }

    std::string failed(const std::string& why) {
        end(why);
        return why;
    }

    template <class WS>
    static asio::awaitable<std::optional<std::string>> read_from(std::shared_ptr<impl> self, WS& ws) {
        for (;;) {
            // Not cancelled with the caller's task: the read ends when the connection does
            // (close() still sends its close frame), and the caller's cancellation point
            // then ends the task.
            auto [ec, n] = co_await ws.async_read(self->buffer_, asio::bind_cancellation_slot(asio::cancellation_slot(), no_throw));
            if (!self->end_reason_.empty()) co_return std::nullopt;
            if (ec) {
                self->end(ec == websocket::error::closed ? "closed by the server"
                          : ec == beast::error::timeout  ? "idle timeout"
                                                         : ec.message());
                co_return std::nullopt;
            }
            std::string text = beast::buffers_to_string(self->buffer_.data());
            self->buffer_.consume(self->buffer_.size());
            if (ws.got_text()) co_return text;
        }
    }

    template <class WS>
    static asio::awaitable<void> write_loop(std::shared_ptr<impl> self, WS& ws) {
        while (!self->outbox_.empty() && self->open_) {
            auto [ec, n] = co_await ws.async_write(asio::buffer(self->outbox_.front()), no_throw);
            if (ec || !self->open_) break;  // the read reports the end
            self->outbox_.pop_front();
        }
        self->writing_ = false;
    }

    void kick_writer() {
        if (writing_ || outbox_.empty() || !open_) return;
        writing_ = true;
        if (tls_) asio::co_spawn(ex_, write_loop(shared_from_this(), *tls_), asio::detached);
        else asio::co_spawn(ex_, write_loop(shared_from_this(), *plain_), asio::detached);
    }

    template <class WS>
    static asio::awaitable<void> close_loop(std::shared_ptr<impl> self, WS& ws) {
        (void)co_await ws.async_close(websocket::close_code::normal, no_throw);
        self->shut_socket();
    }
};

ws_client::ws_client(asio::any_io_executor ex, tls_options tls, ws_timeouts t)
    : impl_(std::make_shared<impl>(std::move(ex), tls, t)) {}

ws_client::~ws_client() { impl_->end("closed"); }

asio::awaitable<std::string> ws_client::open(std::string address) {
    auto self = impl_;  // this object may go while the handshake is under way
    if (self->started_) co_return std::string("already opened once");
    self->started_ = true;
    auto u = url::parse(address);
    if (!u || (u->scheme != "ws" && u->scheme != "wss")) co_return self->failed("not a ws:// or wss:// URL");
    auto error = co_await impl::open(self, *u);
    co_await cancellation_point();
    co_return error;
}

asio::awaitable<std::optional<std::string>> ws_client::read() {
    auto self = impl_;
    if (!self->open_) co_return std::nullopt;
    // (Not a ?: of two co_awaits: GCC 12 destroys the result of such an expression early.)
    std::optional<std::string> text;
    if (self->tls_) text = co_await impl::read_from(self, *self->tls_);
    else text = co_await impl::read_from(self, *self->plain_);
    co_await cancellation_point();
    co_return text;
}

const std::string& ws_client::end_reason() const { return impl_->end_reason_; }

void ws_client::send(std::string text) {
    if (!impl_->open_) return;
    impl_->outbox_.push_back(std::move(text));
    impl_->kick_writer();
}

void ws_client::close() {
    auto& m = *impl_;
    if (!m.end_reason_.empty()) return;
    const bool was_open = m.open_;
    m.open_ = false;
    m.end_reason_ = "closed";
    // A close frame is a write: with one in flight, end the socket instead.
    if (!was_open || m.writing_) return m.shut_socket();
    if (m.tls_) asio::co_spawn(m.ex_, impl::close_loop(impl_, *m.tls_), asio::detached);
    else asio::co_spawn(m.ex_, impl::close_loop(impl_, *m.plain_), asio::detached);
}

void ws_client::abort() { impl_->end("closed"); }

bool ws_client::is_open() const { return impl_->open_; }

}  // namespace firebreak::net
