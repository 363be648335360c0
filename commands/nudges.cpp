#include "commands/nudges.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace firebreak {

namespace {

std::string sequence_at(std::string_view kind, instant at) { return fmt::format("{}@{}", kind, to_unix_ms(at)); }

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

    void add(std::string kind, std::string sequence, int step, instant due) {
        nudge n;
        n.incident = inc_.id;
        n.kind = std::move(kind);
        n.sequence = std::move(sequence);
        n.step = step;
        // A snoozed kind waits for the end of its snooze, and is sent then if its
        // condition still holds.
        auto s = inc_.snoozed_until.find(n.kind);
        n.due = s != inc_.snoozed_until.end() ? std::max(due, s->second) : due;
        out_.push_back(std::move(n));
    }

    // The latest end of a shift of role `r`, or the declaration: since when the role is empty.
    instant empty_since(role r) const {
        instant since = inc_.times.declared;
        for (const auto& s : inc_.shifts)
            if (s.held == r && s.end && *s.end > since) since = *s.end;
        return since;
    }

    // No commander: the room a few times, then the announcement room once.
    void commander() {
        if (inc_.commander() || t_.no_commander_after.count() <= 0) return;
        auto seq = sequence_at("commander", empty_since(role::commander));
        int step = sent(seq) + 1;
        int room_nudges = std::max(0, t_.no_commander_room_nudges);
        if (step > room_nudges + 1) return;
        std::optional<instant> due = step == 1 ? empty_since(role::commander) + t_.no_commander_after
                                               : repeat_after(seq, t_.no_commander_repeat);
        if (!due) return;
        add("commander", seq, step, *due);
        out_.back().escalate = step == room_nudges + 1;
    }

    // No scribe: the commander, once.
    void scribe() {
        if (inc_.scribe() || t_.no_scribe_after.count() <= 0) return;
        auto since = empty_since(role::scribe);
        auto seq = sequence_at("scribe", since);
        if (sent(seq) == 0) add("scribe", seq, 1, since + t_.no_scribe_after);
    }

    // The update due (by cadence or promise): at the time, escalated when overdue, then
    // reminded at the cadence until someone posts one.
    void update() {
        if (!inc_.next_update_due) return;
        instant due_at = *inc_.next_update_due;
        // Each update starts a new sequence, even one promising the same instant again.
        auto seq = fmt::format("update@{}/{}", to_unix_ms(due_at), inc_.updates.size());
        int step = sent(seq) + 1;
        bool escalates = t_.update_overdue_escalation.count() > 0;
        if (step == 1) return add("update", seq, 1, due_at);
        if (step == 2 && escalates) {
            // Never sooner after the reminder than the escalation delay, so a reminder
            // held back by a snooze or a restart still gets its ten minutes.
            add("update", seq, 2, std::max(due_at, last(seq)) + t_.update_overdue_escalation);
            out_.back().escalate = true;
            return;
        }
        if (auto due = repeat_after(seq, t_.update_every)) add("update", seq, step, *due);
    }

    // Everyone on shift for too long, until they hand over.
    void rotation() {
        if (t_.rotation_after.count() <= 0) return;
        for (const auto& s : inc_.shifts) {
            if (!s.open()) continue;
            auto seq = fmt::format("rotation:{}:{}@{}", to_string(s.held), s.user.id, to_unix_ms(s.start));
            int step = sent(seq) + 1;
            std::optional<instant> due = step == 1 ? s.start + t_.rotation_after : repeat_after(seq, t_.rotation_repeat);
            if (!due) continue;
            add("rotation", seq, step, *due);
            out_.back().subject = s.user;
            out_.back().subject_role = s.held;
        }
    }

    // An open hypothesis nobody has confirmed or ruled out, once each.
    void hypotheses() {
        if (t_.hypothesis_timebox.count() <= 0) return;
        for (const auto& h : inc_.hypotheses) {
            if (h.result != outcome::open) continue;
            auto seq = fmt::format("hypothesis:H{}", h.n);
            if (sent(seq) > 0) continue;
            add("hypothesis", seq, 1, h.opened_at + t_.hypothesis_timebox);
            out_.back().hypothesis = h.n;
        }
    }

    // Early on, with nothing suspected and the harm going on: what changed?
    void what_changed() {
        if (t_.what_changed_after.count() <= 0) return;
        if (inc_.state >= status::mitigated || !inc_.hypotheses.empty()) return;
        auto seq = sequence_at("rollback", inc_.times.declared);
        if (sent(seq) == 0) add("rollback", seq, 1, inc_.times.declared + t_.what_changed_after);
    }

    // Resolved but left open.
    void close() {
        if (inc_.state != status::resolved || !inc_.times.resolved || t_.close_after.count() <= 0) return;
        auto seq = sequence_at("close", *inc_.times.resolved);
        if (sent(seq) == 0) add("close", seq, 1, *inc_.times.resolved + t_.close_after);
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

std::string nudge_event_id(const nudge& n) {
    return fmt::format("nudge:{}:{}:{}", n.incident.n, n.sequence, n.step);
}

}  // namespace firebreak
