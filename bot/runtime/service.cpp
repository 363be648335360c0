#include "bot/runtime/service.hpp"

#include "bot/runtime/adapter_registry.hpp"
#include "bot/runtime/alert_receiver.hpp"
#include "bot/runtime/document_folder.hpp"
#include "bot/runtime/intake.hpp"
#include "bot/runtime/local_runs.hpp"
#include "bot/runtime/logging.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/runtime/ops_server.hpp"
#include "bot/runtime/system_clock.hpp"
#include "bot/runtime/wake_timer.hpp"
#include "bot/runtime/web_server.hpp"
#include "storage/sqlite_store.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <ostream>
#include <spdlog/spdlog.h>

namespace firebreak {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// Each enabled platform's own "who am I", one request each, bounded in time.
int check_online(const firebreak_config& c, std::ostream& out, std::ostream& err) {
    int code = 0;
    for (const auto& p : platforms()) {
        if (!p.enabled(c)) continue;
        asio::io_context io;
        scratch_memory memory;
        system_clock clk;
        std::optional<credential_check> answer;
        try {
            auto adapter = p.make(adapter_context{io.get_executor(), c, clk, memory});
            adapter->check_credentials([&](credential_check r) { answer = std::move(r); });
            io.run_for(std::chrono::seconds{20});
        } catch (const std::exception& e) {
            answer = credential_check{false, {}, e.what()};
        }
        if (answer && answer->ok) {
            out << p.name << ": accepts the token (signed in as " << answer->who << ")\n";
            continue;
        }
        err << p.name << ": " << (answer ? answer->detail : std::string("no answer within 20 s")) << "\n";
        code = int(exit_code::platform);
    }
    return code;
}

}  // namespace

web_options web_options_of(const firebreak_config& c) {
    web_options o;
    o.listen = c.web.listen;
    o.database = c.database;
    auto& a = o.access;
    a.secure_cookie = c.web.secure_cookie;
    a.session_ttl = c.web.session_ttl;
    a.trusted_header = c.web.trusted_header;
    a.trusted_proxies = c.web.trusted_proxies;
    a.admins = c.settings.admins;
    for (const auto& v : c.web.viewers)
        a.viewers.push_back(web::viewer_token{v.name, v.token.value, v.people, v.every_incident, v.proxy_users});
    return o;
}

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
    for (const auto& p : platforms())
        out << fmt::format("  {:<13} {}\n", p.name, p.enabled(c) ? p.describe(c) : std::string("disabled"));
    for (int i = 0; i < 4; ++i) {
        const auto& t = c.settings.nudges[std::size_t(i)];
        auto show = [](duration d) { return d.count() > 0 ? format_span(d) : std::string("off"); };
        out << fmt::format("  SEV{} nudges   update every {} · rotation after {} · no commander after {}\n", i + 1,
                           show(t.update_every), show(t.rotation_after), show(t.no_commander_after));
    }
    return online ? check_online(c, out, err) : 0;
}

struct service::impl {
    asio::io_context& io;
    firebreak_config cfg;
    const clock& clk;
    std::unique_ptr<sqlite_store> store;
    std::unique_ptr<engine> eng;
    std::unique_ptr<store_memory> memory;
    std::vector<std::unique_ptr<chat_adapter>> adapters;
    std::unique_ptr<wake_timer> wake;
    metrics stats;
    std::unique_ptr<ops_server> ops;
    asio::steady_timer flush_timer{io};
    asio::steady_timer prune_timer{io};
    bool stopping = false;
    bool finished = false;
    std::unique_ptr<intake> events;
    std::unique_ptr<alert_receiver> alerts;
    std::unique_ptr<web_server> web;
    std::vector<std::function<void()>> waiters;

    impl(asio::io_context& io_, firebreak_config c, const clock& k) : io(io_), cfg(std::move(c)), clk(k) {}

