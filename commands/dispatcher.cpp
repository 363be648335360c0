#include "commands/dispatcher.hpp"

#include "bot/core/text.hpp"
#include "bot/core/visibility.hpp"
#include "commands/parser.hpp"
#include "commands/update_fields.hpp"
#include "commands/views.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace firebreak {

namespace {

// Titles and fields are kept whole: what arrives is already within the platform's limit
// (text_limit), and nothing a platform can carry is cut here.
constexpr std::size_t max_title_bytes = 40000 * 4;
constexpr std::size_t max_field_bytes = 40000 * 4;
// What a reply repeats of someone's words: longer ones are shortened, saying so.
constexpr std::size_t max_echo_bytes = 600;

// Someone's words as a reply repeats them; the record keeps them whole.
std::string echo(const std::string& text) {
    return shorten_words(text, max_echo_bytes, " … (cut here; `timeline` or the export has it whole)");
}
constexpr std::size_t max_user_bytes = 255;



// Everything one handler needs, and the change it builds.
struct context {
    const engine_state& st;
    const chat_event& ev;
    instant now;
    const engine_settings& cfg;
    change out;
    std::optional<incident> inc;     // working copy of the incident the command is about
    bool inc_dirty = false;
    bool in_incident_room = false;

    user_ref actor() const { return ev.user; }
    // The asker, as the visibility rule sees them.
    viewer asker() const { return viewer{ev.user, ev.room, ev.direct}; }

    bool is_admin(const user_ref& u) const { return cfg.admins.count(u.id) > 0; }

    // The command as people on this platform type it, for hints ("/incident" on Slack).
    const std::string& prefix() const { return command_form(cfg, ev.room.platform); }

    // A new outbox row for the room the event came from, in its thread.
    outbound& this_room_row(outbound_op op) {
        auto& o = out.outbox.emplace_back();
        o.op = op;
        o.target = target_kind::room;
        o.platform = ev.room.platform;
        o.room = ev.room;
        o.thread = ev.thread_parent;
        return o;
    }

    // A new outbox row for the incident's own room on the event's platform; before the
    // room exists it is resolved at delivery.
    outbound& incident_room_row(outbound_op op) {
        auto& o = out.outbox.emplace_back();
        o.op = op;
        o.platform = ev.room.platform;
        o.incident = inc->id;
        if (auto r = inc->room_on(ev.room.platform)) {
            o.target = target_kind::room;
            o.room = *r;
        } else {
            o.target = target_kind::incident_room;
        }
        return o;
    }

    // Whether the room the event came from may not read the incident's details: a
    // private incident asked about from elsewhere. Then every answer goes to the asker
    // alone (sealed), never to the room.
    bool sealed() const { return inc && !room_may_read(*inc, ev.room, ev.direct); }

    // Answer in the room the event came from (everyone sees it), or only the asker when
    // the room may not read it.
    void reply(rich_text body) {
        if (sealed()) return tell(std::move(body));
        this_room_row(outbound_op::post).body = std::move(body);
    }

    // Answer only the person who typed it, where the platform allows.
    void tell(rich_text body) {
        auto& o = this_room_row(outbound_op::ephemeral);
        o.to_user = ev.user;
        o.body = std::move(body);
        if (sealed()) {
            o.fallback = ephemeral_fallback::incident_room;
            o.incident = inc->id;
        }
    }

    // A private answer that is only a courtesy: dropped where the platform cannot show
    // it to the asker alone.
    void tell_if_private(rich_text body) {
        auto& o = this_room_row(outbound_op::ephemeral);
        o.to_user = ev.user;
        o.body = std::move(body);
        o.fallback = ephemeral_fallback::drop;
    }

    void tell(const std::string& text) { tell(rich_text{}.text(text)); }

    // A tagged message registered: ✅ on it where the platform has reactions, else
    // `fallback` as one short line (nothing when empty: the record's own line says it).
    void acknowledge(rich_text fallback = {}) {
        auto& o = this_room_row(outbound_op::post);
        o.incident = inc->id;
        o.reaction = "white_check_mark";
        o.reaction_to = ev.msg;
        o.body = std::move(fallback);
    }

    // Post in the incident's own room on the event's platform.
    void to_incident_room(rich_text body, outbound_op op = outbound_op::post) {
        incident_room_row(op).body = std::move(body);
    }

    // Role holders belong in the incident room; whoever firebreak invites is a member.
    void invite_to_room(const user_ref& u) {
        incident_room_row(outbound_op::invite).invite.push_back(u);
        inc->members.insert(u);
        inc_dirty = true;
    }

