#include "bot/core/time.hpp"

#include <cctype>
#include <charconv>
#include <fmt/format.h>

namespace firebreak {

namespace {

using namespace std::chrono;

struct civil {
    int y, mo, d, h, mi, s, ms;
};

civil split(instant t) {
    auto day = floor<days>(t);
    year_month_day ymd{day};
    auto rest = t - day;
    auto h = duration_cast<hours>(rest);
    rest -= h;
    auto m = duration_cast<minutes>(rest);
    rest -= m;
    auto s = duration_cast<seconds>(rest);
    rest -= s;
    return {int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day())), int(h.count()),
            int(m.count()), int(s.count()), int(rest.count())};
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    pos += n;
    return true;
}

bool eat(std::string_view s, std::size_t& pos, char c) {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

// Reads "Z", "+HH:MM", "-HHMM", "+HH" at pos; sets offset minutes. True if present and valid.
enum class offset_read { none, ok, bad };
offset_read read_offset(std::string_view s, std::size_t& pos, int& minutes_east) {
    if (pos >= s.size()) return offset_read::none;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
        minutes_east = 0;
        return offset_read::ok;
    }
    if (s[pos] != '+' && s[pos] != '-') return offset_read::bad;
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int hh = 0, mm = 0;
    if (!digits(s, pos, 2, hh)) return offset_read::bad;
    bool colon = eat(s, pos, ':');
    if ((colon || pos < s.size()) && !digits(s, pos, 2, mm)) return offset_read::bad;
    if (hh > 14 || mm > 59) return offset_read::bad;
    minutes_east = sign * (hh * 60 + mm);
    return offset_read::ok;
}

std::optional<instant> make(int y, int mo, int d, int h, int mi, int s, int ms) {
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || ms > 999) return {};
    year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
    if (!ymd.ok()) return {};
    return instant{sys_days{ymd}.time_since_epoch()} + hours{h} + minutes{mi} + seconds{s} +
           milliseconds{ms};
}

}  // namespace

std::string format_utc(instant t) {
    auto c = split(t);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z", c.y, c.mo, c.d, c.h, c.mi, c.s);
}

std::string format_iso(instant t) {
    auto c = split(t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.y, c.mo, c.d, c.h, c.mi, c.s,
                       c.ms);
}

std::string format_hhmm(instant t) {
    auto c = split(t);
    return fmt::format("{:02}:{:02}", c.h, c.mi);
}

std::string format_span(duration d) {
    bool neg = d.count() < 0;
    auto total = std::chrono::duration_cast<std::chrono::seconds>(neg ? -d : d).count();
    std::string out;
    auto days_ = total / 86400, hours_ = (total % 86400) / 3600, mins = (total % 3600) / 60,
         secs = total % 60;
    if (days_ > 0)
        out = fmt::format("{}d {}h {:02}m", days_, hours_, mins);
    else if (hours_ > 0)
        out = fmt::format("{}h {:02}m", hours_, mins);
    else if (mins > 0)
        out = fmt::format("{}m", mins);
    else
        out = fmt::format("{}s", secs);
    return neg ? "-" + out : out;
}

std::string format_span_exact(duration d) {
    bool neg = d.count() < 0;
    auto total = std::chrono::duration_cast<std::chrono::seconds>(neg ? -d : d).count();
    auto secs = total % 60;
    std::string out = format_span(std::chrono::seconds{total});
    if (secs != 0 && total >= 60) out += fmt::format(" {:02}s", secs);
    return neg ? "-" + out : out;
}

std::optional<duration> parse_duration(std::string_view text) {
    if (text.empty() || text.size() > 24) return {};
    std::int64_t total = 0;
    std::size_t pos = 0;
    bool any = false;
    while (pos < text.size()) {
        std::int64_t v = 0;
        if (text[pos] < '0' || text[pos] > '9') return {};  // no signs: "1h-5m" is not a duration
        auto [p, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), v);
        if (ec != std::errc{} || p == text.data() + pos) return {};
        pos = std::size_t(p - text.data());
        if (pos >= text.size()) return {};
        std::int64_t unit = 0;
        char u = char(std::tolower(static_cast<unsigned char>(text[pos])));
        switch (u) {
            case 's': unit = 1000; break;
            case 'm': unit = 60'000; break;
            case 'h': unit = 3'600'000; break;
            case 'd': unit = 86'400'000; break;
            default: return {};
        }
        ++pos;
        // Accept "min" and "hr"/"hrs" spellings.
        if (u == 'm' && text.substr(pos, 2) == "in") pos += 2;
        if (u == 'h' && text.substr(pos, 1) == "r") pos += 1;
        if (u == 'h' && text.substr(pos, 1) == "s") pos += 1;
        if (v > 100'000) return {};
        total += v * unit;
        any = true;
    }
    if (!any || total <= 0) return {};
    return duration{total};
}

