#pragma once
// The timeline chart of a postmortem draft as inline SVG: lifecycle bands, severity over
// time, status updates, one swimlane per person and role, milestones, a UTC time axis.
#include "postmortem/draft.hpp"

#include <chrono>
#include <string>

namespace firebreak {

/// Spacing of the time axis ticks for a chart spanning `span`: a round step (1 min, 5 min,
/// 15 min, 1 h, 1 day, ...) giving at most ten ticks.
duration tick_step(duration span);

/// The chart as a standalone SVG element (well-formed XML, no external references).
std::string timeline_chart_svg(const draft_source& src, const draft_facts& facts);

}  // namespace firebreak
