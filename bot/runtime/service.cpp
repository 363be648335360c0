#include "bot/runtime/service.hpp"

#include "adapters/matrix/matrix_adapter.hpp"
#include "adapters/slack/slack_adapter.hpp"
#include "bot/runtime/local_runs.hpp"
#include "bot/runtime/logging.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/runtime/ops_server.hpp"
#include "bot/runtime/system_clock.hpp"
#include "bot/runtime/wake_timer.hpp"
#include "storage/sqlite_store.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/parse.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <deque>
#include <filesystem>
#include <fmt/format.h>
#include <ostream>
#include <random>
#include <spdlog/spdlog.h>

namespace firebreak {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// auth.test with the bot token: the Web API's "who am I".
int check_slack_online(const firebreak_config& c, std::ostream& out, std::ostream& err) {
    asio::io_context io;
    auto base = net::url::parse(c.slack.api_base_url);
    if (!base) {
        err << "slack: the API base URL cannot be used: " << c.slack.api_base_url << "\n";
        return int(exit_code::platform);
    }
    net::http_client http(io.get_executor(), *base, net::tls_options{c.slack.ca_file});
    net::http_request req;
    req.method = "POST";
    req.target = "/auth.test";
    req.content_type = "application/x-www-form-urlencoded";
    req.timeout = milliseconds{15000};
    req.headers.emplace_back("Authorization", "Bearer " + c.slack.bot_token.value);
    std::optional<net::http_response> answer;
    http.request(req, [&](net::http_response r) { answer = std::move(r); });
    io.run_for(std::chrono::seconds{20});
    if (!answer || answer->failed()) {
        err << "slack: cannot reach " << c.slack.api_base_url << ": " << (answer ? answer->failure : "no answer") << "\n";
        return int(exit_code::platform);
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(answer->body, ec);
    const boost::json::object* o = !ec && v.is_object() ? &v.as_object() : nullptr;
    auto field = [&](const char* k) {
        return o && o->contains(k) && o->at(k).is_string() ? std::string(o->at(k).as_string()) : std::string{};
    };
    if (!o || !o->contains("ok") || !o->at("ok").is_bool() || !o->at("ok").as_bool()) {
        err << "slack: auth.test: " << (field("error").empty() ? "HTTP " + std::to_string(answer->status) : field("error"))
            << ": the bot token is refused\n";
        return int(exit_code::platform);
    }
    out << "slack: the Web API accepts the bot token (" << field("user_id") << " in " << field("team") << ")\n";
    return 0;
}

// The platforms' own "who am I" calls, one request each, bounded in time.
int check_online(const firebreak_config& c, std::ostream& out, std::ostream& err) {
    int code = 0;
    if (c.slack.enabled) code = std::max(code, check_slack_online(c, out, err));
    if (!c.matrix.enabled) return code;
    asio::io_context io;
    std::optional<net::url> base = net::url::parse(c.matrix.homeserver);
    if (!base) {
        err << "matrix: the homeserver URL cannot be used: " << c.matrix.homeserver << "\n";
        return int(exit_code::platform);
    }
    net::http_client http(io.get_executor(), *base, net::tls_options{c.matrix.ca_file});
    net::http_request req;
    req.target = "/_matrix/client/v3/account/whoami";
    req.timeout = milliseconds{15000};
    req.headers.emplace_back("Authorization", "Bearer " + c.matrix.access_token.value);
    std::optional<net::http_response> answer;
    http.request(req, [&](net::http_response r) { answer = std::move(r); });
    io.run_for(std::chrono::seconds{20});
    if (!answer || answer->failed()) {
        err << "matrix: cannot reach " << c.matrix.homeserver << ": " << (answer ? answer->failure : "no answer")
            << "\n";
        return int(exit_code::platform);
    }
    auto d = matrix::failure(answer->status, answer->body, std::nullopt, "whoami");
    if (answer->status != 200) {
        err << "matrix: " << d.detail << (d.error == error_kind::auth ? ": the token is refused" : "") << "\n";
        return int(exit_code::platform);
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(answer->body, ec);
    std::string who = !ec && v.is_object() && v.as_object().contains("user_id") && v.at("user_id").is_string()
                          ? std::string(v.at("user_id").as_string())
                          : std::string{};
    if (!c.matrix.user_id.empty() && who != c.matrix.user_id) {
        err << "matrix: the token belongs to " << (who.empty() ? "nobody it names" : who) << ", not "
            << c.matrix.user_id << "\n";
        return int(exit_code::platform);
    }
    out << "matrix: the homeserver accepts the token (signed in as " << who << ")\n";
    return code;
}

}  // namespace

int run_check_config(const std::string& path, const env_lookup& env, std::ostream& out, std::ostream& err,
                     bool online) {
    firebreak_config c;
    try {
        c = load_config_file(path, env);
    } catch (const config_error& e) {
        err << e.what() << "\n";
        return 2;
    }
    out << fmt::format("{}: OK\n", path);
    out << fmt::format("  database      {}\n  documents     {}\n  ops endpoint  http://{}/\n  log           {} ({})\n",
                       c.database, c.documents_dir, c.ops_listen, c.log_level, c.log_format);
    if (c.slack.enabled)
        out << fmt::format("  slack         {} · bot token from {} · app token from {}{}\n", c.slack.api_base_url,
                           c.slack.bot_token.origin, c.slack.app_token.origin,
                           c.slack.announcement_channel.empty() ? "" : " · announcements in " + c.slack.announcement_channel);
    else
        out << "  slack         disabled\n";
    if (c.matrix.enabled)
        out << fmt::format("  matrix        {} as {} · token from {}{}\n", c.matrix.homeserver, c.matrix.user_id,
                           c.matrix.access_token.origin,
                           c.matrix.announcement_room.empty() ? "" : " · announcements in " + c.matrix.announcement_room);
    else
        out << "  matrix        disabled\n";
    for (int i = 0; i < 4; ++i) {
        const auto& t = c.settings.nudges[std::size_t(i)];
        auto show = [](duration d) { return d.count() > 0 ? format_span(d) : std::string("off"); };
        out << fmt::format("  SEV{} nudges   update every {} · rotation after {} · no commander after {}\n", i + 1,
                           show(t.update_every), show(t.rotation_after), show(t.no_commander_after));
    }
    return online ? check_online(c, out, err) : 0;
}

namespace {

// A per-database tag in every Matrix transaction id: ids restart at 1 in a new database,
// and a homeserver that still remembers "fb-1" for this token would swallow the send.
std::string txn_prefix(incident_store& store, instant now) {
    constexpr auto key = "matrix.txn_prefix";
    if (auto p = store.cursor(key)) return *p;
    std::random_device rd;
    std::string p = fmt::format("{:08x}{:08x}", rd(), rd());
    change none;
    store.commit(none, "", now, std::pair<std::string, std::string>{key, p});
    return p;
}

}  // namespace

struct service::impl {
    asio::io_context& io;
    firebreak_config cfg;
    const clock& clk;
    std::unique_ptr<sqlite_store> store;
    std::unique_ptr<engine> eng;
    std::unique_ptr<matrix::matrix_adapter> mx;
    std::unique_ptr<slack::slack_adapter> sl;
    std::unique_ptr<wake_timer> wake;
    metrics stats;
    std::unique_ptr<ops_server> ops;
    asio::steady_timer flush_timer{io};
    asio::steady_timer prune_timer{io};
    bool stopping = false;
    bool finished = false;
    // Events handed over and not yet handled: whatever the adapters hand in while the engine
    // is busy (a Matrix sync batch, Slack envelopes arriving during a commit) is handled
    // by one drain with one group commit, then acknowledged.
    struct waiting_event {
        inbound in;
        chat_adapter::ack_fn ack;
        std::chrono::steady_clock::time_point since;
    };
    std::deque<waiting_event> arrived;
    bool drain_posted = false;
    // When the last drain ended, and the timer that holds the next one a moment under load.
    std::chrono::steady_clock::time_point last_drain_end{};
    asio::steady_timer group_timer{io};
    std::vector<std::function<void()>> waiters;

    impl(asio::io_context& io_, firebreak_config c, const clock& k) : io(io_), cfg(std::move(c)), clk(k) {}

    void finish() {
        auto head = store->pending_outbox(0);
        if (!head.empty()) spdlog::warn("shutdown: {} outbox rows left for the next start", head.size());
        flush_timer.cancel();
        group_timer.cancel();
        prune_timer.cancel();
        if (wake) wake->cancel();
        if (mx) mx->stop();
        if (sl) sl->stop();
        if (ops) ops->stop();
        finished = true;
        spdlog::info("firebreak stopped");
        auto w = std::move(waiters);
        for (auto& f : w) f();
    }

    // Forgets the ids of events handled more than 30 days ago (far past any platform's
    // redelivery), now and then once a day, so processed_events stays bounded.
    void prune() {
        constexpr auto keep = std::chrono::hours{24 * 30};
        try {
            auto n = store->forget_processed_before(clk.now() - keep);
            if (n > 0) spdlog::info("forgot {} ids of events handled over 30 days ago", n);
        } catch (const std::exception& e) {
            // Only housekeeping: the next day tries again.
            spdlog::warn("forgetting old event ids: {}", e.what());
        }
        prune_timer.expires_after(std::chrono::hours{24});
        prune_timer.async_wait([this](boost::system::error_code ec) {
            if (!ec) prune();
        });
    }

    // Drains the outbox until it is empty, blocked past the deadline, or out of time.
    void flush(std::chrono::steady_clock::time_point deadline) {
        eng->deliver();
        auto head = store->pending_outbox(1);
        auto now = std::chrono::steady_clock::now();
        bool blocked = !head.empty() && head.front().not_before &&
                       *head.front().not_before - clk.now() > deadline - now;
        if (head.empty() || now >= deadline || blocked) return finish();
        flush_timer.expires_after(milliseconds{20});
        flush_timer.async_wait([this, deadline](boost::system::error_code ec) {
            if (!ec) flush(deadline);
        });
    }
};

service::service(asio::io_context& io, firebreak_config cfg, const clock& clk)
    : impl_(std::make_unique<impl>(io, std::move(cfg), clk)) {
    auto& m = *impl_;
    if (!m.cfg.matrix.enabled && !m.cfg.slack.enabled) spdlog::warn("no platform is enabled: firebreak runs, but nobody can talk to it");
    std::error_code ec;
    auto parent = std::filesystem::path(m.cfg.database).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    m.store = std::make_unique<sqlite_store>(m.cfg.database);
    m.eng = std::make_unique<engine>(*m.store, m.cfg.settings, clk);
    m.eng->set_renderer(postmortem_renderer());
    m.eng->set_documents_dir(m.cfg.documents_dir);
    if (m.cfg.matrix.enabled) {
        matrix::matrix_options o;
        o.homeserver = m.cfg.matrix.homeserver;
        o.access_token = m.cfg.matrix.access_token.value;
        o.ca_file = m.cfg.matrix.ca_file;
        o.user_id = m.cfg.matrix.user_id;
        o.since = m.store->cursor(o.cursor_key);
        if (auto d = m.store->cursor(o.direct_rooms_key)) o.direct_rooms = matrix::parse_direct_rooms(*d);
        o.txn_prefix = txn_prefix(*m.store, clk.now());
        o.sync_timeout = m.cfg.matrix.sync_timeout;
        o.backoff.initial = m.cfg.matrix.retry_initial;
        o.backoff.jitter = m.cfg.matrix.retry_jitter;
        m.mx = std::make_unique<matrix::matrix_adapter>(io.get_executor(), std::move(o));
        m.mx->on_fatal([this](const std::string&) { fail(exit_code::platform); });
        m.mx->on_reconnect([this] { impl_->stats.count_reconnect("matrix"); });
        m.eng->add_adapter(*m.mx);
    }
    if (m.cfg.slack.enabled) {
        slack::slack_options o;
        o.api_base_url = m.cfg.slack.api_base_url;
        o.bot_token = m.cfg.slack.bot_token.value;
        o.app_token = m.cfg.slack.app_token.value;
        o.ca_file = m.cfg.slack.ca_file;
        o.backoff.initial = m.cfg.slack.retry_initial;
        o.backoff.jitter = m.cfg.slack.retry_jitter;
        o.ws.idle = m.cfg.slack.idle_timeout;
        o.form_default_severity = int(m.cfg.settings.default_severity);
        m.sl = std::make_unique<slack::slack_adapter>(io.get_executor(), std::move(o), clk);
        m.sl->on_fatal([this](const std::string&) { fail(exit_code::platform); });
        m.sl->on_reconnect([this] { impl_->stats.count_reconnect("slack"); });
        m.eng->add_adapter(*m.sl);
    }
    m.wake = std::make_unique<wake_timer>(io.get_executor(), *m.eng, clk);
    if (!m.cfg.ops_listen.empty()) {
        ops_handlers h;
        h.not_ready = [this] { return not_ready(); };
        h.metrics = [this] { return impl_->stats.render(*impl_->eng); };
        m.ops = std::make_unique<ops_server>(io.get_executor(), m.cfg.ops_listen, std::move(h));
    }
}

service::~service() = default;

void service::start() {
    auto& m = *impl_;
    if (m.ops) m.ops->start();
    auto sink = [this](const inbound& in, const chat_adapter::ack_fn& ack) {
        auto& s = *impl_;
        // Shutting down: not acknowledged, so the platform hands it over again next start.
        if (s.stopping) return;
        s.arrived.push_back({in, ack, std::chrono::steady_clock::now()});
        post_drain();
    };
    if (m.mx) m.mx->start(sink);
    if (m.sl) m.sl->start(sink);
    // Whatever the outbox held when the last run ended goes out first.
    m.eng->deliver();
    m.prune();
    m.wake->rearm();
    std::size_t open = 0;
    for (const auto& [n, inc] : m.eng->state().incidents) open += inc.is_closed() ? 0 : 1;
    // The bound port, not the configured one: with port 0 this line is how to find it.
    auto listen = m.cfg.ops_listen.substr(0, m.cfg.ops_listen.rfind(':'));
    spdlog::info("firebreak running: {} open incidents, ops endpoint {}", open,
                 m.ops ? fmt::format("http://{}:{}/", listen, m.ops->port()) : std::string("off"));
}

// Under load, an event that arrives right after a drain waits a moment for the ones on its
// heels. A WebSocket hands frames over one read at a time, and each read completes only
// after the handlers queued before it: drained at once, every Slack envelope of a burst
// would get a commit and a disk flush of its own (the Slack path bench measured exactly
// that: 2,000 envelopes/s, the disk's limit, with acks queueing behind). The wait applies
// only when the last drain ended less than `busy` ago, so a quiet room pays nothing.
void service::post_drain() {
    constexpr auto busy = std::chrono::milliseconds{10};
    constexpr auto window = std::chrono::microseconds{1000};
    auto& s = *impl_;
    if (s.drain_posted) return;
    s.drain_posted = true;
    auto run = [this, alive = std::weak_ptr<const bool>(alive_)] {
        if (!alive.expired()) drain();
    };
    if (std::chrono::steady_clock::now() - s.last_drain_end < busy && s.arrived.size() < engine::max_batch) {
        s.group_timer.expires_after(window);
        s.group_timer.async_wait([run](boost::system::error_code ec) {
            if (!ec) run();
        });
        return;
    }
    asio::post(s.io, run);
}

void service::drain() {
    auto& s = *impl_;
    s.drain_posted = false;
    // Events not yet handled when shutdown began are not acknowledged: the platform hands
    // them over again at the next start.
    if (s.stopping || s.arrived.empty()) return s.arrived.clear();
    // A bounded group, so the first event of a long Matrix sync is not kept waiting for the
    // whole of it; the rest follow in the next drain.
    std::vector<impl::waiting_event> group;
    while (!s.arrived.empty() && group.size() < engine::max_batch) {
        group.push_back(std::move(s.arrived.front()));
        s.arrived.pop_front();
    }
    if (!s.arrived.empty()) post_drain();
    std::vector<inbound> batch;
    batch.reserve(group.size());
    for (auto& w : group) batch.push_back(std::move(w.in));
    try {
        s.eng->handle_batch(batch);
    } catch (const std::exception& e) {
        spdlog::error("handling {} events from {}: {}; stopping", batch.size(), batch.front().event.event_id, e.what());
        s.arrived.clear();
        return fail(exit_code::failure);
    }
    // Committed: now, and only now, each may be acknowledged, in the order they came.
    const auto now = std::chrono::steady_clock::now();
    for (auto& w : group) {
        s.stats.observe_ack(now - w.since);
        w.ack();
    }
    s.last_drain_end = std::chrono::steady_clock::now();
}

void service::shutdown(milliseconds deadline, std::function<void()> done) {
    auto& m = *impl_;
    if (m.finished) return done();
    m.waiters.push_back(std::move(done));
    if (m.stopping) return;
    m.stopping = true;
    spdlog::info("shutting down: no new events; delivering the outbox for at most {} ms", deadline.count());
    if (m.mx) m.mx->stop_receiving();
    if (m.sl) m.sl->stop_receiving();
    m.flush(std::chrono::steady_clock::now() + deadline);
}

void service::fail(exit_code c) {
    if (code_ == exit_code::ok) code_ = c;
    if (on_fatal_) on_fatal_();
}

engine& service::eng() { return *impl_->eng; }

unsigned short service::ops_port() const { return impl_->ops ? impl_->ops->port() : 0; }

std::vector<std::string> service::not_ready() const {
    std::vector<std::string> why;
    const auto& m = *impl_;
    if (m.stopping) why.emplace_back("shutting down");
    if (m.mx && m.mx->state() != matrix::link_state::connected)
        why.push_back("matrix: not connected" + (m.mx->last_error().empty() ? std::string{} : " (" + m.mx->last_error() + ")"));
    if (m.sl && m.sl->state() != slack::link_state::connected)
        why.push_back("slack: not connected" + (m.sl->last_error().empty() ? std::string{} : " (" + m.sl->last_error() + ")"));
    return why;
}

matrix::matrix_adapter* service::matrix() { return impl_->mx.get(); }

slack::slack_adapter* service::slack() { return impl_->sl.get(); }

int run_service(const std::string& config_path, const env_lookup& env, std::ostream& err) {
    firebreak_config cfg;
    try {
        cfg = load_config_file(config_path, env);
    } catch (const config_error& e) {
        err << e.what() << "\n";
        return int(exit_code::config);
    }
    install_logging(cfg.log_level, cfg.log_format == "json" ? log_format::json : log_format::text,
                    redactor(cfg.secrets()));
    asio::io_context io;
    system_clock clk;
    std::unique_ptr<service> svc;
    try {
        svc = std::make_unique<service>(io, cfg, clk);
    } catch (const std::exception& e) {
        spdlog::error("cannot start: {}", e.what());
        return int(exit_code::failure);
    }
    constexpr milliseconds flush_deadline{10000};
    auto stop = [&] { svc->shutdown(flush_deadline, [&io] { io.stop(); }); };
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        spdlog::info("{} received", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        stop();
    });
    svc->on_fatal(stop);
    try {
        svc->start();
    } catch (const std::exception& e) {
        spdlog::error("cannot start: {}", e.what());
        return int(exit_code::failure);
    }
    io.run();
    return int(svc->code());
}

}  // namespace firebreak
