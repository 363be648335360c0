// Time: formatting for people and files, durations, ISO timestamps and the
// times people type ("14:32", "14:32+02:00", "2026-11-22 14:32").
#include "bot/core/time.hpp"
#include "tests/core/test_time.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>
#include <vector>

using namespace firebreak;
using firebreak::test::utc;
using namespace std::chrono_literals;

namespace {
std::string show(const std::optional<instant>& t) { return t ? format_iso(*t) : std::string("(none)"); }
}  // namespace

TEST_CASE("format_utc and format_iso write absolute UTC times", "[core]") {
    auto t = utc(2026, 11, 22, 14, 32, 5, 123);
    CHECK(format_utc(t) == "2026-11-22 14:32:05Z");
    CHECK(format_iso(t) == "2026-11-22T14:32:05.123Z");
    CHECK(format_hhmm(t) == "14:32");

    CHECK(format_iso(from_unix_ms(0)) == "1970-01-01T00:00:00.000Z");
    CHECK(format_utc(from_unix_ms(0)) == "1970-01-01 00:00:00Z");
    CHECK(format_iso(utc(2024, 2, 29, 23, 59, 59, 999)) == "2024-02-29T23:59:59.999Z");
    CHECK(format_iso(utc(2026, 1, 1, 0, 0, 0, 7)) == "2026-01-01T00:00:00.007Z");
    // format_utc drops the milliseconds, it does not round them up.
    CHECK(format_utc(utc(2026, 12, 31, 23, 59, 59, 999)) == "2026-12-31 23:59:59Z");
    CHECK(format_hhmm(utc(2026, 3, 4, 5, 6)) == "05:06");
}

TEST_CASE("format_span writes short human spans", "[core]") {
    struct row { duration d; const char* text; };
    const std::vector<row> rows = {
        {0ms, "0s"},
        {999ms, "0s"},
        {35s, "35s"},
        {59s, "59s"},
        {1min, "1m"},
        {14min, "14m"},
        {14min + 59s, "14m"},
        {1h, "1h 00m"},
        {2h + 5min, "2h 05m"},
        {23h + 59min, "23h 59m"},
        {24h, "1d 0h 00m"},
        {26h + 3min, "1d 2h 03m"},
        {-5min, "-5m"},
        {-(2h + 5min), "-2h 05m"},
    };
    for (const auto& r : rows) {
        INFO("span of " << r.d.count() << " ms");
        CHECK(format_span(r.d) == r.text);
    }
}

TEST_CASE("parse_duration reads compact durations", "[core]") {
    struct row { const char* text; duration want; };
    const std::vector<row> good = {
        {"30m", 30min}, {"2h", 2h},       {"1h30m", 90min}, {"45s", 45s},     {"1d", 24h},
        {"90min", 90min}, {"2hr", 2h},     {"2hrs", 2h},     {"1H", 1h},       {"0m30s", 30s},
        {"1d2h", 26h},  {"100000s", 100000s},
    };
    for (const auto& r : good) {
        INFO("\"" << r.text << "\"");
        auto d = parse_duration(r.text);
        REQUIRE(d.has_value());
        CHECK(*d == r.want);
    }
}

TEST_CASE("parse_duration refuses malformed, zero and negative durations", "[core]") {
    auto text = GENERATE(as<std::string>{}, "", "0m", "0s0m", "-5m", "5", "m", "9999999h", "5x", "30 m", " 30m",
                         "30m ", "m30", "1.5h", "30mm", "+5m", "1h-5m", "1h 30m", "abc",
                         "1111111111111111111111111m", "99999999999999999m");
    INFO("\"" << text << "\"");
    CHECK_FALSE(parse_duration(text).has_value());
}

