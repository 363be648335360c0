// The bundled example replayed through the real engine and a real SQLite file:
// the resulting incident, idempotent redelivery and restart restore.
#include "adapters/console/console_adapter.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/example_transcript.hpp"
#include "bot/runtime/local_runs.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/runtime/runtime_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace firebreak;
using namespace firebreak::testing;
using rig = console_rig;

namespace {

std::size_t count_tag(const std::vector<timeline_entry>& es, entry_kind k, const std::string& tag) {
    std::size_t n = 0;
    for (const auto& e : es) n += e.kind == k && e.tag == tag;
    return n;
}

}  // namespace

TEST_CASE("the example incident replays into the incident it describes", "[runtime][replay]") {
    temp_dir dir;
    rig r(dir.file("f.sqlite"), dir.path());
    std::ostringstream err;
    auto t = example();
    REQUIRE(t.errors.empty());
    auto stats = replay_transcript(r.eng, r.clk, t, err);
    CHECK(err.str().empty());
    CHECK(stats.errors == 0);
    CHECK(stats.duplicates == 0);

    const incident* inc = r.eng.state().find(1);
    REQUIRE(inc);
    CHECK(r.eng.state().incidents.size() == 1);
    CHECK(inc->state == status::closed);
    CHECK(inc->sev == severity::sev2);  // raised to SEV1, lowered back with a reason

    // Two commander shifts: maya, then dev after the handoff.
    std::vector<std::string> commanders;
    for (const auto& s : inc->shifts)
        if (s.held == role::commander) commanders.push_back(s.user.id);
    CHECK(commanders == std::vector<std::string>{"maya", "dev"});
    for (const auto& s : inc->shifts) CHECK_FALSE(s.open());  // close ends every shift
    CHECK(inc->shifts.front().end == inc->shifts.back().start);

    // Milestones, as the transcript sets them.
    REQUIRE(inc->times.impact_started);
    CHECK(format_utc(*inc->times.impact_started) == "2026-11-03 14:21:00Z");
    CHECK(format_utc(*inc->times.detected) == "2026-11-03 14:27:00Z");
    CHECK(format_utc(inc->times.declared) == "2026-11-03 14:32:05Z");
    CHECK(inc->times.commander_assigned == inc->times.declared);
    REQUIRE(inc->times.mitigated);
    REQUIRE(inc->times.resolved);
    REQUIRE(inc->times.closed);
    CHECK(*inc->times.mitigated < *inc->times.resolved);
    CHECK(*inc->times.closed - inc->times.declared > std::chrono::hours{2});

    // Three hypotheses: H1 and H3 ruled out, H2 confirmed, each with evidence.
    REQUIRE(inc->hypotheses.size() == 3);
    CHECK(inc->hypotheses[0].result == outcome::ruled_out);
    CHECK(inc->hypotheses[1].result == outcome::confirmed);
    CHECK(inc->hypotheses[2].result == outcome::ruled_out);
    for (const auto& h : inc->hypotheses) CHECK_FALSE(h.evidence.empty());

    std::size_t decisions = 0, deadends = 0, changes = 0, mitigations = 0;
    for (const auto& n : inc->notes) {
        decisions += n.kind == note_kind::decision;
        deadends += n.kind == note_kind::deadend;
        changes += n.kind == note_kind::change;
        mitigations += n.kind == note_kind::mitigation;
    }
    CHECK(decisions >= 3);
    CHECK(deadends >= 1);
    CHECK(changes >= 1);
    CHECK(mitigations >= 1);
    CHECK(inc->updates.size() >= 3);
    CHECK(inc->actions.size() >= 2);

    // The timeline: every human message in the room, plus a system entry per change.
    auto entries = r.store.timeline(inc->id);
    std::size_t messages = 0, systems = 0, highlights = 0, edited = 0, deleted = 0, threaded = 0;
    for (const auto& e : entries) {
        messages += e.kind == entry_kind::message;
        systems += e.kind == entry_kind::system;
        highlights += e.highlight;
        edited += e.edited;
        deleted += e.deleted;
        threaded += !e.thread_parent.empty();
    }
    CHECK(messages >= 80);
    CHECK(std::int64_t(messages) == inc->message_count);
    CHECK(entries.size() == messages + systems);
    CHECK(highlights == 2);
    CHECK(edited == 1);
    CHECK(deleted == 1);
    CHECK(threaded >= 1);
    CHECK(count_tag(entries, entry_kind::system, "status") == 4);  // identified, mitigated, resolved, closed
    CHECK(count_tag(entries, entry_kind::system, "severity") == 2);
    CHECK(count_tag(entries, entry_kind::system, "handoff") == 1);
    CHECK(count_tag(entries, entry_kind::system, "update") == inc->updates.size());
    for (std::size_t i = 1; i < entries.size(); ++i) CHECK(entries[i - 1].at <= entries[i].at);

    // The deleted message keeps its fact and loses its text, earlier versions included;
    // the edited one keeps its earlier text.
    for (const auto& e : entries) {
        if (e.deleted) {
            CHECK(e.text.empty());
            CHECK(r.store.edit_history(e.seq).empty());
        }
        if (e.edited) CHECK(r.store.edit_history(e.seq).size() == 1);
    }

    // Everything the bot meant to say was delivered.
    CHECK(r.store.pending_outbox(0).empty());
    CHECK(r.store.document(inc->id, "md").has_value());
}

