#include "alerts/receivers.hpp"

#include "bot/core/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fmt/format.h>

#include <cstdlib>

namespace firebreak::alerts {

namespace json = boost::json;

namespace {

constexpr std::size_t max_title_bytes = 300;
constexpr std::size_t max_key_bytes = 200;

// A scalar as text (strings as they are, numbers and booleans written out); "" otherwise.
std::string text_of(const json::value* v) {
    if (!v) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64() || v->is_uint64() || v->is_double() || v->is_bool()) return json::serialize(*v);
    return {};
}

std::string field(const json::object& o, std::string_view key) { return text_of(o.if_contains(key)); }

std::map<std::string, std::string> string_map(const json::value* v) {
    std::map<std::string, std::string> out;
    if (!v || !v->is_object()) return out;
    for (const auto& [k, val] : v->get_object()) {
        auto key = clean_line(k, max_key_bytes);
        if (key.empty()) continue;
        out[key] = clean_text(text_of(&val), max_value_bytes);
    }
    return out;
}

// RFC 3339; Go's zero time ("0001-01-01T00:00:00Z", Alertmanager's "not yet") reads as none.
std::optional<instant> time_of(const std::string& text) {
    if (text.empty() || text.rfind("0001-", 0) == 0) return std::nullopt;
    return parse_iso(text);
}

// A number of seconds since the epoch, or of milliseconds when it is too large to be seconds
// (10^11 s is in the year 5138; 10^11 ms is in 1973): senders use either. Nothing past
// 10^14 ms, nor at or before the epoch, is a time an alert started.
std::optional<instant> epoch_time(double v) {
    constexpr double seconds_until = 1e11, ms_until = 1e14;
    if (!(v > 0) || v >= ms_until) return std::nullopt;
    return from_unix_ms(static_cast<std::int64_t>(v < seconds_until ? v * 1000 : v));
}

std::optional<json::value> parse_body(std::string_view body, std::string& error) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec) {
        error = "the body is not JSON in UTF-8 (" + ec.message() + ")";
        return std::nullopt;
    }
    return v;
}

std::optional<alert_status> status_of(const std::string& s) {
    if (s == "firing") return alert_status::firing;
    if (s == "resolved") return alert_status::resolved;
    return std::nullopt;
}

// The shape Alertmanager and Grafana share; `grafana` adds Grafana's own fields.
parsed parse_alertmanager_shape(std::string_view body, const std::string& source, bool grafana) {
    parsed out;
    auto v = parse_body(body, out.error);
    if (!v) return out;
    if (!v->is_object()) {
        out.error = "the body is not a JSON object";
        return out;
    }
    const auto& root = v->get_object();
    const auto* list = root.if_contains("alerts");
    if (!list || !list->is_array()) {
        out.error = "no \"alerts\" array";
        return out;
    }
    if (list->get_array().size() > max_alerts_per_payload) {
        out.error = fmt::format("{} alerts in one payload (at most {})", list->get_array().size(), max_alerts_per_payload);
        return out;
    }
    notification n;
    n.group_key = clean_line(field(root, "groupKey"), 1000);
    const auto common = string_map(root.if_contains("commonLabels"));
    std::size_t index = 0;
    for (const auto& item : list->get_array()) {
        ++index;
        if (!item.is_object()) {
            out.error = fmt::format("alert {} is not an object", index);
            return out;
        }
        const auto& o = item.get_object();
        alert a;
        a.source = source;
        auto status = status_of(field(o, "status"));
        if (!status) {
            out.error = fmt::format("alert {}: status is not \"firing\" or \"resolved\"", index);
            return out;
        }
        a.status = *status;
        a.labels = string_map(o.if_contains("labels"));
        for (const auto& [k, val] : common) a.labels.emplace(k, val);
        a.annotations = string_map(o.if_contains("annotations"));
        a.fingerprint = clean_line(field(o, "fingerprint"), max_key_bytes);
        if (a.fingerprint.empty()) {
            // Without one, the labels are the alert's identity (Alertmanager hashes them too).
            std::string all;
            for (const auto& [k, val] : a.labels) all += fmt::format("{}={};", k, val);
            a.fingerprint = all.empty() ? std::string{} : "labels:" + cut_utf8(all, max_key_bytes);
        }
        if (a.fingerprint.empty()) {
            out.error = fmt::format("alert {} has neither a fingerprint nor labels", index);
            return out;
        }
        auto name = a.labels.count("alertname") ? a.labels["alertname"] : std::string{};
        // Its rule's name, else its own summary, else (Grafana) the notification's title.
        if (auto s = a.annotations.find("summary"); name.empty() && s != a.annotations.end()) name = s->second;
        if (grafana && name.empty()) name = field(root, "title");
        a.title = clean_line(name.empty() ? std::string("alert ") + a.fingerprint : name, max_title_bytes);
        if (auto s = a.labels.find("severity"); s != a.labels.end()) a.severity = clean_line(s->second, 40);
        a.starts_at = time_of(field(o, "startsAt"));
        a.ends_at = time_of(field(o, "endsAt"));
        std::string link = grafana ? field(o, "panelURL") : std::string{};
        if (link.empty() && grafana) link = field(o, "dashboardURL");
        if (link.empty()) link = field(o, "generatorURL");
        a.link = clean_line(link, 2000);
        n.alerts.push_back(std::move(a));
    }
    out.value = std::move(n);
    return out;
}

