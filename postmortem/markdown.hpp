#pragma once
// The postmortem draft in Markdown, the canonical format (PRODUCT §6): every section,
// with the facts written and prompts where people have to think.
#include "postmortem/document.hpp"
#include "postmortem/draft.hpp"

#include <string>
#include <string_view>

namespace firebreak {

/// Escapes text for a Markdown table cell: pipes, backticks, emphasis, links and HTML
/// characters, line breaks as <br>, so a cell never leaves its row.
std::string md_cell(std::string_view text);

/// Escapes text for a Markdown paragraph or list item: as md_cell, with line breaks kept
/// as hard breaks and anything that would start a block on a new line (list, heading,
/// quote) escaped.
std::string md_text(std::string_view text);

/// A draft document as Markdown (the chart block is left out: Markdown cannot draw it).
std::string render_markdown(const draft_document& doc);

/// The postmortem draft as Markdown.
std::string postmortem_markdown(const draft_source& src);

}  // namespace firebreak
