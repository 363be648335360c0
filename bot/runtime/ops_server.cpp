#include "bot/runtime/ops_server.hpp"

#include "bot/runtime/http_listener.hpp"

namespace firebreak {

namespace {

http_listener_options ops_options() {
    http_listener_options o;
    o.name = "ops endpoint";
    o.max_header_bytes = 8 * 1024;
    o.max_body_bytes = 8 * 1024;
    o.timeout = std::chrono::seconds{5};
    return o;
}

// The three routes; each answers at once.
http_answer route(const ops_handlers& handlers, const http_request_in& req) {
    const bool head = req.method == "HEAD";
    if (req.method != "GET" && !head) return http_answer::text(405, "only GET\n");
    if (req.path == "/healthz") return http_answer::text(200, "ok\n");
    if (req.path == "/readyz") {
        auto reasons = handlers.not_ready ? handlers.not_ready() : std::vector<std::string>{};
        if (reasons.empty()) return http_answer::text(200, "ready\n");
        std::string body = "not ready:\n";
        for (const auto& r : reasons) body += "- " + r + "\n";
        return http_answer::text(503, body);
    }
    if (req.path == "/metrics") {
        auto a = http_answer::text(200, handlers.metrics ? handlers.metrics() : std::string{});
        a.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return a;
    }
    return http_answer::text(404, "not found: try /healthz, /readyz or /metrics\n");
}

}  // namespace

ops_server::ops_server(boost::asio::any_io_executor ex, const std::string& listen, ops_handlers handlers) {
    // Shared with the handler: a request still open when this server goes reads them safely.
    auto h = std::make_shared<const ops_handlers>(std::move(handlers));
    listener_ = std::make_unique<http_listener>(
        std::move(ex), listen, ops_options(),
        [h](const http_request_in& req, http_responder respond) { respond(route(*h, req)); });
}

ops_server::~ops_server() = default;

}  // namespace firebreak
