// The fields of a status update: impact, actions, needs, next.
#include "commands/update_fields.hpp"
#include "tests/core/test_time.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace firebreak;
using firebreak::test::utc;
using namespace std::chrono_literals;

namespace {
const instant now = utc(2026, 11, 22, 14, 0);
std::string show(const std::optional<instant>& t) { return t ? format_iso(*t) : std::string("(none)"); }
}  // namespace

TEST_CASE("update fields separated by semicolons or one per line", "[commands]") {
    const std::vector<std::string> forms = {
        "impact: checkout 5xx at 8%; actions: rolling back 2026.11.3; needs: a DBA; next: 30m",
        "impact: checkout 5xx at 8%\nactions: rolling back 2026.11.3\nneeds: a DBA\nnext: 30m",
        "Impact:checkout 5xx at 8% ;\n Doing: rolling back 2026.11.3 ; asks: a DBA; next update: 30m",
        "next: 30m; needs: a DBA; actions: rolling back 2026.11.3; impact: checkout 5xx at 8%",
    };
    for (const auto& f : forms) {
        INFO(f);
        auto u = parse_update_fields(f, now);
        CHECK(u.error.empty());
        CHECK(u.impact == "checkout 5xx at 8%");
        CHECK(u.actions == "rolling back 2026.11.3");
        CHECK(u.needs == "a DBA");
        CHECK(show(u.next_at) == show(now + 30min));
    }
}

TEST_CASE("update fields: continuation lines, colons in values, no next", "[commands]") {
    auto u = parse_update_fields("impact: errors: 8% of requests\nmostly EU users\nactions: rollback", now);
    CHECK(u.error.empty());
    CHECK(u.impact == "errors: 8% of requests; mostly EU users");
    CHECK(u.actions == "rollback");
    CHECK(u.needs.empty());
    CHECK_FALSE(u.next_at.has_value());

    auto dirty = parse_update_fields("impact: bad\x01 \xFF thing\x1B", now);
    CHECK(dirty.error.empty());
    CHECK(dirty.impact == "bad \xEF\xBF\xBD thing");

    auto huge = parse_update_fields("impact: " + std::string(5000, 'x'), now);
    CHECK(huge.error.empty());
    CHECK(huge.impact.size() < 1100);
}

TEST_CASE("update next: durations and clock times", "[commands]") {
    struct row { const char* next; instant want; };
    const std::vector<row> rows = {
        {"30m", now + 30min},
        {"05m", now + 5min},       // leading zeros as people type them
        {"0h30m", now + 30min},
        {"1h", now + 1h},
        {"24h", now + 24h},
        {"15:30", utc(2026, 11, 22, 15, 30)},            // later today
        {"13:30", utc(2026, 11, 23, 13, 30)},            // already past today: tomorrow
        {"00:15", utc(2026, 11, 23, 0, 15)},
        {"15:30+01:00", utc(2026, 11, 22, 14, 30)},      // offsets are honoured
        {"09:30-05:00", utc(2026, 11, 22, 14, 30)},
        {"2026-11-22 16:00", utc(2026, 11, 22, 16, 0)},
        {"2026-11-23T09:00+02:00", utc(2026, 11, 23, 7, 0)},
    };
    for (const auto& r : rows) {
        INFO("next: " << r.next);
        auto u = parse_update_fields(std::string("impact: x; next: ") + r.next, now);
        INFO(u.error);
        CHECK(u.error.empty());
        CHECK(show(u.next_at) == show(r.want));
    }
}

TEST_CASE("update next: past, too far and unreadable times are refused", "[commands]") {
    struct row { const char* next; const char* says; };
    const std::vector<row> rows = {
        {"2026-11-22 13:00", "past"},
        {"2026-11-22 14:00", "past"},
        {"2026-11-22 15:00+02:00", "past"},
        {"2026-11-24 10:00", "24 h"},
        {"9999h", "24 h"},
        {"25h", "24 h"},
        {"2d", "24 h"},
        {"soon", "Could not read"},
        {"0m", "is now"},
        {"-5m", "without a sign"},
        {"+5m", "without a sign"},
        {"0h0m", "is now"},
        {"25:00", "Could not read"},
    };
    for (const auto& r : rows) {
        INFO("next: " << r.next);
        auto u = parse_update_fields(std::string("impact: x; next: ") + r.next, now);
        CHECK_FALSE(u.next_at.has_value());
        CHECK(u.error.find(r.says) != std::string::npos);
        CHECK(u.error.find('\n') == std::string::npos);
    }
}

TEST_CASE("update fields: unknown, empty and missing fields are named", "[commands]") {
    SECTION("unknown field") {
        auto u = parse_update_fields("impact: x; eta: 5m", now);
        CHECK(u.error.find("Unknown field \"eta\"") != std::string::npos);
        CHECK(u.error.find("understood: impact") != std::string::npos);
    }
    SECTION("a lone word before any field") {
        auto u = parse_update_fields("hello; impact: x", now);
        CHECK(u.error.find("Unknown field") != std::string::npos);
    }
    SECTION("empty field") {
        auto u = parse_update_fields("impact: x; needs:", now);
        CHECK(u.error.find("\"needs\" is empty") != std::string::npos);
        auto v = parse_update_fields("impact:   ; actions: y", now);
        CHECK(v.error.find("\"impact\" is empty") != std::string::npos);
    }
    SECTION("missing impact") {
        auto u = parse_update_fields("actions: rollback; next: 30m", now);
        CHECK(u.error.find("impact") != std::string::npos);
        CHECK(u.error.find("understood: actions, next") != std::string::npos);
        CHECK(parse_update_fields("", now).error.find("impact") != std::string::npos);
        CHECK(parse_update_fields(" ; \n ;", now).error.find("impact") != std::string::npos);
    }
}

TEST_CASE("update fields: a bare number after next: is minutes", "[commands]") {
    auto u = parse_update_fields("impact: x; next: 20", now);
    CHECK(u.error.empty());
    CHECK(show(u.next_at) == show(now + 20min));
    auto v = parse_update_fields("impact: x; next: 90", now);
    CHECK(show(v.next_at) == show(now + 90min));
    auto w = parse_update_fields("impact: x; next: 0", now);
    CHECK_FALSE(w.next_at.has_value());
    CHECK(w.error.find("is now") != std::string::npos);
}

TEST_CASE("update fields: a refused next: is not listed as understood", "[commands]") {
    for (const char* bad : {"whenever", "25h", "-5m", "0m", "2026-11-22 13:00"}) {
        INFO(bad);
        auto u = parse_update_fields(std::string("impact: x; actions: y; next: ") + bad, now);
        CHECK_FALSE(u.next_at.has_value());
        CHECK(u.error.find("understood: impact, actions.") != std::string::npos);
    }
    // A good next: is listed when something else is wrong.
    auto u = parse_update_fields("actions: y; next: 30m", now);
    CHECK(u.error.find("understood: actions, next.") != std::string::npos);
    auto v = parse_update_fields("actions: y; next: soon", now);
    CHECK(v.error.find("understood: actions.") != std::string::npos);
}
