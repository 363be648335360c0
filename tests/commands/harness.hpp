#pragma once
// A small driver for dispatcher tests: holds the state and settings, feeds chat
// events through apply() and folds each change the way the runtime does after a
// commit, on a manual clock.
#include "bot/core/engine_state.hpp"
#include "bot/core/ports.hpp"
#include "commands/command_spec.hpp"
#include "commands/dispatcher.hpp"
#include "tests/core/test_time.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace firebreak::test {

using namespace std::chrono_literals;

/// Drives apply() + fold() with a manual clock on one platform.
class harness {
public:
    engine_state state;
    engine_settings settings;
    manual_clock clock{utc(2026, 11, 22, 14, 0)};
    std::string platform = "console";
    change last;            ///< the change of the last event
    chat_event last_event;  ///< the last event fed
    /// When set, the platform timestamp of the next events (else the clock's time).
    std::optional<instant> event_time;

    harness() { settings.admins = {"admin"}; }

    instant now() const { return clock.now(); }
    void advance(duration d) { clock.advance(d); }
    room_ref room(const std::string& id) const { return room_ref{platform, id}; }

    /// When set, each change is handed here before it is folded, as the engine commits
    /// it; a false answer (a duplicate) leaves the state as it was.
    std::function<bool(change&, const chat_event&)> commit;

    /// Feeds one event: apply, then fold (as after a successful commit).
    const change& feed(chat_event ev) {
        if (ev.event_id.empty()) ev.event_id = "ev" + std::to_string(++events_);
        last_event = ev;
        last = apply(state, ev, now(), settings);
        if (commit && !commit(last, ev)) return last;
        fold(state, last, settings);
        return last;
    }

    /// A person says something in a room (a command when it starts with the prefix).
    const change& say(const std::string& user, const std::string& room_id, const std::string& text,
                      const std::string& thread = {}) {
        chat_event ev;
        ev.kind = event_kind::message;
        ev.room = room(room_id);
        ev.user = user_ref{user};
        ev.at = event_time.value_or(now());
        ev.text = text;
        ev.msg = message_id{"m" + std::to_string(++messages_)};
        ev.thread_parent = message_id{thread};
        return feed(ev);
    }

    /// A slash command (`/incident <text>`): not recorded as a message.
    const change& slash(const std::string& user, const std::string& room_id, const std::string& text) {
        chat_event ev;
        ev.kind = event_kind::command;
        ev.room = room(room_id);
        ev.user = user_ref{user};
        ev.at = event_time.value_or(now());
        ev.text = text;
        return feed(ev);
    }

    /// The runtime opened the room of incident `n`.
    const change& bind_room(std::int64_t n, const std::string& room_id) {
        chat_event ev;
        ev.kind = event_kind::room_bound;
        ev.room = room(room_id);
        ev.incident = incident_id{n};
        ev.at = now();
        return feed(ev);
    }

    /// Declares in #general and binds the room the declare asked for. Returns its number.
    std::int64_t open(const std::string& user, const std::string& args) {
        say(user, "#general", settings.command_prefix + " declare " + args);
        std::string name;
        for (const auto& o : last.outbox)
            if (o.op == outbound_op::open_room) name = o.room_name;
        REQUIRE_FALSE(name.empty());
        REQUIRE(last.next_number != 0);
        auto n = last.next_number - 1;
        bind_room(n, name);
        return n;
    }

    /// An alert receiver hands in one notification of one alert, routed to `room_id`:
    /// alert `fingerprint` of `group`, firing or resolved, started at `started` (the clock's
    /// time when unset). The event id is the receiver's dedupe key.
    const change& alert(const std::string& room_id, const std::string& fingerprint, bool firing,
                        const std::string& group = "g1", std::optional<instant> started = std::nullopt,
                        bool declare = false) {
        auto ar = std::make_shared<alert_arrival>();
        const instant start = started.value_or(now());
        ar->alert.key = "prometheus/" + fingerprint;
        ar->alert.source = "prometheus";
        ar->alert.fingerprint = fingerprint;
        ar->alert.title = "HighErrorRate " + fingerprint;
        ar->alert.severity = "critical";
        ar->alert.summary = "5xx above 5% on checkout";
        ar->alert.link = "http://prometheus.local/graph";
        ar->alert.labels = {{"alertname", "HighErrorRate"}, {"instance", fingerprint}};
        ar->alert.firing = firing;
        ar->alert.started = start;
        if (!firing) ar->alert.resolved = now();
        ar->alert.received = now();
        ar->group = group;
        ar->room = room(room_id);
        ar->sev = severity::sev1;
        ar->title = "Checkout errors";
        ar->rule = "rules[0]";
        ar->declare = declare;
        chat_event ev;
        ev.kind = event_kind::alert;
        ev.event_id = "alert:" + ar->alert.key + (firing ? ":firing:" : ":resolved:") +
                      std::to_string(to_unix_ms(start));
        ev.room = ar->room;
        ev.user = alert_sender("prometheus");
        ev.at = now();
        ev.alert = ar;
        return feed(ev);
    }

    /// The room id of incident `n` on this platform.
    std::string room_of(std::int64_t n) const {
        auto r = inc(n).room_on(platform);
        REQUIRE(r.has_value());
        return r->id;
    }

    const change& edit(const std::string& user, const std::string& room_id, const std::string& msg,
                       const std::string& text) {
        chat_event ev;
        ev.kind = event_kind::edit;
        ev.room = room(room_id);
        ev.user = user_ref{user};
        ev.at = now();
        ev.msg = message_id{msg};
        ev.text = text;
        return feed(ev);
    }