std::optional<instant> parse_iso(std::string_view s) {
    std::size_t pos = 0;
    int y, mo, d, h, mi, sec = 0, ms = 0;
    if (!digits(s, pos, 4, y) || !eat(s, pos, '-') || !digits(s, pos, 2, mo) || !eat(s, pos, '-') ||
        !digits(s, pos, 2, d))
        return {};
    if (!eat(s, pos, 'T') && !eat(s, pos, ' ') && !eat(s, pos, 't')) return {};
    if (!digits(s, pos, 2, h) || !eat(s, pos, ':') || !digits(s, pos, 2, mi)) return {};
    if (eat(s, pos, ':')) {
        if (!digits(s, pos, 2, sec)) return {};
        if (eat(s, pos, '.')) {
            int frac = 0, n = 0;
            while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
                if (n < 3) frac = frac * 10 + (s[pos] - '0');
                ++n;
                ++pos;
            }
            if (n == 0) return {};
            for (int i = n; i < 3; ++i) frac *= 10;
            ms = frac;
        }
    }
    int off = 0;
    if (read_offset(s, pos, off) != offset_read::ok || pos != s.size()) return {};
    auto t = make(y, mo, d, h, mi, sec, ms);
    if (!t) return {};
    return *t - std::chrono::minutes{off};
}

parsed_time parse_user_time(std::string_view s, instant now) {
    parsed_time out;
    if (s.empty()) {
        out.error = "no time given (use HH:MM in UTC, or add an offset like 14:32+02:00)";
        return out;
    }
    // Full date forms first.
    if (s.size() >= 10 && s[4] == '-') {
        std::string full(s);
        if (full.size() == 10) full += "T00:00";
        bool has_offset = full.find('Z') != std::string::npos || full.find('z') != std::string::npos ||
                          full.find('+', 10) != std::string::npos ||
                          full.find('-', 10) != std::string::npos;
        if (!has_offset) full += "Z";
        if (auto t = parse_iso(full)) {
            out.value = *t;
        } else {
            out.error = fmt::format("could not read \"{}\" as a time (try 2026-11-22 14:32 or 14:32Z)", s);
        }
        return out;
    }
    std::size_t pos = 0;
    int h = 0, mi = 0, sec = 0;
    bool ok = digits(s, pos, 2, h) || (pos = 0, digits(s, pos, 1, h));
    if (!ok || !eat(s, pos, ':') || !digits(s, pos, 2, mi)) {
        out.error = fmt::format("could not read \"{}\" as a time (use HH:MM in UTC, e.g. 14:32, or 14:32+02:00)", s);
        return out;
    }
    if (eat(s, pos, ':') && !digits(s, pos, 2, sec)) {
        out.error = fmt::format("could not read the seconds in \"{}\"", s);
        return out;
    }
    int off = 0;
    if (read_offset(s, pos, off) == offset_read::bad || pos != s.size() || h > 23 || mi > 59 || sec > 59) {
        out.error = fmt::format("could not read \"{}\" as a time (use HH:MM in UTC, e.g. 14:32, or 14:32+02:00)", s);
        return out;
    }
    // The clock time on today's UTC date (shifted by the offset); if that lies more than
    // five minutes ahead of now, the person meant yesterday.
    auto day = std::chrono::floor<std::chrono::days>(now);
    instant t = instant{day.time_since_epoch()} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                std::chrono::seconds{sec} - std::chrono::minutes{off};
    // Land in the 24 hours ending five minutes after now, whatever the offset did.
    const instant latest = now + std::chrono::minutes{5};
    while (t > latest) t -= std::chrono::days{1};
    while (t <= latest - std::chrono::days{1}) t += std::chrono::days{1};
    out.value = t;
    return out;
}

}  // namespace firebreak
