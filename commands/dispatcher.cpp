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

// Addresses the commander on shift ("@maya, the …"), or the room ("The …").
void address_commander(rich_text& r, const incident& inc, std::string_view lead) {
    if (const shift* c = inc.commander()) {
        r.mention(c->user.id).text(", ");
        r.bold(std::string(lead));
        return;
    }
    std::string capital(lead);
    if (!capital.empty() && capital[0] >= 'a' && capital[0] <= 'z') capital[0] = char(capital[0] - 'a' + 'A');
    r.bold(capital);
}

std::string last_update_text(const incident& inc, instant now) {
    if (inc.updates.empty()) return "no update yet";
    return fmt::format("last {} UTC, {} ago", format_hhmm(inc.updates.back().at), format_span(now - inc.updates.back().at));
}

// The example a reminder offers, with the severity's cadence as the promise.
std::string update_example(const std::string& prefix, const nudge_timing& t) {
    return fmt::format("{} update impact: <who is affected> ; actions: <what we do> ; needs: <asks> ; next: {}", prefix,
                       t.update_every.count() > 0 ? format_span(t.update_every) : std::string("1h"));
}

void send_nudge(context& cx, const nudge& n) {
    auto& inc = *cx.inc;
    const auto& t = timing_for(cx.cfg, inc.sev);
    const auto& p = cx.prefix();
    const auto id = inc.id.str();
    const bool told_stakeholders = n.escalate && cx.can_announce();
    rich_text room;
    std::string record;
    if (n.kind == nudge_kind::commander) {
        auto alone = format_span(cx.now - role_empty_since(inc, role::commander));
        room.text("⏰ ").bold(id + " has no commander").text(fmt::format(" ({}). Someone take command: ", alone));
        room.code(p + " commander @you");
        record = fmt::format("no commander for {}", alone);
        if (n.escalate) {
            if (told_stakeholders) room.line().text("The announcement room has been asked for help.");
            auto line = fmt::format(" has had no commander for {}. Can someone take command?", alone);
            cx.to_announcement(rich_text{}.text("⚠️ ").bold(id).text(fmt::format(" · {} — {}", to_string(inc.sev), short_title(inc)) + line),
                               rich_text{}.text("🔒 ").bold(id).text(" (private)" + line));
            if (told_stakeholders) record += "; escalated to the announcement room";
        }
    } else if (n.kind == nudge_kind::scribe) {
        room.text("⏰ ");
        address_commander(room, inc, id + " has no scribe");
        room.text(" yet. Decisions and dead ends get lost without one: ");
        room.code(p + " scribe @someone");
        record = "no scribe";
    } else if (n.kind == nudge_kind::update) {
        const instant due_at = *inc.next_update_due;
        const instant promised = promised_update_time(inc, due_at);
        room.text(n.escalate ? "⚠️ " : "⏰ ");
        if (n.escalate) {
            auto late = format_span(cx.now - promised);
            address_commander(room, inc, fmt::format("the status update promised for {} UTC is {} late", format_hhmm(promised), late));
            room.text(fmt::format(" ({}). ", last_update_text(inc, cx.now)));
            record = fmt::format("status update {} late", late);
            if (told_stakeholders) {
                room.text("Stakeholders in the announcement room have been told. ");
                record += "; escalated to the announcement room";
            }
            rich_text a;
            a.text("⚠️ ").bold(id).text(fmt::format(" · {} · {} — {}: status update {} late (promised {} UTC). Commander ",
                                                   to_string(inc.sev), to_title(inc.state), short_title(inc), late,
                                                   format_hhmm(promised)));
            if (const shift* c = inc.commander()) a.mention(c->user.id);
            else a.italic("none");
            cx.to_announcement(a, rich_text{}.text("🔒 ").bold(id).text(fmt::format(
                                      " (private) · {} · {}: status update {} late", to_string(inc.sev),
                                      to_title(inc.state), late)));
        } else if (n.step == 1 && cx.now - due_at < std::chrono::minutes{1}) {
            address_commander(room, inc, fmt::format("the {} status update is due now", id));
            if (promised > due_at)
                room.text(fmt::format(" ({} expects one every {}; {}; stakeholders were promised {} UTC). ",
                                      to_string(inc.sev), format_span(t.update_every), last_update_text(inc, cx.now),
                                      format_hhmm(promised)));
            else if (t.update_every.count() > 0)
                room.text(fmt::format(" ({}: every {}; {}). ", to_string(inc.sev), format_span(t.update_every),
                                      last_update_text(inc, cx.now)));
            else
                room.text(fmt::format(" (promised for {} UTC). ", format_hhmm(due_at)));
            record = "status update due";
        } else {
            auto since = format_span(cx.now - due_at);
            address_commander(room, inc, fmt::format("the {} status update has been due since {} UTC ({})", id,
                                                     format_hhmm(due_at), since));
            room.text(fmt::format(" — {}. ", last_update_text(inc, cx.now)));
            record = fmt::format("status update due for {}", since);
        }
        room.code(update_example(p, t));
    } else if (n.kind == nudge_kind::rotation) {
        const shift* s = nullptr;
        for (const auto& x : inc.shifts)
            if (x.open() && x.user == n.subject && x.held == n.subject_role) s = &x;
        auto held = s ? format_span(cx.now - s->start) : std::string("a long time");
        room.text("🔄 ").mention(n.subject.id).text(fmt::format(", you have been {} of {} for {}. ",
                                                               to_string(n.subject_role), id, held));
        room.bold("Time to hand over and rest: ");
        if (n.subject_role == role::commander) room.code(p + " handoff @someone");
        else if (n.subject_role == role::scribe) room.text("the commander names the next scribe with ").code(p + " scribe @someone");
        else room.text("bring in another SME with ").code(p + " sme @someone <area>").text(" and step out with ").code(
            p + " unassign sme @" + n.subject.id);
        room.text(" (or ").code(p + " snooze rotation 30m").text(").");
        // The briefing comes with the first nudge; repeats stay one line.
        if (n.step == 1) room.line().append(briefing_view(inc, cx.now));
        record = fmt::format("rotation for @{} ({} for {}){}", n.subject.id, to_string(n.subject_role), held,
                             n.step == 1 ? ", briefing posted" : "");
    } else if (n.kind == nudge_kind::hypothesis) {
        const auto& h = inc.hypotheses.at(std::size_t(n.hypothesis - 1));
        room.text("🧪 ").bold(fmt::format("H{} has been open {}", h.n, format_span(cx.now - h.opened_at)))
            .text(" with no evidence: " + h.text + ". Confirm it (")
            .code(fmt::format("{} confirm H{} <evidence>", p, h.n))
            .text("), rule it out (")
            .code(fmt::format("{} rule-out H{} <evidence>", p, h.n))
            .text(") or say what you are waiting for.");
        record = fmt::format("H{} open {} without evidence", h.n, format_span(cx.now - h.opened_at));
    } else if (n.kind == nudge_kind::rollback) {
        room.text("🤔 ").bold(fmt::format("{} minutes in, no hypothesis yet and the harm goes on.",
                                         (cx.now - inc.times.declared) / std::chrono::minutes{1}));
        room.text(" What changed just before it started (deploys, config, flags, traffic, dependencies)? "
                  "Would a rollback stop the harm?");
        room.line().text("Record it: ").code(p + " change <what changed>").text(" · ").code(p + " hypothesis <what you suspect>");
        record = "asked what changed and whether a rollback would stop the harm";
    } else if (n.kind == nudge_kind::close) {
        room.text("📋 ");
        address_commander(room, inc, fmt::format("{} has been resolved for {}", id, format_span(cx.now - *inc.times.resolved)));
        room.text(". Close it to draft the postmortem: ").code(p + " close").text(" (or ").code(p + " reopen <reason>").text(").");
        record = "resolved but not closed";
    }
    cx.to_incident_room(room);
    // The topic still shows the time that has passed: it says overdue from the first
    // reminder on (the later ones would set the same text again).
    if (n.kind == nudge_kind::update && n.step == 1 && !n.escalate) cx.refresh_topic();
    cx.system("nudge", fmt::format("{} nudge: {}", n.kind, record));
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
