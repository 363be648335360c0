#pragma once
// What every command handler works with: the event, the state before it, the settings,
// and the change the handler builds (replies, records, outbox rows). Internal to commands/.
#include "bot/core/chat_event.hpp"
#include "bot/core/engine_state.hpp"
#include "bot/core/text.hpp"
#include "bot/core/visibility.hpp"
#include "commands/command_spec.hpp"
#include "commands/views.hpp"

#include <fmt/format.h>

#include <optional>
#include <string>

namespace firebreak::commands {

// Titles and fields are kept whole: what arrives is already within the platform's limit
// (text_limit), and nothing a platform can carry is cut here.
inline constexpr std::size_t max_title_bytes = 40000 * 4;
inline constexpr std::size_t max_field_bytes = 40000 * 4;
// What a reply repeats of someone's words: longer ones are shortened, saying so.
inline constexpr std::size_t max_echo_bytes = 600;

// Someone's words as a reply repeats them; the record keeps them whole.
inline std::string echo(const std::string& text) {
    return shorten_words(text, max_echo_bytes, " … (cut here; `timeline` or the export has it whole)");
}
// A user id as kept: longer ones are cut.
inline constexpr std::size_t max_user_bytes = 255;

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

}  // namespace firebreak::commands
