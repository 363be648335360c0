#pragma once
// Splits the text of a command ("sev 1 checkout down") into its spec, an
// optional explicit incident and its arguments.
#include "commands/command_spec.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak {

/// A command whose name was recognised.
struct parsed_command {
    const command_spec* spec = nullptr;
    std::optional<std::int64_t> incident;  ///< "INC-7" given before or right after the name
    std::vector<std::string> args;         ///< whitespace-separated words after the name
    std::string rest;                      ///< the text after the name (and incident), trimmed
};

/// The outcome of parsing: a command, or a one-line answer for the person.
struct parse_result {
    std::optional<parsed_command> command;
    std::string error;
};

/// Parses the text after the command prefix. Unknown or empty names give an error
/// that lists the closest commands and points to `help`.
parse_result parse_command(std::string_view text);

/// Reads "INC-7" (any case); nullopt otherwise.
std::optional<std::int64_t> parse_incident_ref(std::string_view word);

/// Reads "@user" (adapters hand mentions over in this form); nullopt otherwise.
std::optional<std::string> parse_user_mention(std::string_view word);

/// Whether a message is a command: it starts with `prefix` (any case) followed by the
/// end, a space or a newline.
bool is_command_text(std::string_view text, std::string_view prefix);

/// Splits on ASCII whitespace.
std::vector<std::string> split_words(std::string_view text);

/// Trims ASCII whitespace on both ends.
std::string_view trim(std::string_view s);

}  // namespace firebreak
