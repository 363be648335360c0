#include "commands/views.hpp"

#include "bot/core/text.hpp"

#include <fmt/format.h>

namespace firebreak {

namespace {

void mention_or_none(rich_text& r, const shift* s) {
    if (s)
        r.mention(s->user.id);
    else
        r.italic("none");
}

std::string next_update_text(const incident& inc) {
    if (!inc.next_update_due) return "none scheduled";
    return format_hhmm(*inc.next_update_due) + " UTC";
}

rich_text header(const incident& inc) {
    rich_text r;
    r.bold(fmt::format("{} · {} · {} — ", inc.id.str(), to_string(inc.sev), to_title(inc.state)));
    r.bold(short_title(inc));
    return r;
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
    return fmt::format("last {} UTC, {} ago", format_hhmm(inc.updates.back().at),
                       format_span(now - inc.updates.back().at));
}

// The example a reminder offers, with the severity's cadence as the promise.
std::string update_example(const std::string& prefix, const nudge_timing& t) {
    return fmt::format("{} update impact: <who is affected> ; actions: <what we do> ; needs: <asks> ; next: {}", prefix,
                       t.update_every.count() > 0 ? format_span(t.update_every) : std::string("1h"));
}

}  // namespace

std::string short_title(const incident& inc) { return shorten_words(inc.title, 120); }

rich_text status_view(const incident& inc, instant now) {
    rich_text r;
    auto holder = [&r](const shift* s) {
        if (s) r.mention(s->user.id);
        else r.text("none");
    };
    r.text(fmt::format("{} · {} · {} — {} | Commander ", inc.id.str(), to_string(inc.sev), to_title(inc.state),
                       short_title(inc)));
    holder(inc.commander());
    r.text(" | Scribe ");
    holder(inc.scribe());
    r.text(" | Next update " + next_update_text(inc));
    if (inc.next_update_due && *inc.next_update_due <= now) r.text(" (overdue)");
    return r;
}

std::string status_line(const incident& inc, instant now) { return status_view(inc, now).plain(); }

rich_text kickoff_view(const incident& inc, instant now, const std::string& prefix) {
    rich_text r = header(inc);
    r.line().text("Declared by ");
    if (is_alert_sender(inc.declared_by)) r.text("alert sender " + sender_name(inc.declared_by));
    else r.mention(inc.declared_by.id);
    r.text(" at " + format_utc(inc.times.declared));
    r.line().text("Commander: ");
    mention_or_none(r, inc.commander());
    r.text(" · Scribe: ");
    mention_or_none(r, inc.scribe());
    r.line().bold("First steps");
    if (!inc.scribe()) r.bullet().text("Name a scribe: ").code(prefix + " scribe @someone");
    r.bullet().text("Say when impact started: ").code(prefix + " impact-started HH:MM");
    r.bullet().text("Write down what you suspect: ").code(prefix + " hypothesis …").text(" or tag ").code("#hypothesis");
    r.bullet().text("Ask what changed, and whether a rollback would stop the harm");
    r.bullet().text("Tell stakeholders: ").code(prefix + " update impact: … ; actions: … ; next: 30m");
    if (inc.next_update_due)
        r.line().text(fmt::format("First status update due at {} UTC (in {}).", format_hhmm(*inc.next_update_due),
                                  format_span(*inc.next_update_due - now)));
    // The common next steps as buttons where the platform shows them (not in the plain text).
    if (!inc.scribe()) r.button("I'll scribe", "scribe {me}");
    r.button("Identified", "status identified");
    r.button("Mitigated", "status mitigated");
    r.button("Roles", "roles");
    r.button("Timeline", "timeline");
    return r;
}

rich_text update_view(const incident& inc, const status_update& u) {
    rich_text r = header(inc);
    r.line().bold("Impact: ").text(u.impact);
    r.line().bold("Current actions: ").text(u.actions.empty() ? "—" : u.actions);
    r.line().bold("Needs: ").text(u.needs.empty() ? "nothing right now" : u.needs);
    r.line().bold("Commander: ");
    mention_or_none(r, inc.commander());
    r.line().bold("Next update at ")
        .text(fmt::format("{} UTC (in {})", format_hhmm(u.next_at), format_span(u.next_at - u.at)));
    return r;
}

rich_text briefing_view(const incident& inc, instant now) {
    rich_text r;
    r.bold("Handoff briefing — ").bold(inc.id.str()).bold(" — ").bold(short_title(inc));
    r.line().text(fmt::format("Status: {} · Severity: {} · Open for {}", to_title(inc.state), to_string(inc.sev),
                              format_span(now - inc.times.declared)));
    std::string impact = inc.updates.empty() ? std::string{} : inc.updates.back().impact;
    for (auto it = inc.notes.rbegin(); impact.empty() && it != inc.notes.rend(); ++it)
        if (it->kind == note_kind::impact) impact = it->text;
    r.line().bold("Impact: ").text(impact.empty() ? "not yet described" : impact);

    r.line().bold("Open hypotheses:");
    bool any = false;
    for (const auto* hp : inc.live_hypotheses())
        if (const auto& h = *hp; h.result == outcome::open) {
            r.bullet().text(fmt::format("H{} {} (open {})", h.n, shown_text(h), format_span(now - h.opened_at)));
            any = true;
        }
    if (!any) r.text(" none");
    r.line().bold("Ruled out and dead ends:");
    any = false;
    for (const auto* hp : inc.live_hypotheses())
        if (const auto& h = *hp; h.result == outcome::ruled_out) {
            r.bullet().text(fmt::format("H{} {}", h.n, shown_text(h)));
            if (!h.evidence.empty()) r.text(" — " + h.evidence);
            any = true;
        }
    for (const auto& n : inc.notes)
        if (n.kind == note_kind::deadend) {
            r.bullet().text("Dead end: " + n.text);
            any = true;
        }
    if (!any) r.text(" nothing yet");
    for (const auto* hp : inc.live_hypotheses())
        if (const auto& h = *hp; h.result == outcome::confirmed) {
            r.line().bold("Confirmed: ").text(fmt::format("H{} {}", h.n, shown_text(h)));
        }
    r.line().bold("Decisions:");
    any = false;
    for (const auto& n : inc.notes)
        if (n.kind == note_kind::decision) {
            r.bullet().text(format_hhmm(n.at) + " " + n.text);
            any = true;
        }
    if (!any) r.text(" none yet");
    r.line().bold("Roles:");
    for (const auto& s : inc.shifts)
        if (s.open()) {
            r.bullet().text(to_string(s.held) + (s.area.empty() ? "" : " (" + s.area + ")") + " ").mention(s.user.id);
            r.text(fmt::format(" since {} UTC ({})", format_hhmm(s.start), format_span(now - s.start)));
        }
    r.line().bold("Open action items:");
    auto actions = inc.live_actions();
    if (actions.empty()) r.text(" none");
    for (const auto* ap : actions) {
        const auto& a = *ap;
        r.bullet().text(fmt::format("A{} {}", a.n, a.text));
        if (!a.owner.empty()) r.text(" — ").mention(a.owner.id);
        if (!a.due.empty()) r.text(" due " + a.due);
    }
    r.line().bold("Next update due: ").text(next_update_text(inc));
    return r;
}

rich_text roles_view(const incident& inc, instant now) {
    rich_text r;
    r.bold(inc.id.str() + " roles");
    bool any = false;
    for (const auto& s : inc.shifts)
        if (s.open()) {
            any = true;
            r.bullet().text(to_string(s.held) + (s.area.empty() ? "" : " (" + s.area + ")") + ": ").mention(s.user.id);
            r.text(fmt::format(" since {} UTC ({})", format_hhmm(s.start), format_span(now - s.start)));
        }
    if (!any) r.line().text("Nobody holds a role.");
    if (!inc.commander()) r.line().text("No commander: take it with ").code("commander @you");
    if (!inc.scribe()) r.line().text("No scribe yet.");
    std::size_t ended = 0;
    for (const auto& s : inc.shifts)
        if (!s.open()) ++ended;
    if (ended) r.line().italic(fmt::format("{} earlier shift{} in the history.", ended, ended == 1 ? "" : "s"));
    return r;
}

rich_text list_view(const engine_state& state, instant now, const std::function<bool(const incident&)>& visible) {
    rich_text r;
    std::size_t open = 0;
    for (const auto& [n, inc] : state.incidents)
        if (!inc.is_closed() && visible(inc)) ++open;
    if (open == 0) {
        r.text("No open incidents.");
        return r;
    }
    r.bold(fmt::format("{} open incident{}", open, open == 1 ? "" : "s"));
    for (const auto& [n, inc] : state.incidents) {
        if (inc.is_closed() || !visible(inc)) continue;
        if (inc.is_private) {
            r.bullet().text("🔒 ").bold(inc.id.str()).text(fmt::format(" · {} · {} (private incident; details in its room)",
                                                                      to_string(inc.sev), to_title(inc.state)));
            continue;
        }
        r.bullet().bold(inc.id.str()).text(fmt::format(" · {} · {} — {} · commander ", to_string(inc.sev),
                                                          to_title(inc.state), short_title(inc)));
        mention_or_none(r, inc.commander());
        r.text(fmt::format(" · age {} · last update {}", format_span(now - inc.times.declared),
                           inc.updates.empty() ? std::string("never")
                                               : format_span(now - inc.updates.back().at) + " ago"));
    }
    return r;
}

rich_text timeline_view(const incident& inc, const std::deque<timeline_entry>& tail, std::size_t n) {
    rich_text r;
    if (tail.empty()) {
        r.text(inc.id.str() + " has no timeline entries yet.");
        return r;
    }
    std::size_t start = tail.size() > n ? tail.size() - n : 0;
    r.bold(fmt::format("{} — last {} timeline entr{}", inc.id.str(), tail.size() - start,
                       tail.size() - start == 1 ? "y" : "ies"));
    for (std::size_t i = start; i < tail.size(); ++i) {
        const auto& e = tail[i];
        r.line().code(format_utc(e.at)).text(" ");
        if (e.highlight) r.text("📌 ");
        if (e.kind == entry_kind::system) r.italic("[" + (e.tag.empty() ? std::string("system") : e.tag) + "] ");
        else if (!e.tag.empty()) r.bold("[" + e.tag + "] ");
        if (!e.author.empty()) r.mention(e.author.id).text(": ");
        if (e.deleted) r.italic("(message deleted)");
        else r.text(shorten_words(e.text, 400, " … (cut here; the export has it whole)"));
        if (e.edited && !e.deleted) r.italic(" (edited)");
    }
    return r;
}

rich_text help_view(const command_spec* spec, const std::string& prefix) {
    rich_text r;
    if (spec) {
        r.code(prefix + " " + std::string(spec->usage)).line().text(std::string(spec->summary));
        if (spec->who == permission::commander_or_admin) r.line().italic("Only the current commander or an admin.");
        return r;
    }
    r.bold("firebreak commands").text(" (inside an incident room the incident is implicit; elsewhere add INC-n)");
    for (const auto& s : command_specs()) r.bullet().code(std::string(s.usage)).text(" — " + std::string(s.summary));
    r.line().text("Inline tags: #decision #deadend #hypothesis #action #change #impact #mitigation, "
                  "#ruledout Hn, #confirmed Hn. React with 📌 to highlight a message.");
    return r;
}

rich_text usage_view(const command_spec& spec, const std::string& prefix, const std::string& problem) {
    rich_text r;
    if (!problem.empty()) r.text(problem + " ");
    r.text("Usage: ").code(prefix + " " + std::string(spec.usage));
    return r;
}

nudge_texts nudge_view(const incident& inc, const nudge& n, instant now, const nudge_timing& t,
                       const std::string& prefix, bool stakeholders_told) {
    const auto id = inc.id.str();
    nudge_texts out;
    rich_text room;
    std::string record;
    if (n.kind == nudge_kind::commander) {
        auto alone = format_span(now - role_empty_since(inc, role::commander));
        room.text("⏰ ").bold(id + " has no commander").text(fmt::format(" ({}). Someone take command: ", alone));
        room.code(prefix + " commander @you");
        record = fmt::format("no commander for {}", alone);
        if (n.escalate) {
            if (stakeholders_told) room.line().text("The announcement room has been asked for help.");
            auto line = fmt::format(" has had no commander for {}. Can someone take command?", alone);
            out.announcement = rich_text{}.text("⚠️ ").bold(id).text(
                fmt::format(" · {} — {}", to_string(inc.sev), short_title(inc)) + line);
            out.private_announcement = rich_text{}.text("🔒 ").bold(id).text(" (private)" + line);
            if (stakeholders_told) record += "; escalated to the announcement room";
        }
    } else if (n.kind == nudge_kind::scribe) {
        room.text("⏰ ");
        address_commander(room, inc, id + " has no scribe");
        room.text(" yet. Decisions and dead ends get lost without one: ");
        room.code(prefix + " scribe @someone");
        record = "no scribe";
    } else if (n.kind == nudge_kind::update) {
        const instant due_at = *inc.next_update_due;
        const instant promised = promised_update_time(inc, due_at);
        room.text(n.escalate ? "⚠️ " : "⏰ ");
        if (n.escalate) {
            auto late = format_span(now - promised);
            address_commander(room, inc, fmt::format("the status update promised for {} UTC is {} late",
                                                     format_hhmm(promised), late));
            room.text(fmt::format(" ({}). ", last_update_text(inc, now)));
            record = fmt::format("status update {} late", late);
            if (stakeholders_told) {
                room.text("Stakeholders in the announcement room have been told. ");
                record += "; escalated to the announcement room";
            }
            rich_text a;
            a.text("⚠️ ").bold(id).text(
                fmt::format(" · {} · {} — {}: status update {} late (promised {} UTC). Commander ", to_string(inc.sev),
                            to_title(inc.state), short_title(inc), late, format_hhmm(promised)));
            if (const shift* c = inc.commander()) a.mention(c->user.id);
            else a.italic("none");
            out.announcement = a;
            out.private_announcement = rich_text{}.text("🔒 ").bold(id).text(fmt::format(
                " (private) · {} · {}: status update {} late", to_string(inc.sev), to_title(inc.state), late));
        } else if (n.step == 1 && now - due_at < std::chrono::minutes{1}) {
            address_commander(room, inc, fmt::format("the {} status update is due now", id));
            if (promised > due_at)
                room.text(fmt::format(" ({} expects one every {}; {}; stakeholders were promised {} UTC). ",
                                      to_string(inc.sev), format_span(t.update_every), last_update_text(inc, now),
                                      format_hhmm(promised)));
            else if (t.update_every.count() > 0)
                room.text(fmt::format(" ({}: every {}; {}). ", to_string(inc.sev), format_span(t.update_every),
                                      last_update_text(inc, now)));
            else
                room.text(fmt::format(" (promised for {} UTC). ", format_hhmm(due_at)));
            record = "status update due";
        } else {
            auto since = format_span(now - due_at);
            address_commander(room, inc, fmt::format("the {} status update has been due since {} UTC ({})", id,
                                                     format_hhmm(due_at), since));
            room.text(fmt::format(" — {}. ", last_update_text(inc, now)));
            record = fmt::format("status update due for {}", since);
        }
        room.code(update_example(prefix, t));
    } else if (n.kind == nudge_kind::rotation) {
        const shift* s = nullptr;
        for (const auto& x : inc.shifts)
            if (x.open() && x.user == n.subject && x.held == n.subject_role) s = &x;
        auto held = s ? format_span(now - s->start) : std::string("a long time");
        room.text("🔄 ").mention(n.subject.id).text(fmt::format(", you have been {} of {} for {}. ",
                                                               to_string(n.subject_role), id, held));
        room.bold("Time to hand over and rest: ");
        if (n.subject_role == role::commander) room.code(prefix + " handoff @someone");
        else if (n.subject_role == role::scribe)
            room.text("the commander names the next scribe with ").code(prefix + " scribe @someone");
        else
            room.text("bring in another SME with ")
                .code(prefix + " sme @someone <area>")
                .text(" and step out with ")
                .code(prefix + " unassign sme @" + n.subject.id);
        room.text(" (or ").code(prefix + " snooze rotation 30m").text(").");
        // The briefing comes with the first nudge; repeats stay one line.
        if (n.step == 1) room.line().append(briefing_view(inc, now));
        record = fmt::format("rotation for @{} ({} for {}){}", n.subject.id, to_string(n.subject_role), held,
                             n.step == 1 ? ", briefing posted" : "");
    } else if (n.kind == nudge_kind::hypothesis) {
        const auto& h = inc.hypotheses.at(std::size_t(n.hypothesis - 1));
        room.text("🧪 ").bold(fmt::format("H{} has been open {}", h.n, format_span(now - h.opened_at)))
            .text(" with no evidence: " + h.text + ". Confirm it (")
            .code(fmt::format("{} confirm H{} <evidence>", prefix, h.n))
            .text("), rule it out (")
            .code(fmt::format("{} rule-out H{} <evidence>", prefix, h.n))
            .text(") or say what you are waiting for.");
        record = fmt::format("H{} open {} without evidence", h.n, format_span(now - h.opened_at));
    } else if (n.kind == nudge_kind::rollback) {
        room.text("🤔 ").bold(fmt::format("{} minutes in, no hypothesis yet and the harm goes on.",
                                         (now - inc.times.declared) / std::chrono::minutes{1}));
        room.text(" What changed just before it started (deploys, config, flags, traffic, dependencies)? "
                  "Would a rollback stop the harm?");
        room.line()
            .text("Record it: ")
            .code(prefix + " change <what changed>")
            .text(" · ")
            .code(prefix + " hypothesis <what you suspect>");
        record = "asked what changed and whether a rollback would stop the harm";
    } else if (n.kind == nudge_kind::close) {
        room.text("📋 ");
        address_commander(room, inc,
                          fmt::format("{} has been resolved for {}", id, format_span(now - *inc.times.resolved)));
        room.text(". Close it to draft the postmortem: ")
            .code(prefix + " close")
            .text(" (or ")
            .code(prefix + " reopen <reason>")
            .text(").");
        record = "resolved but not closed";
    }
    out.room = std::move(room);
    out.record = fmt::format("{} nudge: {}", n.kind, record);
    return out;
}

}  // namespace firebreak
