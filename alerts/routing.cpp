#include "alerts/routing.hpp"

#include "bot/core/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace firebreak::alerts {

std::string to_string(alert_action a) {
    switch (a) {
        case alert_action::card: return "card";
        case alert_action::declare: return "declare";
        case alert_action::ignore: return "ignore";
    }
    return "card";
}

label_matcher label_matcher::equals(std::string label, std::string value) {
    label_matcher m;
    m.label = std::move(label);
    m.value = std::move(value);
    return m;
}

std::optional<label_matcher> label_matcher::matches(std::string label, const std::string& expression,
                                                    std::string& error) {
    label_matcher m;
    m.label = std::move(label);
    m.value = expression;
    try {
        m.pattern = std::make_shared<const std::regex>(expression, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        error = fmt::format("not a regular expression: {}", e.what());
        return std::nullopt;
    }
    return m;
}

bool label_matcher::operator()(const alert& a) const {
    auto it = a.labels.find(label);
    // An absent label reads as "", as in Alertmanager: `severity = ""` matches alerts without one.
    const std::string& v = it == a.labels.end() ? std::string{} : it->second;
    if (pattern) return std::regex_match(v, *pattern);
    return v == value;
}

routing_decision route(const alert& a, const std::vector<routing_rule>& rules, const room_ref& default_room) {
    routing_decision d;
    d.room = default_room;
    d.title = a.title;
    for (const auto& r : rules) {
        if (!r.sources.empty() && std::find(r.sources.begin(), r.sources.end(), a.source) == r.sources.end()) continue;
        if (!std::all_of(r.matchers.begin(), r.matchers.end(), [&](const label_matcher& m) { return m(a); })) continue;
        d.rule = &r;
        d.action = r.action;
        if (!r.room.empty()) d.room = r.room;
        d.severity = r.default_severity;
        if (auto it = r.severity_map.find(ascii_lower(a.severity)); it != r.severity_map.end()) d.severity = it->second;
        if (!r.title_template.empty()) d.title = render_title(r.title_template, a);
        return d;
    }
    return d;
}

namespace {

// The value a field names; nullopt for a name that is no field.
std::optional<std::string> field_value(std::string_view name, const alert& a) {
    auto from = [](const std::map<std::string, std::string>& m, std::string_view key) {
        auto it = m.find(std::string(key));
        return it == m.end() ? std::string{} : it->second;
    };
    if (name == "title") return a.title;
    if (name == "severity") return a.severity;
    if (name == "source") return a.source;
    if (name == "fingerprint") return a.fingerprint;
    if (name.rfind("labels.", 0) == 0 && name.size() > 7) return from(a.labels, name.substr(7));
    if (name.rfind("annotations.", 0) == 0 && name.size() > 12) return from(a.annotations, name.substr(12));
    return std::nullopt;
}

// Walks a template; `field` is called with each {name}; false with `error` on a bad one.
template <class Field>
bool walk(const std::string& t, std::string& out, std::string& error, Field field) {
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t.compare(i, 2, "{{") == 0 || t.compare(i, 2, "}}") == 0) {
            out += t[i];
            ++i;
            continue;
        }
        if (t[i] == '}') {
            error = "a lone } (write }} for a brace)";
            return false;
        }
        if (t[i] != '{') {
            out += t[i];
            continue;
        }
        auto end = t.find('}', i);
        if (end == std::string::npos) {
            error = "unclosed {";
            return false;
        }
        auto name = std::string_view(t).substr(i + 1, end - i - 1);
        if (!field(name, out)) {
            error = fmt::format("unknown field {{{}}} (use title, severity, source, fingerprint, labels.NAME or "
                                "annotations.NAME)",
                                clean_line(name, 60));
            return false;
        }
        i = end;
    }
    return true;
}

}  // namespace

std::string check_template(const std::string& tmpl) {
    std::string out, error;
    alert none;
    walk(tmpl, out, error, [&](std::string_view name, std::string&) { return field_value(name, none).has_value(); });
    return error;
}

std::string render_title(const std::string& tmpl, const alert& a) {
    std::string out, error;
    bool ok = walk(tmpl, out, error, [&](std::string_view name, std::string& o) {
        auto v = field_value(name, a);
        if (!v) return false;
        o += *v;
        return true;
    });
    auto line = ok ? clean_line(out, 200) : std::string{};
    return line.empty() ? a.title : line;
}

std::string group_of(const alert& a, const std::string& group_key, const std::vector<std::string>& group_by) {
    if (!group_key.empty()) return fmt::format("{}:{}|key:{}", a.source.size(), a.source, group_key);
    if (!group_by.empty()) {
        std::string key = fmt::format("{}:{}|labels", a.source.size(), a.source);
        for (const auto& l : group_by) {
            auto it = a.labels.find(l);
            const std::string v = it == a.labels.end() ? std::string{} : it->second;
            key += fmt::format("|{}:{}={}:{}", l.size(), l, v.size(), v);
        }
        return key;
    }
    return fmt::format("{}:{}|fp:{}", a.source.size(), a.source, a.fingerprint);
}

}  // namespace firebreak::alerts
