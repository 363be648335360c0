#include "commands/update_fields.hpp"

#include "bot/core/text.hpp"
#include "commands/parser.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <vector>

namespace firebreak {

namespace {


// Canonical field name for what a person typed, or empty.
std::string canonical(std::string_view name) {
    auto n = ascii_lower(trim(name));
    if (n == "impact") return "impact";
    if (n == "actions" || n == "action" || n == "current actions" || n == "doing") return "actions";
    if (n == "needs" || n == "need" || n == "asks") return "needs";
    if (n == "next" || n == "next update") return "next";
    return {};
}
}  // namespace

update_fields parse_update_fields(std::string_view text, instant now) {
    update_fields out;
    // Fields are separated by ';' or newlines; a piece without "name:" continues the previous field.
    std::vector<std::string> pieces;
    std::string cur;
    for (char c : text) {
        if (c == ';' || c == '\n') {
            pieces.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    pieces.push_back(cur);

    std::string* last = nullptr;
    std::vector<std::string> unknown, empty;
    std::string next_text;
    bool saw_any = false;
    for (auto& raw : pieces) {
        auto piece = trim(raw);
        if (piece.empty()) continue;
        auto colon = piece.find(':');
        std::string name = colon == std::string_view::npos ? std::string{} : canonical(piece.substr(0, colon));
        if (name.empty()) {
            bool looks_named = colon != std::string_view::npos && colon < 24 &&
                               piece.substr(0, colon).find(' ') == std::string_view::npos;
            if (looks_named) {
                unknown.emplace_back(clean_line(piece.substr(0, colon), 24));
                continue;
            }
            if (last) {
                *last += "; ";
                *last += clean_line(piece, 1000);
                continue;
            }
            unknown.emplace_back(clean_line(piece.substr(0, 24), 24));
            continue;
        }
        saw_any = true;
        auto value = clean_line(piece.substr(colon + 1), 1000);
        if (value.empty()) {
            empty.push_back(name);
            last = nullptr;
            continue;
        }
        if (name == "impact") { out.impact = value; last = &out.impact; }
        else if (name == "actions") { out.actions = value; last = &out.actions; }
        else if (name == "needs") { out.needs = value; last = &out.needs; }
        else { next_text = value; last = nullptr; }
    }

    // `next:` is read first, so that a refused one is not listed as understood. Every
    // refusal also says what the rest of the update was read as, so the person fixes one
    // thing and sends it again.
    std::string next_error;
    [&] {
        if (next_text.empty()) return;
        const auto fail = [&](std::string what) { next_error = std::move(what); };
        // A bare number is minutes: "next: 20" is "next: 20m".
        if (std::all_of(next_text.begin(), next_text.end(), [](unsigned char ch) { return std::isdigit(ch); }))
            next_text += "m";
        const auto sign = next_text.front();
        if (sign == '-' || sign == '+') {
            fail(fmt::format("`next: {}` needs a time ahead without a sign, e.g. next: 30m", next_text));
            return;
        }
        // "0m" is a duration the parser refuses (it is no time at all); say so plainly.
        std::optional<duration> d = parse_duration(next_text);
        if (!d) {
            // Every number zero ("0m", "0h0m"), with units the parser knows: no time at all.
            std::string ones = next_text;
            bool digits = false, zero = true;
            for (char& ch : ones)
                if (ch >= '0' && ch <= '9') {
                    digits = true;
                    zero = zero && ch == '0';
                    ch = '1';
                }
            if (digits && zero && parse_duration(ones)) d = duration{0};
        }
        if (d) {
            if (d->count() == 0) {
                fail(fmt::format("`next: {}` is now; promise a time ahead, e.g. next: 30m", next_text));
                return;
            }
            if (*d > std::chrono::hours{24}) {
                fail(fmt::format("`next: {}` is {} away, more than 24 h; promise an update within a day", next_text,
                                 format_span(*d)));
                return;
            }
            out.next_at = now + *d;
        } else {
            auto t = parse_user_time(next_text, now + std::chrono::hours{24});
            // parse_user_time resolves clock times backwards from its reference; with the
            // reference a day ahead, "15:00" means the next 15:00 from now.
            if (!t.value) {
                fail(fmt::format("Could not read `next: {}` (use 30m, 1h or a time like 15:30 / 15:30+01:00)",
                                 next_text));
                return;
            }
            instant at = *t.value;
            bool has_date = next_text.size() >= 10 && next_text[4] == '-';
            if (!has_date) {
                while (at - std::chrono::hours{24} > now) at -= std::chrono::hours{24};
            }
            if (at <= now) {
                fail(fmt::format("`next: {}` is in the past ({}); give a time ahead, e.g. next: 30m", next_text,
                                 format_utc(at)));
                return;
            }
            if (at > now + std::chrono::hours{24}) {
                fail(fmt::format("`next: {}` is {}, more than 24 h away; promise an update within a day",
                                 next_text, format_utc(at)));
                return;
            }
            out.next_at = at;
        }
    }();

    auto understood = [&] {
        std::vector<std::string> got;
        if (!out.impact.empty()) got.push_back("impact");
        if (!out.actions.empty()) got.push_back("actions");
        if (!out.needs.empty()) got.push_back("needs");
        if (!next_text.empty() && next_error.empty()) got.push_back("next");
        return got.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(got, ", "));
    };

    if (!unknown.empty()) {
        out.error = fmt::format("Unknown field \"{}\" (fields are impact, actions, needs, next); understood: {}.",
                                unknown.front(), understood());
        return out;
    }
    if (!empty.empty()) {
        out.error = fmt::format("Field \"{}\" is empty; understood: {}.", empty.front(), understood());
        return out;
    }
    if (!saw_any || out.impact.empty()) {
        out.error = fmt::format("An update needs at least `impact:`; understood: {}.", understood());
        return out;
    }
    if (!next_error.empty()) {
        out.next_at.reset();
        out.error = fmt::format("{}; understood: {}.", next_error, understood());
    }
    return out;
}

}  // namespace firebreak
