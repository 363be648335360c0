#include "bot/runtime/metrics.hpp"

#include <fmt/format.h>

namespace firebreak {

namespace {

constexpr const char* kind_names[] = {"message", "edit", "remove", "reaction", "command", "room_bound", "member_joined",
                                      "sync_mark", "member_left", "name_changed", "alert"};
static_assert(std::size(kind_names) == std::size_t(event_kind::alert) + 1);

// Label values are escaped as the text format asks (backslash, quote, newline).
std::string label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

void metrics::observe_ack(std::chrono::duration<double> latency) {
    double s = latency.count();
    for (std::size_t i = 0; i < ack_buckets.size(); ++i)
        if (s <= ack_buckets[i]) ++buckets_[i];
    ++acks_;
    ack_seconds_ += s;
}

std::string metrics::render(engine& eng, const alert_receiver_counters* alerts) const {
    const auto& c = eng.counters();
    std::string out;
    header(out, "firebreak_events_received_total", "counter", "Events handled, by type.");
    for (std::size_t i = 0; i < c.events_by_kind.size(); ++i)
        out += fmt::format("firebreak_events_received_total{{type=\"{}\"}} {}\n", kind_names[i], c.events_by_kind[i]);
    header(out, "firebreak_duplicate_events_total", "counter", "Redelivered events recognised and skipped.");
    out += fmt::format("firebreak_duplicate_events_total {}\n", c.duplicates);
    header(out, "firebreak_group_commits_total", "counter",
           "Group commits: events that arrived together written with one disk flush.");
    out += fmt::format("firebreak_group_commits_total {}\n", c.groups);
    header(out, "firebreak_grouped_events_total", "counter", "Events written in group commits.");
    out += fmt::format("firebreak_grouped_events_total {}\n", c.grouped_events);
    header(out, "firebreak_commands_handled_total", "counter", "Commands handled.");
    out += fmt::format("firebreak_commands_handled_total {}\n", c.commands);
    header(out, "firebreak_ack_latency_seconds", "histogram", "From receiving an event to acknowledging it.");
    for (std::size_t i = 0; i < ack_buckets.size(); ++i)
        out += fmt::format("firebreak_ack_latency_seconds_bucket{{le=\"{}\"}} {}\n", ack_buckets[i], buckets_[i]);
    out += fmt::format("firebreak_ack_latency_seconds_bucket{{le=\"+Inf\"}} {}\n", acks_);
    out += fmt::format("firebreak_ack_latency_seconds_sum {}\nfirebreak_ack_latency_seconds_count {}\n", ack_seconds_, acks_);
    header(out, "firebreak_outbox_depth", "gauge", "Outbox rows waiting to be delivered.");
    out += fmt::format("firebreak_outbox_depth {}\n", eng.store().pending_outbox(0).size());
    header(out, "firebreak_outbox_delivered_total", "counter", "Outbox rows delivered.");
    out += fmt::format("firebreak_outbox_delivered_total {}\n", eng.delivered());
    header(out, "firebreak_outbox_dropped_total", "counter", "Outbox rows the platform refused for good.");
    out += fmt::format("firebreak_outbox_dropped_total {}\n", c.dropped);
    header(out, "firebreak_rate_limit_waits_total", "counter", "Deliveries told to wait (rate limits, transient errors).");
    out += fmt::format("firebreak_rate_limit_waits_total {}\n", c.rate_limit_waits);
    header(out, "firebreak_reconnects_total", "counter", "Platform connections re-established.");
    for (const auto& [platform, n] : reconnects_)
        out += fmt::format("firebreak_reconnects_total{{platform=\"{}\"}} {}\n", label(platform), n);
    header(out, "firebreak_nudges_sent_total", "counter", "Nudges sent.");
    out += fmt::format("firebreak_nudges_sent_total {}\n", eng.nudges_sent());
    if (alerts) {
        header(out, "firebreak_alerts_received_total", "counter", "Alerts taken in by the receivers and handed on.");
        out += fmt::format("firebreak_alerts_received_total {}\n", alerts->received);
        header(out, "firebreak_alerts_deduplicated_total", "counter",
               "Alert notifications committed before (a sender's retry), skipped.");
        out += fmt::format("firebreak_alerts_deduplicated_total {}\n", c.alerts_deduplicated);
        header(out, "firebreak_alerts_grouped_total", "counter", "Alerts that joined an existing card.");
        out += fmt::format("firebreak_alerts_grouped_total {}\n", c.alerts_grouped);
        header(out, "firebreak_alert_cards_total", "counter", "Triage cards opened.");
        out += fmt::format("firebreak_alert_cards_total {}\n", c.alert_cards);
        header(out, "firebreak_alerts_ignored_total", "counter", "Alerts a routing rule said to ignore.");
        out += fmt::format("firebreak_alerts_ignored_total {}\n", alerts->ignored);
        header(out, "firebreak_alerts_rejected_total", "counter", "Alert payloads refused, by reason.");
        for (const char* reason : {"unauthorized", "malformed", "unknown_source", "unknown_path", "method", "too_large", "bad_request",
                                   "unanswered"}) {
            auto it = alerts->rejected.find(reason);
            out += fmt::format("firebreak_alerts_rejected_total{{reason=\"{}\"}} {}\n", reason,
                               it == alerts->rejected.end() ? 0 : it->second);
        }
    }
    header(out, "firebreak_open_incidents", "gauge", "Incidents not closed, by severity.");
    std::array<std::int64_t, 4> open{};
    for (const auto& [n, inc] : eng.state().incidents)
        if (!inc.is_closed()) ++open[std::size_t(int(inc.sev) - 1)];
    for (int i = 0; i < 4; ++i)
        out += fmt::format("firebreak_open_incidents{{severity=\"SEV{}\"}} {}\n", i + 1, open[std::size_t(i)]);
    return out;
}

}  // namespace firebreak
