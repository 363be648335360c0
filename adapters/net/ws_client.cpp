#include "adapters/net/ws_client.hpp"
#include "adapters/net/tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <optional>
#include <stdexcept>

namespace firebreak::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
}

struct ws_client::impl : std::enable_shared_from_this<impl> {
    using plain_ws = websocket::stream<beast::tcp_stream>;
    using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

    asio::any_io_executor ex_;
    ssl::context ctx_{ssl::context::tls_client};
    ws_timeouts timeouts_;
    std::optional<plain_ws> plain_;
    std::optional<tls_ws> tls_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool open_ = false;
    bool ended_ = false;      // closed, aborted or destroyed: no more callbacks
    opened_fn on_open_;
    message_fn on_message_;
    closed_fn on_closed_;

    impl(asio::any_io_executor ex, const tls_options& tls, ws_timeouts t) : ex_(std::move(ex)), timeouts_(t) {
        prepare_client_tls(ctx_, tls);
    }

    beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : beast::get_lowest_layer(*plain_); }

    void shut_socket() {
        beast::error_code ec;
        if (tls_ || plain_) lowest().socket().close(ec);
    }

    void fail_open(const std::string& why) {
        if (ended_) return;
        ended_ = true;
        shut_socket();
        if (on_open_) on_open_(why);
    }

    void closed(const std::string& why) {
        bool was_open = open_;
        open_ = false;
        if (ended_) return;
        ended_ = true;
        shut_socket();
        if (was_open && on_closed_) on_closed_(why);
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

    static asio::awaitable<void> run(std::shared_ptr<impl> self, url u) {
        tcp::resolver resolver(self->ex_);
        auto [rec, results] = co_await resolver.async_resolve(u.host, u.port, nothrow);
        if (self->ended_) co_return;
        if (rec) co_return self->fail_open("resolve " + u.host + ": " + rec.message());
        bool ip_literal = false;
        {
            boost::system::error_code ec;
            asio::ip::make_address(u.host, ec);
            ip_literal = !ec;
        }
        if (u.tls()) {
            self->tls_.emplace(self->ex_, self->ctx_);
            if (!ip_literal && !SSL_set_tlsext_host_name(self->tls_->next_layer().native_handle(), u.host.c_str()))
                co_return self->fail_open("tls: cannot set the server name");
            self->tls_->next_layer().set_verify_callback(ssl::host_name_verification(u.host));
        } else {
            self->plain_.emplace(self->ex_);
        }
        self->lowest().expires_after(self->timeouts_.handshake);
        auto [cec, ep] = co_await self->lowest().async_connect(results, nothrow);
        if (self->ended_) co_return;
        if (cec) co_return self->fail_open("connect " + u.host + ":" + u.port + ": " + cec.message());
        std::string host = u.host + ":" + u.port;
        std::string target = u.path.empty() ? "/" : u.path;
        if (self->tls_) {
            self->lowest().expires_after(self->timeouts_.handshake);
            auto [hec] = co_await self->tls_->next_layer().async_handshake(ssl::stream_base::client, nothrow);
            if (self->ended_) co_return;
            if (hec) co_return self->fail_open("tls handshake with " + u.host + ": " + hec.message());
            co_await self->session(*self->tls_, host, target);
        } else {
            co_await self->session(*self->plain_, host, target);
        }
    }

    template <class WS>
    asio::awaitable<void> session(WS& ws, std::string host, std::string target) {
        auto self = shared_from_this();
        configure(ws);
        auto [wec] = co_await ws.async_handshake(host, target, nothrow);
        if (ended_) co_return;
        if (wec) co_return fail_open("websocket handshake: " + wec.message());
        open_ = true;
        if (on_open_) on_open_("");
        if (ended_) co_return;
        kick_writer();
        beast::flat_buffer buffer;
        for (;;) {
            auto [ec, n] = co_await ws.async_read(buffer, nothrow);
            if (ended_) co_return;
            if (ec) {
                std::string why = ec == websocket::error::closed ? "closed by the server"
                                  : ec == beast::error::timeout  ? "idle timeout"
                                                                 : ec.message();
                co_return closed(why);
            }
            std::string text = beast::buffers_to_string(buffer.data());
            buffer.consume(buffer.size());
            if (ws.got_text() && on_message_) on_message_(std::move(text));
            if (ended_) co_return;
        }
    }

    template <class WS>
    static asio::awaitable<void> write_loop(std::shared_ptr<impl> self, WS& ws) {
        while (!self->outbox_.empty() && self->open_ && !self->ended_) {
            auto [ec, n] = co_await ws.async_write(asio::buffer(self->outbox_.front()), nothrow);
            if (ec || self->ended_) break;  // the read loop reports the end
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
        auto [ec] = co_await ws.async_close(websocket::close_code::normal, nothrow);
        self->shut_socket();
    }
};

ws_client::ws_client(asio::any_io_executor ex, tls_options tls, ws_timeouts t)
    : impl_(std::make_shared<impl>(std::move(ex), tls, t)) {}

ws_client::~ws_client() {
    impl_->ended_ = true;
    impl_->open_ = false;
    impl_->shut_socket();
}

void ws_client::connect(const std::string& address, opened_fn on_open, message_fn on_message, closed_fn on_closed) {
    impl_->on_open_ = std::move(on_open);
    impl_->on_message_ = std::move(on_message);
    impl_->on_closed_ = std::move(on_closed);
    auto u = url::parse(address);
    if (!u || (u->scheme != "ws" && u->scheme != "wss")) {
        auto cb = impl_->on_open_;
        impl_->ended_ = true;
        asio::post(impl_->ex_, [cb] { cb("not a ws:// or wss:// URL"); });
        return;
    }
    asio::co_spawn(impl_->ex_, impl::run(impl_, *u), asio::detached);
}

void ws_client::send(std::string text) {
    if (!impl_->open_ || impl_->ended_) return;
    impl_->outbox_.push_back(std::move(text));
    impl_->kick_writer();
}

void ws_client::close() {
    auto& m = *impl_;
    if (m.ended_) return;
    m.ended_ = true;
    bool was_open = m.open_;
    m.open_ = false;
    // A close frame is a write: with one in flight, end the socket instead.
    if (!was_open || m.writing_) return m.shut_socket();
    if (m.tls_) asio::co_spawn(m.ex_, impl::close_loop(impl_, *m.tls_), asio::detached);
    else asio::co_spawn(m.ex_, impl::close_loop(impl_, *m.plain_), asio::detached);
}

void ws_client::abort() {
    impl_->ended_ = true;
    impl_->open_ = false;
    impl_->shut_socket();
}

bool ws_client::is_open() const { return impl_->open_ && !impl_->ended_; }

}  // namespace firebreak::net
