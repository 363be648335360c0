#pragma once
// The production side of the binary: `check-config` now, `run` as the platform
// adapters land. Each returns the process exit code.
#include "bot/runtime/config.hpp"

#include <iosfwd>
#include <string>

namespace firebreak {

/// Validates a config file offline and prints what it would run, secrets shown only
/// by where they come from. 0 when usable, 2 otherwise (every problem on `err`).
int run_check_config(const std::string& path, const env_lookup& env, std::ostream& out, std::ostream& err);

}  // namespace firebreak
