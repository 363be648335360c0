// Lifecycle: declare, severity, status, updates, milestones, snooze, close, reopen, postmortem.
#include "commands/handlers.hpp"

#include "commands/nudges.hpp"
#include "commands/update_fields.hpp"

#include <algorithm>
#include <cctype>

namespace firebreak::commands {

// ---- declare -----------------------------------------------------------------------

namespace {

// The new room's name on `platform`, within the length the platform takes.
std::string room_name_for(const engine_settings& cfg, const incident& inc, const std::string& platform) {
    std::string name = cfg.room_name_template;
    auto n = std::to_string(inc.id.n);
    for (auto p = name.find("{n}"); p != std::string::npos; p = name.find("{n}")) name.replace(p, 3, n);
    auto slot = name.find("{slug}");
    if (slot != std::string::npos) {
        auto known = cfg.room_name_limits.find(platform);
        const std::size_t limit =
            known != cfg.room_name_limits.end() ? known->second : engine_settings::default_room_name_limit;
        // What the template leaves for the slug; a few characters at least, even when
        // the template alone nearly fills the name.
        const std::size_t fixed = name.size() - 6;
        std::size_t room = fixed + 12 > limit ? 6 : limit - fixed;
        auto slug = slugify(inc.title, room);
        if (slug.empty()) slug = "incident";
        name.replace(slot, 6, slug);
    }
    return name;
}

}  // namespace

void cmd_declare(context& cx, const parsed_command& c) {
    std::string title;
    severity sev = cx.cfg.default_severity;
    user_ref commander = cx.actor();
    bool is_private = false;
    const auto& spec = *c.spec;
    for (std::size_t i = 0; i < c.args.size(); ++i) {
        const auto& a = c.args[i];
        auto la = ascii_lower(a);
        if (la == "--sev" || la == "--severity") {
            if (i + 1 >= c.args.size()) return cx.usage(spec, "--sev needs a number from 1 to 4.");
            auto s = parse_severity(c.args[++i]);
            if (!s) return cx.usage(spec, fmt::format("\"{}\" is not a severity (1-4).", clean_line(c.args[i], 20)));
            sev = *s;
        } else if (la.rfind("--sev=", 0) == 0) {
            auto s = parse_severity(a.substr(6));
            if (!s) return cx.usage(spec, "--sev needs a number from 1 to 4.");
            sev = *s;
        } else if (la == "--commander") {
            if (i + 1 >= c.args.size()) return cx.usage(spec, "--commander needs a @user.");
            auto m = parse_user_mention(c.args[++i]);
            if (!m) return cx.usage(spec, "--commander needs a @user.");
            commander = user_ref{clean_line(*m, max_user_bytes)};
        } else if (la == "--private") {
            is_private = true;
        } else if (la.rfind("--", 0) == 0 && la.size() > 2) {
            return cx.usage(spec, fmt::format("Unknown option \"{}\".", clean_line(a, 30)));
        } else {
            if (!title.empty()) title += ' ';
            title += a;
        }
    }
    title = clean_line(title, max_title_bytes);
    if (title.empty()) return cx.usage(spec, "A title is needed.");
    declare_incident(cx, declaration{title, sev, commander, is_private, cx.actor(), {}});
}

void declare_incident(context& cx, const declaration& d) {
    const user_ref& by = d.by;
    const bool person = !is_alert_sender(by);
    incident inc;
    inc.id = incident_id{cx.st.next_number};
    inc.title = d.title;
    inc.sev = d.sev;
    inc.state = status::investigating;
    inc.is_private = d.is_private;
    inc.declared_by = by;
    inc.declared_in = cx.ev.room;
    inc.times.declared = cx.now;
    if (!d.commander.empty()) {
        start_shift(inc, role::commander, d.commander, {}, by, cx.now);
        inc.members.insert(d.commander);
    }
    if (person) inc.members.insert(by);
    add_phase(inc, by, cx.now);
    if (auto cad = cx.cadence(d.sev); cad.count() > 0) inc.next_update_due = cx.now + cad;
    cx.inc = inc;
    cx.inc_dirty = true;
    cx.out.next_number = cx.st.next_number + 1;

    const std::string who = person ? "@" + by.id : sender_name(by);
    const std::string lead = d.commander.empty() ? "no commander yet" : "commander @" + d.commander.id;
    cx.system("declared", fmt::format("{} declared {}{} — {} ({})", who, to_string(d.sev), d.origin, d.title, lead));

    outbound open;
    open.op = outbound_op::open_room;
    open.target = target_kind::incident_room;
    open.platform = cx.ev.room.platform;
    open.incident = inc.id;
    const std::string room_name = room_name_for(cx.cfg, inc, cx.ev.room.platform);
    open.room_name = room_name;
    if (person) open.invite.push_back(by);
    if (!d.commander.empty() && d.commander != by) open.invite.push_back(d.commander);
    open.is_private = d.is_private;
    open.body = status_view(inc, cx.now);
    cx.out.outbox.push_back(std::move(open));
    cx.refresh_topic();
    cx.to_incident_room(kickoff_view(inc, cx.now, cx.prefix()));

    rich_text ack;
    ack.bold(inc.id.str()).text(fmt::format(" declared ({}){}: {} — ", to_string(d.sev), d.origin, short_title(inc)));
    if (d.commander.empty()) ack.text("no commander yet (").code(cx.prefix() + " commander @you").text(")");
    else ack.text("commander ").mention(d.commander.id);
    // The room is linked once delivery knows it (the row names the incident).
    ack.text(". Join ").room_link(room_name).text(" to work it.");
    if (cx.sealed()) {
        // The room it was typed in learns only that a private incident exists.
        cx.this_room_row(outbound_op::post).body =
            rich_text{}.text("🔒 ").bold(inc.id.str()).text(" declared (private). Those it concerns are invited to its room.");
    }
    cx.reply(ack);
    cx.out.outbox.back().incident = inc.id;
    rich_text ann;
    if (d.is_private) {
        ann.text("🔒 ").bold(inc.id.str()).text(fmt::format(" declared · {} · private", to_string(d.sev)));
    } else {
        ann.text("🔥 ").bold(inc.id.str()).text(fmt::format(" declared · {} — {} · ", to_string(d.sev), short_title(inc)));
        if (d.commander.empty()) ann.text("no commander yet");
        else ann.text("commander ").mention(d.commander.id);
        ann.text(" · ").room_link(room_name);
    }
    cx.to_announcement(ann);
}

// ---- severity, status ------------------------------------------------------------------

void cmd_sev(context& cx, const parsed_command& c) {
    if (c.args.empty()) return cx.usage(*c.spec);
    auto s = parse_severity(c.args[0]);
    if (!s) return cx.usage(*c.spec, fmt::format("\"{}\" is not a severity (1-4).", clean_line(c.args[0], 20)));
    std::string reason = clean_line(std::string_view(c.rest).substr(std::min(c.rest.size(), c.args[0].size())), max_field_bytes);
    if (reason.empty()) return cx.usage(*c.spec, "A reason is required to change severity.");
    auto& inc = *cx.inc;
    if (inc.sev == *s) return cx.tell(fmt::format("{} is already {}.", inc.id.str(), to_string(*s)));
    auto old = inc.sev;
    inc.sev = *s;
    // A new cadence applies from now when it would ask for the next update sooner.
    if (auto cad = cx.cadence(*s); cad.count() > 0 && inc.state < status::resolved) {
        if (!inc.next_update_due || cx.now + cad < *inc.next_update_due) inc.next_update_due = cx.now + cad;
    }
    add_phase(inc, cx.actor(), cx.now, reason);
    cx.system("severity", fmt::format("{} → {}: {}", to_string(old), to_string(*s), reason));
    rich_text r;
    r.bold(fmt::format("{} severity {} → {}", inc.id.str(), to_string(old), to_string(*s)))
        .text(" (by ").mention(cx.actor().id).text("): " + echo(reason));
    cx.announce_here(r);
    cx.to_announcement(rich_text{}.bold(inc.id.str()).text(
        fmt::format(" is now {} (was {}) — {}: {}", to_string(*s), to_string(old), short_title(inc), echo(reason))));
    cx.refresh_topic();
}

void set_status(context& cx, status to) {
    auto& inc = *cx.inc;
    auto from = inc.state;
    inc.state = to;
    switch (to) {
        case status::identified: if (!inc.times.identified) inc.times.identified = cx.now; break;
        case status::mitigated: if (!inc.times.mitigated) inc.times.mitigated = cx.now; break;
        case status::resolved:
            inc.times.resolved = cx.now;
            if (!inc.times.mitigated) inc.times.mitigated = cx.now;
            inc.next_update_due.reset();
            break;
        case status::closed: inc.times.closed = cx.now; inc.next_update_due.reset(); break;
        case status::investigating: break;
    }
    add_phase(inc, cx.actor(), cx.now);
    cx.system("status", fmt::format("{} → {} (by @{})", to_string(from), to_string(to), cx.actor().id));
}

void cmd_status(context& cx, const parsed_command& c) {
    if (c.args.size() != 1) return cx.usage(*c.spec);
    auto to = parse_status(c.args[0]);
    if (!to || *to == status::investigating || *to == status::closed) {
        std::string hint = to == status::closed ? " Use `close` to close." : to == status::investigating ? " Use `reopen <reason>` to go back." : "";
        return cx.usage(*c.spec, fmt::format("\"{}\" is not a status you can set here.{}", clean_line(c.args[0], 20), hint));
    }
    auto& inc = *cx.inc;
    if (*to == inc.state) return cx.tell(fmt::format("{} is already {}.", inc.id.str(), to_string(*to)));
    if (*to < inc.state)
        return cx.tell(fmt::format("{} is {}; the lifecycle only moves forward. Use `reopen <reason>` to go back.",
                                   inc.id.str(), to_string(inc.state)));
    set_status(cx, *to);
    rich_text r;
    r.bold(fmt::format("{} is now {}", inc.id.str(), to_title(*to))).text(" (by ").mention(cx.actor().id).text(")");
    if (*to == status::resolved)
        r.text(". Close it with ").code(cx.prefix() + " close").text(" when you are done.");
    cx.announce_here(r);
    if (*to == status::resolved)
        cx.to_announcement(rich_text{}.text("✅ ").bold(inc.id.str()).text(fmt::format(" resolved — {} (open {})", short_title(inc),
                                                                                  format_span(cx.now - inc.times.declared))));
    cx.refresh_topic();
}

// ---- update, milestones ------------------------------------------------------------

void cmd_update(context& cx, const parsed_command& c) {
    auto& inc = *cx.inc;
    if (trim(c.rest).empty()) return cx.usage(*c.spec, "Give at least `impact:`.");
    auto f = parse_update_fields(c.rest, cx.now);
    if (!f.error.empty()) return cx.usage(*c.spec, f.error);
    status_update u;
    u.at = cx.now;
    u.author = cx.actor();
    u.impact = f.impact;
    u.actions = f.actions;
    u.needs = f.needs;
    if (f.next_at) {
        u.next_at = *f.next_at;
    } else {
        // Without a cadence (SEV4) an update still commits to a time: an hour.
        auto cad = cx.cadence(inc.sev);
        u.next_at = cx.now + (cad.count() > 0 ? cad : duration{std::chrono::hours{1}});
    }
    inc.updates.push_back(u);
    // The promise is what stakeholders read; the severity's cadence still applies, so a
    // promise later than the cadence is reminded at the cadence.
    auto cad = cx.cadence(inc.sev);
    inc.next_update_due = u.next_at;
    bool cadence_first = cad.count() > 0 && cx.now + cad < u.next_at;
    if (cadence_first) inc.next_update_due = cx.now + cad;
    cx.system("update", fmt::format("status update: impact: {} | actions: {} | needs: {} | next at {}", u.impact,
                                    u.actions.empty() ? "-" : u.actions, u.needs.empty() ? "-" : u.needs,
                                    format_utc(u.next_at)));
    auto body = update_view(inc, u);
    cx.announce_here(body);
    cx.to_announcement(body);
    cx.refresh_topic();
    if (cadence_first)
        cx.tell(fmt::format("Noted: next update promised at {} UTC. {} asks for one every {}, so firebreak "
                            "will remind you at {} UTC.",
                            format_hhmm(u.next_at), to_string(inc.sev), format_span(cad),
                            format_hhmm(*inc.next_update_due)));
}

namespace {

void cmd_milestone(context& cx, const parsed_command& c, bool impact) {
    auto& inc = *cx.inc;
    if (trim(c.rest).empty()) return cx.usage(*c.spec);
    auto t = parse_user_time(trim(c.rest), cx.now);
    if (!t.value) return cx.usage(*c.spec, t.error + ".");
    if (*t.value > cx.now + std::chrono::minutes{1})
        return cx.tell(fmt::format("{} is in the future; nothing recorded.", format_utc(*t.value)));
    if (*t.value < inc.times.declared - std::chrono::days{30})
        return cx.tell(fmt::format("{} is more than 30 days before the declaration; nothing recorded.",
                                   format_utc(*t.value)));
    (impact ? inc.times.impact_started : inc.times.detected) = *t.value;
    auto what = impact ? "impact started" : "detected";
    cx.system("milestone", fmt::format("{} at {}", what, format_utc(*t.value)));
    cx.announce_here(rich_text{}.text(fmt::format("Recorded for {}: {} at {}.", inc.id.str(), what,
                                                  format_utc(*t.value))));
}

}  // namespace

void cmd_impact_started(context& cx, const parsed_command& c) { cmd_milestone(cx, c, true); }

void cmd_detected(context& cx, const parsed_command& c) { cmd_milestone(cx, c, false); }

void cmd_snooze(context& cx, const parsed_command& c) {
    if (c.args.size() != 2) return cx.usage(*c.spec);
    auto kind = ascii_lower(c.args[0]);
    if (!parse_nudge_kind(kind))
        return cx.usage(*c.spec, fmt::format("\"{}\" is not a nudge kind.", clean_line(c.args[0], 20)));
    auto d = parse_duration(c.args[1]);
    if (!d) return cx.usage(*c.spec, fmt::format("\"{}\" is not a duration like 30m or 2h.", clean_line(c.args[1], 20)));
    if (*d > std::chrono::hours{24}) return cx.usage(*c.spec, "Snooze for at most 24h.");
    auto until = cx.now + *d;
    cx.inc->snoozed_until[kind] = until;
    cx.system("snooze", fmt::format("{} nudges snoozed until {} (by @{})", kind, format_utc(until), cx.actor().id));
    cx.announce_here(rich_text{}.text(fmt::format("{} nudges for {} snoozed until {} UTC.", kind, cx.inc->id.str(),
                                                  format_hhmm(until))));
}

// ---- close, reopen, postmortem --------------------------------------------------------

// The commander on shift leads; with nobody on shift (after close), the last commander
// does, and the declarer only if there never was one.
bool may_lead(const context& cx) {
    if (cx.is_admin(cx.actor())) return true;
    if (const shift* cmd = cx.inc->commander()) return cmd->user == cx.actor();
    for (auto it = cx.inc->shifts.rbegin(); it != cx.inc->shifts.rend(); ++it)
        if (it->held == role::commander) return it->user == cx.actor();
    return cx.inc->declared_by == cx.actor();
}

namespace {
void request_postmortem(context& cx) { cx.incident_room_row(outbound_op::postmortem); }
}  // namespace

void cmd_close(context& cx, const parsed_command& c) {
    auto& inc = *cx.inc;
    if (!c.args.empty()) return cx.usage(*c.spec);
    if (inc.state != status::resolved)
        return cx.tell(fmt::format("{} is {}; mark it resolved first (`status resolved`).", inc.id.str(), to_string(inc.state)));
    // Shifts end with the incident.
    for (auto& s : inc.shifts)
        if (s.open()) end_shift(inc, s, cx.actor(), cx.now);
    set_status(cx, status::closed);
    cx.announce_here(rich_text{}.bold(inc.id.str() + " closed").text(" by ").mention(cx.actor().id).text(
        fmt::format(" after {}. Drafting the postmortem…", format_span(cx.now - inc.times.declared))));
    cx.to_announcement(rich_text{}.text("🧾 ").bold(inc.id.str()).text(" closed — " + short_title(inc) + ". Postmortem draft to follow."));
    cx.refresh_topic();
    request_postmortem(cx);
}

void cmd_reopen(context& cx, const parsed_command& c) {
    auto& inc = *cx.inc;
    auto reason = clean_line(c.rest, max_field_bytes);
    if (reason.empty()) return cx.usage(*c.spec, "A reason is required.");
    if (inc.state != status::resolved && inc.state != status::closed)
        return cx.tell(fmt::format("{} is still {}; only resolved or closed incidents are reopened.", inc.id.str(), to_string(inc.state)));
    bool was_closed = inc.is_closed();
    auto from = inc.state;
    inc.state = status::investigating;
    inc.times.resolved.reset();
    inc.times.closed.reset();
    if (auto cad = cx.cadence(inc.sev); cad.count() > 0) inc.next_update_due = cx.now + cad;
    // A closed incident ended every shift; whoever reopens it leads until told otherwise.
    if (was_closed && !inc.commander()) start_shift(inc, role::commander, cx.actor(), {}, cx.actor(), cx.now);
    add_phase(inc, cx.actor(), cx.now, reason);
    cx.system("status", fmt::format("{} → investigating (reopened by @{}): {}", to_string(from), cx.actor().id, reason));
    cx.announce_here(rich_text{}.bold(inc.id.str() + " reopened").text(" by ").mention(cx.actor().id).text(": " + echo(reason)));
    cx.to_announcement(rich_text{}.text("⚠️ ").bold(inc.id.str()).text(" reopened — " + short_title(inc) + ": " + echo(reason)));
    cx.refresh_topic();
}

void cmd_postmortem(context& cx, const parsed_command& c) {
    if (!c.args.empty()) return cx.usage(*c.spec);
    cx.system("postmortem", fmt::format("postmortem draft requested by @{}", cx.actor().id));
    request_postmortem(cx);
}

}  // namespace firebreak::commands
