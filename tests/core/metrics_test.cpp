// The derived times of an incident (PRODUCT §1).
#include "bot/core/incident.hpp"

#include <catch2/catch.hpp>

using namespace firebreak;
using namespace std::chrono_literals;

TEST_CASE("derived times start at impact, else detection, else declaration", "[core]") {
    const instant t0 = from_unix_ms(1'762'180'000'000);
    incident inc;
    inc.times.declared = t0 + 11min;
    SECTION("only declared: nothing but time to declare, which is zero") {
        auto m = metrics_of(inc);
        CHECK(m.to_declare == duration{0});
        CHECK_FALSE(m.to_assign);
        CHECK_FALSE(m.to_mitigate);
        CHECK_FALSE(m.to_resolve);
        CHECK_FALSE(m.total);
    }
    SECTION("detected sets the start when impact is unknown") {
        inc.times.detected = t0 + 6min;
        CHECK(metrics_of(inc).to_declare == 5min);
    }
    SECTION("a full life") {
        inc.times.impact_started = t0;
        inc.times.detected = t0 + 6min;
        inc.times.commander_assigned = t0 + 11min;
        inc.times.mitigated = t0 + 71min;
        inc.times.resolved = t0 + 144min;
        inc.times.closed = t0 + 164min;
        auto m = metrics_of(inc);
        CHECK(m.to_declare == 11min);
        CHECK(m.to_assign == 0min);
        CHECK(m.to_mitigate == 71min);
        CHECK(m.to_resolve == 144min);
        CHECK(m.total == 164min);
    }
}