// A dotted path into `v`: object members by name, array elements by number.
const json::value* at_path(const json::value& v, std::string_view path) {
    const json::value* cur = &v;
    while (!path.empty()) {
        auto dot = path.find('.');
        auto part = path.substr(0, dot);
        path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
        if (cur->is_object()) {
            cur = cur->get_object().if_contains(part);
        } else if (cur->is_array()) {
            char* end = nullptr;
            std::string p(part);
            unsigned long i = std::strtoul(p.c_str(), &end, 10);
            if (p.empty() || *end != '\0' || i >= cur->get_array().size()) return nullptr;
            cur = &cur->get_array()[i];
        } else {
            return nullptr;
        }
        if (!cur) return nullptr;
    }
    return cur;
}

}  // namespace

parsed parse_alertmanager(std::string_view body, const std::string& source) {
    return parse_alertmanager_shape(body, source, false);
}

parsed parse_grafana(std::string_view body, const std::string& source) {
    return parse_alertmanager_shape(body, source, true);
}

parsed parse_generic(std::string_view body, const generic_mapping& m, const std::string& source) {
    parsed out;
    auto v = parse_body(body, out.error);
    if (!v) return out;
    std::vector<const json::value*> items;
    if (m.items.empty()) {
        items.push_back(&*v);
    } else {
        const auto* list = at_path(*v, m.items);
        if (!list || !list->is_array()) {
            out.error = "no array at \"" + m.items + "\"";
            return out;
        }
        if (list->get_array().size() > max_alerts_per_payload) {
            out.error = fmt::format("{} alerts in one payload (at most {})", list->get_array().size(),
                                    max_alerts_per_payload);
            return out;
        }
        for (const auto& item : list->get_array()) items.push_back(&item);
    }
    notification n;
    std::size_t index = 0;
    for (const auto* item : items) {
        ++index;
        alert a;
        a.source = source;
        a.title = clean_line(text_of(at_path(*item, m.title)), max_title_bytes);
        if (a.title.empty()) {
            out.error = fmt::format("alert {}: no title at \"{}\"", index, m.title);
            return out;
        }
        a.fingerprint = clean_line(text_of(at_path(*item, m.fingerprint)), max_key_bytes);
        if (a.fingerprint.empty()) {
            out.error = fmt::format("alert {}: no fingerprint at \"{}\"", index, m.fingerprint);
            return out;
        }
        if (!m.status.empty()) {
            auto s = ascii_lower(clean_line(text_of(at_path(*item, m.status)), 60));
            for (const auto& r : m.resolved_values)
                if (s == ascii_lower(r)) a.status = alert_status::resolved;
        }
        if (!m.severity.empty()) a.severity = clean_line(text_of(at_path(*item, m.severity)), 40);
        if (!m.link.empty()) a.link = clean_line(text_of(at_path(*item, m.link)), 2000);
        if (!m.labels.empty()) a.labels = string_map(at_path(*item, m.labels));
        if (!m.starts_at.empty()) {
            if (const auto* t = at_path(*item, m.starts_at)) {
                if (t->is_string()) a.starts_at = time_of(std::string(t->get_string()));
                else if (t->is_number()) a.starts_at = epoch_time(t->to_number<double>());
            }
        }
        n.alerts.push_back(std::move(a));
    }
    out.value = std::move(n);
    return out;
}

}  // namespace firebreak::alerts
