#include "commands/parser.hpp"

#include "bot/core/text.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace firebreak {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Text after the first `n` words of `s`, trimmed.
std::string_view after_words(std::string_view s, std::size_t n) {
    std::size_t pos = 0;
    for (std::size_t k = 0; k < n; ++k) {
        while (pos < s.size() && is_space(s[pos])) ++pos;
        while (pos < s.size() && !is_space(s[pos])) ++pos;
    }
    return trim(s.substr(pos));
}
}  // namespace

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && is_space(text[pos])) ++pos;
        std::size_t start = pos;
        while (pos < text.size() && !is_space(text[pos])) ++pos;
        if (pos > start) out.emplace_back(text.substr(start, pos - start));
    }
    return out;
}

std::optional<std::int64_t> parse_incident_ref(std::string_view w) {
    if (w.size() > 4 && (w[0] == 'I' || w[0] == 'i') && (w[1] == 'N' || w[1] == 'n') &&
        (w[2] == 'C' || w[2] == 'c') && w[3] == '-')
        w.remove_prefix(4);
    else
        return {};
    if (w.empty() || w.size() > 12) return {};
    std::int64_t n = 0;
    for (char c : w) {
        if (c < '0' || c > '9') return {};
        n = n * 10 + (c - '0');
    }
    if (n <= 0) return {};
    return n;
}

std::optional<std::string> parse_user_mention(std::string_view w) {
    // Mentions arrive normalised: each adapter turns its platform's form (Slack's <@U1|x>,
    // a Matrix pill) into "@id".
    if (w.size() > 1 && w[0] == '@') {
        w.remove_prefix(1);
        // Trailing punctuation from prose ("@dana,") is not part of the name.
        while (!w.empty() && (w.back() == ',' || w.back() == '.' || w.back() == ';' || w.back() == '!' ||
                              w.back() == '?'))
            w.remove_suffix(1);
    } else {
        return {};
    }
    if (w.empty() || w.size() > 255) return {};
    for (unsigned char c : w)
        if (c < 0x21 || c == '<' || c == '>' || c == '@' || c == '`' || c == '*') return {};
    return std::string(w);
}

parse_result parse_command(std::string_view text) {
    parse_result r;
    text = trim(text);
    auto words = split_words(text);
    if (words.empty()) {
        r.error = "Which command? Try `help` for the list.";
        return r;
    }
    std::size_t used = 0;
    std::optional<std::int64_t> inc;
    if (auto n = parse_incident_ref(words[0])) {
        inc = n;
        used = 1;
    }
    if (used >= words.size()) {
        r.error = fmt::format("What should happen to INC-{}? Try `help` for the list.", *inc);
        return r;
    }
    const command_spec* spec = find_command(words[used]);
    if (!spec) {
        std::string shown = words[used].substr(0, 40);
        r.error = fmt::format("Unknown command \"{}\". Try `help` for the list.", shown);
        return r;
    }
    ++used;
    // Only commands about one incident take "INC-n" after their name; a declare title may
    // well start with one ("declare INC-5 follow-up: …").
    if (!inc && spec->needs_incident && used < words.size()) {
        if (auto n = parse_incident_ref(words[used])) {
            inc = n;
            ++used;
        }
    }
    parsed_command c;
    c.spec = spec;
    c.incident = inc;
    c.args.assign(words.begin() + std::ptrdiff_t(used), words.end());
    c.rest = std::string(after_words(text, used));
    r.command = std::move(c);
    return r;
}

bool is_command_text(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size() || ascii_lower(text.substr(0, prefix.size())) != ascii_lower(prefix)) return false;
    return text.size() == prefix.size() || text[prefix.size()] == ' ' || text[prefix.size()] == '\n';
}

}  // namespace firebreak
