#pragma once
// The postmortem draft of PRODUCT §6: what every format is rendered from, and the
// facts derived once for all of them (participants, dead ends, root cause, span).
// Pure: no I/O, no clock; the runtime reads the store and hands the record in.
#include "bot/core/alert_card.hpp"
#include "bot/core/incident.hpp"
#include "bot/core/rich_text.hpp"
#include "bot/core/timeline.hpp"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace firebreak {

/// The earlier texts of one edited timeline entry, oldest first: (when replaced, text).
using earlier_versions = std::vector<std::pair<instant, std::string>>;

/// Everything a postmortem draft is rendered from.
struct draft_source {
    incident inc;                                     ///< the incident as it stands
    std::vector<timeline_entry> entries;              ///< its whole timeline, in order
    std::map<std::int64_t, earlier_versions> edits;   ///< timeline seq -> earlier texts
    /// User id -> display name, for the people known on the incident's platforms (empty
    /// when none is known, as on the console). Keyed by id alone: ids of different
    /// platforms do not collide in practice (Slack "U…", Matrix "@…:server").
    std::map<std::string, std::string> names;
    /// The alert cards declared into or attached to the incident, with their alerts.
    std::vector<alert_card> cards;
};

/// One person who spoke in the incident room or held a role in it.
struct participant {
    user_ref user;
    std::int64_t messages = 0;   ///< message entries they wrote (deleted ones included)
    std::vector<role> roles;     ///< roles they held, each once, in order of first shift
};

/// A path the responders tried and left: a dead-end note or a ruled-out hypothesis.
struct dead_end {
    instant at{};
    user_ref author;
    std::string text;
    int hypothesis = 0;          ///< H<n> when it was a ruled-out hypothesis, else 0
    std::string evidence;
};

/// Facts derived from a draft source, shared by every format.
struct draft_facts {
    std::vector<participant> participants;    ///< most messages first, then by name
    std::vector<dead_end> dead_ends;          ///< in time order
    std::vector<const hypothesis*> confirmed; ///< the root-cause candidates, in order
    severity worst = severity::sev4;          ///< the highest severity the incident reached
    instant start{};                          ///< earliest recorded instant (chart start)
    instant end{};                            ///< latest recorded instant (chart end, "as of")
};

/// The display name of a user when one is known and says more than the id.
std::optional<std::string> display_name_of(const draft_source& src, const user_ref& user);

/// A person as every format writes them: "Maya (@U0MAYA)" when a display name is known,
/// else "@U0MAYA" exactly as without names.
std::string person(const draft_source& src, const user_ref& user);

/// `text` with every "@id" of a person whose display name is known written as person()
/// writes them ("@U0MAYA" -> "Maya (@U0MAYA)"); for firebreak's own records, which name
/// people by id. An id is matched whole: "@U0MAYAX" is not "@U0MAYA".
std::string with_names(const draft_source& src, std::string_view text);

/// Derives the shared facts; the pointers in `confirmed` point into `src.inc`.
draft_facts facts_of(const draft_source& src);

/// The section headings of a draft after its title, in order; every format has each one.
inline constexpr std::array<std::string_view, 13> draft_sections{
    "Summary",          "Impact",         "Key times and metrics", "Roles and participants",
    "What changed",     "Hypotheses",     "Decisions",             "Dead ends",
    "Status updates sent", "Timeline",    "Action items",          "Contributing factors",
    "What went well, what went poorly, where we got lucky"};

/// The note at the top of every draft saying what kind of document it is.
inline constexpr std::string_view blameless_note =
    "This is a blameless postmortem draft. It describes what happened and how our systems and "
    "processes behaved, not who is to blame: everyone acted on what they knew at the time. "
    "firebreak wrote the facts from the incident record; the analysis is for the people who were there.";

/// The notes of one kind, in the order they were recorded.
std::vector<const note*> notes_of(const incident& inc, note_kind kind);

/// "2h 31m from impact start to close" or "open for 14m" — how long the incident lasted.
std::string duration_phrase(const incident& inc, const draft_facts& f);

/// The few lines posted in the incident room with the draft: title, severity, duration,
/// root cause when a hypothesis was confirmed.
rich_text postmortem_summary(const draft_source& src);

/// File name of a draft in a format: "INC-3-postmortem.md".
std::string postmortem_filename(incident_id id, std::string_view format);

}  // namespace firebreak
