#pragma once
// The postmortem draft as JSON: the whole incident record in a versioned schema
// ("firebreak.postmortem", version 1) described field by field in postmortem/SCHEMA.md.
#include "postmortem/draft.hpp"

#include <string>
#include <string_view>

namespace firebreak {

/// The value of the "schema" field.
inline constexpr std::string_view postmortem_schema = "firebreak.postmortem";
/// The value of the "version" field; raised on any change a reader could trip over.
inline constexpr int postmortem_schema_version = 1;

/// The postmortem draft as a JSON document (UTF-8, two-space indented, fields in a fixed order).
std::string postmortem_json(const draft_source& src);

}  // namespace firebreak
