#include "postmortem/escape.hpp"

namespace firebreak {

namespace detail {

std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b0 = byte(i);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    // Lead byte ranges and the allowed range of the first continuation byte (RFC 3629
    // table): this rejects overlong forms, surrogates and code points above U+10FFFF.
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
    else if (b0 == 0xE0) len = 3, lo = 0xA0;
    else if (b0 >= 0xE1 && b0 <= 0xEC) len = 3;
    else if (b0 == 0xED) len = 3, hi = 0x9F;
    else if (b0 >= 0xEE && b0 <= 0xEF) len = 3;
    else if (b0 == 0xF0) len = 4, lo = 0x90;
    else if (b0 >= 0xF1 && b0 <= 0xF3) len = 4;
    else if (b0 == 0xF4) len = 4, hi = 0x8F;
    else return 0;
    if (i + len > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < len; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    char32_t v = b0 & (0xFF >> (len + 1));
    for (std::size_t k = 1; k < len; ++k) v = (v << 6) | (byte(i + k) & 0x3F);
    cp = v;
    return len;
}

}  // namespace detail

namespace {
constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
}

std::string repaired_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp;
        std::size_t n = detail::decode_utf8(text, i, cp);
        if (n == 0) {
            out += replacement;
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
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
        std::size_t n = detail::decode_utf8(text, i, cp);
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
        std::size_t n = detail::decode_utf8(text, i, cp);
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
