#include "bot/runtime/ops_server.hpp"

#include <boost/asio/strand.hpp>
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

namespace {

constexpr std::size_t max_request_bytes = 8 * 1024;
constexpr auto request_timeout = std::chrono::seconds{5};

// One connection: read one request, answer it, close.
class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, const ops_handlers& handlers) : stream_(std::move(socket)), handlers_(handlers) {}

    void run() {
        parser_.header_limit(max_request_bytes);
        parser_.body_limit(max_request_bytes);
        stream_.expires_after(request_timeout);
        http::async_read(stream_, buffer_, parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

private:
    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted)
            return close();
        if (ec) return reply(http::status::bad_request, "bad request\n", false);
        const auto& req = parser_.get();
        const auto target = std::string_view(req.target().data(), req.target().size());
        const auto path = target.substr(0, target.find('?'));
        if (req.method() != http::verb::get && req.method() != http::verb::head)
            return reply(http::status::method_not_allowed, "only GET\n", req.method() == http::verb::head);
        const bool head = req.method() == http::verb::head;
        if (path == "/healthz") return reply(http::status::ok, "ok\n", head);
        if (path == "/readyz") {
            auto reasons = handlers_.not_ready ? handlers_.not_ready() : std::vector<std::string>{};
            if (reasons.empty()) return reply(http::status::ok, "ready\n", head);
            std::string body = "not ready:\n";
            for (const auto& r : reasons) body += "- " + r + "\n";
            return reply(http::status::service_unavailable, body, head);
        }
        if (path == "/metrics")
            return reply(http::status::ok, handlers_.metrics ? handlers_.metrics() : std::string{}, head,
                         "text/plain; version=0.0.4; charset=utf-8");
        reply(http::status::not_found, "not found: try /healthz, /readyz or /metrics\n", head);
    }

    void reply(http::status status, std::string body, bool head, const char* type = "text/plain; charset=utf-8") {
        response_.result(status);
        response_.version(11);
        response_.set(http::field::server, "firebreak");
        response_.set(http::field::content_type, type);
        response_.set(http::field::connection, "close");
        response_.keep_alive(false);
        response_.content_length(body.size());
        if (!head) response_.body() = std::move(body);
        stream_.expires_after(request_timeout);
        http::async_write(stream_, response_,
                          [self = shared_from_this()](beast::error_code, std::size_t) { self->close(); });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_{max_request_bytes};
    http::request_parser<http::string_body> parser_;
    http::response<http::string_body> response_;
    const ops_handlers& handlers_;
};

}  // namespace

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

struct ops_server::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, ops_handlers h) : acceptor(ex), handlers(std::move(h)) {}
    tcp::acceptor acceptor;
    ops_handlers handlers;
    bool stopped = false;

    void accept() {
        acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
            if (self->stopped || ec == asio::error::operation_aborted) return;
            if (!ec) std::make_shared<session>(std::move(socket), self->handlers)->run();
            else spdlog::warn("ops endpoint: accept failed: {}", ec.message());
            self->accept();
        });
    }
};

ops_server::ops_server(asio::any_io_executor ex, const std::string& listen, ops_handlers handlers)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(handlers))) {
    auto ep = parse_listen_address(listen);
    if (!ep) throw std::runtime_error(fmt::format("ops endpoint: \"{}\" is not host:port", listen));
    beast::error_code ec;
    auto& a = impl_->acceptor;
    a.open(ep->protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(*ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(fmt::format("ops endpoint: cannot listen on {}: {}", listen, ec.message()));
}

ops_server::~ops_server() { stop(); }

void ops_server::start() { impl_->accept(); }

void ops_server::stop() {
    if (!impl_ || impl_->stopped) return;
    impl_->stopped = true;
    beast::error_code ec;
    impl_->acceptor.close(ec);
}

unsigned short ops_server::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace firebreak
