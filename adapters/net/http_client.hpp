#pragma once
// One HTTP/1.1 client per remote service, over plain TCP or TLS (Beast + OpenSSL),
// shared by the platform adapters. Requests are queued and sent one at a time over
// one kept-alive connection, so a caller's order is the wire order; each has a
// deadline and a bounded response body. TLS verifies the certificate chain and the
// host name by default; a CA file can be added (tests trust a CA made at test time).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace firebreak::net {

/// The parts of an http(s) URL the client needs.
struct url {
    std::string scheme;   ///< "http", "https", "ws" or "wss"
    std::string host;     ///< name or address, without brackets
    std::string port;     ///< always set ("443" when the URL leaves it out)
    std::string path;     ///< base path (and query) without a trailing slash ("" for the root)
    /// Parses "https://host[:port][/base[?query]]" (or http, ws, wss): an RFC 3986 URI with
    /// no user info; nullopt for anything else.
    static std::optional<url> parse(const std::string& text);
    /// Whether the scheme is https or wss.
    bool tls() const { return scheme == "https" || scheme == "wss"; }
};

/// TLS settings.
struct tls_options {
    std::string ca_file;  ///< extra trusted CA certificates (PEM), added to the system's
};

/// How long a 429 or 503 answer asks to wait: its Retry-After header in seconds (fractions
/// allowed), capped at `cap`; none when the header is absent or not a number of seconds.
std::optional<std::chrono::milliseconds> retry_after_of(const std::optional<std::string>& header,
                                                        std::chrono::milliseconds cap = std::chrono::hours{24});

/// One request. `target` is appended to the base URL's path.
struct http_request {
    std::string method = "GET";
    std::string target;                                        ///< "/_matrix/client/v3/sync?timeout=0"
    std::string content_type;                                  ///< "" when there is no body
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers (Authorization, ...)
    std::chrono::milliseconds timeout{30000};                  ///< for the whole exchange
};

/// The answer, or why there is none.
struct http_response {
    int status = 0;                                            ///< 0 when the exchange failed
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  ///< names in lower case
    std::string failure;  ///< "connect: Connection refused", "timeout", ... when status is 0
    /// A header's value (name in lower case).
    std::optional<std::string> header(std::string_view name) const;
    /// Whether no HTTP answer arrived.
    bool failed() const { return status == 0; }
};

/// A queue of requests to one base URL over one connection at a time. Callbacks and
/// awaited answers run on the executor given at construction. Not thread-safe: use from that executor.
class http_client {
public:
    using callback = std::function<void(http_response)>;
    /// Largest response body accepted; a larger one fails the exchange.
    static constexpr std::size_t max_body = 64 * 1024 * 1024;

    /// Throws std::runtime_error when the CA file cannot be read.
    http_client(boost::asio::any_io_executor ex, url base, tls_options tls = {});
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    /// Queues a request; `cb` is called exactly once (with failure() set on close()), or
    /// never once the client is destroyed.
    void request(http_request req, callback cb);
    /// Queues a request and waits for its answer, as request() does. A client destroyed
    /// meanwhile ends the waiting coroutine without resuming it.
    boost::asio::awaitable<http_response> send(http_request req);
    /// Fails every queued request and closes the connection; the client stays usable.
    void close();
    /// The base URL.
    const url& base() const;
    /// Connections opened so far (a reused connection does not count).
    std::int64_t connects() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// Percent-encodes one path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

/// An application/x-www-form-urlencoded body (also a query string): "k=v&k2=v2" in the given
/// order, each key and value encoded as url_encode does (a space is "%20"); "" for no fields.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace firebreak::net
