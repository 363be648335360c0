#pragma once
// How the store keeps a rich_text (outbox bodies): compact and lossless,
// "<style><len>:<text>" per span ("r<len>:<name><len>:<id>" for a room link), then
// "a<len>:<label><len>:<command>" per button; an encoding without buttons is the old one.
#include "bot/core/rich_text.hpp"

#include <string>
#include <string_view>

namespace firebreak {

/// The stored form of `t`.
std::string encode_rich_text(const rich_text& t);
/// Reverses encode_rich_text(); a malformed input yields its whole text as one plain span.
rich_text decode_rich_text(std::string_view s);

}  // namespace firebreak