    // A mutating command's confirmation: in the incident room, and in the room it was
    // typed in when that is somewhere else.
    // For a private incident typed elsewhere the room it was typed in hears nothing; the
    // asker is told privately where the platform allows.
    void announce_here(rich_text body) {
        if (sealed()) tell_if_private(rich_text{}.text("Done; " + inc->id.str() + "'s room has the details."));
        else if (!in_incident_room) reply(body);
        to_incident_room(std::move(body));
    }

    // Whether this platform has an announcement room to tell.
    bool can_announce() const { return cfg.announcement_rooms.count(ev.room.platform) > 0; }

    // `private_body`, when given, is what a private incident may say there instead of
    // the generic line (it must name nothing but the id, severity and status).
    void to_announcement(rich_text body, std::optional<rich_text> private_body = std::nullopt) {
        if (!can_announce()) return;
        // A private incident's details stay in its room; stakeholders see only that it moves.
        if (inc && inc->is_private)
            body = private_body ? std::move(*private_body)
                                : rich_text{}.text("🔒 ").bold(inc->id.str()).text(fmt::format(
                                      " · {} · {} (private incident)", to_string(inc->sev), to_title(inc->state)));
        outbound o;
        o.op = outbound_op::post;
        o.target = target_kind::announcement;
        o.platform = ev.room.platform;
        o.incident = inc ? inc->id : incident_id{};
        o.body = std::move(body);
        out.outbox.push_back(std::move(o));
    }

    void refresh_topic() {
        to_incident_room(status_view(*inc, now), outbound_op::set_topic);
    }

    // A system entry in the incident's timeline.
    void system(const std::string& tag, const std::string& text) {
        timeline_entry e;
        e.incident = inc->id;
        e.at = now;
        e.kind = entry_kind::system;
        e.tag = tag;
        e.author = ev.user;
        e.text = text;
        e.room = ev.room;
        out.entries.push_back(std::move(e));
        inc_dirty = true;
    }

    void usage(const command_spec& spec, const std::string& problem = {}) {
        tell(usage_view(spec, prefix(), problem));
    }

    duration cadence(severity s) const { return timing_for(cfg, s).update_every; }