TEST_CASE("replaying the same transcript twice changes nothing the second time", "[runtime][replay]") {
    temp_dir dir;
    rig r(dir.file("f.sqlite"), dir.path());
    std::ostringstream err;
    auto t = example();
    replay_transcript(r.eng, r.clk, t, err);
    auto before = r.eng.state();
    auto rows_before = r.store.timeline(incident_id{1}).size();
    auto posts_before = r.adapter.posts().size();
    auto again = replay_transcript(r.eng, r.clk, t, err);
    CHECK(again.duplicates == again.events);
    CHECK(r.eng.state() == before);
    CHECK(r.store.timeline(incident_id{1}).size() == rows_before);
    CHECK(r.adapter.posts().size() == posts_before);  // nothing double-posted
}

TEST_CASE("a restart restores every incident exactly, mid-incident too", "[runtime][restart]") {
    temp_dir dir;
    auto t = example();
    std::ostringstream err;
    // One uninterrupted run, for reference.
    engine_state reference;
    {
        rig r(dir.file("ref.sqlite"), dir.path() / "ref");
        replay_transcript(r.eng, r.clk, t, err);
        reference = r.eng.state();
    }
    // The same events with a restart after every 20 lines; each restart reloads the store.
    const std::string db = dir.file("restarts.sqlite");
    engine_state before_restart;
    const std::size_t n = t.lines.size();
    for (std::size_t cut = 20;; cut += 20) {
        rig r(db, dir.path() / "restarts");
        // What the new process loaded is exactly what the old one held.
        CHECK(r.eng.state() == before_restart);
        transcript part;
        part.lines.assign(t.lines.begin(), t.lines.begin() + std::ptrdiff_t(std::min(cut, n)));
        auto s = replay_transcript(r.eng, r.clk, part, err);
        // Lines handled before the restart are recognised, not applied again.
        CHECK(s.duplicates == std::min(cut - 20, n));
        CHECK(r.store.pending_outbox(0).empty());
        before_restart = r.eng.state();
        if (cut >= n) break;
    }
    CHECK(before_restart == reference);
    // A fresh load of the finished store equals the reference as well.
    sqlite_store again(db);
    auto loaded = again.load(engine_settings{}.timeline_tail).state;
    CHECK(loaded == reference);
    CHECK(err.str().empty());
}

TEST_CASE("bad transcript lines are reported with their numbers and the rest replays", "[runtime][replay]") {
    temp_dir dir;
    rig r(dir.file("f.sqlite"), dir.path());
    std::istringstream in(
        "{\"time\":\"2026-11-03T10:00:00Z\",\"room\":\"#general\",\"user\":\"ana\",\"text\":\"!incident declare Disk full\"}\n"
        "this is not json\n"
        "{\"time\":\"yesterday\",\"room\":\"#general\",\"user\":\"ana\",\"text\":\"hi\"}\n"
        "[1,2,3]\n"
        "{\"time\":\"2026-11-03T10:01:00Z\",\"room\":\"INC-7\",\"user\":\"ana\",\"text\":\"no such room\"}\n"
        "{\"time\":\"2026-11-03T10:02:00Z\",\"room\":\"INC-1\",\"user\":\"ana\",\"text\":\"#decision clean /var\"}\n");
    auto t = read_transcript(in);
    std::ostringstream err;
    auto s = replay_transcript(r.eng, r.clk, t, err);
    CHECK(s.errors == 4);
    CHECK_THAT(err.str(), Catch::Contains("line 2:") && Catch::Contains("not JSON"));
    CHECK_THAT(err.str(), Catch::Contains("line 3:") && Catch::Contains("time"));
    CHECK_THAT(err.str(), Catch::Contains("line 4:"));
    CHECK_THAT(err.str(), Catch::Contains("line 5:") && Catch::Contains("INC-7"));
    const incident* inc = r.eng.state().find(1);
    REQUIRE(inc);
    REQUIRE(inc->notes.size() == 1);
    CHECK(inc->notes[0].text == "clean /var");
}

TEST_CASE("transcript times that go backwards or leap ahead are refused", "[runtime][replay]") {
    temp_dir dir;
    rig r(dir.file("f.sqlite"), dir.path());
    std::istringstream in(
        "{\"time\":\"2026-11-03T10:00:00Z\",\"room\":\"#general\",\"user\":\"ana\",\"text\":\"!incident declare Disk full\"}\n"
        "{\"time\":\"2099-01-01T00:00:00Z\",\"room\":\"INC-1\",\"user\":\"ana\",\"text\":\"from the future\"}\n"
        "{\"time\":\"0001-01-01T00:00:00Z\",\"room\":\"INC-1\",\"user\":\"ana\",\"text\":\"from the past\"}\n"
        "{\"time\":\"2026-11-03T10:05:00Z\",\"room\":\"INC-1\",\"user\":\"bad name\",\"text\":\"spaces\"}\n"
        "{\"time\":\"2026-11-03T10:06:00Z\",\"room\":\"INC-1\",\"user\":\"ana\",\"text\":\"!incident status mitigated\"}\n");
    auto t = read_transcript(in);
    std::ostringstream err;
    auto s = replay_transcript(r.eng, r.clk, t, err);
    CHECK(s.errors == 3);
    CHECK_THAT(err.str(), Catch::Contains("line 2:") && Catch::Contains("30 days"));
    CHECK_THAT(err.str(), Catch::Contains("line 3:") && Catch::Contains("before the previous"));
    CHECK_THAT(err.str(), Catch::Contains("line 4:"));
    const incident* inc = r.eng.state().find(1);
    REQUIRE(inc);
    REQUIRE(inc->times.mitigated);
    CHECK(format_utc(*inc->times.mitigated) == "2026-11-03 10:06:00Z");
}
