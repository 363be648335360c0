#pragma once
// The declared commands: name, usage, who may run it, help text. Handlers and
// the help command read this table; nothing else defines a command.
#include <string_view>
#include <vector>

namespace firebreak {

/// Who may run a command (beyond the per-case rules a handler applies, such as
/// replacing a commander who is still on shift).
enum class permission { anyone, commander_or_admin };

/// One subcommand of `/incident` / `!incident`.
struct command_spec {
    std::string_view name;
    std::string_view usage;        ///< e.g. "sev <1-4> <reason>"
    std::string_view summary;      ///< one line for `help`
    permission who = permission::anyone;
    bool needs_incident = true;    ///< runs against one incident (implicit in its room)
    bool on_closed = false;        ///< allowed when the incident is closed
    std::vector<std::string_view> aliases;
};

/// Every command, in the order `help` lists them.
const std::vector<command_spec>& command_specs();
/// The spec named `name` (or an alias of it), or nullptr.
const command_spec* find_command(std::string_view name);

/// The nudge kinds `snooze` accepts.
const std::vector<std::string_view>& nudge_kinds();

}  // namespace firebreak
