#pragma once
// firebreak's Slack forms: the declare and status-update modals a bare "declare" or "update"
// opens, and the command a submitted form stands for.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace firebreak::slack {

/// callback_id of the declare form.
inline constexpr std::string_view declare_form = "firebreak_declare";
/// callback_id of the status-update form.
inline constexpr std::string_view update_form = "firebreak_update";

/// The form a command typed without arguments asks for: declare_form for "declare",
/// update_form for "update" (trimmed, any case); "" for anything else.
std::string_view form_for(std::string_view command_text);

/// The modal for a form (declare_form or update_form), remembering `channel` (where the
/// command was typed and where the submission runs) in private_metadata. `default_sev`
/// (1-4) is the severity the declare form starts at.
boost::json::object form_view(std::string_view callback_id, std::string_view channel, int default_sev = 2);

/// The views.open arguments ({trigger_id, view}) that answer a slash command typed as
/// "declare" or "update" alone; nullopt when the command is anything else or has no trigger_id.
std::optional<boost::json::object> form_request(const boost::json::object& slash_payload, int default_sev = 2);

/// The command a submitted form stands for, read from view.state.values.<block>.<action>:
/// "declare <title> --sev N [--private]" or "update impact: …; actions: …; needs: …; next: …"
/// (only the fields given). Nullopt, with `error`, when the view is not a firebreak form or
/// lacks what it requires.
std::optional<std::string> submission_command(const boost::json::object& view, std::string& error);

}  // namespace firebreak::slack