TEST_CASE("parse_iso reads ISO 8601 with Z, offsets and fractions", "[core]") {
    struct row { const char* text; instant want; };
    const std::vector<row> rows = {
        {"2026-11-22T14:32:05Z", utc(2026, 11, 22, 14, 32, 5)},
        {"2026-11-22T14:32:05.120Z", utc(2026, 11, 22, 14, 32, 5, 120)},
        {"2026-11-22T14:32:05.1Z", utc(2026, 11, 22, 14, 32, 5, 100)},
        {"2026-11-22T14:32:05.123456Z", utc(2026, 11, 22, 14, 32, 5, 123)},
        {"2026-11-22T14:32Z", utc(2026, 11, 22, 14, 32)},
        {"2026-11-22 14:32:05Z", utc(2026, 11, 22, 14, 32, 5)},
        {"2026-11-22t14:32:05z", utc(2026, 11, 22, 14, 32, 5)},
        {"2026-11-22T16:32:05+02:00", utc(2026, 11, 22, 14, 32, 5)},
        {"2026-11-22T16:32:05+0200", utc(2026, 11, 22, 14, 32, 5)},
        {"2026-11-22T16:32:05+02", utc(2026, 11, 22, 14, 32, 5)},
        {"2026-11-22T09:32:05-05:00", utc(2026, 11, 22, 14, 32, 5)},
        {"2026-11-22T20:02:05+05:30", utc(2026, 11, 22, 14, 32, 5)},
        // An offset moves the date too.
        {"2026-11-23T01:00:00+11:00", utc(2026, 11, 22, 14, 0)},
        {"2026-11-21T20:00:00-10:00", utc(2026, 11, 22, 6, 0)},
        {"2024-02-29T00:00:00Z", utc(2024, 2, 29)},
        {"1970-01-01T00:00:00.000Z", from_unix_ms(0)},
    };
    for (const auto& r : rows) {
        INFO("\"" << r.text << "\"");
        auto t = parse_iso(r.text);
        REQUIRE(t.has_value());
        CHECK(format_iso(*t) == format_iso(r.want));
    }
}

TEST_CASE("parse_iso refuses invalid dates, times and trailing text", "[core]") {
    auto text = GENERATE(as<std::string>{}, "", "garbage", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
                         "2026-04-31T00:00Z", "2026-13-01T00:00Z", "2026-00-10T00:00Z", "2026-11-00T00:00Z",
                         "2026-11-22T24:00Z", "2026-11-22T14:60Z", "2026-11-22T14:32:05",
                         "2026-11-22", "2026-11-22T14:32:05.Z", "2026-11-22T14:32:05Zjunk",
                         "2026-11-22T14:32+15:00", "2026-11-22T14:32+02:99", "2026-11-22X14:32Z",
                         "26-11-22T14:32Z", "2026-1-22T14:32Z", "2026-11-22T1:32Z", "2026-11-22T14:32:5Z");
    INFO("\"" << text << "\"");
    CHECK_FALSE(parse_iso(text).has_value());
}

TEST_CASE("format_iso and parse_iso round-trip every millisecond value", "[core]") {
    auto t = GENERATE(from_unix_ms(0), utc(2026, 11, 22, 14, 32, 5, 123), utc(2024, 2, 29, 23, 59, 59, 999),
                      utc(2038, 1, 19, 3, 14, 8, 1), utc(2099, 12, 31, 0, 0, 0, 10));
    auto back = parse_iso(format_iso(t));
    REQUIRE(back.has_value());
    CHECK(*back == t);
}

TEST_CASE("parse_user_time reads clock times as the latest one not after now + 5 min", "[core]") {
    const auto now = utc(2026, 11, 22, 15, 0);
    struct row { const char* text; instant want; };
    const std::vector<row> rows = {
        {"14:32", utc(2026, 11, 22, 14, 32)},
        {"9:05", utc(2026, 11, 22, 9, 5)},
        {"00:00", utc(2026, 11, 22, 0, 0)},
        {"15:00", utc(2026, 11, 22, 15, 0)},
        {"15:04", utc(2026, 11, 22, 15, 4)},    // within the five minutes of clock skew
        {"15:05", utc(2026, 11, 22, 15, 5)},
        {"15:06", utc(2026, 11, 21, 15, 6)},    // further ahead: the person meant yesterday
        {"23:59", utc(2026, 11, 21, 23, 59)},
        {"14:32:10", utc(2026, 11, 22, 14, 32, 10)},
        {"14:32Z", utc(2026, 11, 22, 14, 32)},
        {"14:32+02:00", utc(2026, 11, 22, 12, 32)},
        {"14:32+0200", utc(2026, 11, 22, 12, 32)},
        {"10:00-04:00", utc(2026, 11, 22, 14, 0)},
        {"16:30+01:00", utc(2026, 11, 22, 15, 30) - 24h},  // 15:30Z is 30 min ahead: yesterday
    };
    for (const auto& r : rows) {
        INFO("\"" << r.text << "\" at 15:00Z");
        auto p = parse_user_time(r.text, now);
        INFO(p.error);
        REQUIRE(p.value.has_value());
        CHECK(show(p.value) == show(r.want));
    }
}

