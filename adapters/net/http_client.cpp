#include "adapters/net/http_client.hpp"
#include "adapters/net/tasks.hpp"
#include "adapters/net/tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <stdexcept>

namespace firebreak::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {


std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

// Safe to send again after the connection died under it: the HTTP methods that are
// idempotent. A POST is never repeated here; its caller decides.
bool idempotent(const std::string& method) {
    return method == "GET" || method == "PUT" || method == "DELETE" || method == "HEAD";
}

}  // namespace

std::optional<url> url::parse(const std::string& text) {
    // RFC 3986 grammar from Boost.URL; what is kept of it, and how, matches the hand-written
    // parser this replaced: path, query and fragment stay as written (still encoded), and
    // the base path loses its trailing slashes so a request target can be appended to it.
    // Text that is no RFC 3986 URI (a space, "%zz", an unbracketed IPv6 address) is refused.
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed || !parsed->has_authority() || parsed->has_userinfo()) return std::nullopt;
    const boost::urls::url_view& v = *parsed;
    url u;
    u.scheme = lower(std::string(v.scheme()));
    if (u.scheme != "http" && u.scheme != "https" && u.scheme != "ws" && u.scheme != "wss") return std::nullopt;
    // The address without an IP literal's brackets: the resolver and SNI want it bare.
    u.host = std::string(v.encoded_host_address());
    if (u.host.empty()) return std::nullopt;
    if (v.has_port()) u.port = std::string(v.port());
    if (u.port.empty()) u.port = u.tls() ? "443" : "80";
    if (!std::all_of(u.port.begin(), u.port.end(), [](char c) { return c >= '0' && c <= '9'; }) || u.port.size() > 5)
        return std::nullopt;
    u.path = std::string(v.encoded_resource());
    // Boost.URL 1.81 lets a path without its '/' follow the authority ("https://host:abc" as
    // host "host", path "abc"): refused, as before. "https://host?q" is refused too: it has
    // no base path to append a target to (the hand-written parser took "host?q" for the host).
    if (!u.path.empty() && u.path.front() != '/') return std::nullopt;
    while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
    return u;
}

void prepare_client_tls(ssl::context& ctx, const tls_options& tls) {
    ctx.set_default_verify_paths();
    if (!tls.ca_file.empty()) {
        boost::system::error_code ec;
        ctx.load_verify_file(tls.ca_file, ec);
        if (ec) throw std::runtime_error("cannot read the CA file " + tls.ca_file + ": " + ec.message());
    }
    ctx.set_verify_mode(ssl::verify_peer);
}

std::optional<std::chrono::milliseconds> retry_after_of(const std::optional<std::string>& header,
                                                        std::chrono::milliseconds cap) {
    if (!header) return std::nullopt;
    char* end = nullptr;
    double secs = std::strtod(header->c_str(), &end);
    if (end == header->c_str() || !(secs >= 0)) return std::nullopt;
    const double ms = std::ceil(secs * 1000);
    if (ms >= double(cap.count())) return cap;
    return std::chrono::milliseconds{std::int64_t(ms)};
}

std::optional<std::string> http_response::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k == name) return v;
    return std::nullopt;
}

std::string url_encode(std::string_view s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    // Each half is escaped to unreserved characters first (a space as "%20", never "+"),
    // so the query Boost.URL joins holds no '&', '=', '+' or '#' of the data itself.
    boost::urls::url u;
    auto params = u.encoded_params();
    for (const auto& [key, value] : fields) {
        const std::string k = url_encode(key), v = url_encode(value);
        params.append(boost::urls::param_pct_view(boost::urls::pct_string_view(k), boost::urls::pct_string_view(v)));
    }
    return std::string(u.encoded_query());
}

