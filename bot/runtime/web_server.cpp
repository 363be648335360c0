#include "bot/runtime/web_server.hpp"

#include "bot/core/text.hpp"
#include "bot/core/visibility.hpp"
#include "bot/runtime/http_listener.hpp"
#include "bot/runtime/local_runs.hpp"
#include "commands/parser.hpp"
#include "postmortem/chart.hpp"
#include "storage/sqlite_store.hpp"
#include "web/pages.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/url/parse_query.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <thread>

namespace firebreak {

namespace asio = boost::asio;
namespace urls = boost::urls;

namespace {

// A field of a form body or query string, decoded ("+" as a space); empty when absent.
std::string form_field(std::string_view body, std::string_view name) {
    auto params = urls::parse_query(body);
    if (!params) return {};
    urls::encoding_opts plus_is_space;
    plus_is_space.space_as_plus = true;
    for (auto p : *params)
        if (p.key == name && p.has_value) return p.value.decode(plus_is_space);
    return {};
}

// The number of "INC-12" written as the view links it (no other case, no leading zero);
// 0 for anything else, so each incident has one address.
std::int64_t incident_number(std::string_view s) {
    auto n = parse_incident_ref(s);
    return n && incident_id{*n}.str() == s ? *n : 0;
}

http_answer page(int status, std::string body) {
    http_answer a = http_answer::text(status, std::move(body));
    a.content_type = "text/html; charset=utf-8";
    return a;
}

http_answer redirect(std::string_view to) {
    http_answer a = http_answer::text(303, "");
    a.headers.emplace_back("Location", std::string(to));
    return a;
}

// The headers every answer of the view carries.
void harden(http_answer& a, std::string_view csp) {
    a.headers.emplace_back("Content-Security-Policy", std::string(csp));
    a.headers.emplace_back("X-Content-Type-Options", "nosniff");
    a.headers.emplace_back("X-Frame-Options", "DENY");
    // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
    // sign-in form, and the sign-in check could not tell it from a forged one.
    a.headers.emplace_back("Referrer-Policy", "same-origin");
    bool cached = false;
    for (const auto& [k, v] : a.headers) cached = cached || k == "Cache-Control";
    if (!cached) a.headers.emplace_back("Cache-Control", "no-store");
}

// The host of an Origin header ("http://127.0.0.1:8080" -> "127.0.0.1:8080").
std::string_view origin_host(std::string_view origin) {
    auto p = origin.find("://");
    return p == std::string_view::npos ? origin : origin.substr(p + 3);
}

struct subscriber {
    std::weak_ptr<http_stream> stream;
    web::reader who;
    std::int64_t topic = 0;   // an incident's number; 0: the list
};

}  // namespace

struct web_server::impl : std::enable_shared_from_this<impl> {
    web_options o;
    const clock& clk;
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::unique_ptr<http_listener> listener;
    web::access_gate gate;
    std::map<std::int64_t, incident> incidents;   // on the view's thread only
    std::unique_ptr<sqlite_store> records;         // opened on first use
    std::vector<subscriber> live;
    std::atomic<std::size_t> live_count{0};
    std::thread runner;
    bool started = false;

    impl(web_options opts, const clock& k) : o(std::move(opts)), clk(k), gate(o.access) {}

    incident_store& store() {
        if (!records) records = std::make_unique<sqlite_store>(o.database, sqlite_store::open_mode::reader);
        return *records;
    }

    void changed(std::vector<incident> touched) {
        for (auto& inc : touched) {
            auto n = inc.id.n;
            incidents[n] = std::move(inc);
            const incident& now = incidents[n];
            std::string event = fmt::format("event: change\ndata: {}\n\n", now.id.str());
            for (auto& s : live) {
                auto stream = s.stream.lock();
                if (!stream || stream->closed()) continue;
                bool wants = s.topic == n || (s.topic == 0 && web::may_read(now, s.who, o.access.admins));
                if (!wants) continue;
                // A page that reads nothing of what it is sent is let go, not queued for.
                if (stream->backlog() > 64) stream->close();
                else stream->push(event);
            }
        }
        std::erase_if(live, [](const subscriber& s) {
            auto st = s.stream.lock();
            return !st || st->closed();
        });
        live_count = live.size();
    }

