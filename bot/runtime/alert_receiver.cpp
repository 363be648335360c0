#include "bot/runtime/alert_receiver.hpp"

#include "alerts/auth.hpp"
#include "alerts/receivers.hpp"
#include "alerts/routing.hpp"
#include "bot/core/text.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace firebreak {

namespace {

// The summary a card shows: what the sender wrote about the alert.
std::string summary_of(const alerts::alert& a) {
    for (const char* key : {"summary", "description", "message"})
        if (auto it = a.annotations.find(key); it != a.annotations.end() && !it->second.empty()) return it->second;
    return {};
}

// Answers the payload once every one of its alerts is committed. Dropped unanswered (the
// intake let go of an event: the store failed, or a shutdown), the listener answers 503.
struct pending_payload {
    http_responder respond;
    std::size_t owed = 0;
    std::size_t alerts = 0;
    void acked() {
        if (--owed == 0 && respond) {
            auto r = std::move(respond);
            respond = nullptr;
            r(http_answer::text(200, fmt::format("accepted {} alert{}\n", alerts, alerts == 1 ? "" : "s")));
        }
    }
};

}  // namespace

chat_event alert_event(const alerts::alert& a, const std::string& group_key, const alert_source_config& source,
                       const alerts::routing_decision& d, instant now) {
    auto ar = std::make_shared<alert_arrival>();
    card_alert& c = ar->alert;
    c.source = a.source;
    c.fingerprint = a.fingerprint;
    c.key = fmt::format("{}/{}", a.source, a.fingerprint);
    c.title = a.title;
    c.severity = a.severity;
    c.summary = summary_of(a);
    c.link = a.link;
    c.labels.assign(a.labels.begin(), a.labels.end());
    c.firing = a.status == alerts::alert_status::firing;
    c.started = a.starts_at.value_or(now);
    if (!c.firing) c.resolved = a.ends_at.value_or(now);
    c.received = now;
    ar->group = alerts::group_of(a, group_key, source.group_by);
    ar->room = d.room;
    ar->sev = static_cast<severity>(std::clamp(d.severity, 1, 4));
    ar->title = d.title;
    ar->rule = d.rule ? d.rule->name : std::string("default");
    ar->declare = d.action == alerts::alert_action::declare;
    chat_event ev;
    ev.kind = event_kind::alert;
    ev.event_id = "alert:" + alerts::dedupe_key(a);
    ev.room = d.room;
    ev.user = alert_sender(a.source);
    ev.at = now;
    ev.alert = std::move(ar);
    return ev;
}

alert_receiver::alert_receiver(boost::asio::any_io_executor ex, const alerts_config& cfg, chat_adapter::event_sink sink,
                               const clock& clk)
    : cfg_(cfg), sink_(std::move(sink)), clock_(clk) {
    http_listener_options o;
    o.name = "alert receiver";
    o.max_body_bytes = max_body_bytes;
    o.timeout = std::chrono::seconds{10};
    o.handler_timeout = std::chrono::seconds{10};
    o.on_refused = [this](int status) {
        ++counters_.rejected[status == 413 ? "too_large" : status == 400 ? "bad_request" : "unanswered"];
    };
    listener_ = std::make_unique<http_listener>(ex, cfg.listen, o,
                                                [this](const http_request_in& req, http_responder r) { handle(req, std::move(r)); });
}

alert_receiver::~alert_receiver() = default;

void alert_receiver::start() { listener_->start(); }
void alert_receiver::stop() { listener_->stop(); }
unsigned short alert_receiver::port() const { return listener_->port(); }

void alert_receiver::handle(const http_request_in& req, http_responder respond) {
    const auto refuse = [&](int status, const std::string& reason, const std::string& text) {
        ++counters_.rejected[reason];
        respond(http_answer::text(status, text + "\n"));
    };
    constexpr std::string_view prefix = "/alerts/";
    if (req.path.rfind(prefix, 0) != 0) return refuse(404, "unknown_path", "not found: alerts are POSTed to /alerts/<source>");
    const std::string name = req.path.substr(prefix.size());
    auto src = std::find_if(cfg_.sources.begin(), cfg_.sources.end(), [&](const alert_source_config& s) { return s.name == name; });
    if (src == cfg_.sources.end()) return refuse(404, "unknown_source", "not found: no such alert source");
    if (req.method != "POST") {
        ++counters_.rejected["method"];
        auto a = http_answer::text(405, "alerts are POSTed\n");
        a.headers.emplace_back("Allow", "POST");
        return respond(std::move(a));
    }
    // The secret is never echoed, nor which check failed.
    const bool authentic = !src->token.value.empty()
                               ? alerts::bearer_matches(req.header("authorization"), src->token.value)
                               : alerts::hmac_matches(req.body, req.header(ascii_lower(src->signature_header)),
                                                      src->hmac_secret.value);
    if (!authentic) {
        spdlog::warn("alert source {}: a request without valid credentials was refused", src->name);
        return refuse(401, "unauthorized", "unauthorized");
    }
    alerts::parsed p = src->kind == "alertmanager" ? alerts::parse_alertmanager(req.body, src->name)
                       : src->kind == "grafana"    ? alerts::parse_grafana(req.body, src->name)
                                                   : alerts::parse_generic(req.body, src->fields, src->name);
    if (!p.value) {
        spdlog::warn("alert source {}: payload refused: {}", src->name, p.error);
        return refuse(400, "malformed", "bad request: " + p.error);
    }
    const instant now = clock_.now();
    std::vector<chat_event> events;
    for (const auto& a : p.value->alerts) {
        auto d = alerts::route(a, cfg_.rules, cfg_.room);
        if (d.action == alerts::alert_action::ignore) {
            ++counters_.ignored;
            continue;
        }
        events.push_back(alert_event(a, p.value->group_key, *src, d, now));
    }
    ++counters_.payloads;
    if (events.empty()) return respond(http_answer::text(200, "accepted 0 alerts\n"));
    counters_.received += std::int64_t(events.size());
    auto pending = std::make_shared<pending_payload>();
    pending->respond = std::move(respond);
    pending->owed = events.size();
    pending->alerts = events.size();
    for (auto& ev : events) sink_(inbound{std::move(ev), std::nullopt}, [pending] { pending->acked(); });
}

}  // namespace firebreak