struct http_client::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor ex_;
    url base_;
    ssl::context ctx_{ssl::context::tls_client};
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
    beast::flat_buffer buffer_;
    bool connected_ = false;
    bool running_ = false;
    bool in_exchange_ = false;  // an operation may be pending on the stream
    bool destroyed_ = false;  // the owner is gone: no callback may run any more
    std::deque<std::pair<http_request, callback>> queue_;
    std::int64_t connects_ = 0;
    std::uint64_t epoch_ = 0;  // bumped by close(): an exchange from before it is not retried

    impl(asio::any_io_executor ex, url base, const tls_options& tls) : ex_(std::move(ex)), base_(std::move(base)) {
        if (!base_.tls()) return;
        prepare_client_tls(ctx_, tls);
    }

    beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

    void reset() {
        if (tls_) {
            beast::error_code ec;
            beast::get_lowest_layer(*tls_).socket().close(ec);
        }
        if (plain_) {
            beast::error_code ec;
            plain_->socket().close(ec);
        }
        tls_.reset();
        plain_.reset();
        buffer_.clear();
        connected_ = false;
    }

    // Cancels whatever is in flight without destroying the stream under it: the
    // exchange resumes with an error and tidies up itself.
    void abort_io() {
        beast::error_code ec;
        if (tls_) beast::get_lowest_layer(*tls_).socket().close(ec);
        if (plain_) plain_->socket().close(ec);
        ++epoch_;
        if (!in_exchange_) reset();
    }

    void kick() {
        if (running_ || queue_.empty()) return;
        running_ = true;
        asio::co_spawn(ex_, drain(shared_from_this()), asio::detached);
    }

    // One request at a time, in queue order: the wire order is the caller's order.
    static asio::awaitable<void> drain(std::shared_ptr<impl> self) {
        while (!self->queue_.empty() && !self->destroyed_) {
            auto [req, cb] = std::move(self->queue_.front());
            self->queue_.pop_front();
            self->in_exchange_ = true;
            http_response r = co_await self->exchange(req);
            self->in_exchange_ = false;
            if (self->destroyed_) break;
            cb(std::move(r));
        }
        self->running_ = false;
    }

    asio::awaitable<std::string> connect(std::chrono::milliseconds timeout) {
        reset();
        tcp::resolver resolver(ex_);
        auto [rec, results] = co_await resolver.async_resolve(base_.host, base_.port, no_throw);
        if (rec) co_return "resolve " + base_.host + ": " + rec.message();
        if (base_.tls()) {
            tls_.emplace(ex_, ctx_);
            // SNI carries a host name, never an address literal.
            if (!is_ip_literal(base_.host) && !SSL_set_tlsext_host_name(tls_->native_handle(), base_.host.c_str()))
                co_return "tls: cannot set the server name";
            tls_->set_verify_callback(ssl::host_name_verification(base_.host));
        } else {
            plain_.emplace(ex_);
        }
        lowest().expires_after(timeout);
        auto [cec, ep] = co_await lowest().async_connect(results, no_throw);
        if (cec) {
            reset();
            co_return "connect " + base_.host + ":" + base_.port + ": " + cec.message();
        }
        if (tls_) {
            lowest().expires_after(timeout);
            auto [hec] = co_await tls_->async_handshake(ssl::stream_base::client, no_throw);
            if (hec) {
                reset();
                co_return "tls handshake with " + base_.host + ": " + hec.message();
            }
        }
        connected_ = true;
        ++connects_;
        co_return std::string{};
    }

    template <class Stream>
    asio::awaitable<std::pair<beast::error_code, bool>> send(Stream& s, http::request<http::string_body>& r,
                                                             http::response_parser<http::string_body>& p) {
        auto [wec, wn] = co_await http::async_write(s, r, no_throw);
        if (wec) co_return std::pair{wec, false};
        auto [rec, rn] = co_await http::async_read(s, buffer_, p, no_throw);
        co_return std::pair{rec, true};
    }

    asio::awaitable<http_response> exchange(const http_request& req) {
        http_response out;
        const auto epoch = epoch_;
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (epoch != epoch_) {
                out.failure = "closed";
                co_return out;
            }
            bool reused = connected_;
            if (!connected_) {
                auto failure = co_await connect(req.timeout);
                if (!failure.empty()) {
                    out.failure = std::move(failure);
                    co_return out;
                }
            }
            http::request<http::string_body> r{http::string_to_verb(req.method), base_.path + req.target, 11};
            bool default_port = (base_.tls() && base_.port == "443") || (!base_.tls() && base_.port == "80");
            std::string host = base_.host.find(':') != std::string::npos ? "[" + base_.host + "]" : base_.host;
            r.set(http::field::host, default_port ? host : host + ":" + base_.port);
            r.set(http::field::user_agent, "firebreak");
            r.set(http::field::accept, "application/json");
            for (const auto& [k, v] : req.headers) r.set(k, v);
            if (!req.content_type.empty() || !req.body.empty()) {
                r.set(http::field::content_type, req.content_type);
                r.body() = req.body;
            }
            r.keep_alive(true);
            r.prepare_payload();

            http::response_parser<http::string_body> p;
            p.body_limit(max_body);
            p.header_limit(64 * 1024);
            lowest().expires_after(req.timeout);
            // (Not a ?: of two co_awaits, which GCC 12 mishandles.)
            std::pair<beast::error_code, bool> sent;
            if (tls_) sent = co_await send(*tls_, r, p);
            else sent = co_await send(*plain_, r, p);
            auto [ec, written] = sent;
            if (ec) {
                reset();
                // A kept-alive connection the server had already closed fails at once;
                // that request never reached it, so one fresh attempt is safe where the
                // method is idempotent or nothing was written.
                bool stale = reused && (!written || ec == http::error::end_of_stream || ec == asio::error::eof ||
                                        ec == asio::error::connection_reset);
                if (attempt == 0 && stale && epoch == epoch_ && (!written || idempotent(req.method))) continue;
                out.failure = ec == beast::error::timeout ? std::string("timeout")
                                                          : std::string(written ? "read: " : "write: ") + ec.message();
                co_return out;
            }
            auto& res = p.get();
            out.status = int(res.result_int());
            out.body = std::move(res.body());
            for (const auto& f : res) out.headers.emplace_back(lower(std::string(f.name_string())), std::string(f.value()));
            if (!res.keep_alive()) reset();
            co_return out;
        }
        co_return out;
    }
};

http_client::http_client(asio::any_io_executor ex, url base, tls_options tls)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(base), tls)) {}

http_client::~http_client() {
    impl_->destroyed_ = true;
    impl_->queue_.clear();
    impl_->abort_io();
}

void http_client::request(http_request req, callback cb) {
    impl_->queue_.emplace_back(std::move(req), std::move(cb));
    impl_->kick();
}

void http_client::close() {
    auto pending = std::move(impl_->queue_);
    impl_->queue_.clear();
    impl_->abort_io();
    for (auto& [req, cb] : pending) {
        http_response r;
        r.failure = "closed";
        cb(std::move(r));
    }
}

asio::awaitable<http_response> http_client::send(http_request req) {
    co_return co_await until_called_with<http_response>(
        [&](auto done) { request(std::move(req), std::move(done)); });
}

const url& http_client::base() const { return impl_->base_; }

std::int64_t http_client::connects() const { return impl_->connects_; }

}  // namespace firebreak::net
