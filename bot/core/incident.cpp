#include "bot/core/incident.hpp"

#include <algorithm>
#include <cctype>

namespace firebreak {

namespace {
std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}
}  // namespace

std::string to_string(severity s) { return "SEV" + std::to_string(int(s)); }

std::optional<severity> parse_severity(std::string_view text) {
    auto t = lower(text);
    if (t.rfind("sev", 0) == 0) t = t.substr(3);
    if (t.size() != 1 || t[0] < '1' || t[0] > '4') return {};
    return severity(t[0] - '0');
}

std::string to_string(status s) {
    switch (s) {
        case status::investigating: return "investigating";
        case status::identified: return "identified";
        case status::mitigated: return "mitigated";
        case status::resolved: return "resolved";
        case status::closed: return "closed";
    }
    return "investigating";
}

std::string to_title(status s) {
    auto t = to_string(s);
    t[0] = char(std::toupper(static_cast<unsigned char>(t[0])));
    return t;
}

std::optional<status> parse_status(std::string_view text) {
    auto t = lower(text);
    for (auto s : {status::investigating, status::identified, status::mitigated, status::resolved,
                   status::closed})
        if (t == to_string(s)) return s;
    return {};
}

std::string to_string(role r) {
    switch (r) {
        case role::commander: return "commander";
        case role::scribe: return "scribe";
        case role::sme: return "sme";
    }
    return "sme";
}

std::optional<role> parse_role(std::string_view text) {
    auto t = lower(text);
    if (t == "commander" || t == "ic") return role::commander;
    if (t == "scribe") return role::scribe;
    if (t == "sme") return role::sme;
    return {};
}

std::string to_string(outcome o) {
    switch (o) {
        case outcome::open: return "open";
        case outcome::confirmed: return "confirmed";
        case outcome::ruled_out: return "ruled out";
    }
    return "open";
}

std::string to_string(note_kind k) {
    switch (k) {
        case note_kind::decision: return "decision";
        case note_kind::deadend: return "deadend";
        case note_kind::change: return "change";
        case note_kind::impact: return "impact";
        case note_kind::mitigation: return "mitigation";
    }
    return "decision";
}

std::optional<note_kind> parse_note_kind(std::string_view text) {
    auto t = lower(text);
    for (auto k : {note_kind::decision, note_kind::deadend, note_kind::change, note_kind::impact,
                   note_kind::mitigation})
        if (t == to_string(k)) return k;
    return {};
}

namespace {
const shift* open_of(const std::vector<shift>& shifts, role r) {
    for (auto it = shifts.rbegin(); it != shifts.rend(); ++it)
        if (it->held == r && it->open()) return &*it;
    return nullptr;
}
}  // namespace

const shift* incident::commander() const { return open_of(shifts, role::commander); }
const shift* incident::scribe() const { return open_of(shifts, role::scribe); }

std::vector<const shift*> incident::smes() const {
    std::vector<const shift*> out;
    for (const auto& s : shifts)
        if (s.held == role::sme && s.open()) out.push_back(&s);
    return out;
}

std::optional<room_ref> incident::room_on(std::string_view platform) const {
    for (const auto& r : rooms)
        if (r.platform == platform) return r;
    return {};
}

std::string shown_text(const hypothesis& h) {
    return h.source_deleted ? std::string("(its message was deleted)") : h.text;
}

bool incident::owns_room(const room_ref& r) const {
    for (const auto& own : rooms)
        if (own == r) return true;
    return false;
}

std::vector<const hypothesis*> incident::live_hypotheses() const {
    std::vector<const hypothesis*> out;
    for (const auto& h : hypotheses)
        if (!h.withdrawn) out.push_back(&h);
    return out;
}

std::vector<const action_item*> incident::live_actions() const {
    std::vector<const action_item*> out;
    for (const auto& a : actions)
        if (!a.withdrawn) out.push_back(&a);
    return out;
}

incident_metrics metrics_of(const incident& inc) {
    const auto& t = inc.times;
    instant start = t.impact_started ? *t.impact_started : t.detected ? *t.detected : t.declared;
    auto since = [](instant from, const std::optional<instant>& to) -> std::optional<duration> {
        if (!to) return std::nullopt;
        return *to - from;
    };
    incident_metrics m;
    m.to_declare = t.declared - start;
    m.to_assign = since(t.declared, t.commander_assigned);
    m.to_mitigate = since(start, t.mitigated);
    m.to_resolve = since(start, t.resolved);
    m.total = since(start, t.closed);
    m.declared_to_mitigate = since(t.declared, t.mitigated);
    m.declared_to_resolve = since(t.declared, t.resolved);
    m.declared_to_close = since(t.declared, t.closed);
    return m;
}

}  // namespace firebreak
