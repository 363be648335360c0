#include "bot/runtime/http_listener.hpp"

#include "bot/core/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>


namespace firebreak {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Errors as values: a connection that fails is closed, never thrown out of run().
constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

std::string http_request_in::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k == name) return v;
    return {};
}

struct http_stream_access {
    static std::deque<std::string>& queue(http_stream& s) { return s.queue_; }
    static void set_wake(http_stream& s, asio::steady_timer* t) { s.wake_ = t; }
    static void end(http_stream& s) { s.closed_ = true; }
};

void http_stream::poke() {
    if (wake_) wake_->cancel();
}

void http_stream::push(std::string chunk) {
    if (closed_) return;
    queue_.push_back(std::move(chunk));
    poke();
}

void http_stream::close() {
    closed_ = true;
    poke();
}

http_answer http_answer::text(int status, std::string body) {
    http_answer a;
    a.status = status;
    a.body = std::move(body);
    return a;
}

std::optional<tcp::endpoint> parse_listen_address(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= listen.size()) return std::nullopt;
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    unsigned long port = 0;
    for (char c : listen.substr(colon + 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        port = port * 10 + unsigned(c - '0');
        if (port > 65535) return std::nullopt;
    }
    beast::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) return std::nullopt;
    return tcp::endpoint(addr, static_cast<unsigned short>(port));
}