    std::optional<web::reader> who(const http_request_in& req) {
        std::string proxy = o.access.trusted_header.empty() ? std::string{} : req.header(ascii_lower(o.access.trusted_header));
        return gate.who(req.peer, proxy, req.header("cookie"), clk.now());
    }

    http_answer route(const http_request_in& req) {
        const bool get = req.method == "GET" || req.method == "HEAD";
        const std::string_view path = req.path;
        const std::string_view query =
            req.target.size() > req.path.size() ? std::string_view(req.target).substr(req.path.size() + 1) : "";
        if (path == "/assets/view.css" || path == "/assets/view.js") {
            if (!get) return http_answer::text(405, "only GET\n");
            bool css = path == "/assets/view.css";
            auto a = http_answer::text(200, std::string(css ? web::stylesheet() : web::script()));
            a.content_type = css ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
            a.headers.emplace_back("Cache-Control", "max-age=300");
            return a;
        }
        if (path == "/login") {
            if (get) return who(req) ? redirect("/") : page(200, web::login_page(""));
            if (req.method != "POST") return http_answer::text(405, "only GET or POST\n");
            // A form another site posts (login CSRF) is refused; browsers send Origin on POST.
            auto origin = req.header("origin");
            if (!origin.empty() && origin_host(origin) != req.header("host"))
                return page(403, web::message_page("Refused", "This sign-in came from another site."));
            auto token = form_field(req.body, "token");
            auto cookie = gate.login(token, clk.now());
            if (!cookie) {
                spdlog::warn("web view: a sign-in with a wrong token from {}", req.peer);
                return page(401, web::login_page("That token is not valid."));
            }
            auto a = redirect("/");
            a.headers.emplace_back("Set-Cookie", *cookie);
            return a;
        }
        if (path == "/logout") {
            if (req.method != "POST") return http_answer::text(405, "only POST\n");
            auto a = redirect("/login");
            a.headers.emplace_back("Set-Cookie", gate.logout(req.header("cookie")));
            return a;
        }
        auto reader = who(req);
        if (!reader) {
            if (path == "/events") return http_answer::text(401, "sign in first\n");
            return page(401, web::login_page(""));
        }
        if (!get) return http_answer::text(405, "only GET\n");
        if (path == "/") {
            std::vector<const incident*> visible;
            for (const auto& [n, inc] : incidents)
                if (web::may_read(inc, *reader, o.access.admins)) visible.push_back(&inc);
            return page(200, web::list_page(visible, web::parse_list_filter(query), clk.now(), *reader));
        }
        if (path == "/events") return events(*reader, query);
        constexpr std::string_view prefix = "/incidents/";
        if (path.rfind(prefix, 0) == 0) {
            auto rest = path.substr(prefix.size());
            auto slash = rest.find('/');
            auto n = incident_number(rest.substr(0, slash));
            auto it = n > 0 ? incidents.find(n) : incidents.end();
            if (it == incidents.end() || !web::may_read(it->second, *reader, o.access.admins))
                return page(404, web::message_page("Not found", n > 0 ? not_visible_line(n) : "There is no such incident."));
            if (slash == std::string_view::npos) return incident_view(it->second, *reader);
            return postmortem(it->second, rest.substr(slash + 1));
        }
        return page(404, web::message_page("Not found", "There is no such page."));
    }

    http_answer incident_view(const firebreak::incident& inc, const web::reader& reader) {
        auto src = postmortem_source(inc, store());
        web::incident_extras extras;
        extras.chart_svg = timeline_chart_svg(src, facts_of(src));
        extras.postmortem = inc.is_closed() && store().document(inc.id, "md").has_value();
        return page(200, web::incident_page(src, extras, clk.now(), reader));
    }

