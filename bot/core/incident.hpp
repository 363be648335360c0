#pragma once
// The incident model: lifecycle, severity, milestones, roles as shifts,
// hypotheses, typed notes, action items, status updates.
#include "bot/core/ids.hpp"
#include "bot/core/time.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak {

/// SEV1 (worst) .. SEV4.
enum class severity { sev1 = 1, sev2 = 2, sev3 = 3, sev4 = 4 };
/// "SEV2".
std::string to_string(severity s);
/// Reads "1", "sev1", "SEV1"; nullopt otherwise.
std::optional<severity> parse_severity(std::string_view text);

/// Lifecycle; forward skips are allowed, `reopen` returns to investigating.
enum class status { investigating, identified, mitigated, resolved, closed };
/// "investigating".
std::string to_string(status s);
/// "Investigating".
std::string to_title(status s);
/// Reads a status name; nullopt otherwise.
std::optional<status> parse_status(std::string_view text);

/// The roles a person can hold in an incident.
enum class role { commander, scribe, sme };
/// "commander".
std::string to_string(role r);
/// Reads a role name; nullopt otherwise.
std::optional<role> parse_role(std::string_view text);

/// One person holding one role for a span of time.
struct shift {
    role held = role::commander;
    user_ref user;
    std::string area;                 ///< SME area, e.g. "database"
    instant start{};
    std::optional<instant> end;       ///< open while unset
    user_ref assigned_by;
    user_ref ended_by;
    bool operator==(const shift&) const = default;
    bool open() const { return !end.has_value(); }
};

/// The stored UTC instants of an incident's life.
struct milestones {
    std::optional<instant> impact_started;
    std::optional<instant> detected;
    instant declared{};
    std::optional<instant> commander_assigned;
    std::optional<instant> identified;
    std::optional<instant> mitigated;
    std::optional<instant> resolved;
    std::optional<instant> closed;
    bool operator==(const milestones&) const = default;
};

/// How a hypothesis ended.
enum class outcome { open, confirmed, ruled_out };
/// "open", "confirmed", "ruled out".
std::string to_string(outcome o);

/// A hypothesis H<n>.
struct hypothesis {
    int n = 0;
    std::string text;
    user_ref opened_by;
    instant opened_at{};
    outcome result = outcome::open;
    std::optional<instant> closed_at;
    user_ref closed_by;
    std::string evidence;
    message_id source;             ///< the tagged message that opened it (empty: a command)
    message_id closed_source;      ///< the tagged message that closed it (empty: a command)
    /// Its message was deleted (or lost the tag) before anything referred to it: it is gone
    /// from every view, and keeps its number so H<n> never means two things.
    bool withdrawn = false;
    /// Its message was deleted after it was confirmed or ruled out: it stays, numbered,
    /// without the deleted words.
    bool source_deleted = false;
    bool operator==(const hypothesis&) const = default;
};

/// What a hypothesis says on the record: its text, or a note that its message was deleted.
std::string shown_text(const hypothesis& h);

/// Kinds of typed entry a scribe records.
enum class note_kind { decision, deadend, change, impact, mitigation };
/// "decision", "deadend", ...
std::string to_string(note_kind k);
/// Reads a note kind name; nullopt otherwise.
std::optional<note_kind> parse_note_kind(std::string_view text);

/// A typed entry (decision, dead end, change, impact, mitigation).
struct note {
    note_kind kind = note_kind::decision;
    std::string text;
    user_ref author;
    instant at{};
    message_id source;             ///< the tagged message it came from (empty: a command)
    bool operator==(const note&) const = default;
};

/// A follow-up action item A<n>.
struct action_item {
    int n = 0;
    std::string text;
    user_ref owner;                ///< may be empty
    std::string due;               ///< YYYY-MM-DD or empty
    user_ref created_by;
    instant at{};
    message_id source;             ///< the tagged message it came from (empty: a command)
    bool withdrawn = false;        ///< its message was deleted; keeps its number, shown nowhere
    bool operator==(const action_item&) const = default;
};

