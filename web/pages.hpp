#pragma once
// The web view's pages as HTML, rendered on the server: the incident list, one incident's
// page, the sign-in page. Every piece of user text is escaped; the pages load only the
// view's own stylesheet and script (a strict Content-Security-Policy allows nothing else)
// and read the same with script off. Times are UTC; the script adds the reader's local time.
// Pure: the caller hands in the incidents, the record and the time.
#include "bot/core/incident.hpp"
#include "postmortem/draft.hpp"
#include "web/access.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::web {

/// The filters of the list, from its query string ("?status=identified&sev=1").
struct list_filter {
    std::optional<status> state;
    std::optional<severity> sev;
};
/// Reads the list's query; unknown or malformed values are ignored (no filter).
list_filter parse_list_filter(std::string_view query);

/// How many closed incidents the list shows after the open ones.
inline constexpr std::size_t recently_closed = 50;

/// The list: open incidents first (worst severity, then oldest), then the most recently
/// closed; `visible` holds only incidents the reader may see.
std::string list_page(const std::vector<const incident*>& visible, const list_filter& f, instant now, const reader& who);

/// What the incident page shows besides the record.
struct incident_extras {
    bool postmortem = false;   ///< a stored draft exists: link to its HTML, Markdown and JSON
    std::string chart_svg;     ///< the timeline chart, drawn by the caller (empty: none)
};

/// One incident's page: status line, roles with their shifts, status updates, hypotheses,
/// decisions, dead ends, action items, the whole timeline, the chart, the postmortem links.
std::string incident_page(const draft_source& src, const incident_extras& extras, instant now, const reader& who);

/// The sign-in page, with a one-line message ("That token is not valid.") or none.
std::string login_page(std::string_view message);

/// A short page for an error ("There is no INC-7 you can see.").
std::string message_page(std::string_view title, std::string_view message);

/// The Content-Security-Policy every page is served with.
inline constexpr std::string_view content_security_policy =
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The stylesheet and the script the pages load (/assets/view.css, /assets/view.js).
std::string_view stylesheet();
std::string_view script();

}  // namespace firebreak::web