    void finish() {
        if (!inc || !inc_dirty) return;
        // A new commander leads the incident's rooms: where rooms have ranks the new one is
        // raised and the one before lowered (a room made later is made so already).
        if (const incident* before = st.find(inc->id.n)) {
            const shift* was = before->commander();
            const shift* now_c = inc->commander();
            user_ref old_c = was ? was->user : user_ref{};
            user_ref new_c = now_c ? now_c->user : user_ref{};
            // Closing ends every shift: the room's ranks stay as the record left them.
            if (old_c != new_c && !inc->is_closed())
                for (const auto& r : inc->rooms) {
                    auto& o = out.outbox.emplace_back();
                    o.op = outbound_op::moderator;
                    o.target = target_kind::room;
                    o.platform = r.platform;
                    o.room = r;
                    o.incident = inc->id;
                    if (!new_c.empty()) o.invite.push_back(new_c);
                    o.to_user = old_c;
                }
        }
        out.incidents.push_back(*inc);
    }
};

// ---- roles -------------------------------------------------------------------------

void end_shift(incident&, shift& s, const user_ref& by, instant now) {
    s.end = now;
    s.ended_by = by;
}

shift* open_shift(incident& inc, role r, const user_ref* user = nullptr) {
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
void add_phase(incident& inc, const user_ref& by, instant now, std::string reason = {}) {
    inc.history.push_back(phase{now, inc.sev, inc.state, by, std::move(reason)});
}

std::optional<user_ref> mention_arg(const parsed_command& c, std::size_t i) {
    if (i >= c.args.size()) return {};
    auto m = parse_user_mention(c.args[i]);
    if (!m) return {};
    return user_ref{clean_line(*m, max_user_bytes)};
}

// ---- declare -----------------------------------------------------------------------

std::string room_name_for(const engine_settings& cfg, const incident& inc) {
    std::string name = cfg.room_name_template;
    auto n = std::to_string(inc.id.n);
    for (auto p = name.find("{n}"); p != std::string::npos; p = name.find("{n}")) name.replace(p, 3, n);
    auto slot = name.find("{slug}");
    if (slot != std::string::npos) {
        std::size_t room = name.size() > 74 ? 6 : 80 - (name.size() - 6);
        auto slug = slugify(inc.title, room);
        if (slug.empty()) slug = "incident";
        name.replace(slot, 6, slug);
    }
    return name;
}

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

    incident inc;
    inc.id = incident_id{cx.st.next_number};
    inc.title = title;
    inc.sev = sev;
    inc.state = status::investigating;
    inc.is_private = is_private;
    inc.declared_by = cx.actor();
    inc.declared_in = cx.ev.room;
    inc.times.declared = cx.now;
    start_shift(inc, role::commander, commander, {}, cx.actor(), cx.now);
    inc.members.insert(cx.actor());
    inc.members.insert(commander);
    add_phase(inc, cx.actor(), cx.now);
    if (auto cad = cx.cadence(sev); cad.count() > 0) inc.next_update_due = cx.now + cad;
    cx.inc = inc;
    cx.inc_dirty = true;
    cx.out.next_number = cx.st.next_number + 1;

    cx.system("declared", fmt::format("{} declared {} — {} (commander @{})", "@" + cx.actor().id, to_string(sev),
                                      title, commander.id));

    outbound open;
    open.op = outbound_op::open_room;
    open.target = target_kind::incident_room;
    open.platform = cx.ev.room.platform;
    open.incident = inc.id;
    const std::string room_name = room_name_for(cx.cfg, inc);
    open.room_name = room_name;
    open.invite.push_back(cx.actor());
    if (commander != cx.actor()) open.invite.push_back(commander);
    open.is_private = is_private;
    open.body = status_view(inc, cx.now);
    cx.out.outbox.push_back(std::move(open));
    cx.refresh_topic();
    cx.to_incident_room(kickoff_view(inc, cx.now, cx.prefix()));

    rich_text ack;
    ack.bold(inc.id.str()).text(fmt::format(" declared ({}): {} — commander ", to_string(sev), short_title(inc))).mention(commander.id);
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
    if (is_private) {
        ann.text("🔒 ").bold(inc.id.str()).text(fmt::format(" declared · {} · private", to_string(sev)));
    } else {
        ann.text("🔥 ").bold(inc.id.str()).text(fmt::format(" declared · {} — {} · commander ", to_string(sev), short_title(inc)));
        ann.mention(commander.id).text(" · ").room_link(room_name);
    }
    cx.to_announcement(ann);
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

// ---- hypotheses and typed notes ---------------------------------------------------

void add_hypothesis(context& cx, const std::string& text, bool from_tag) {
    auto& inc = *cx.inc;
    hypothesis h;
    h.n = int(inc.hypotheses.size()) + 1;
    h.text = text;
    h.opened_by = cx.actor();
    h.opened_at = cx.now;
    if (from_tag) h.source = cx.ev.msg;
    inc.hypotheses.push_back(h);
    cx.inc_dirty = true;
    if (!from_tag) cx.system("hypothesis", fmt::format("H{} opened: {}", h.n, text));
    rich_text r;
    r.text(fmt::format("Recorded hypothesis ")).bold(fmt::format("H{}", h.n)).text(": " + echo(text));
    cx.to_incident_room(r);
}

std::optional<int> parse_h(std::string_view w) {
    if (w.size() < 2 || (w[0] != 'H' && w[0] != 'h')) return {};
    int n = 0;
    for (char ch : w.substr(1)) {
        if (ch < '0' || ch > '9' || n > 100000) return {};
        n = n * 10 + (ch - '0');
    }
    return n;
}

// Closes hypothesis `n` with an outcome. Returns an error line or empty on success.
std::string close_hypothesis(context& cx, int n, outcome result, const std::string& evidence, bool from_tag) {
    auto& inc = *cx.inc;
    if (n < 1 || std::size_t(n) > inc.hypotheses.size())
        return fmt::format("There is no H{} in {} (it has {} hypotheses).", n, inc.id.str(), inc.hypotheses.size());
    auto& h = inc.hypotheses[std::size_t(n - 1)];
    if (h.withdrawn) return fmt::format("H{} was withdrawn: the message that opened it is gone.", n);
    if (h.result != outcome::open)
        return fmt::format("H{} is already {}.", n, to_string(h.result));
    h.result = result;
    h.closed_at = cx.now;
    h.closed_by = cx.actor();
    h.evidence = evidence;
    h.closed_source = from_tag ? cx.ev.msg : message_id{};
    cx.inc_dirty = true;
    // A ruled-out hypothesis is a dead end: views and the postmortem list it with them.
    if (!from_tag)
        cx.system("hypothesis", fmt::format("H{} {}{}", n, to_string(result), evidence.empty() ? "" : ": " + evidence));
    rich_text r;
    r.bold(fmt::format("H{} {}", n, to_string(result))).text(": " + echo(shown_text(h)));
    if (!evidence.empty()) r.line().italic("Evidence: ").text(echo(evidence));
    cx.to_incident_room(r);
    return {};
}

void cmd_close_hypothesis(context& cx, const parsed_command& c, outcome result) {
    if (c.args.empty()) return cx.usage(*c.spec);
    auto n = parse_h(c.args[0]);
    if (!n) return cx.usage(*c.spec, fmt::format("\"{}\" is not a hypothesis id like H2.", clean_line(c.args[0], 20)));
    auto evidence = clean_line(std::string_view(c.rest).substr(std::min(c.rest.size(), c.args[0].size())), max_field_bytes);
    auto err = close_hypothesis(cx, *n, result, evidence, false);
    if (!err.empty()) cx.tell(err);
}

void cmd_hypothesis(context& cx, const parsed_command& c) {
    auto text = clean_line(c.rest, max_field_bytes);
    if (text.empty()) return cx.usage(*c.spec, "Say what you suspect.");
    add_hypothesis(cx, text, false);
}

// "decision", "dead end", ... as a sentence starts.
std::string note_label(note_kind k, bool capital) {
    std::string label = k == note_kind::deadend ? "dead end" : to_string(k);
    if (capital) label[0] = char(std::toupper(static_cast<unsigned char>(label[0])));
    return label;
}

void add_note(context& cx, note_kind k, const std::string& text, bool from_tag) {
    cx.inc->notes.push_back(note{k, text, cx.actor(), cx.now, from_tag ? cx.ev.msg : message_id{}});
    cx.inc_dirty = true;
    if (!from_tag) cx.system(to_string(k), text);
}

void cmd_note(context& cx, const parsed_command& c, note_kind k) {
    auto text = clean_line(c.rest, max_field_bytes);
    if (text.empty()) return cx.usage(*c.spec, "The text is missing.");
    add_note(cx, k, text, false);
    cx.to_incident_room(rich_text{}.text("Recorded ").bold(note_label(k, true)).text(": " + echo(text)));
}

bool valid_date(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
    return parse_iso(std::string(d) + "T00:00Z").has_value();
}

// Reads "text [@owner] [due YYYY-MM-DD]". Returns an error line or empty.
std::string parse_action(std::string_view rest, action_item& a) {
    auto words = split_words(rest);
    std::vector<std::string> text;
    for (std::size_t i = 0; i < words.size(); ++i) {
        auto lw = ascii_lower(words[i]);
        if (lw == "due" && i + 1 < words.size() && (valid_date(words[i + 1]) || words[i + 1].size() == 10)) {
            if (!valid_date(words[i + 1]))
                return fmt::format("\"{}\" is not a date (YYYY-MM-DD).", clean_line(words[i + 1], 20));
            a.due = words[++i];
        } else if (lw.rfind("due:", 0) == 0 && lw.size() == 14) {
            if (!valid_date(words[i].substr(4))) return "the due date must be YYYY-MM-DD.";
            a.due = words[i].substr(4);
        } else if (auto m = parse_user_mention(words[i]); m && a.owner.empty()) {
            a.owner = user_ref{clean_line(*m, max_user_bytes)};
        } else {
            text.push_back(words[i]);
        }
    }
    std::string joined;
    for (auto& w : text) joined += (joined.empty() ? "" : " ") + w;
    a.text = clean_line(joined, max_field_bytes);
    if (a.text.empty()) return "Say what needs doing.";
    return {};
}

void record_action(context& cx, action_item a, bool from_tag) {
    auto& inc = *cx.inc;
    a.n = int(inc.actions.size()) + 1;
    a.created_by = cx.actor();
    a.at = cx.now;
    if (from_tag) a.source = cx.ev.msg;
    inc.actions.push_back(a);
    cx.inc_dirty = true;
    if (!from_tag)
        cx.system("action", fmt::format("A{} {}{}{}", a.n, a.text, a.owner.empty() ? "" : " — @" + a.owner.id,
                                        a.due.empty() ? "" : " due " + a.due));
    rich_text r;
    r.text("Recorded action ").bold(fmt::format("A{}", a.n)).text(": " + echo(a.text));
    if (!a.owner.empty()) r.text(" — ").mention(a.owner.id);
    if (!a.due.empty()) r.text(" due " + a.due);
    cx.to_incident_room(r);
}

void cmd_action(context& cx, const parsed_command& c) {
    action_item a;
    auto err = parse_action(c.rest, a);
    if (!err.empty()) return cx.usage(*c.spec, err);
    record_action(cx, std::move(a), false);
}

// ---- views -------------------------------------------------------------------------

void cmd_timeline(context& cx, const parsed_command& c) {
    std::size_t n = 10;
    if (c.args.size() > 1) return cx.usage(*c.spec);
    if (c.args.size() == 1) {
        const auto& a = c.args[0];
        if (a.empty() || a.size() > 4 || !std::all_of(a.begin(), a.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            return cx.usage(*c.spec, fmt::format("\"{}\" is not a count.", clean_line(a, 20)));
        n = std::stoul(a);
        if (n == 0) return cx.usage(*c.spec, "Ask for at least one entry.");
        n = std::min<std::size_t>(n, std::min<std::size_t>(50, cx.cfg.timeline_tail));
    }
    static const std::deque<timeline_entry> none;
    auto it = cx.st.recent.find(cx.inc->id.n);
    cx.tell(timeline_view(*cx.inc, it == cx.st.recent.end() ? none : it->second, n));
}

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

void request_postmortem(context& cx) { cx.incident_room_row(outbound_op::postmortem); }

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
    if (spec.name == "help") {
        const command_spec* one = c.args.empty() ? nullptr : find_command(c.args[0]);
        if (!c.args.empty() && !one)
            return cx.tell(fmt::format("No command \"{}\". Try `help`.", clean_line(c.args[0], 40)));
        return cx.tell(help_view(one, cx.prefix()));
    }
    if (spec.name == "list") {
        const auto me = cx.asker();
        return cx.tell(list_view(cx.st, cx.now, [&](const incident& i) { return may_see(i, me, cx.cfg.admins); }));
    }
    if (spec.name == "declare") return cmd_declare(cx, c);

    // Every other command is about one incident: the room's, or the one named.
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

    auto n = spec.name;
    if (n == "commander") cmd_commander(cx, c);
    else if (n == "handoff") cmd_handoff(cx, c);
    else if (n == "scribe") cmd_scribe(cx, c);
    else if (n == "sme") cmd_sme(cx, c);
    else if (n == "unassign") cmd_unassign(cx, c);
    else if (n == "sev") cmd_sev(cx, c);
    else if (n == "status") cmd_status(cx, c);
    else if (n == "update") cmd_update(cx, c);
    else if (n == "impact-started") cmd_milestone(cx, c, true);
    else if (n == "detected") cmd_milestone(cx, c, false);
    else if (n == "hypothesis") cmd_hypothesis(cx, c);
    else if (n == "confirm") cmd_close_hypothesis(cx, c, outcome::confirmed);
    else if (n == "rule-out") cmd_close_hypothesis(cx, c, outcome::ruled_out);
    else if (n == "decision") cmd_note(cx, c, note_kind::decision);
    else if (n == "deadend") cmd_note(cx, c, note_kind::deadend);
    else if (n == "change") cmd_note(cx, c, note_kind::change);
    else if (n == "action") cmd_action(cx, c);
    else if (n == "timeline") cmd_timeline(cx, c);
    else if (n == "roles") cx.tell(roles_view(*cx.inc, cx.now));
    else if (n == "snooze") cmd_snooze(cx, c);
    else if (n == "close") cmd_close(cx, c);
    else if (n == "reopen") cmd_reopen(cx, c);
    else if (n == "postmortem") cmd_postmortem(cx, c);
}

// ---- inline tags -----------------------------------------------------------------

// The first inline tag of a message, and the text with the tag word removed.
struct found_tag {
    std::string tag;
    std::string rest;
};

std::optional<found_tag> find_tag(std::string_view raw) {
    static const std::string_view tags[] = {"#decision", "#deadend", "#hypothesis", "#action", "#change",
                                            "#impact",   "#mitigation", "#ruledout", "#confirmed"};
    // Pasted text hides characters a scribe cannot see: the tag must be found through them,
    // anywhere in the message, a new line included.
    const std::string text = fold_invisible(raw);
    auto words = split_words(text);
    for (std::size_t i = 0; i < words.size(); ++i) {
        auto w = ascii_lower(words[i]);
        while (!w.empty() && (w.back() == ':' || w.back() == ',' || w.back() == '.')) w.pop_back();
        if (w == "#dead-end") w = "#deadend";
        if (w == "#ruled-out") w = "#ruledout";
        for (auto t : tags) {
            if (w != t) continue;
            found_tag f;
            f.tag = std::string(t.substr(1));
            for (std::size_t k = 0; k < words.size(); ++k)
                if (k != i) f.rest += (f.rest.empty() ? "" : " ") + words[k];
            return f;
        }
    }
    return {};
}

void apply_tag(context& cx, const found_tag& t) {
    auto text = clean_line(t.rest, max_field_bytes);
    // Every tag that records something is acknowledged alike: ✅ on the message, and
    // where reactions do not exist one short line. Numbered records (H<n>, A<n>) also
    // say their number, which people need to refer to them.
    if (t.tag == "hypothesis") {
        if (text.empty()) return;
        cx.acknowledge();
        add_hypothesis(cx, text, true);
    } else if (t.tag == "ruledout" || t.tag == "confirmed") {
        auto words = split_words(text);
        std::optional<int> n = words.empty() ? std::nullopt : parse_h(words[0]);
        if (!n) return cx.tell(fmt::format("#{} needs a hypothesis id, e.g. #{} H1 <evidence>.", t.tag, t.tag));
        auto evidence = clean_line(std::string_view(text).substr(words[0].size()), max_field_bytes);
        auto before = cx.out.outbox.size();
        cx.acknowledge();
        auto err = close_hypothesis(cx, *n, t.tag == "confirmed" ? outcome::confirmed : outcome::ruled_out, evidence, true);
        if (!err.empty()) {
            cx.out.outbox.resize(before);  // nothing registered
            cx.tell(err);
        }
    } else if (t.tag == "action") {
        action_item a;
        auto err = parse_action(text, a);
        if (!err.empty()) return cx.tell("#action: " + err);
        cx.acknowledge();
        record_action(cx, std::move(a), true);
    } else if (auto k = parse_note_kind(t.tag)) {
        if (text.empty()) return;
        cx.acknowledge(rich_text{}.text("✅ " + note_label(*k, true) + " recorded."));
        add_note(cx, *k, text, true);
    }
}

std::string tag_of(const std::optional<found_tag>& t) {
    if (!t) return {};
    if (t->tag == "ruledout") return "ruled-out";
    return t->tag;
}

// A person's message in a room: recorded if the room is an incident room, and read for tags.
void on_message(context& cx) {
    const auto& ev = cx.ev;
    std::string_view text = ev.text;
    std::string_view typed_prefix = cx.cfg.command_prefix;
    bool is_command = is_command_text(text, typed_prefix);
    const incident* in_room = cx.st.by_room(ev.room);
    std::optional<found_tag> tag;
    // A closed incident keeps recording messages, but typed records wait for `reopen`.
    if (in_room && !is_command && !in_room->is_closed()) tag = find_tag(text);
    if (in_room) {
        cx.inc = *in_room;
        cx.in_incident_room = true;
        timeline_entry e;
        e.incident = in_room->id;
        e.at = ev.at;
        e.kind = entry_kind::message;
        // A command is marked as one, so a postmortem can show it once, as its effect.
        e.tag = is_command ? std::string("command") : tag_of(tag);
        e.author = ev.user;
        e.text = clean_text(text, text_limit(cx.ev.room.platform));
        e.room = ev.room;
        e.msg = ev.msg;
        e.thread_parent = ev.thread_parent;
        cx.out.entries.push_back(std::move(e));
        cx.inc->message_count += 1;
        // Whoever speaks in the room is in it, whether or not the platform told us of the join.
        if (!ev.user.empty()) cx.inc->members.insert(ev.user);
        cx.inc_dirty = true;
    }
    if (is_command) {
        // The command works on its own copy; keep the recorded message with it.
        auto recorded = cx.inc;
        auto dirty = cx.inc_dirty;
        auto entries = cx.out.entries;
        cx.inc.reset();
        cx.inc_dirty = false;
        cx.out.entries.clear();
        auto cmd_text = clean_text(text.substr(typed_prefix.size()), text_limit(cx.ev.room.platform));
        run_command(cx, cmd_text);
        // Merge: the message entry first, then what the command did.
        entries.insert(entries.end(), cx.out.entries.begin(), cx.out.entries.end());
        cx.out.entries = std::move(entries);
        if (recorded) {
            if (cx.inc && cx.inc->id == recorded->id) {
                cx.inc->message_count = recorded->message_count;
                cx.inc_dirty = true;
            } else {
                // The command was about another incident (or none): keep both.
                if (cx.inc && cx.inc_dirty) cx.out.incidents.push_back(*cx.inc);
                cx.inc = recorded;
                cx.inc_dirty = dirty;
            }
        }
        return;
    }
    if (in_room && tag) apply_tag(cx, *tag);
    if (!in_room && ev.direct) run_command(cx, clean_text(text, text_limit(cx.ev.room.platform)));
}

// ---- records that follow their messages ---------------------------------------------

// What one tagged message created, found by its platform id.
struct derived {
    std::optional<std::size_t> note;   // index into notes
    int opened = 0;                    // hypothesis it opened
    int closed = 0;                    // hypothesis it confirmed or ruled out
    int action = 0;                    // action item it recorded
};

derived derived_from(const incident& inc, const message_id& m) {
    derived d;
    if (m.empty()) return d;
    for (std::size_t i = 0; i < inc.notes.size(); ++i)
        if (inc.notes[i].source == m) d.note = i;
    for (const auto& h : inc.hypotheses) {
        if (h.withdrawn) continue;
        if (h.source == m) d.opened = h.n;
        if (h.closed_source == m && h.result != outcome::open) d.closed = h.n;
    }
    for (const auto& a : inc.actions)
        if (!a.withdrawn && a.source == m) d.action = a.n;
    return d;
}

// Whether a later command or tag referred to hypothesis `h`: then it keeps its place.
bool referred_to(const hypothesis& h) { return h.result != outcome::open; }

// Takes back what message `m` created, because it was deleted (`deleted`) or edited so it
// no longer carries the tag. A deleted message's words go with it, from the records too.
// Returns one line per record for the room.
std::vector<std::string> withdraw(context& cx, const derived& d, bool deleted) {
    auto& inc = *cx.inc;
    std::vector<std::string> said;
    const char* why = deleted ? "its message was deleted" : "its message no longer has the tag";
    if (d.closed) {
        auto& h = inc.hypotheses[std::size_t(d.closed - 1)];
        said.push_back(fmt::format("H{} is open again: the message that {} was {}.", h.n,
                                   h.result == outcome::confirmed ? "confirmed it" : "ruled it out",
                                   deleted ? "deleted" : "edited"));
        h.result = outcome::open;
        h.closed_at.reset();
        h.closed_by = {};
        h.evidence.clear();
        h.closed_source = {};
    }
    if (d.opened) {
        auto& h = inc.hypotheses[std::size_t(d.opened - 1)];
        if (referred_to(h)) {
            // H<n> was confirmed or ruled out since: the record keeps it, numbered.
            if (deleted) {
                h.text.clear();
                h.source_deleted = true;
                said.push_back(fmt::format("H{} keeps its number and outcome; its message was deleted.", h.n));
            }
        } else {
            h.withdrawn = true;
            if (deleted) h.text.clear();
            said.push_back(fmt::format("H{} withdrawn: {}.", h.n, why));
        }
    }
    if (d.action) {
        auto& a = inc.actions[std::size_t(d.action - 1)];
        a.withdrawn = true;
        if (deleted) a.text.clear();
        said.push_back(fmt::format("A{} withdrawn: {}.", a.n, why));
    }
    if (d.note) {
        said.push_back(fmt::format("{} withdrawn: {}.", note_label(inc.notes[*d.note].kind, true), why));
        inc.notes.erase(inc.notes.begin() + std::ptrdiff_t(*d.note));
    }
    cx.inc_dirty = cx.inc_dirty || !said.empty();
    return said;
}

// "“old” → “new”", cut for one line.
std::string was_now(const std::string& before, const std::string& after) {
    return fmt::format("“{}” → “{}”", echo(before), echo(after));
}

// An edited message in an incident room: the row keeps the new text (and the old one
// in its history), and what the message created follows it. Returns the lines to say.
std::vector<std::string> follow_edit(context& cx, const std::optional<found_tag>& tag) {
    auto& inc = *cx.inc;
    auto d = derived_from(inc, cx.ev.msg);
    std::string text = tag ? clean_line(tag->rest, max_field_bytes) : std::string{};
    std::vector<std::string> said;
    // The same kind of record as before: it is updated in place and keeps its number.
    if (tag && !text.empty()) {
        if (d.note && parse_note_kind(tag->tag) == inc.notes[*d.note].kind) {
            auto& n = inc.notes[*d.note];
            if (n.text != text) {
                said.push_back(fmt::format("Updated {}: {}", note_label(n.kind, false), was_now(n.text, text)));
                n.text = text;
                cx.inc_dirty = true;
            }
            return said;
        }
        if (d.opened && !d.closed && !d.note && !d.action && tag->tag == "hypothesis") {
            auto& h = inc.hypotheses[std::size_t(d.opened - 1)];
            if (h.text != text) {
                said.push_back(fmt::format("Updated H{}: {}", h.n, was_now(h.text, text)));
                h.text = text;
                cx.inc_dirty = true;
            }
            return said;
        }
        if (d.action && tag->tag == "action") {
            action_item fresh;
            if (parse_action(text, fresh).empty()) {
                auto& a = inc.actions[std::size_t(d.action - 1)];
                if (a.text != fresh.text || a.owner != fresh.owner || a.due != fresh.due) {
                    said.push_back(fmt::format("Updated A{}: {}", a.n, was_now(a.text, fresh.text)));
                    a.text = fresh.text;
                    a.owner = fresh.owner;
                    a.due = fresh.due;
                    cx.inc_dirty = true;
                }
                return said;
            }
        }
        if (d.closed && (tag->tag == "confirmed" || tag->tag == "ruledout")) {
            auto& h = inc.hypotheses[std::size_t(d.closed - 1)];
            auto words = split_words(text);
            auto n = words.empty() ? std::nullopt : parse_h(words[0]);
            auto result = tag->tag == "confirmed" ? outcome::confirmed : outcome::ruled_out;
            if (n && *n == h.n && result == h.result) {
                auto evidence = clean_line(std::string_view(text).substr(words[0].size()), max_field_bytes);
                if (evidence != h.evidence) {
                    said.push_back(fmt::format("Updated the evidence of H{}: {}", h.n, was_now(h.evidence, evidence)));
                    h.evidence = evidence;
                    cx.inc_dirty = true;
                }
                return said;
            }
        }
    }
    // Otherwise what it made is taken back, and what it says now is recorded afresh.
    said = withdraw(cx, d, false);
    if (tag && !inc.is_closed()) {
        auto before = cx.out.outbox.size();
        apply_tag(cx, *tag);
        // apply_tag confirms in the room itself; its lines join the one summary, its ✅ stays.
        std::vector<outbound> kept;
        for (std::size_t i = before; i < cx.out.outbox.size(); ++i) {
            auto& o = cx.out.outbox[i];
            if (o.op == outbound_op::post && o.reaction.empty() && o.incident == inc.id) said.push_back(o.body.plain());
            else kept.push_back(std::move(o));
        }
        cx.out.outbox.resize(before);
        for (auto& o : kept) cx.out.outbox.push_back(std::move(o));
    }
    return said;
}

void on_amend(context& cx, timeline_amendment::what op) {
    const incident* in_room = cx.st.by_room(cx.ev.room);
    if (!in_room || cx.ev.msg.empty()) return;
    using what = timeline_amendment::what;
    timeline_amendment a;
    a.op = op;
    a.incident = in_room->id;
    a.room = cx.ev.room;
    a.msg = cx.ev.msg;
    a.actor = cx.ev.user;
    a.at = cx.ev.at;
    if (op == what::highlight && !cx.ev.bot_post_text.empty()) {
        // firebreak's own post, pinned: it joins the timeline, highlighted, as posted.
        timeline_entry e;
        e.incident = in_room->id;
        e.at = cx.ev.at;
        e.kind = entry_kind::message;
        e.tag = "bot";
        e.text = clean_text(cx.ev.bot_post_text, text_limit(cx.ev.room.platform));
        e.room = cx.ev.room;
        e.msg = cx.ev.msg;
        e.highlight = true;
        cx.out.entries.push_back(std::move(e));
        return;
    }
    std::optional<found_tag> tag;
    if (op == what::edit) {
        a.new_text = clean_text(cx.ev.text, text_limit(cx.ev.room.platform));
        if (!is_command_text(cx.ev.text, cx.cfg.command_prefix)) tag = find_tag(cx.ev.text);
        a.new_tag = tag_of(tag);
    }
    cx.out.amendments.push_back(std::move(a));
    if (op != what::edit && op != what::remove) return;
    cx.inc = *in_room;
    cx.in_incident_room = true;
    auto said = op == what::remove ? withdraw(cx, derived_from(*cx.inc, cx.ev.msg), true) : follow_edit(cx, tag);
    if (said.empty()) return;
    std::string line;
    for (const auto& l : said) line += (line.empty() ? "" : " ") + l;
    cx.system(op == what::remove ? "withdrawn" : "amended", line);
    cx.to_incident_room(rich_text{}.text("✏️ " + line));
}

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

change apply(const engine_state& state, const chat_event& ev, instant now, const engine_settings& settings) {
    context cx{state, ev, now, settings, {}, {}, false, false};
    switch (ev.kind) {
        case event_kind::message: on_message(cx); break;
        case event_kind::command: run_command(cx, clean_text(ev.text, text_limit(ev.room.platform))); break;
        case event_kind::edit: on_amend(cx, timeline_amendment::what::edit); break;
        case event_kind::remove: on_amend(cx, timeline_amendment::what::remove); break;
        case event_kind::reaction:
            if (ev.highlight)
                on_amend(cx, ev.reaction_added ? timeline_amendment::what::highlight : timeline_amendment::what::unhighlight);
            break;
        case event_kind::room_bound: on_room_bound(cx); break;
        case event_kind::member_joined: on_member(cx, true); break;
        case event_kind::member_left: on_member(cx, false); break;
        case event_kind::sync_mark: break;
        case event_kind::name_changed: break;  // the runtime keeps names; the record is as it was
    }
    cx.finish();
    return std::move(cx.out);
}

}  // namespace firebreak

namespace firebreak {

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
    context cx{state, ev, now, settings, {}, {}, false, true};
    cx.inc = *inc;
    auto& mark = cx.inc->nudges[it->sequence];
    if (mark.sent == 0) mark.first = now;
    mark.sent = it->step;
    mark.last = now;
    cx.inc_dirty = true;
    send_nudge(cx, *it);
    cx.finish();
    return std::move(cx.out);
}

}  // namespace firebreak
