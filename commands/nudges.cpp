#include "commands/nudges.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace firebreak {

std::string_view to_string(nudge_kind k) {
    switch (k) {
        case nudge_kind::commander: return "commander";
        case nudge_kind::scribe: return "scribe";
        case nudge_kind::update: return "update";
        case nudge_kind::rotation: return "rotation";
        case nudge_kind::hypothesis: return "hypothesis";
        case nudge_kind::rollback: return "rollback";
        case nudge_kind::close: return "close";
    }
    return "update";
}

std::optional<nudge_kind> parse_nudge_kind(std::string_view name) {
    for (auto k : all_nudge_kinds)
        if (to_string(k) == name) return k;
    return std::nullopt;
}


namespace {

std::string sequence_at(std::string_view kind, instant at) { return fmt::format("{}@{}", kind, to_unix_ms(at)); }

// Since when the incident has been open this time: the declaration, or the last reopen
// (earlier shift ends and hypotheses of a closed incident do not count).
instant active_since(const incident& inc) {
    instant since = inc.times.declared;
    for (std::size_t i = 1; i < inc.history.size(); ++i)
        if (inc.history[i].state == status::investigating && inc.history[i - 1].state >= status::resolved)
            since = inc.history[i].at;
    return since;
}

// Builds the plan of one incident; `add` receives each next step before snoozing.
class planner {
public:
    planner(const incident& inc, const engine_settings& cfg, std::vector<nudge>& out)
        : inc_(inc), t_(timing_for(cfg, inc.sev)), out_(out) {}

    void run() {
        if (inc_.is_closed()) return;
        const bool active = inc_.state < status::resolved;
        if (active) {
            commander();
            scribe();
            update();
            rotation();
            hypotheses();
        }
        what_changed();
        close();
    }

private:
    int sent(const std::string& sequence) const {
        auto it = inc_.nudges.find(sequence);
        return it == inc_.nudges.end() ? 0 : it->second.sent;
    }
    instant last(const std::string& sequence) const { return inc_.nudges.at(sequence).last; }

    // When a step after the first comes: `repeat` after the previous one; never when
    // repeats are off.
    std::optional<instant> repeat_after(const std::string& sequence, duration repeat) const {
        if (repeat.count() <= 0) return std::nullopt;
        return last(sequence) + repeat;
    }

    void add(nudge_kind kind, std::string sequence, int step, instant due) {
        nudge n;
        n.incident = inc_.id;
        n.kind = kind;
        n.sequence = std::move(sequence);
        n.step = step;
        // A snoozed kind waits for the end of its snooze, and is sent then if its
        // condition still holds.
        auto s = inc_.snoozed_until.find(std::string(to_string(n.kind)));
        n.due = s != inc_.snoozed_until.end() ? std::max(due, s->second) : due;
        out_.push_back(std::move(n));
    }

    instant active_since() const { return firebreak::active_since(inc_); }
    instant empty_since(role r) const { return role_empty_since(inc_, r); }

    // No commander: the room a few times, then the announcement room once.
    void commander() {
        if (inc_.commander() || t_.no_commander_after.count() <= 0) return;
        auto since = empty_since(role::commander);
        auto seq = sequence_at("commander", since);
        int step = sent(seq) + 1;
        // At least one room nudge before the announcement room hears; with repeats off
        // the escalation follows the first after the same delay.
        int room_nudges = t_.no_commander_repeat.count() > 0 ? std::max(1, t_.no_commander_room_nudges) : 1;
        if (step > room_nudges + 1) return;
        const bool escalation = step == room_nudges + 1;
        std::optional<instant> due;
        if (step == 1) due = since + t_.no_commander_after;
        else if (t_.no_commander_repeat.count() > 0) due = last(seq) + t_.no_commander_repeat;
        else if (escalation) due = last(seq) + t_.no_commander_after;
        if (!due) return;
        add(nudge_kind::commander, seq, step, *due);
        out_.back().escalate = escalation;
    }

    // No scribe: the commander, once.
    void scribe() {
        if (inc_.scribe() || t_.no_scribe_after.count() <= 0) return;
        auto since = empty_since(role::scribe);
        auto seq = sequence_at("scribe", since);
        if (sent(seq) == 0) add(nudge_kind::scribe, seq, 1, since + t_.no_scribe_after);
    }

