#pragma once
// Cleaning of outside text before it enters the model: valid UTF-8, no control
// characters, bounded length. And slugs for room names.
#include <string>
#include <string_view>

namespace firebreak {

/// Replaces invalid UTF-8 with U+FFFD, drops control characters other than
/// newline and tab, and cuts at `max_bytes` on a character boundary with a
/// "… [cut]" marker after the kept bytes (so at most max_bytes + 9 bytes in all).
std::string clean_text(std::string_view in, std::size_t max_bytes);

/// `text` whole when it fits in `max_bytes`; else cut at the last word boundary that
/// leaves room for `tail` (never inside a UTF-8 sequence), with `tail` appended. For
/// derived lines (topics, announcements, replies that echo what someone wrote), never for
/// what is stored.
std::string shorten_words(std::string_view text, std::size_t max_bytes, std::string_view tail = "…");

/// Folds what pasted text carries invisibly: no-break and other Unicode spaces become a
/// space, zero-width characters, word joiners, byte order marks and soft hyphens go, and a
/// fullwidth number sign becomes '#'. For reading tags and words, not for storing text.
std::string fold_invisible(std::string_view in);

/// Same as clean_text, and also folds newlines and tabs to spaces and trims
/// (for titles, names and one-line fields).
std::string clean_line(std::string_view in, std::size_t max_bytes);

/// Latin letters with diacritics spelled in plain ASCII ("Ünïcödé" -> "Unicode",
/// "Straße" -> "Strasse", "Œuvre" -> "OEuvre"); combining accents (U+0300-U+036F) are
/// dropped. Everything else, valid or not, is left as it is.
std::string fold_to_ascii(std::string_view in);

/// A lowercase ASCII slug of `title`: accented Latin letters folded to ASCII
/// (fold_to_ascii), letters and digits joined by single '-', at most `max_len`
/// characters, cut at a word where that keeps at least half, never ending in '-'.
/// May be empty.
std::string slugify(std::string_view title, std::size_t max_len);

/// `s` with ASCII letters lowercased (other bytes unchanged).
std::string ascii_lower(std::string_view s);

/// `s` cut to at most `max_bytes` on a character boundary (a sequence cut short is dropped
/// whole); no marker. For limits a platform counts in characters: bytes are stricter.
std::string cut_utf8(std::string s, std::size_t max_bytes);

/// Whether `s` is valid UTF-8.
bool valid_utf8(std::string_view s);

/// Decodes the code point at `s[i]`; returns its length in bytes, or 0 when the bytes
/// there are not valid UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp);

/// Appends the character at `text[i]` to `out`, or U+FFFD for an invalid byte; returns
/// how many bytes of `text` it took.
std::size_t append_repaired_char(std::string& out, std::string_view text, std::size_t i);

/// `text` with every invalid UTF-8 byte replaced by U+FFFD; valid text is unchanged.
std::string repaired_utf8(std::string_view text);

}  // namespace firebreak
