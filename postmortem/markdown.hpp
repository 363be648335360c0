#pragma once
// Markdown export of an incident: its facts and its full timeline. The postmortem
// draft (PRODUCT §6) builds on this.
#include "bot/core/incident.hpp"
#include "bot/core/timeline.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace firebreak {

/// Escapes text for a Markdown table cell: pipes, backticks, emphasis and HTML
/// characters, newlines as <br>.
std::string md_cell(std::string_view text);

/// Escapes text for a Markdown paragraph or list item.
std::string md_text(std::string_view text);

/// The incident and its whole timeline as Markdown.
std::string timeline_markdown(const incident& inc, const std::vector<timeline_entry>& entries);

}  // namespace firebreak
