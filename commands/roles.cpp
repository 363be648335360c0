// Roles: commander, handoff, scribe, SMEs, and the shifts they make.
#include "commands/handlers.hpp"

#include "commands/update_fields.hpp"

#include <algorithm>
#include <cctype>

namespace firebreak::commands {

// ---- roles -------------------------------------------------------------------------

void end_shift(incident&, shift& s, const user_ref& by, instant now) {
    s.end = now;
    s.ended_by = by;
}

shift* open_shift(incident& inc, role r, const user_ref* user) {
    for (auto it = inc.shifts.rbegin(); it != inc.shifts.rend(); ++it)
        if (it->held == r && it->open() && (!user || it->user == *user)) return &*it;
    return nullptr;
}

void start_shift(incident& inc, role r, const user_ref& u, std::string area, const user_ref& by, instant now) {
    shift s;
    s.held = r;
    s.user = u;
    s.area = std::move(area);
    s.start = now;
    s.assigned_by = by;
    inc.shifts.push_back(std::move(s));
    if (r == role::commander && !inc.times.commander_assigned) inc.times.commander_assigned = now;
}

// Severity and status from now on, for the chart of the postmortem.
void add_phase(incident& inc, const user_ref& by, instant now, std::string reason) {
    inc.history.push_back(phase{now, inc.sev, inc.state, by, std::move(reason)});
}

std::optional<user_ref> mention_arg(const parsed_command& c, std::size_t i) {
    if (i >= c.args.size()) return {};
    auto m = parse_user_mention(c.args[i]);
    if (!m) return {};
    return user_ref{clean_line(*m, max_user_bytes)};
}

// ---- role commands ---------------------------------------------------------------------

void assign_commander(context& cx, const user_ref& to, bool handoff) {
    auto& inc = *cx.inc;
    shift* cur = open_shift(inc, role::commander);
    if (cur && cur->user == to) {
        cx.tell(fmt::format("@{} is already the commander of {}.", to.id, inc.id.str()));
        return;
    }
    if (cur && cur->user != cx.actor() && !cx.is_admin(cx.actor())) {
        cx.tell(fmt::format("@{} is commander of {}; only they or an admin can hand over (try `handoff`).",
                            cur->user.id, inc.id.str()));
        return;
    }
    if (handoff) cx.to_incident_room(briefing_view(inc, cx.now));
    // start_shift may reallocate the shift list: keep what is needed of the old shift first.
    std::optional<user_ref> previous;
    if (cur) {
        previous = cur->user;
        end_shift(inc, *cur, cx.actor(), cx.now);
    }
    start_shift(inc, role::commander, to, {}, cx.actor(), cx.now);
    cx.invite_to_room(to);
    cx.system(handoff ? "handoff" : "role",
              fmt::format("commander: {} → @{} (by @{})", previous ? "@" + previous->id : std::string("nobody"), to.id,
                          cx.actor().id));
    rich_text r;
    r.mention(to.id).text(fmt::format(" is now commander of {}", inc.id.str()));
    if (previous) r.text(" (taking over from ").mention(previous->id).text(")");
    r.text(".");
    cx.announce_here(r);
    cx.refresh_topic();
}

void cmd_commander(context& cx, const parsed_command& c) {
    auto u = mention_arg(c, 0);
    if (!u || c.args.size() != 1) return cx.usage(*c.spec, "Name one @user.");
    assign_commander(cx, *u, false);
}

void cmd_handoff(context& cx, const parsed_command& c) {
    auto u = mention_arg(c, 0);
    if (!u || c.args.size() != 1) return cx.usage(*c.spec, "Name the @user taking over.");
    auto* cur = cx.inc->commander();
    if (!cur) {
        cx.tell(fmt::format("{} has no commander to hand off from; use `commander @user`.", cx.inc->id.str()));
        return;
    }
    assign_commander(cx, *u, true);
}

void cmd_scribe(context& cx, const parsed_command& c) {
    auto u = mention_arg(c, 0);
    if (!u || c.args.size() != 1) return cx.usage(*c.spec, "Name one @user.");
    auto& inc = *cx.inc;
    shift* cur = open_shift(inc, role::scribe);
    if (cur && cur->user == *u) return cx.tell(fmt::format("@{} is already the scribe.", u->id));
    std::string from = cur ? "@" + cur->user.id : std::string("nobody");
    if (cur) end_shift(inc, *cur, cx.actor(), cx.now);
    start_shift(inc, role::scribe, *u, {}, cx.actor(), cx.now);
    cx.invite_to_room(*u);
    cx.system("role", fmt::format("scribe: {} → @{} (by @{})", from, u->id, cx.actor().id));
    cx.announce_here(rich_text{}.mention(u->id).text(fmt::format(" is now scribe of {}.", inc.id.str())));
    cx.refresh_topic();
}

void cmd_sme(context& cx, const parsed_command& c) {
    auto u = mention_arg(c, 0);
    if (!u) return cx.usage(*c.spec, "Name the @user.");
    std::string area;
    if (c.args.size() > 1) {
        auto pos = c.rest.find(c.args[0]);
        area = clean_line(std::string_view(c.rest).substr(pos + c.args[0].size()), 80);
    }
    auto& inc = *cx.inc;
    if (shift* cur = open_shift(inc, role::sme, &*u)) {
        if (cur->area == area) return cx.tell(fmt::format("@{} is already an SME here.", u->id));
        end_shift(inc, *cur, cx.actor(), cx.now);
    }
    start_shift(inc, role::sme, *u, area, cx.actor(), cx.now);
    cx.invite_to_room(*u);
    cx.system("role", fmt::format("sme: @{}{} (by @{})", u->id, area.empty() ? "" : " for " + area, cx.actor().id));
    cx.announce_here(rich_text{}.mention(u->id).text(
        fmt::format(" joins {} as SME{}.", inc.id.str(), area.empty() ? "" : " (" + area + ")")));
}

void cmd_unassign(context& cx, const parsed_command& c) {
    if (c.args.size() != 2) return cx.usage(*c.spec);
    auto r = parse_role(c.args[0]);
    auto u = mention_arg(c, 1);
    if (!r || !u) return cx.usage(*c.spec);
    auto& inc = *cx.inc;
    // Stepping down leaves the incident without a lead, which firebreak then nudges
    // about; only the commander or an admin may do it.
    if (*r == role::commander && !(cx.actor() == *u || cx.is_admin(cx.actor())))
        return cx.tell(fmt::format("Only @{} or an admin can end that commander shift; to take over use `handoff`.",
                                   u->id));
    shift* s = open_shift(inc, *r, &*u);
    if (!s) return cx.tell(fmt::format("@{} holds no {} shift in {}.", u->id, to_string(*r), inc.id.str()));
    end_shift(inc, *s, cx.actor(), cx.now);
    cx.system("role", fmt::format("{} shift of @{} ended (by @{})", to_string(*r), u->id, cx.actor().id));
    rich_text said;
    said.mention(u->id).text(fmt::format(" is no longer {}.", to_string(*r)));
    if (*r == role::commander) said.text(" Someone take command: ").code(cx.prefix() + " commander @you");
    cx.announce_here(said);
    if (*r != role::sme) cx.refresh_topic();
}


void cmd_roles(context& cx, const parsed_command&) { cx.tell(roles_view(*cx.inc, cx.now)); }

}  // namespace firebreak::commands