    http_answer postmortem(const firebreak::incident& inc, std::string_view file) {
        std::string format;
        if (file == "postmortem.html") format = "html";
        else if (file == "postmortem.md") format = "md";
        else if (file == "postmortem.json") format = "json";
        else return page(404, web::message_page("Not found", "There is no such page."));
        auto doc = store().document(inc.id, format);
        if (!doc) return page(404, web::message_page("Not yet", "There is no postmortem draft of " + inc.id.str() + " yet."));
        auto a = http_answer::text(200, std::move(*doc));
        a.content_type = format == "html" ? "text/html; charset=utf-8"
                         : format == "md" ? "text/markdown; charset=utf-8"
                                          : "application/json";
        return a;
    }

    http_answer events(const web::reader& reader, std::string_view query) {
        std::int64_t topic = 0;
        std::string t = form_field(query, "topic");
        if (!t.empty() && t != "list") {
            topic = incident_number(t);
            auto it = topic > 0 ? incidents.find(topic) : incidents.end();
            if (it == incidents.end() || !web::may_read(it->second, reader, o.access.admins))
                return http_answer::text(404, "no such incident\n");
        }
        http_answer a;
        a.content_type = "text/event-stream";
        a.stream = std::make_shared<http_stream>();
        // Retry in 2 s if the connection drops: within the promised two seconds of a change.
        a.stream->push("retry: 2000\n\n");
        live.push_back(subscriber{a.stream, reader, topic});
        live_count = live.size();
        return a;
    }

    void answer(const http_request_in& req, const http_responder& respond) {
        http_answer a;
        try {
            a = route(req);
        } catch (const std::exception& e) {
            // The reader connection failed (the file busy, gone): the next request opens it again.
            spdlog::warn("web view: {} {}: {}", req.method, req.path.substr(0, 80), e.what());
            records.reset();
            a = page(503, web::message_page("Try again", "The record could not be read just now."));
        }
        bool postmortem_html = a.content_type.rfind("text/html", 0) == 0 && req.path.size() > 16 &&
                               req.path.compare(req.path.size() - 16, 16, "/postmortem.html") == 0;
        // The postmortem page carries its own inline style and nothing else.
        harden(a, postmortem_html ? "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
                                  : web::content_security_policy);
        respond(std::move(a));
    }
};

web_server::web_server(web_options o, const clock& clk) : impl_(std::make_shared<impl>(std::move(o), clk)) {
    http_listener_options lo;
    lo.name = "web view";
    lo.max_header_bytes = 8 * 1024;
    lo.max_body_bytes = 4 * 1024;
    lo.timeout = impl_->o.timeout;
    lo.max_connections = impl_->o.max_connections;
    std::weak_ptr<impl> weak = impl_;
    impl_->listener = std::make_unique<http_listener>(impl_->io.get_executor(), impl_->o.listen, lo,
                                                      [weak](const http_request_in& req, http_responder respond) {
                                                          if (auto self = weak.lock()) self->answer(req, respond);
                                                      });
}

web_server::~web_server() { stop(); }

void web_server::start(const engine_state& state) {
    auto& m = *impl_;
    if (m.started) return;
    m.started = true;
    for (const auto& [n, inc] : state.incidents) m.incidents.emplace(n, inc);
    m.listener->start();
    m.runner = std::thread([self = impl_] {
        try {
            self->io.run();
        } catch (const std::exception& e) {
            spdlog::error("web view stopped: {}", e.what());
        }
    });
}

void web_server::publish(const change& c) {
    if (c.incidents.empty() || !impl_->started) return;
    asio::post(impl_->io, [self = impl_, touched = c.incidents]() mutable { self->changed(std::move(touched)); });
}

void web_server::stop() {
    auto& m = *impl_;
    if (!m.runner.joinable()) return;
    asio::post(m.io, [self = impl_] {
        // Live pages end first (their writers wake to a closed stream and close the
        // socket); then pages are read-only, so answers still being written are dropped.
        self->listener->stop();
        self->work.reset();
        asio::post(self->io, [self] { self->io.stop(); });
    });
    m.runner.join();
    m.records.reset();
}

unsigned short web_server::port() const { return impl_->listener->port(); }

std::size_t web_server::live_viewers() const { return impl_->live_count; }

}  // namespace firebreak
