#include "bot/core/text.hpp"

#include <cctype>

namespace firebreak {

namespace {

}  // namespace

std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) { cp = b; return 1; }
    std::size_t n;
    char32_t min;
    if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1F; min = 0x80; }
    else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0F; min = 0x800; }
    else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07; min = 0x10000; }
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";
constexpr std::string_view cut_marker = "… [cut]";

std::string clean(std::string_view in, std::size_t max_bytes, bool one_line) {
    std::string out;
    out.reserve(std::min(in.size(), max_bytes) + 8);
    bool cut = false;
    for (std::size_t i = 0; i < in.size();) {
        char32_t cp = 0;
        std::size_t n = decode_utf8(in, i, cp);
        std::string_view piece;
        std::string tmp;
        if (n == 0) {
            piece = replacement;
            n = 1;
        } else if (cp == '\n' || cp == '\t' || cp == '\r') {
            if (cp == '\r') { i += n; continue; }
            tmp = one_line ? " " : std::string(1, char(cp));
            piece = tmp;
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029 ||
                   (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
            // C0/C1 controls, line separators and bidi overrides can hide or reorder text.
            i += n;
            continue;
        } else {
            piece = in.substr(i, n);
        }
        if (out.size() + piece.size() > max_bytes) {
            cut = true;
            break;
        }
        out.append(piece);
        i += n;
    }
    if (one_line) {
        std::size_t b = out.find_first_not_of(' ');
        std::size_t e = out.find_last_not_of(' ');
        out = b == std::string::npos ? std::string{} : out.substr(b, e - b + 1);
        std::string squeezed;
        for (char c : out)
            if (!(c == ' ' && !squeezed.empty() && squeezed.back() == ' ')) squeezed += c;
        out = std::move(squeezed);
    }
    if (cut) out.append(cut_marker);
    return out;
}

}  // namespace

std::string clean_text(std::string_view in, std::size_t max_bytes) { return clean(in, max_bytes, false); }
std::string clean_line(std::string_view in, std::size_t max_bytes) { return clean(in, max_bytes, true); }

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return out;
}

std::size_t append_repaired_char(std::string& out, std::string_view text, std::size_t i) {
    char32_t cp;
    std::size_t n = decode_utf8(text, i, cp);
    if (n == 0) {
        out += replacement;
        return 1;
    }
    out.append(text.substr(i, n));
    return n;
}

std::string repaired_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) i += append_repaired_char(out, text, i);
    return out;
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp;
        auto n = decode_utf8(s, i, cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

namespace {

// U+00C0-U+017F as ASCII: one letter each, '*' for those spelled with two (looked up in
// two_letter_latin), ' ' for the signs that are no letter (× and ÷).
constexpr std::string_view latin_fold =
    "AAAAAA*CEEEEIIIIDNOOOOO OUUUUY**"  // U+00C0
    "aaaaaa*ceeeeiiiidnooooo ouuuuy*y"  // U+00E0
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi**JjKkkLlLlLlL"  // U+0100
    "lLlNnNnNnnNnOoOoOo**RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";  // U+0140

std::string_view two_letter_latin(char32_t cp) {
    switch (cp) {
        case 0xC6: return "AE";
        case 0xE6: return "ae";
        case 0xDE: return "TH";
        case 0xFE: return "th";
        case 0xDF: return "ss";
        case 0x132: return "IJ";
        case 0x133: return "ij";
        case 0x152: return "OE";
        case 0x153: return "oe";
        default: return "";
    }
}

}  // namespace

std::string fold_to_ascii(std::string_view in) {
    static_assert(latin_fold.size() == 0x180 - 0xC0);
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size();) {
        char32_t cp = 0;
        std::size_t n = static_cast<unsigned char>(in[i]) < 0x80 ? 0 : decode_utf8(in, i, cp);
        if (n == 0) {
            out += in[i++];
            continue;
        }
        if (cp >= 0x300 && cp <= 0x36F) {
            // A combining accent (text typed decomposed): the letter before it stays.
        } else if (cp >= 0xC0 && cp < 0x180 && latin_fold[cp - 0xC0] != ' ') {
            char c = latin_fold[cp - 0xC0];
            if (c == '*') out += two_letter_latin(cp);
            else out += c;
        } else {
            out.append(in.substr(i, n));
        }
        i += n;
    }
    return out;
}

