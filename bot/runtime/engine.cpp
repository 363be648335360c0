#include "bot/runtime/engine.hpp"

#include "bot/core/text.hpp"
#include "commands/dispatcher.hpp"
#include "commands/parser.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace firebreak {

namespace {

// The people an event brought into the record, to learn the names of: whoever sent it,
// and anyone it gave a role to (an assignee may never type in the room, yet the
// postmortem lists them). Read against the state before the event is folded in.
std::vector<user_ref> people_of(const engine_state& before, const chat_event& ev, const change& c) {
    std::vector<user_ref> out;
    // System events come from the runtime, not from a person.
    if (ev.kind == event_kind::room_bound || ev.kind == event_kind::sync_mark || ev.kind == event_kind::name_changed ||
        ev.kind == event_kind::alert)
        return out;
    if (!ev.user.empty()) out.push_back(ev.user);
    for (const auto& inc : c.incidents) {
        const incident* old = before.find(inc.id.n);
        for (const auto& s : inc.shifts) {
            if (s.user.empty()) continue;
            bool known = old && std::any_of(old->shifts.begin(), old->shifts.end(),
                                            [&](const shift& o) { return o.user == s.user; });
            if (!known) out.push_back(s.user);
        }
    }
    return out;
}

}  // namespace

engine::engine(incident_store& store, engine_settings settings, const clock& clk)
    : store_(store), settings_(std::move(settings)), clock_(clk), names_(store, clk) {
    state_ = store_.load(settings_.timeline_tail).state;
}

void engine::add_adapter(chat_adapter& adapter) {
    adapters_[adapter.platform()] = &adapter;
    // New rooms there are named within what the platform takes.
    settings_.room_name_limits[adapter.platform()] = adapter.caps().room_name_limit;
}

handled engine::handle(const chat_event& ev, const std::optional<std::pair<std::string, std::string>>& cursor) {
    return handle_batch({inbound{ev, cursor}}).front();
}

// apply() is pure and cheap; the commit's own de-duplication decides, so a redelivered
// event costs no extra lookup on the hot path and writes nothing.
std::vector<handled> engine::handle_batch(const std::vector<inbound>& batch) {
    std::vector<handled> out;
    out.reserve(batch.size());
    if (batch.empty()) return out;
    std::map<std::string, std::vector<user_ref>> people;  // by platform, in order met
    bool replies = false;
    const auto counters_before = counters_;
    store_.begin_group();
    try {
        for (const auto& in : batch) {
            change c;
            out.push_back(apply_one(in.event, in.cursor, clock_.now(), c));
            replies = replies || !c.outbox.empty();
            auto& list = people[in.event.room.platform];
            list.insert(list.end(), last_people_.begin(), last_people_.end());
            last_people_.clear();
        }
        store_.end_group();
    } catch (...) {
        grouped_.clear();
        // The store kept nothing of the group, but the state took in every event before the
        // failure: the store is the truth, so the state is read back from it.
        store_.abandon_group();
        counters_ = counters_before;
        last_people_.clear();
        state_ = store_.load(settings_.timeline_tail).state;
        throw;
    }
    // Durable now: those who follow the record hear of it.
    for (const auto& c : grouped_) folded(c);
    grouped_.clear();
    if (batch.size() > 1) {
        ++counters_.groups;
        counters_.grouped_events += std::int64_t(batch.size());
    }
    bool all_duplicates = std::all_of(out.begin(), out.end(), [](handled h) { return h == handled::duplicate; });
    if (all_duplicates) return out;
    if (replies) deliver();
    // After the replies were handed to the adapter, so a lookup never queues before them.
    for (const auto& [platform, list] : people)
        if (auto it = adapters_.find(platform); it != adapters_.end()) names_.learn(*it->second, list);
    progressed();
    return out;
}

handled engine::apply_one(const chat_event& ev, const std::optional<std::pair<std::string, std::string>>& cursor,
                          instant now, change& c) {
    last_people_.clear();
    counters_.events_by_kind[std::size_t(ev.kind)] += 1;
    // A 📌 on one of firebreak's own posts (a status update, say): the core needs its text
    // to put it on the record, and only the store has it.
    std::optional<chat_event> pinned;
    if (ev.kind == event_kind::reaction && ev.reaction_added && ev.highlight && !ev.msg.empty())
        if (const incident* inc = state_.by_room(ev.room))
            if (auto text = store_.bot_post(inc->id, ev.msg)) {
                pinned = ev;
                pinned->bot_post_text = *text;
            }
    c = apply(state_, pinned ? *pinned : ev, now, settings_);
    bool empty = c.empty();
    // Even an event that changes nothing is recorded as processed (with the cursor), so a
    // redelivery is recognised and the cursor moves.
    if (!store_.commit(c, ev.event_id, now, cursor)) {
        spdlog::debug("event {} already handled; skipped", ev.event_id);
        ++counters_.duplicates;
        if (ev.kind == event_kind::alert) ++counters_.alerts_deduplicated;
        return handled::duplicate;
    }
    if (ev.kind == event_kind::alert) {
        if (c.next_card != 0) ++counters_.alert_cards;
        else if (!c.card_alerts.empty()) ++counters_.alerts_grouped;
    }
    if (ev.kind == event_kind::command ||
        (ev.kind == event_kind::message && is_command_text(ev.text, settings_.command_prefix)))
        ++counters_.commands;
    // A new display name: topics and documents written from now on use it.
    if (ev.kind == event_kind::name_changed) names_.remember(ev.room.platform, ev.user, ev.text);
    // Only events that changed something: chatter in rooms outside any incident brings
    // nobody into the record.
    last_people_ = empty ? std::vector<user_ref>{} : people_of(state_, ev, c);
    fold(state_, c, settings_);
    if (on_commit_ && !empty) grouped_.push_back(c);
    spdlog::debug("event {} ({}) handled: {} entries, {} outbound", ev.event_id, int(ev.kind), c.entries.size(),
                  c.outbox.size());
    return empty ? handled::nothing : handled::committed;
}

std::size_t engine::tick() {
    auto now = clock_.now();
    std::size_t sent = 0;
    for (const auto& n : due_nudges(state_, now, settings_)) {
        // Re-checked against the state as earlier nudges of this tick left it.
        change c = apply_nudge(state_, n, now, settings_);
        if (c.empty()) continue;
        if (!store_.commit(c, nudge_event_id(n), now, std::nullopt)) continue;
        fold(state_, c, settings_);
        folded(c);
        ++sent;
        ++nudges_sent_;
        spdlog::debug("{} {} nudge sent (step {})", n.incident.str(), n.kind, n.step);
    }
    deliver();
    return sent;
}

std::optional<instant> engine::next_wake() {
    auto wake = next_nudge_at(state_, settings_);
    auto head = store_.pending_outbox(1);
    if (!head.empty()) {
        // A row waiting out a rate limit wakes the engine when the wait ends; one that
        // is deliverable now (blocked by an adapter still busy) needs no timer.
        const auto& nb = head.front().not_before;
        if (nb && *nb > clock_.now() && (!wake || *nb < *wake)) wake = nb;
    }
    return wake;
}

}  // namespace firebreak