    void finish() {
        auto head = store->pending_outbox(0);
        if (!head.empty()) spdlog::warn("shutdown: {} outbox rows left for the next start", head.size());
        flush_timer.cancel();
        prune_timer.cancel();
        if (wake) wake->cancel();
        for (auto& a : adapters) a->stop();
        if (alerts) alerts->stop();
        if (web) web->stop();
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

service::service(asio::io_context& io, firebreak_config cfg, const clock& clk, delay_timers delays)
    : impl_(std::make_unique<impl>(io, std::move(cfg), clk)) {
    auto& m = *impl_;
    if (std::none_of(platforms().begin(), platforms().end(), [&](const platform_entry& p) { return p.enabled(m.cfg); }))
        spdlog::warn("no platform is enabled: firebreak runs, but nobody can talk to it");
    std::error_code ec;
    auto parent = std::filesystem::path(m.cfg.database).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    m.store = std::make_unique<sqlite_store>(m.cfg.database);
    m.eng = std::make_unique<engine>(*m.store, m.cfg.settings, clk);
    m.eng->set_renderer(postmortem_renderer());
    if (!m.cfg.documents_dir.empty()) m.eng->set_document_writer(document_folder(m.cfg.documents_dir));
    m.memory = std::make_unique<store_memory>(*m.store);
    m.adapters = build_adapters(adapter_context{io.get_executor(), m.cfg, clk, *m.memory, std::move(delays)});
    for (auto& a : m.adapters) {
        a->on_fatal([this](const std::string&) { fail(exit_code::platform); });
        a->on_reconnect([this, name = a->platform()] { impl_->stats.count_reconnect(name); });
        m.eng->add_adapter(*a);
    }
    m.events = std::make_unique<intake>(
        io.get_executor(), *m.eng, [this](std::chrono::steady_clock::duration d) { impl_->stats.observe_ack(d); },
        [this](const std::string&) { fail(exit_code::failure); });
    m.wake = std::make_unique<wake_timer>(io.get_executor(), *m.eng, clk);
    if (m.cfg.alerts.enabled) {
        for (const auto& p : platforms())
            if (p.name == m.cfg.alerts.room.platform && !p.enabled(m.cfg))
                spdlog::warn("alerts.room is on {}, which is not enabled: cards wait in the outbox", p.name);
        m.alerts = std::make_unique<alert_receiver>(io.get_executor(), m.cfg.alerts, m.events->sink(), clk);
    }
    if (m.cfg.web.enabled) {
        m.web = std::make_unique<web_server>(web_options_of(m.cfg), clk);
        m.eng->set_on_commit([w = m.web.get()](const change& c) { w->publish(c); });
    }
    if (!m.cfg.ops_listen.empty()) {
        ops_handlers h;
        h.not_ready = [this] { return not_ready(); };
        h.metrics = [this] {
            return impl_->stats.render(*impl_->eng, impl_->alerts ? &impl_->alerts->counters() : nullptr);
        };
        m.ops = std::make_unique<ops_server>(io.get_executor(), m.cfg.ops_listen, std::move(h));
    }
}

service::~service() = default;

void service::start() {
    auto& m = *impl_;
    if (m.ops) m.ops->start();
    for (auto& a : m.adapters) a->start(m.events->sink());
    if (m.alerts) m.alerts->start();
    if (m.web) m.web->start(m.eng->state());
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
    if (m.alerts) {
        auto at = m.cfg.alerts.listen.substr(0, m.cfg.alerts.listen.rfind(':'));
        spdlog::info("alert receivers on http://{}:{}/alerts/<source>: {} source{}", at, m.alerts->port(),
                     m.cfg.alerts.sources.size(), m.cfg.alerts.sources.size() == 1 ? "" : "s");
    }
    if (m.web) {
        auto at = m.cfg.web.listen.substr(0, m.cfg.web.listen.rfind(':'));
        spdlog::info("web view on http://{}:{}/: {} viewer token{}{}", at, m.web->port(), m.cfg.web.viewers.size(),
                     m.cfg.web.viewers.size() == 1 ? "" : "s",
                     m.cfg.web.trusted_header.empty() ? "" : ", proxy sign-in by " + m.cfg.web.trusted_header);
    }
}

void service::shutdown(milliseconds deadline, std::function<void()> done) {
    auto& m = *impl_;
    if (m.finished) return done();
    m.waiters.push_back(std::move(done));
    if (m.stopping) return;
    m.stopping = true;
    // Alerts under way are answered 503 (their events are forgotten with the intake's), so
    // their senders retry against the next start.
    if (m.alerts) m.alerts->stop();
    m.events->stop();
    spdlog::info("shutting down: no new events; delivering the outbox for at most {} ms", deadline.count());
    for (auto& a : m.adapters) a->stop_receiving();
    m.flush(std::chrono::steady_clock::now() + deadline);
}

void service::fail(exit_code c) {
    if (code_ == exit_code::ok) code_ = c;
    if (on_fatal_) on_fatal_();
}

engine& service::eng() { return *impl_->eng; }

unsigned short service::ops_port() const { return impl_->ops ? impl_->ops->port() : 0; }
unsigned short service::alerts_port() const { return impl_->alerts ? impl_->alerts->port() : 0; }
unsigned short service::web_port() const { return impl_->web ? impl_->web->port() : 0; }

std::vector<std::string> service::not_ready() const {
    std::vector<std::string> why;
    const auto& m = *impl_;
    if (m.stopping) why.emplace_back("shutting down");
    for (const auto& a : m.adapters) {
        if (a->state() == link_state::connected) continue;
        auto error = a->last_error();
        why.push_back(a->platform() + ": not connected" + (error.empty() ? std::string{} : " (" + error + ")"));
    }
    return why;
}

chat_adapter* service::adapter(std::string_view platform) {
    for (auto& a : impl_->adapters)
        if (a->platform() == platform) return a.get();
    return nullptr;
}

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
