#include "commands/dispatcher.hpp"

#include "commands/handlers.hpp"

#include <algorithm>

namespace firebreak {

namespace commands {

// ---- dispatch ------------------------------------------------------------------------

void run_command(context& cx, std::string_view text) {
    auto parsed = parse_command(text);
    if (!parsed.command) {
        rich_text r;
        r.text(parsed.error);
        return cx.tell(r);
    }
    auto& c = *parsed.command;
    const auto& spec = *c.spec;
    if (!spec.needs_incident) return spec.run(cx, c);

    // The command is about one incident: the room's, or the one named.
    const incident* target = nullptr;
    if (c.incident) {
        target = cx.st.find(*c.incident);
        // A private incident the asker may not see gets the answer of a missing one.
        if (!target || !may_see(*target, cx.asker(), cx.cfg.admins))
            return cx.tell(not_visible_line(*c.incident));
    } else {
        target = cx.st.by_room(cx.ev.room);
        if (!target)
            return cx.usage(spec, "Outside an incident room, name the incident (e.g. `" + cx.prefix() + " " +
                                      std::string(spec.name) + " INC-7 …`).");
    }
    cx.inc = *target;
    cx.in_incident_room = cx.st.by_room(cx.ev.room) == target;
    if (cx.inc->is_closed() && !spec.on_closed)
        return cx.tell(fmt::format("{} is closed; `reopen <reason>` it first.", cx.inc->id.str()));
    if (spec.who == permission::commander_or_admin && !may_lead(cx))
        return cx.tell(fmt::format("Only the current commander or an admin can use `{}` on {}.", spec.name,
                                   cx.inc->id.str()));
    spec.run(cx, c);
}

namespace {

// Someone joined or left an incident room: membership decides who sees a private incident.
void on_member(context& cx, bool joined) {
    const incident* in_room = cx.st.by_room(cx.ev.room);
    if (!in_room || cx.ev.user.empty()) return;
    if ((in_room->members.count(cx.ev.user) > 0) == joined) return;
    cx.inc = *in_room;
    if (joined) cx.inc->members.insert(cx.ev.user);
    else cx.inc->members.erase(cx.ev.user);
    cx.inc_dirty = true;
    // For a private incident, who could read it is part of the record.
    if (in_room->is_private)
        cx.system("access", joined ? fmt::format("@{} joined the room", cx.ev.user.id)
                                   : fmt::format("@{} left the room and no longer sees {}", cx.ev.user.id,
                                                 in_room->id.str()));
}

void on_room_bound(context& cx) {
    const incident* inc = cx.st.find(cx.ev.incident.n);
    if (!inc || cx.ev.room.empty()) return;
    cx.inc = *inc;
    if (cx.inc->room_on(cx.ev.room.platform)) return;  // already bound: a redelivery
    cx.inc->rooms.push_back(cx.ev.room);
    cx.out.rooms_bound.emplace_back(cx.ev.room, inc->id);
    timeline_entry e;
    e.incident = inc->id;
    e.at = cx.now;
    e.kind = entry_kind::system;
    e.tag = "room";
    e.text = fmt::format("incident room opened on {}: {}", cx.ev.room.platform, cx.ev.room.id);
    e.room = cx.ev.room;
    cx.out.entries.push_back(std::move(e));
    cx.inc_dirty = true;
}

// ---- nudges --------------------------------------------------------------------------

void send_nudge(context& cx, const nudge& n) {
    const auto& inc = *cx.inc;
    auto texts =
        nudge_view(inc, n, cx.now, timing_for(cx.cfg, inc.sev), cx.prefix(), n.escalate && cx.can_announce());
    if (texts.announcement) cx.to_announcement(std::move(*texts.announcement), std::move(texts.private_announcement));
    cx.to_incident_room(std::move(texts.room));
    // The topic still shows the time that has passed: it says overdue from the first
    // reminder on (the later ones would set the same text again).
    if (n.kind == nudge_kind::update && n.step == 1 && !n.escalate) cx.refresh_topic();
    cx.system("nudge", texts.record);
}

}  // namespace

}  // namespace commands

change apply(const engine_state& state, const chat_event& ev, instant now, const engine_settings& settings) {
    commands::context cx{state, ev, now, settings, {}, {}, false, false};
    switch (ev.kind) {
        case event_kind::message: commands::on_message(cx); break;
        case event_kind::command: commands::run_command(cx, clean_text(ev.text, text_limit(ev.room.platform))); break;
        case event_kind::edit: commands::on_amend(cx, timeline_amendment::what::edit); break;
        case event_kind::remove: commands::on_amend(cx, timeline_amendment::what::remove); break;
        case event_kind::reaction:
            if (ev.highlight)
                commands::on_amend(cx, ev.reaction_added ? timeline_amendment::what::highlight : timeline_amendment::what::unhighlight);
            break;
        case event_kind::room_bound: commands::on_room_bound(cx); break;
        case event_kind::member_joined: commands::on_member(cx, true); break;
        case event_kind::member_left: commands::on_member(cx, false); break;
        case event_kind::sync_mark: break;
        case event_kind::name_changed: break;  // the runtime keeps names; the record is as it was
        case event_kind::alert: commands::on_alert(cx); break;
    }
    cx.finish();
    return std::move(cx.out);
}


change apply_nudge(const engine_state& state, const nudge& n, instant now, const engine_settings& settings) {
    const incident* inc = state.find(n.incident.n);
    if (!inc) return {};
    // Only what the plan holds now, at this very step, and due: a nudge whose condition
    // ended, or that was sent already, is not sent.
    auto plan = planned_nudges(*inc, settings);
    auto it = std::find_if(plan.begin(), plan.end(),
                           [&](const nudge& p) { return p.sequence == n.sequence && p.step == n.step; });
    if (it == plan.end() || it->due > now) return {};
    // The bot itself speaks: an event with no author, in the incident's platform.
    chat_event ev;
    ev.kind = event_kind::message;
    ev.event_id = nudge_event_id(*it);
    ev.room = inc->rooms.empty() ? inc->declared_in : inc->rooms.front();
    ev.at = now;
    commands::context cx{state, ev, now, settings, {}, {}, false, true};
    cx.inc = *inc;
    auto& mark = cx.inc->nudges[it->sequence];
    if (mark.sent == 0) mark.first = now;
    mark.sent = it->step;
    mark.last = now;
    cx.inc_dirty = true;
    commands::send_nudge(cx, *it);
    cx.finish();
    return std::move(cx.out);
}

}  // namespace firebreak