    const change& remove(const std::string& user, const std::string& room_id, const std::string& msg) {
        chat_event ev;
        ev.kind = event_kind::remove;
        ev.room = room(room_id);
        ev.user = user_ref{user};
        ev.at = now();
        ev.msg = message_id{msg};
        return feed(ev);
    }

    const change& react(const std::string& user, const std::string& room_id, const std::string& msg,
                        const std::string& reaction, bool added = true) {
        chat_event ev;
        ev.kind = event_kind::reaction;
        ev.room = room(room_id);
        ev.user = user_ref{user};
        ev.at = now();
        ev.msg = message_id{msg};
        ev.reaction = reaction;
        // As the adapters say it: 📌 and its kin mark a highlight.
        ev.highlight = reaction == "pushpin" || reaction == "📌" || reaction == ":pushpin:" ||
                       reaction == "round_pushpin" || reaction == "📍";
        ev.reaction_added = added;
        return feed(ev);
    }

    /// The id the last `say` gave its message.
    std::string last_msg() const { return last_event.msg.id; }

    /// Incident `n` as folded into the state.
    const incident& inc(std::int64_t n) const {
        const incident* p = state.find(n);
        REQUIRE(p != nullptr);
        return *p;
    }

    /// The folded timeline tail of incident `n`.
    const std::deque<timeline_entry>& tail(std::int64_t n) const {
        static const std::deque<timeline_entry> none;
        auto it = state.recent.find(n);
        return it == state.recent.end() ? none : it->second;
    }

    // ---- inspecting the last change ------------------------------------------------

    /// The outbound messages of the last change with this op.
    std::vector<outbound> out(outbound_op op) const {
        std::vector<outbound> r;
        for (const auto& o : last.outbox)
            if (o.op == op) r.push_back(o);
        return r;
    }

    /// Every outbound body of the last change, as plain text, one per line.
    std::string all_text() const {
        std::string s;
        for (const auto& o : last.outbox) s += o.body.plain() + "\n";
        return s;
    }

    /// The single ephemeral answer of the last change; fails unless there is exactly one.
    outbound only_ephemeral() const {
        auto e = out(outbound_op::ephemeral);
        INFO(all_text());
        REQUIRE(e.size() == 1);
        return e.front();
    }

    /// Whether the last change told `user` (ephemerally) something containing `needle`.
    bool told(const std::string& user, const std::string& needle) const {
        for (const auto& o : last.outbox)
            if (o.op == outbound_op::ephemeral && o.to_user.id == user && o.body.plain().find(needle) != std::string::npos)
                return true;
        return false;
    }

    /// Whether some visible post of the last change contains `needle`.
    bool posted(const std::string& needle) const {
        for (const auto& o : last.outbox)
            if (o.op == outbound_op::post && o.body.plain().find(needle) != std::string::npos) return true;
        return false;
    }

    /// Posts of the last change to the incident's own room.
    std::vector<outbound> incident_room_posts(std::int64_t n) const {
        std::vector<outbound> r;
        auto room = inc(n).room_on(platform);
        for (const auto& o : last.outbox)
            if (o.op == outbound_op::post && o.incident.n == n &&
                ((room && o.target == target_kind::room && o.room == *room) || o.target == target_kind::incident_room))
                r.push_back(o);
        return r;
    }

    /// Posts of the last change to the announcement room.
    std::vector<outbound> announcements() const {
        std::vector<outbound> r;
        for (const auto& o : last.outbox)
            if (o.target == target_kind::announcement) r.push_back(o);
        return r;
    }

    /// System entries of the last change with this tag.
    std::vector<timeline_entry> system_entries(const std::string& tag) const {
        std::vector<timeline_entry> r;
        for (const auto& e : last.entries)
            if (e.kind == entry_kind::system && e.tag == tag) r.push_back(e);
        return r;
    }

    /// Message entries of the last change.
    std::vector<timeline_entry> message_entries() const {
        std::vector<timeline_entry> r;
        for (const auto& e : last.entries)
            if (e.kind == entry_kind::message) r.push_back(e);
        return r;
    }

    // ---- nudges, as the engine's scheduler sends them --------------------------------

    /// One nudge sent by run_until.
    struct sent_nudge {
        instant at;
        nudge n;
        change c;
    };
    std::vector<sent_nudge> sent;  ///< every nudge sent, in order

    /// Moves the clock to `until`, sending each nudge at the instant it falls due.
    void run_until(instant until) {
        for (int round = 0; round < 10000; ++round) {
            auto next = next_nudge_at(state, settings);
            if (!next || *next > until) break;
            clock.set(*next);
            bool any = false;
            for (const auto& n : due_nudges(state, now(), settings)) {
                auto c = apply_nudge(state, n, now(), settings);
                if (c.empty()) continue;
                fold(state, c, settings);
                sent.push_back({now(), n, c});
                last = c;
                any = true;
            }
            REQUIRE(any);  // a planned nudge that is due must be sendable
        }
        clock.set(until);
    }

    /// Moves the clock forward by `d`, sending the nudges due on the way.
    void run_for(duration d) { run_until(now() + d); }

private:
    int events_ = 0;
    int messages_ = 0;
};

/// A harness holding one incident declared by maya, its room bound, optionally with an
/// announcement room ("#incidents").
struct with_incident {
    harness h;
    std::int64_t n = 0;
    std::string room;
    explicit with_incident(const std::string& title, bool announce) {
        if (announce) h.settings.announcement_rooms["console"] = h.room("#incidents");
        n = h.open("maya", title);
        room = h.room_of(n);
    }
};

/// "Checkout 5xx", declared by maya, with an announcement room.
struct announced_incident : with_incident {
    announced_incident() : with_incident("Checkout 5xx", true) {}
};

/// "!incident <text>" with the default prefix.
inline std::string cmd(const std::string& text) { return "!incident " + text; }

}  // namespace firebreak::test