struct http_listener::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, http_listener_options o, http_handler h)
        : acceptor(ex), options(std::move(o)), handler(std::move(h)) {}
    tcp::acceptor acceptor;
    http_listener_options options;
    http_handler handler;
    bool stopped = false;
    std::size_t open = 0;
    // Streams being written, so stop() can end them.
    std::vector<std::weak_ptr<http_stream>> streams;

    void accept() {
        acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
            if (self->stopped || ec == asio::error::operation_aborted) return;
            if (ec) {
                spdlog::warn("{}: accept failed: {}", self->options.name, ec.message());
            } else if (self->open >= self->options.max_connections) {
                // Full: closing at once costs nothing and tells the client to come back.
                if (self->options.on_refused) self->options.on_refused(503);
                beast::error_code ignored;
                socket.close(ignored);
            } else {
                asio::co_spawn(self->acceptor.get_executor(), serve(self, std::move(socket)), asio::detached);
            }
            self->accept();
        });
    }

    struct counted {
        impl& l;
        explicit counted(impl& i) : l(i) { ++l.open; }
        ~counted() { --l.open; }
    };

    // One connection, top to bottom: read one request, let the handler answer, write, close.
    static asio::awaitable<void> serve(std::shared_ptr<impl> self, tcp::socket socket) {
        counted one(*self);
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        http::request_parser<http::string_body> parser;
        parser.header_limit(std::uint32_t(self->options.max_header_bytes));
        parser.body_limit(self->options.max_body_bytes);
        stream.expires_after(self->options.timeout);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, no_throw);
        http_answer answer;
        bool head = false;
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted) {
            co_return close(stream);
        } else if (ec == http::error::body_limit) {
            answer = http_answer::text(413, fmt::format("request body over {} bytes\n", self->options.max_body_bytes));
            if (self->options.on_refused) self->options.on_refused(413);
        } else if (ec) {
            answer = http_answer::text(400, "bad request\n");
            if (self->options.on_refused) self->options.on_refused(400);
        } else {
            auto& req = parser.get();
            http_request_in in;
            in.method = std::string(req.method_string());
            in.target = std::string(req.target());
            in.path = in.target.substr(0, in.target.find('?'));
            for (const auto& f : req) in.headers.emplace_back(ascii_lower(f.name_string()), std::string(f.value()));
            in.body = std::move(req.body());
            beast::error_code pec;
            auto remote = stream.socket().remote_endpoint(pec);
            if (!pec) in.peer = remote.address().to_string();
            head = req.method() == http::verb::head;
            answer = co_await answer_of(self, in);
        }
        if (answer.stream && !head) {
            co_await stream_out(self, stream, std::move(answer));
            co_return;
        }
        http::response<http::string_body> res;
        set_header(res, answer);
        res.content_length(answer.body.size());
        if (!head) res.body() = std::move(answer.body);
        stream.expires_after(self->options.timeout);
        co_await http::async_write(stream, res, no_throw);
        close(stream);
    }

    // The status line and headers of an answer, whole or streamed: one request per connection.
    template <class Body>
    static void set_header(http::response<Body>& res, const http_answer& answer) {
        res.result(http::int_to_status(unsigned(answer.status)));
        res.version(11);
        res.set(http::field::server, "firebreak");
        res.set(http::field::content_type, answer.content_type);
        for (const auto& [k, v] : answer.headers) res.set(k, v);
        res.set(http::field::connection, "close");
        res.keep_alive(false);
    }

    // Headers, then the stream's chunks as they come, until it or the client ends.
    static asio::awaitable<void> stream_out(std::shared_ptr<impl> self, beast::tcp_stream& stream, http_answer answer) {
        auto body = answer.stream;
        http::response<http::empty_body> res;
        set_header(res, answer);
        http::response_serializer<http::empty_body> sr{res};
        stream.expires_after(self->options.timeout);
        auto [ec, n] = co_await http::async_write_header(stream, sr, no_throw);
        if (!ec && !self->stopped) {
            self->streams.push_back(body);
            asio::steady_timer wake(stream.get_executor());
            auto& queue = http_stream_access::queue(*body);
            while (!ec) {
                if (queue.empty()) {
                    if (body->closed()) break;
                    wake.expires_after(self->options.stream_heartbeat);
                    http_stream_access::set_wake(*body, &wake);
                    auto [wec] = co_await wake.async_wait(no_throw);
                    http_stream_access::set_wake(*body, nullptr);
                    // Quiet for a whole beat: a comment line finds out whether anyone listens.
                    if (!wec && queue.empty() && !body->closed()) queue.push_back(":\n\n");
                    continue;
                }
                std::string chunk = std::move(queue.front());
                queue.pop_front();
                stream.expires_after(self->options.timeout);
                std::tie(ec, n) = co_await asio::async_write(stream, asio::buffer(chunk), no_throw);
            }
            std::erase_if(self->streams, [&](const auto& w) { return w.expired() || w.lock() == body; });
        }
        http_stream_access::end(*body);
        queue_clear(*body);
        close(stream);
    }
    static void queue_clear(http_stream& s) { http_stream_access::queue(s).clear(); }

    // The handler's answer, or 503 when it has none within its deadline. The responder
    // holds no I/O object, so a handler may keep it past the listener's life.
    struct pending_answer {
        std::optional<http_answer> answer;
        bool dropped = false;                // every copy of the responder went unanswered
        asio::steady_timer* wait = nullptr;  // while the connection waits for it
    };
    // Shared by the copies of one responder; the last one to go unanswered says so at once.
    struct responder_life {
        std::shared_ptr<pending_answer> p;
        ~responder_life() {
            if (!p || p->answer) return;
            p->dropped = true;
            if (p->wait) p->wait->cancel();
        }
    };
    static asio::awaitable<http_answer> answer_of(std::shared_ptr<impl> self, const http_request_in& in) {
        auto pending = std::make_shared<pending_answer>();
        asio::steady_timer deadline(self->acceptor.get_executor(), self->options.handler_timeout);
        pending->wait = &deadline;
        // However this frame ends (answered, timed out, destroyed with its executor), the
        // responder no longer reaches the timer.
        struct forget_wait {
            pending_answer& p;
            ~forget_wait() { p.wait = nullptr; }
        } forget{*pending};
        // Stopped: the handler's owner may be gone.
        if (!self->handler) co_return http_answer::text(503, "shutting down; try again\n");
        auto life = std::make_shared<responder_life>();
        life->p = pending;
        self->handler(in, [life = std::move(life)](http_answer a) {
            auto& p = *life->p;
            if (p.answer) return;
            p.answer = std::move(a);
            if (p.wait) p.wait->cancel();
        });
        if (!pending->answer && !pending->dropped) co_await deadline.async_wait(no_throw);
        if (pending->answer) co_return std::move(*pending->answer);
        if (self->options.on_refused) self->options.on_refused(503);
        if (pending->dropped) co_return http_answer::text(503, "not answered; try again\n");
        spdlog::warn("{}: no answer to {} {} within {} ms", self->options.name, in.method, in.path,
                     self->options.handler_timeout.count());
        co_return http_answer::text(503, "not answered in time; try again\n");
    }

    static void close(beast::tcp_stream& stream) {
        beast::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream.close();
    }
};

http_listener::http_listener(asio::any_io_executor ex, const std::string& listen, http_listener_options options,
                             http_handler handler)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(options), std::move(handler))) {
    const auto& name = impl_->options.name;
    auto ep = parse_listen_address(listen);
    if (!ep) throw std::runtime_error(fmt::format("{}: \"{}\" is not host:port", name, listen));
    beast::error_code ec;
    auto& a = impl_->acceptor;
    a.open(ep->protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(*ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(fmt::format("{}: cannot listen on {}: {}", name, listen, ec.message()));
}

http_listener::~http_listener() { stop(); }

void http_listener::start() { impl_->accept(); }

void http_listener::stop() {
    if (!impl_ || impl_->stopped) return;
    impl_->stopped = true;
    // Requests still being read get a 503 rather than reaching a handler whose owner may
    // be gone; answers the handler owes still reach their connections.
    impl_->handler = nullptr;
    impl_->options.on_refused = nullptr;
    beast::error_code ec;
    impl_->acceptor.close(ec);
    for (auto& w : impl_->streams)
        if (auto s = w.lock()) s->close();
}

std::size_t http_listener::open_connections() const { return impl_->open; }

unsigned short http_listener::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace firebreak
