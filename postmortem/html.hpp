#pragma once
// The postmortem draft as one self-contained HTML page: inline CSS (print styles
// included), the SVG timeline chart inline, no external requests of any kind. The page
// is also well-formed XML, so XML tools can check and transform it.
#include "postmortem/document.hpp"
#include "postmortem/draft.hpp"

#include <string>
#include <string_view>

namespace firebreak {

/// Escapes text for HTML element content, with line breaks as <br/> (attributes take xml_escaped).
std::string html_text(std::string_view text);

/// A draft document as an HTML page; `chart_svg` is placed where the document has its chart.
std::string render_html(const draft_document& doc, std::string_view chart_svg);

/// The postmortem draft as an HTML page.
std::string postmortem_html(const draft_source& src);

}  // namespace firebreak