std::string slugify(std::string_view raw_title, std::size_t max_len) {
    std::string out;
    bool dash = false;
    const std::string title = fold_to_ascii(raw_title);
    for (unsigned char c : title) {
        if (std::isalnum(c) && c < 0x80) {
            if (dash && !out.empty()) out += '-';
            dash = false;
            if (out.size() > max_len) break;  // one past the bound: then it is known to be cut
            out += char(std::tolower(c));
        } else {
            dash = true;
        }
    }
    if (out.size() > max_len) {
        // Cut at a word boundary where one keeps at least half of the room.
        auto dash = out.rfind('-', max_len);
        out.resize(dash != std::string::npos && dash > max_len / 2 ? dash : max_len);
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out;
}

std::string cut_utf8(std::string s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return s;
    s.resize(max_bytes);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
    return s;
}

std::string shorten_words(std::string_view text, std::size_t max_bytes, std::string_view tail) {
    if (text.size() <= max_bytes) return std::string(text);
    std::size_t room = max_bytes > tail.size() ? max_bytes - tail.size() : 0;
    std::size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    // Back to the last space, unless that would lose more than half of what fits.
    auto space = text.substr(0, cut + 1).find_last_of(" \n\t");
    if (space != std::string_view::npos && space > room / 2) cut = space;
    std::string out(text.substr(0, cut));
    while (!out.empty() && (out.back() == ' ' || out.back() == ',' || out.back() == ';' || out.back() == ':' ||
                            out.back() == '-' || out.back() == '\n'))
        out.pop_back();
    out += tail;
    return out;
}

std::string fold_invisible(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
    for (std::size_t i = 0; i < in.size();) {
        const unsigned char c = at(i);
        if (c == 0xC2 && i + 1 < in.size()) {
            if (at(i + 1) == 0xA0) { out += ' '; i += 2; continue; }   // U+00A0 no-break space
            if (at(i + 1) == 0xAD) { i += 2; continue; }               // U+00AD soft hyphen
        }
        if (c == 0xE2 && i + 2 < in.size()) {
            const unsigned char b1 = at(i + 1), b2 = at(i + 2);
            if (b1 == 0x80 && b2 <= 0x8A) { out += ' '; i += 3; continue; }               // U+2000..U+200A spaces
            if (b1 == 0x80 && (b2 >= 0x8B && b2 <= 0x8F)) { i += 3; continue; }          // U+200B..U+200F zero width, marks
            if (b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9)) { out += ' '; i += 3; continue; } // U+2028/9 separators
            if (b1 == 0x80 && b2 == 0xAF) { out += ' '; i += 3; continue; }              // U+202F narrow no-break space
            if (b1 == 0x81 && b2 == 0x9F) { out += ' '; i += 3; continue; }              // U+205F math space
            if (b1 == 0x81 && b2 >= 0xA0 && b2 <= 0xA4) { i += 3; continue; }            // U+2060..U+2064 joiners
        }
        if (c == 0xE3 && i + 2 < in.size() && at(i + 1) == 0x80 && at(i + 2) == 0x80) {  // U+3000 ideographic space
            out += ' ';
            i += 3;
            continue;
        }
        if (c == 0xEF && i + 2 < in.size()) {
            if (at(i + 1) == 0xBB && at(i + 2) == 0xBF) { i += 3; continue; }            // U+FEFF byte order mark
            if (at(i + 1) == 0xBC && at(i + 2) == 0x83) { out += '#'; i += 3; continue; } // U+FF03 fullwidth #
        }
        out += static_cast<char>(c);
        ++i;
    }
    return out;
}

}  // namespace firebreak
