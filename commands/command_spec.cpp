#include "commands/command_spec.hpp"
#include "commands/handlers.hpp"
#include "commands/nudges.hpp"

#include "bot/core/text.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace firebreak {

const std::vector<command_spec>& command_specs() {
    static const std::vector<command_spec> specs = {
        {"declare", "declare <title> [--sev N] [--commander @user] [--private]",
         "open an incident with its own room; you become commander unless told otherwise",
         permission::anyone, false, false, {}, commands::cmd_declare},
        {"declare-from", "declare-from <card> [--sev N] [--commander @user] [--private]",
         "declare an incident from alert card A<n>: its title, severity and alerts; you become commander",
         permission::anyone, false, false, {}, commands::cmd_declare_from},
        {"attach", "attach <card> [INC-n]",
         "attach alert card A<n> to an incident (this room's unless named): its alerts go on the record",
         permission::anyone, false, false, {}, commands::cmd_attach},
        {"dismiss", "dismiss <card>", "dismiss alert card A<n>: nothing to do; later alerts of its group join it quietly",
         permission::anyone, false, false, {}, commands::cmd_dismiss},
        {"commander", "commander @user", "make @user the incident commander (ends the previous shift)",
         permission::anyone, true, false, {"ic"}, commands::cmd_commander},
        {"scribe", "scribe @user", "make @user the scribe (ends the previous shift)", permission::anyone,
         true, false, {}, commands::cmd_scribe},
        {"sme", "sme @user [area]", "add @user as a subject-matter expert, e.g. `sme @dana database`",
         permission::anyone, true, false, {}, commands::cmd_sme},
        {"handoff", "handoff @user", "hand the commander role to @user with a briefing",
         permission::commander_or_admin, true, false, {}, commands::cmd_handoff},
        {"unassign", "unassign commander|scribe|sme @user",
         "end a shift; a commander may step down, leaving the role open", permission::anyone, true,
         false, {}, commands::cmd_unassign},
        {"sev", "sev <1-4> <reason>", "change severity; a reason is required", permission::anyone, true,
         false, {"severity"}, commands::cmd_sev},
        {"status", "status identified|mitigated|resolved", "move the incident forward in its lifecycle",
         permission::anyone, true, false, {}, commands::cmd_status},
        {"update", "update impact: … ; actions: … ; needs: … ; next: 30m",
         "post the templated status update (fields separated by ';' or one per line)",
         permission::anyone, true, false, {}, commands::cmd_update},
        {"impact-started", "impact-started <HH:MM | HH:MM+02:00 | YYYY-MM-DD HH:MM>",
         "record when impact started (UTC unless an offset is given)", permission::anyone, true, false,
         {}, commands::cmd_impact_started},
        {"detected", "detected <HH:MM | HH:MM+02:00 | YYYY-MM-DD HH:MM>",
         "record when the problem was detected (UTC unless an offset is given)", permission::anyone, true,
         false, {}, commands::cmd_detected},
        {"hypothesis", "hypothesis <text>", "record a hypothesis (H1, H2, …)", permission::anyone, true,
         false, {}, commands::cmd_hypothesis},
        {"confirm", "confirm H<n> [evidence]", "mark a hypothesis confirmed", permission::anyone, true,
         false, {}, commands::cmd_confirm},
        {"rule-out", "rule-out H<n> [evidence]", "mark a hypothesis ruled out (also a dead end)",
         permission::anyone, true, false, {"ruleout", "rule_out"}, commands::cmd_rule_out},
        {"decision", "decision <text>", "record a decision", permission::anyone, true, false, {}, commands::cmd_decision},
        {"deadend", "deadend <text>", "record a dead end", permission::anyone, true, false,
         {"dead-end"}, commands::cmd_deadend},
        {"change", "change <text>", "record a change made to production", permission::anyone, true,
         false, {}, commands::cmd_change},
        {"action", "action <text> [@owner] [due YYYY-MM-DD]", "record a follow-up action item",
         permission::anyone, true, true, {}, commands::cmd_action},
        {"timeline", "timeline [N]", "show the last N timeline entries (default 10, at most 50)",
         permission::anyone, true, true, {}, commands::cmd_timeline},
        {"roles", "roles", "who holds which role, and for how long", permission::anyone, true, true, {}, commands::cmd_roles},
        {"snooze", "snooze <commander|scribe|update|rotation|hypothesis|rollback|close> <duration>",
         "quiet one kind of nudge for this incident, e.g. `snooze update 30m`", permission::anyone, true,
         false, {}, commands::cmd_snooze},
        {"close", "close", "close a resolved incident and draft the postmortem",
         permission::commander_or_admin, true, false, {}, commands::cmd_close},
        {"reopen", "reopen <reason>", "return a resolved or closed incident to investigating",
         permission::commander_or_admin, true, true, {}, commands::cmd_reopen},
        {"postmortem", "postmortem", "(re)generate and post the postmortem draft", permission::anyone,
         true, true, {}, commands::cmd_postmortem},
        {"list", "list", "open incidents: id, severity, status, commander, age, last update",
         permission::anyone, false, true, {}, commands::cmd_list},
        {"help", "help [command]", "show commands, or the usage of one", permission::anyone, false, true,
         {}, commands::cmd_help},
    };
    return specs;
}

const command_spec* find_command(std::string_view name) {
    std::string n = ascii_lower(name);
    for (const auto& s : command_specs()) {
        if (s.name == n) return &s;
        for (auto a : s.aliases)
            if (a == n) return &s;
    }
    return nullptr;
}

const std::vector<std::string_view>& nudge_kinds() {
    static const std::vector<std::string_view> kinds = [] {
        std::vector<std::string_view> names;
        for (auto k : all_nudge_kinds) names.push_back(to_string(k));
        return names;
    }();
    return kinds;
}

}  // namespace firebreak