    // The update due: reminders in the room from the due time (the cadence or an
    // earlier promise) at the cadence; stakeholders told once when what they were
    // promised is late.
    void update() {
        if (!inc_.next_update_due) return;
        const instant due_at = *inc_.next_update_due;
        // Each update starts new sequences, even one promising the same instant again.
        const auto id = fmt::format("{}/{}", to_unix_ms(due_at), inc_.updates.size());
        const auto seq = "update@" + id;
        const int step = sent(seq) + 1;
        std::optional<instant> due = step == 1 ? std::optional<instant>(due_at) : repeat_after(seq, t_.update_every);
        if (due) add(nudge_kind::update, seq, step, *due);
        // Late for stakeholders only past the promise, and never sooner after the first
        // reminder than the escalation delay (a reminder held back by a snooze or a
        // restart still gets its ten minutes).
        if (t_.update_overdue_escalation.count() <= 0 || step == 1) return;
        const auto late = "update-late@" + id;
        if (sent(late) > 0) return;
        const instant first = inc_.nudges.at(seq).first;
        add(nudge_kind::update, late, 1, std::max(promised(due_at), first) + t_.update_overdue_escalation);
        out_.back().escalate = true;
    }

public:
    /// What stakeholders were told: the last update's promise when it is later than
    /// the reminder (a promise beyond the cadence), else the due time itself.
    static instant promised_for(const incident& inc, instant due_at) {
        if (!inc.updates.empty() && inc.updates.back().next_at > due_at) return inc.updates.back().next_at;
        return due_at;
    }

private:
    instant promised(instant due_at) const { return promised_for(inc_, due_at); }

    // Everyone on shift for too long, until they hand over.
    void rotation() {
        if (t_.rotation_after.count() <= 0) return;
        for (const auto& s : inc_.shifts) {
            if (!s.open()) continue;
            auto seq = fmt::format("rotation:{}:{}@{}", to_string(s.held), s.user.id, to_unix_ms(s.start));
            int step = sent(seq) + 1;
            std::optional<instant> due = step == 1 ? s.start + t_.rotation_after : repeat_after(seq, t_.rotation_repeat);
            if (!due) continue;
            add(nudge_kind::rotation, seq, step, *due);
            out_.back().subject = s.user;
            out_.back().subject_role = s.held;
        }
    }

    // An open hypothesis nobody has confirmed or ruled out, once each.
    void hypotheses() {
        if (t_.hypothesis_timebox.count() <= 0) return;
        for (const auto& h : inc_.hypotheses) {
            if (h.result != outcome::open || h.withdrawn) continue;
            auto seq = fmt::format("hypothesis:H{}", h.n);
            if (sent(seq) > 0) continue;
            add(nudge_kind::hypothesis, seq, 1, std::max(h.opened_at, active_since()) + t_.hypothesis_timebox);
            out_.back().hypothesis = h.n;
        }
    }

    // Early on, with nothing suspected and the harm going on: what changed?
    void what_changed() {
        if (t_.what_changed_after.count() <= 0) return;
        if (inc_.state >= status::mitigated || !inc_.live_hypotheses().empty()) return;
        auto seq = sequence_at("rollback", inc_.times.declared);
        if (sent(seq) == 0) add(nudge_kind::rollback, seq, 1, inc_.times.declared + t_.what_changed_after);
    }

    // Resolved but left open.
    void close() {
        if (inc_.state != status::resolved || !inc_.times.resolved || t_.close_after.count() <= 0) return;
        auto seq = sequence_at("close", *inc_.times.resolved);
        if (sent(seq) == 0) add(nudge_kind::close, seq, 1, *inc_.times.resolved + t_.close_after);
    }

    const incident& inc_;
    const nudge_timing& t_;
    std::vector<nudge>& out_;
};

void by_due(std::vector<nudge>& v) {
    std::stable_sort(v.begin(), v.end(), [](const nudge& a, const nudge& b) {
        if (a.due != b.due) return a.due < b.due;
        return a.incident.n < b.incident.n;
    });
}

}  // namespace

std::vector<nudge> planned_nudges(const incident& inc, const engine_settings& settings) {
    std::vector<nudge> out;
    planner(inc, settings, out).run();
    by_due(out);
    return out;
}

std::vector<nudge> planned_nudges(const engine_state& state, const engine_settings& settings) {
    std::vector<nudge> out;
    for (const auto& [n, inc] : state.incidents) planner(inc, settings, out).run();
    by_due(out);
    return out;
}

std::vector<nudge> due_nudges(const engine_state& state, instant now, const engine_settings& settings) {
    auto all = planned_nudges(state, settings);
    all.erase(std::find_if(all.begin(), all.end(), [now](const nudge& n) { return n.due > now; }), all.end());
    return all;
}

std::optional<instant> next_nudge_at(const engine_state& state, const engine_settings& settings) {
    std::optional<instant> first;
    for (const auto& [n, inc] : state.incidents) {
        std::vector<nudge> one;
        planner(inc, settings, one).run();
        for (const auto& x : one)
            if (!first || x.due < *first) first = x.due;
    }
    return first;
}

instant role_empty_since(const incident& inc, role r) {
    instant since = active_since(inc);
    for (const auto& s : inc.shifts)
        if (s.held == r && s.end && *s.end > since) since = *s.end;
    return since;
}

instant promised_update_time(const incident& inc, instant due_at) { return planner::promised_for(inc, due_at); }

std::string nudge_event_id(const nudge& n) {
    return fmt::format("nudge:{}:{}:{}", n.incident.n, n.sequence, n.step);
}

}  // namespace firebreak
