#include "bot/core/engine_state.hpp"

#include <algorithm>

namespace firebreak {

std::array<nudge_timing, 4> default_nudge_timings() {
    std::array<nudge_timing, 4> t{};
    t[0].update_every = 20min;
    t[1].update_every = 30min;
    t[2].update_every = 60min;
    t[3].update_every = duration{0};
    return t;
}

std::size_t text_limit(std::string_view platform) {
    return platform == "slack" ? std::size_t{40000} * 4 : std::size_t{65536};
}

const std::string& command_form(const engine_settings& s, std::string_view platform) {
    auto it = s.command_forms.find(std::string(platform));
    return it == s.command_forms.end() ? s.command_prefix : it->second;
}

const incident* engine_state::by_room(const room_ref& r) const {
    auto it = room_index.find(r);
    if (it == room_index.end()) return nullptr;
    return find(it->second.n);
}

const incident* engine_state::find(std::int64_t n) const {
    auto it = incidents.find(n);
    return it == incidents.end() ? nullptr : &it->second;
}

const alert_card* engine_state::card(std::int64_t n) const {
    auto it = cards.find(n);
    return it == cards.end() ? nullptr : &it->second;
}

const card_alert* alert_card::find(std::string_view key) const {
    for (const auto& a : alerts)
        if (a.key == key) return &a;
    return nullptr;
}

std::size_t alert_card::firing() const {
    std::size_t n = 0;
    for (const auto& a : alerts) n += a.firing ? 1 : 0;
    return n;
}

user_ref alert_sender(const std::string& source) { return user_ref{"alert:" + source}; }

bool is_alert_sender(const user_ref& u) { return u.id.rfind("alert:", 0) == 0; }

std::string sender_name(const user_ref& u) { return is_alert_sender(u) ? u.id.substr(6) : u.id; }

std::optional<std::int64_t> parse_card_id(std::string_view text) {
    if (text.size() < 2 || text.size() > 19 || (text[0] != 'A' && text[0] != 'a')) return std::nullopt;
    std::int64_t n = 0;
    for (char ch : text.substr(1)) {
        if (ch < '0' || ch > '9') return std::nullopt;
        n = n * 10 + (ch - '0');
    }
    if (n <= 0) return std::nullopt;
    return n;
}

static void fold_cards(engine_state& state, const change& c) {
    for (const auto& card : c.cards) {
        auto& kept = state.cards[card.number];
        auto alerts = std::move(kept.alerts);
        kept = card;
        kept.alerts = std::move(alerts);
        state.card_by_group[card.group] = std::max(state.card_by_group[card.group], card.number);
    }
    if (c.next_card != 0) state.next_card = c.next_card;
    for (const auto& a : c.card_alerts) {
        auto& alerts = state.cards[a.card].alerts;
        auto& holder = state.card_by_alert[a.key];
        // An alert no card holds yet is new here: no need to look for it.
        auto it = holder == 0 ? alerts.end()
                              : std::find_if(alerts.begin(), alerts.end(), [&](const card_alert& x) { return x.key == a.key; });
        if (it == alerts.end()) alerts.push_back(a);
        else *it = a;
        holder = std::max(holder, a.card);
    }
}

void fold(engine_state& state, const change& c, const engine_settings& settings) {
    fold_cards(state, c);
    for (const auto& inc : c.incidents) {
        state.incidents[inc.id.n] = inc;
        for (const auto& r : inc.rooms) state.room_index[r] = inc.id;
    }
    if (c.next_number != 0) state.next_number = c.next_number;
    for (const auto& [room, id] : c.rooms_bound) state.room_index[room] = id;
    for (const auto& e : c.entries) {
        auto& tail = state.recent[e.incident.n];
        tail.push_back(e);
        while (tail.size() > settings.timeline_tail) tail.pop_front();
    }
    for (const auto& a : c.amendments) {
        auto it = state.recent.find(a.incident.n);
        if (it == state.recent.end()) continue;
        for (auto& e : it->second) {
            if (e.kind != entry_kind::message || e.room != a.room || e.msg != a.msg) continue;
            switch (a.op) {
                case timeline_amendment::what::edit:
                    // An edit that changes no text (a link preview arriving) changes nothing.
                    if (e.text == a.new_text) break;
                    e.text = a.new_text;
                    e.tag = a.new_tag;
                    e.edited = true;
                    break;
                case timeline_amendment::what::remove:
                    e.text.clear();
                    e.tag.clear();
                    e.deleted = true;
                    break;
                case timeline_amendment::what::highlight: e.highlight = true; break;
                case timeline_amendment::what::unhighlight: e.highlight = false; break;
            }
        }
    }
}

}  // namespace firebreak