/// A templated status update as posted.
struct status_update {
    instant at{};
    user_ref author;
    std::string impact;
    std::string actions;
    std::string needs;
    instant next_at{};
    bool operator==(const status_update&) const = default;
};

/// One step of the incident's severity and lifecycle: what it was from `at` on. The
/// first is the declaration; each severity change, status change and reopen adds one.
struct phase {
    instant at{};
    severity sev = severity::sev2;
    status state = status::investigating;
    user_ref by;
    std::string reason;            ///< why the severity changed, or why it was reopened
    bool operator==(const phase&) const = default;
};

/// How far one nudge sequence has gone. Committed with the nudge itself, so a restart
/// neither repeats nor skips a step.
struct nudge_mark {
    int sent = 0;                  ///< nudges of this sequence sent so far
    instant first{};               ///< when the first one was sent
    instant last{};                ///< when the last one was sent
    bool operator==(const nudge_mark&) const = default;
};

/// One incident and everything the core needs to decide about it.
struct incident {
    incident_id id;
    std::string title;
    severity sev = severity::sev2;
    status state = status::investigating;
    bool is_private = false;
    user_ref declared_by;
    room_ref declared_in;                       ///< where `declare` was typed
    std::vector<room_ref> rooms;                ///< dedicated rooms, one per platform
    milestones times;
    std::vector<shift> shifts;                  ///< full history, in order of start
    std::vector<hypothesis> hypotheses;
    std::vector<note> notes;
    std::vector<action_item> actions;
    std::vector<status_update> updates;
    std::vector<phase> history;                 ///< severity and status over time, oldest first
    std::map<std::string, instant> snoozed_until;  ///< nudge kind -> until
    std::map<std::string, nudge_mark> nudges;   ///< nudge sequence key -> progress
    std::optional<instant> next_update_due;
    std::int64_t message_count = 0;             ///< human messages recorded
    /// Who is in the incident's rooms as far as firebreak knows: everyone it invited
    /// (role holders, the declarer) and everyone the platform said joined, less those
    /// who left or were removed. Decides who may see a private incident (visibility.hpp).
    std::set<user_ref> members;
    bool operator==(const incident&) const = default;

    /// The open shift of the commander, if any.
    const shift* commander() const;
    /// The open shift of the scribe, if any.
    const shift* scribe() const;
    /// Open SME shifts.
    std::vector<const shift*> smes() const;
    /// Whether the incident is past `resolved`-or-earlier (i.e. closed).
    bool is_closed() const { return state == status::closed; }
    /// The room of this incident on a platform, if it has one there.
    std::optional<room_ref> room_on(std::string_view platform) const;
    /// Whether `r` is one of this incident's own rooms.
    bool owns_room(const room_ref& r) const;
    /// Hypotheses still on the record (not withdrawn), in order.
    std::vector<const hypothesis*> live_hypotheses() const;
    /// Action items still on the record (not withdrawn), in order.
    std::vector<const action_item*> live_actions() const;
};

/// The derived times of PRODUCT §1. Spans start at impact start when it is known,
/// else at detection, else at declaration; each is unset until its end milestone is.
struct incident_metrics {
    std::optional<duration> to_declare;   ///< start → declared
    std::optional<duration> to_assign;    ///< declared → commander assigned
    std::optional<duration> to_mitigate;  ///< start → mitigated
    std::optional<duration> to_resolve;   ///< start → resolved
    std::optional<duration> total;        ///< start → closed
    std::optional<duration> declared_to_mitigate;  ///< declared → mitigated
    std::optional<duration> declared_to_resolve;   ///< declared → resolved
    std::optional<duration> declared_to_close;     ///< declared → closed
};

/// Computes the derived times of an incident.
incident_metrics metrics_of(const incident& inc);

}  // namespace firebreak
