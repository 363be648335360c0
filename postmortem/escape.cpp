#include "postmortem/escape.hpp"

#include "bot/core/text.hpp"

namespace firebreak {

namespace {
constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
}

void append_xml_escaped(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x80) {
            // The common case, one ASCII byte at a time.
            switch (c) {
                case '&': out += "&amp;"; break;
                case '<': out += "&lt;"; break;
                case '>': out += "&gt;"; break;
                case '"': out += "&quot;"; break;
                case '\'': out += "&#39;"; break;
                default: out += c;
            }
            ++i;
            continue;
        }
        char32_t cp;
        std::size_t n = decode_utf8(text, i, cp);
        bool allowed = n > 0 && (cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r') && cp != 0xFFFE && cp != 0xFFFF;
        if (allowed) out.append(text.substr(i, n));
        else out += replacement;
        i += n == 0 ? 1 : n;
    }
}

std::string xml_escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    append_xml_escaped(out, text);
    return out;
}

std::string shortened(std::string_view text, std::size_t max_chars) {
    std::size_t i = 0, chars = 0;
    while (i < text.size() && chars < max_chars) {
        char32_t cp;
        std::size_t n = decode_utf8(text, i, cp);
        i += n == 0 ? 1 : n;
        ++chars;
    }
    if (i >= text.size()) return std::string(text);
    // Leave room for the ellipsis within the limit, on a character boundary.
    std::string out(text.substr(0, i));
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty()) out.pop_back();
    return out + "…";
}

}  // namespace firebreak
