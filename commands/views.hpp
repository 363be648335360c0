#pragma once
// How firebreak's messages read: kickoff, status update template, handoff
// briefing, roles, list, timeline, help, nudges. Pure functions over the model.
#include "bot/core/engine_state.hpp"
#include "bot/core/rich_text.hpp"
#include "commands/command_spec.hpp"
#include "commands/nudges.hpp"

#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace firebreak {

/// The one-line status mirrored into the room topic:
/// "INC-42 · SEV1 · Mitigated — Checkout errors | Commander @a | Scribe @b | Next update 15:10 UTC",
/// with "(overdue)" after a next-update time that has come (`now`). Role holders are
/// mentions: topics render no mentions, so delivery spells them as display names.
rich_text status_view(const incident& inc, instant now);

/// status_view as plain text (mentions as "@id").
std::string status_line(const incident& inc, instant now);

/// The kickoff message posted in a new incident room, with buttons for the common next
/// steps (take the scribe role, move the status, show roles and the timeline).
rich_text kickoff_view(const incident& inc, instant now, const std::string& prefix);

/// The fixed status-update template a manager reads in seconds.
rich_text update_view(const incident& inc, const status_update& u);

/// The handoff briefing: status, severity, impact, hypotheses, ruled-out paths,
/// decisions, roles, open action items, next update due.
rich_text briefing_view(const incident& inc, instant now);

/// Who holds which role, since when and for how long.
rich_text roles_view(const incident& inc, instant now);

/// An incident's title for derived lines (topics, announcements, headers): whole when
/// short, else cut at a word boundary with "…". The record keeps it whole.
std::string short_title(const incident& inc);

/// The open incidents `visible` admits. A private one shows only its id, severity and
/// status, as the announcement room does: the list may be read by a whole room.
rich_text list_view(const engine_state& state, instant now, const std::function<bool(const incident&)>& visible);

/// The last entries of a timeline.
rich_text timeline_view(const incident& inc, const std::deque<timeline_entry>& tail, std::size_t n);

/// The command list, or one command's usage.
rich_text help_view(const command_spec* spec, const std::string& prefix);

/// "Usage: !incident sev <1-4> <reason>".
rich_text usage_view(const command_spec& spec, const std::string& prefix, const std::string& problem);

/// What one nudge says: to the incident room, to the timeline, and (escalations) to the
/// announcement room.
struct nudge_texts {
    rich_text room;                                 ///< the message in the incident room
    std::string record;                             ///< the timeline line, e.g. "update nudge: status update due"
    std::optional<rich_text> announcement;          ///< escalations: what the announcement room is told
    std::optional<rich_text> private_announcement;  ///< what it says of a private incident instead (the id only)
};

/// The texts of nudge `n` on `inc` at `now`, under the severity's timing `t`, with commands
/// spelled with `prefix`. `stakeholders_told`: an escalation reaches an announcement room,
/// so the room and the record may say so.
nudge_texts nudge_view(const incident& inc, const nudge& n, instant now, const nudge_timing& t,
                       const std::string& prefix, bool stakeholders_told);

}  // namespace firebreak