TEST_CASE("parse_user_time near midnight picks the right day", "[core]") {
    const auto now = utc(2026, 11, 22, 0, 2);
    CHECK(show(parse_user_time("23:58", now).value) == show(utc(2026, 11, 21, 23, 58)));
    CHECK(show(parse_user_time("00:05", now).value) == show(utc(2026, 11, 22, 0, 5)));
    CHECK(show(parse_user_time("00:01", now).value) == show(utc(2026, 11, 22, 0, 1)));
    // 01:30+02:00 is 23:30Z the day before.
    CHECK(show(parse_user_time("01:30+02:00", now).value) == show(utc(2026, 11, 21, 23, 30)));
}

TEST_CASE("parse_user_time honours negative offsets without landing in the future", "[core]") {
    // 19:30 in New York (00:30Z). "20:00-05:00" is 01:00Z; today's is still 30 min
    // ahead, so the latest one not after now + 5 min is yesterday's.
    const auto now = utc(2026, 11, 22, 0, 30);
    auto p = parse_user_time("20:00-05:00", now);
    REQUIRE(p.value.has_value());
    CHECK(show(p.value) == show(utc(2026, 11, 21, 1, 0)));
    CHECK(*p.value <= now + 5min);
}

TEST_CASE("parse_user_time: every clock time with any offset lands in the 24 h before now + 5 min", "[core]") {
    const auto now = GENERATE(utc(2026, 11, 22, 0, 10), utc(2026, 11, 22, 6, 0), utc(2026, 11, 22, 12, 0),
                              utc(2026, 11, 22, 23, 50));
    const auto offset = GENERATE(as<std::string>{}, "", "Z", "+02:00", "-05:00", "+14:00", "-12:00", "+05:30");
    std::vector<std::string> wrong;
    for (int h = 0; h < 24; ++h) {
        for (int m : {0, 29, 59}) {
            auto text = fmt::format("{:02}:{:02}{}", h, m, offset);
            auto p = parse_user_time(text, now);
            if (!p.value)
                wrong.push_back(text + " -> not understood");
            else if (*p.value > now + 5min || *p.value <= now + 5min - 24h)
                wrong.push_back(text + " -> " + format_iso(*p.value));
        }
    }
    INFO("now " << format_iso(now) << "; first of " << wrong.size() << " wrong: "
                << (wrong.empty() ? std::string("-") : wrong.front()));
    CHECK(wrong.empty());
}

TEST_CASE("parse_user_time reads full dates, UTC unless an offset is given", "[core]") {
    const auto now = utc(2026, 11, 22, 15, 0);
    struct row { const char* text; instant want; };
    const std::vector<row> rows = {
        {"2026-11-22 14:32", utc(2026, 11, 22, 14, 32)},
        {"2026-11-22T14:32", utc(2026, 11, 22, 14, 32)},
        {"2026-11-22T14:32:00Z", utc(2026, 11, 22, 14, 32)},
        {"2026-11-20 08:00", utc(2026, 11, 20, 8, 0)},
        {"2026-11-22 14:32+02:00", utc(2026, 11, 22, 12, 32)},
        {"2026-11-22 09:32-05:00", utc(2026, 11, 22, 14, 32)},
        {"2026-11-22", utc(2026, 11, 22)},
    };
    for (const auto& r : rows) {
        INFO("\"" << r.text << "\"");
        auto p = parse_user_time(r.text, now);
        INFO(p.error);
        REQUIRE(p.value.has_value());
        CHECK(show(p.value) == show(r.want));
    }
}

TEST_CASE("parse_user_time explains what it could not read", "[core]") {
    const auto now = utc(2026, 11, 22, 15, 0);
    auto text = GENERATE(as<std::string>{}, "", "soon", "25:00", "14:60", "14", "14:3", "1432", "14:32 UTC",
                         "14:32+99:00", "14:32:61", "14:32:", "2026-02-30 10:00", "2026-11-22 25:00",
                         "2026-11-22 garbage", "yesterday 14:32", "-14:32");
    INFO("\"" << text << "\"");
    auto p = parse_user_time(text, now);
    CHECK_FALSE(p.value.has_value());
    CHECK_FALSE(p.error.empty());
    CHECK(p.error.find('\n') == std::string::npos);
}
