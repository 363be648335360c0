#pragma once
// The declared commands: name, usage, who may run it, help text, and the handler that
// runs it. The parser, the dispatcher and `help` read this table; nothing else defines
// a command.
#include <string_view>
#include <vector>

namespace firebreak {

struct parsed_command;
namespace commands {
struct context;
}

/// Runs one parsed command against the context the dispatcher prepared.
using command_handler = void (*)(commands::context&, const parsed_command&);

/// Who may run a command (beyond the per-case rules a handler applies, such as
/// replacing a commander who is still on shift).
enum class permission { anyone, commander_or_admin };

/// One subcommand of `/incident` / `!incident`.
struct command_spec {
    std::string_view name;
    std::string_view usage;        ///< e.g. "sev <1-4> <reason>"
    std::string_view summary;      ///< one line for `help`
    permission who = permission::anyone;
    /// Runs against one incident (implicit in its room): the dispatcher finds it, and
    /// checks visibility, on_closed and `who`, before the handler runs. Otherwise the
    /// handler runs as typed (declare, list, help).
    bool needs_incident = true;
    bool on_closed = false;        ///< allowed when the incident is closed
    std::vector<std::string_view> aliases;
    command_handler run = nullptr;
};

/// Every command, in the order `help` lists them.
const std::vector<command_spec>& command_specs();
/// The spec named `name` (or an alias of it), or nullptr.
const command_spec* find_command(std::string_view name);

/// The nudge kinds `snooze` accepts.
const std::vector<std::string_view>& nudge_kinds();

}  // namespace firebreak
