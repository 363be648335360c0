// The incident model's names: what people type for severities, statuses, roles
// and note kinds, and how firebreak writes them back.
#include "bot/core/incident.hpp"

#include <catch2/catch.hpp>

using namespace firebreak;

TEST_CASE("severities read as 1, sev1 or SEV1 and print as SEV1", "[core]") {
    struct row { const char* text; severity want; };
    for (auto r : {row{"1", severity::sev1}, row{"sev2", severity::sev2}, row{"SEV3", severity::sev3},
                   row{"Sev4", severity::sev4}}) {
        INFO(r.text);
        CHECK(parse_severity(r.text) == r.want);
    }
    for (auto bad : {"", "0", "5", "sev", "sev0", "sev5", "12", "one", "-1", "sev 1", "SEV1x"}) {
        INFO("\"" << bad << "\"");
        CHECK_FALSE(parse_severity(bad).has_value());
    }
    CHECK(to_string(severity::sev1) == "SEV1");
    CHECK(to_string(severity::sev4) == "SEV4");
}

TEST_CASE("statuses round-trip through their names, in lifecycle order", "[core]") {
    for (auto s : {status::investigating, status::identified, status::mitigated, status::resolved, status::closed}) {
        CHECK(parse_status(to_string(s)) == s);
        auto title = to_title(s);
        CHECK(title[0] >= 'A');
        CHECK(title[0] <= 'Z');
    }
    CHECK(to_title(status::mitigated) == "Mitigated");
    CHECK(parse_status("RESOLVED") == status::resolved);
    CHECK_FALSE(parse_status("fixed").has_value());
    CHECK_FALSE(parse_status("").has_value());
    CHECK(status::investigating < status::identified);
    CHECK(status::identified < status::mitigated);
    CHECK(status::mitigated < status::resolved);
    CHECK(status::resolved < status::closed);
}

TEST_CASE("roles and note kinds read their names", "[core]") {
    CHECK(parse_role("commander") == role::commander);
    CHECK(parse_role("IC") == role::commander);
    CHECK(parse_role("Scribe") == role::scribe);
    CHECK(parse_role("sme") == role::sme);
    CHECK_FALSE(parse_role("boss").has_value());
    for (auto r : {role::commander, role::scribe, role::sme}) CHECK(parse_role(to_string(r)) == r);

    for (auto k : {note_kind::decision, note_kind::deadend, note_kind::change, note_kind::impact,
                   note_kind::mitigation})
        CHECK(parse_note_kind(to_string(k)) == k);
    CHECK_FALSE(parse_note_kind("hypothesis").has_value());
    CHECK(to_string(outcome::ruled_out) == "ruled out");
    CHECK(to_string(outcome::confirmed) == "confirmed");
}
