#pragma once
// Reading the named fields of a status update.
#include "bot/core/time.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace firebreak {

/// The fields of `update impact: … ; actions: … ; needs: … ; next: 30m`.
struct update_fields {
    std::string impact;
    std::string actions;
    std::string needs;
    std::optional<instant> next_at;   ///< when `next:` was given and understood
    std::string error;                ///< one line naming what was wrong and what was understood
};

/// Parses the text after `update`. `now` resolves relative and clock times; the
/// furthest accepted next-update time is 24 h ahead.
update_fields parse_update_fields(std::string_view text, instant now);

}  // namespace firebreak
