// The JSON draft: valid JSON in the documented, versioned schema with every part of the
// record, whatever bytes the record holds.
#include "postmortem/json_export.hpp"
#include "postmortem/escape.hpp"
#include "tests/postmortem/fixtures.hpp"

#include <boost/json.hpp>

using namespace firebreak;
using namespace firebreak::testing;
namespace json = boost::json;

namespace {

// Parses strictly: Boost.JSON rejects invalid UTF-8 and raw control characters in strings.
json::object parse(const std::string& text) {
    json::error_code ec;
    auto v = json::parse(text, ec);
    INFO("not valid JSON: " << ec.message());
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    return v.as_object();
}

std::string str(const json::value& v) {
    REQUIRE(v.is_string());
    return std::string(v.as_string());
}

}  // namespace

TEST_CASE("the JSON draft of the example is versioned and holds the whole record", "[postmortem][json]") {
    replayed_example ex;
    auto src = ex.source();
    auto doc = parse(postmortem_json(src));
    const incident& inc = ex.inc();

    CHECK(str(doc.at("schema")) == "firebreak.postmortem");
    REQUIRE(doc.at("version").is_int64());
    CHECK(doc.at("version").as_int64() == 1);

    const auto& i = doc.at("incident").as_object();
    CHECK(str(i.at("id")) == "INC-1");
    CHECK(i.at("number").as_int64() == 1);
    CHECK(str(i.at("title")) == inc.title);
    CHECK(str(i.at("severity")) == "SEV2");
    CHECK(str(i.at("peak_severity")) == "SEV1");
    CHECK(str(i.at("status")) == "closed");
    CHECK(i.at("message_count").as_int64() == inc.message_count);

    // Instants are ISO 8601 UTC with milliseconds; durations are milliseconds.
    const auto& m = doc.at("milestones").as_object();
    CHECK(str(m.at("impact_started")) == "2026-11-03T14:21:00.000Z");
    CHECK(str(m.at("declared")) == "2026-11-03T14:32:05.000Z");
    CHECK(str(m.at("closed")) == format_iso(*inc.times.closed));
    const auto& metrics = doc.at("metrics").as_object();
    CHECK(str(metrics.at("measured_from")) == "impact_started");
    CHECK(metrics.at("time_to_declare_ms").as_int64() == 11 * 60'000 + 5'000);
    CHECK(metrics.at("total_duration_ms").as_int64() == metrics_of(inc).total->count());

    // Every list is there with as many elements as the record has.
    CHECK(doc.at("history").as_array().size() == inc.history.size());
    CHECK(doc.at("shifts").as_array().size() == inc.shifts.size());
    CHECK(doc.at("hypotheses").as_array().size() == 3);
    CHECK(doc.at("notes").as_array().size() == inc.notes.size());
    CHECK(doc.at("actions").as_array().size() == inc.actions.size());
    CHECK(doc.at("updates").as_array().size() == inc.updates.size());
    CHECK(doc.at("timeline").as_array().size() == src.entries.size());
    CHECK(doc.at("participants").as_array().size() == 6);
    CHECK(doc.at("dead_ends").as_array().size() == 4);  // two notes, two ruled-out hypotheses

    const auto& h2 = doc.at("hypotheses").as_array()[1].as_object();
    CHECK(str(h2.at("id")) == "H2");
    CHECK(str(h2.at("outcome")) == "confirmed");
    CHECK(str(h2.at("evidence")) == inc.hypotheses[1].evidence);
    CHECK(str(doc.at("hypotheses").as_array()[0].at("outcome")) == "ruled_out");

    const auto& first_shift = doc.at("shifts").as_array()[0].as_object();
    CHECK(str(first_shift.at("role")) == "commander");
    CHECK(str(first_shift.at("user")) == "maya");
    CHECK(first_shift.at("area").is_null());
    CHECK(first_shift.at("duration_ms").as_int64() == (*inc.shifts[0].end - inc.shifts[0].start).count());

    // Timeline entries keep their flags and the earlier text of the edited one.
    std::size_t edited = 0, deleted = 0, highlights = 0, system = 0;
    for (const auto& v : doc.at("timeline").as_array()) {
        const auto& e = v.as_object();
        edited += e.at("edited").as_bool();
        deleted += e.at("deleted").as_bool();
        highlights += e.at("highlight").as_bool();
        system += str(e.at("kind")) == "system";
        if (e.at("edited").as_bool()) {
            REQUIRE(e.at("earlier_versions").as_array().size() == 1);
            CHECK(str(e.at("earlier_versions").as_array()[0].at("text")) ==
                  "2.2% of submissions failing now, 5xx over 410/min");
        }
        if (e.at("deleted").as_bool()) CHECK(str(e.at("text")).empty());
    }
    CHECK(edited == 1);
    CHECK(deleted == 1);
    CHECK(highlights == 2);
    CHECK(system > 0);
}

TEST_CASE("the JSON draft of an empty incident uses null and [] for what is absent", "[postmortem][json]") {
    auto doc = parse(postmortem_json(empty_draft()));
    CHECK(doc.at("version").as_int64() == 1);
    CHECK(doc.at("milestones").at("mitigated").is_null());
    CHECK(str(doc.at("milestones").at("declared")) == "2026-11-03T10:00:00.000Z");
    CHECK(doc.at("metrics").at("total_duration_ms").is_null());
    CHECK(doc.at("metrics").at("time_to_declare_ms").as_int64() == 0);
    for (auto list : {"history", "shifts", "participants", "hypotheses", "notes", "dead_ends", "actions", "updates",
                      "timeline"}) {
        INFO(list);
        REQUIRE(doc.at(list).is_array());
        CHECK(doc.at(list).as_array().empty());
    }
}

TEST_CASE("control characters and invalid UTF-8 still give valid JSON that reads back", "[postmortem][json][escaping]") {
    auto src = hostile_draft();
    auto text = postmortem_json(src);
    auto doc = parse(text);
    // Valid text comes back byte for byte, control characters included; invalid bytes
    // come back as U+FFFD.
    const std::string expected = repaired_utf8(hostile);
    CHECK(expected != hostile);
    CHECK_THAT(expected, Catch::Contains("\x01\x1f\x7f bad:\xEF\xBF\xBD\xEF\xBF\xBD("));
    CHECK(str(doc.at("incident").at("title")) == expected);
    CHECK(str(doc.at("incident").at("declared_by")) == hostile_user);
    CHECK(str(doc.at("hypotheses").as_array()[0].at("evidence")) == expected);
    CHECK(str(doc.at("history").as_array()[1].at("reason")) == expected);
    CHECK(str(doc.at("shifts").as_array()[1].at("area")) == expected);
    CHECK(str(doc.at("actions").as_array()[0].at("due")) == expected);
    CHECK(str(doc.at("updates").as_array()[0].at("needs")) == expected);
    const auto& tl = doc.at("timeline").as_array();
    CHECK(str(tl[0].at("tag")) == expected);
    CHECK(str(tl[1].at("thread_parent")) == expected);
    CHECK(str(tl[1].at("room").at("room")) == expected);
    CHECK(str(tl[2].at("earlier_versions").as_array()[0].at("text")) == expected);
    CHECK(str(tl[3].at("text")).empty());
    // The raw control characters never appear in the file itself, only as escapes.
    CHECK(text.find('\x01') == std::string::npos);
    CHECK_THAT(text, Catch::Contains("\\u0001\\u001f"));
}
