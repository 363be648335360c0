#pragma once
// Making user text safe for each export format. Text in the model is cleaned on the way
// in, but a renderer must not trust that: a draft has to stay well-formed whatever the
// store holds (older rows, imports, bugs elsewhere).
#include "bot/core/text.hpp"  // decode_utf8, repaired_utf8

#include <cstddef>
#include <string>
#include <string_view>

namespace firebreak {

/// Escapes text for HTML and XML (SVG) content and quoted attribute values: & < > " ' become
/// character references, invalid UTF-8 and characters XML forbids (controls other than tab,
/// newline and carriage return; U+FFFE, U+FFFF) become U+FFFD.
std::string xml_escaped(std::string_view text);

/// Appends xml_escaped(text) to `out`.
void append_xml_escaped(std::string& out, std::string_view text);

/// At most `max_chars` code points of valid UTF-8 text, with "…" when cut.
std::string shortened(std::string_view text, std::size_t max_chars);

}  // namespace firebreak
