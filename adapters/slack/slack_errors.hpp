#pragma once
// Slack's error codes (ok:false) as the core's error kinds, and which of them mean the
// token itself is no good.
#include "bot/core/ports.hpp"

#include <string_view>

namespace firebreak::slack {

/// Maps a Slack error code (ok:false) to the core's kinds.
error_kind classify(std::string_view error);

/// Whether an error code means the token itself is no good (stop, do not retry).
bool fatal_auth_error(std::string_view error);

}  // namespace firebreak::slack
