#pragma once
// The command handlers, grouped by theme, and the helpers the themes share. Each
// command_spec names its handler; apply() reaches the rest. Internal to commands/.
#include "commands/context.hpp"
#include "commands/parser.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::commands {

// ---- roles (roles.cpp) ---------------------------------------------------------------

void end_shift(incident&, shift& s, const user_ref& by, instant now);
shift* open_shift(incident& inc, role r, const user_ref* user = nullptr);
void start_shift(incident& inc, role r, const user_ref& u, std::string area, const user_ref& by, instant now);
// Severity and status from now on, for the chart of the postmortem.
void add_phase(incident& inc, const user_ref& by, instant now, std::string reason = {});
std::optional<user_ref> mention_arg(const parsed_command& c, std::size_t i);
void cmd_commander(context& cx, const parsed_command& c);
void cmd_handoff(context& cx, const parsed_command& c);
void cmd_scribe(context& cx, const parsed_command& c);
void cmd_sme(context& cx, const parsed_command& c);
void cmd_unassign(context& cx, const parsed_command& c);
void cmd_roles(context& cx, const parsed_command& c);

// ---- lifecycle (lifecycle.cpp) -------------------------------------------------------

void cmd_declare(context& cx, const parsed_command& c);
// What a new incident starts from, whoever declares it.
struct declaration {
    std::string title;          // cleaned, not empty
    severity sev = severity::sev2;
    user_ref commander;         // empty: nobody yet
    bool is_private = false;
    user_ref by;                // a person, or an alert sender (is_alert_sender)
    std::string origin;         // said after the severity: " from alert card A3"
};
// Opens the incident (the working copy in cx.inc), its room, the record's first line, the
// answer where it was asked and the announcement.
void declare_incident(context& cx, const declaration& d);
void cmd_sev(context& cx, const parsed_command& c);
void set_status(context& cx, status to);
void cmd_status(context& cx, const parsed_command& c);
void cmd_update(context& cx, const parsed_command& c);
void cmd_impact_started(context& cx, const parsed_command& c);
void cmd_detected(context& cx, const parsed_command& c);
void cmd_snooze(context& cx, const parsed_command& c);
// Whether the asker may run a commander's command on the incident.
bool may_lead(const context& cx);
void cmd_close(context& cx, const parsed_command& c);
void cmd_reopen(context& cx, const parsed_command& c);
void cmd_postmortem(context& cx, const parsed_command& c);

// ---- records (records.cpp) -----------------------------------------------------------

void add_hypothesis(context& cx, const std::string& text, bool from_tag);
// "H3" (any case) as 3.
std::optional<int> parse_h(std::string_view w);
// Closes H<n>; "" when done, else what to tell the asker.
std::string close_hypothesis(context& cx, int n, outcome result, const std::string& evidence, bool from_tag);
std::string note_label(note_kind k, bool capital);
void add_note(context& cx, note_kind k, const std::string& text, bool from_tag);
// Reads "<text> [@owner] [due YYYY-MM-DD]" into `a`; "" when it reads, else why not.
std::string parse_action(std::string_view rest, action_item& a);
void record_action(context& cx, action_item a, bool from_tag);
void cmd_hypothesis(context& cx, const parsed_command& c);
void cmd_confirm(context& cx, const parsed_command& c);
void cmd_rule_out(context& cx, const parsed_command& c);
void cmd_decision(context& cx, const parsed_command& c);
void cmd_deadend(context& cx, const parsed_command& c);
void cmd_change(context& cx, const parsed_command& c);
void cmd_action(context& cx, const parsed_command& c);
void cmd_timeline(context& cx, const parsed_command& c);
void cmd_list(context& cx, const parsed_command& c);
void cmd_help(context& cx, const parsed_command& c);

// ---- inline tags (inline_tags.cpp) and the records following edits (amendments.cpp) ---

// The first inline tag of a message, and the text with the tag word removed.
struct found_tag {
    std::string tag;
    std::string rest;
};
std::optional<found_tag> find_tag(std::string_view raw);
// Records what a tag says (the message itself is recorded already).
void apply_tag(context& cx, const found_tag& t);
// The tag a timeline row keeps for it ("ruled-out"), "" for none.
std::string tag_of(const std::optional<found_tag>& t);
// A person's message in a room: recorded if the room is an incident room, and read for tags.
void on_message(context& cx);
// An edit, deletion or highlight of a message in an incident room.
void on_amend(context& cx, timeline_amendment::what op);

// ---- alerts (alert_cards.cpp) ----------------------------------------------------------

// An alert event: joins its group's card or opens one (declaring at once when routed so).
void on_alert(context& cx);
void cmd_declare_from(context& cx, const parsed_command& c);
void cmd_attach(context& cx, const parsed_command& c);
void cmd_dismiss(context& cx, const parsed_command& c);

// ---- dispatch (dispatcher.cpp) -------------------------------------------------------

// Parses and runs one command typed (or pressed, or submitted) by a person.
void run_command(context& cx, std::string_view text);

}  // namespace firebreak::commands
