// Records follow the messages they came from: deleting a tagged message withdraws what
// it created, editing it updates the record, adding or removing a tag creates or
// withdraws one.
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {

using fixture = announced_incident;

const timeline_entry* row_of(const harness& h, std::int64_t n, const std::string& msg) {
    for (const auto& e : h.tail(n))
        if (e.kind == entry_kind::message && e.msg.id == msg) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("deleting a tagged message withdraws what it created from every view", "[commands][amend]") {
    fixture f;
    auto& h = f.h;
    struct tagged {
        const char* text;
        std::function<std::size_t(const incident&)> count;
    };
    const std::vector<tagged> cases = {
        {"#decision roll back to 2026.11.2", [](const incident& i) { return i.notes.size(); }},
        {"#deadend the CDN is fine", [](const incident& i) { return i.notes.size(); }},
        {"#change bumped the pool to 40", [](const incident& i) { return i.notes.size(); }},
        {"#impact 8% of checkouts fail", [](const incident& i) { return i.notes.size(); }},
        {"#action add a pool alert @dana", [](const incident& i) { return i.live_actions().size(); }},
        {"#hypothesis the pool is too small", [](const incident& i) { return i.live_hypotheses().size(); }},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto before = c.count(h.inc(f.n));
        h.say("sam", f.room, c.text);
        auto msg = h.last_msg();
        REQUIRE(c.count(h.inc(f.n)) == before + 1);
        h.remove("sam", f.room, msg);
        CHECK(c.count(h.inc(f.n)) == before);
        // The timeline keeps only that something was said and deleted.
        const auto* row = row_of(h, f.n, msg);
        REQUIRE(row);
        CHECK(row->deleted);
        CHECK(row->text.empty());
        CHECK(row->tag.empty());
        // The room is told in one line, without the deleted words.
        auto posts = h.incident_room_posts(f.n);
        REQUIRE(posts.size() == 1);
        CHECK(posts[0].body.plain().find("withdrawn") != std::string::npos);
        CHECK(posts[0].body.plain().find(std::string(c.text).substr(std::string(c.text).find(' ') + 1)) ==
              std::string::npos);
        REQUIRE(h.system_entries("withdrawn").size() == 1);
    }
    // Nothing remains anywhere the scribe or a manager would look.
    h.say("maya", f.room, cmd("roles"));
    for (const auto* a : h.inc(f.n).live_actions()) CHECK(a->text != "add a pool alert");
}

TEST_CASE("a withdrawn hypothesis keeps its number — one already confirmed stays, marked as deleted",
          "[commands][amend]") {
    fixture f;
    auto& h = f.h;
    h.say("sam", f.room, "#hypothesis pool too small");
    auto h1 = h.last_msg();
    h.say("sam", f.room, "#hypothesis bad deploy");
    auto h2 = h.last_msg();
    h.say("maya", f.room, cmd("confirm H2 rollback fixed it"));
    h.remove("sam", f.room, h1);
    h.say("sam", f.room, "#hypothesis something else");
    const auto& inc = h.inc(f.n);
    REQUIRE(inc.hypotheses.size() == 3);
    CHECK(inc.hypotheses[0].withdrawn);
    CHECK(inc.hypotheses[0].text.empty());
    CHECK(inc.hypotheses[2].n == 3);  // H1 is not given out again
    h.say("maya", f.room, cmd("confirm H1 x"));
    CHECK(h.told("maya", "H1 was withdrawn"));

    h.remove("sam", f.room, h2);
    const auto& h2r = h.inc(f.n).hypotheses[1];
    CHECK_FALSE(h2r.withdrawn);
    CHECK(h2r.source_deleted);
    CHECK(h2r.result == outcome::confirmed);
    CHECK(h2r.text.empty());
    CHECK(shown_text(h2r) == "(its message was deleted)");
    CHECK(h.incident_room_posts(f.n).at(0).body.plain().find("H2 keeps its number and outcome") != std::string::npos);
}

TEST_CASE("deleting the #ruledout or #confirmed message reopens the hypothesis", "[commands][amend]") {
    fixture f;
    auto& h = f.h;
    h.say("sam", f.room, "#hypothesis pool too small");
    h.say("sam", f.room, "#ruledout H1 pool at 40%");
    auto closer = h.last_msg();
    REQUIRE(h.inc(f.n).hypotheses[0].result == outcome::ruled_out);
    h.remove("sam", f.room, closer);
    const auto& hyp = h.inc(f.n).hypotheses[0];
    CHECK(hyp.result == outcome::open);
    CHECK(hyp.evidence.empty());
    CHECK_FALSE(hyp.closed_at);
    CHECK(h.incident_room_posts(f.n).at(0).body.plain().find("H1 is open again") != std::string::npos);
}

TEST_CASE("editing a tagged message updates its record in place and says what changed in one line",
          "[commands][amend]") {
    fixture f;
    auto& h = f.h;
    SECTION("decision") {
        h.say("sam", f.room, "#decision roll back to .2");
        auto m = h.last_msg();
        h.edit("sam", f.room, m, "#decision roll back to 2026.11.2 and freeze deploys");
        REQUIRE(h.inc(f.n).notes.size() == 1);
        CHECK(h.inc(f.n).notes[0].text == "roll back to 2026.11.2 and freeze deploys");
        auto posts = h.incident_room_posts(f.n);
        REQUIRE(posts.size() == 1);
        CHECK(posts[0].body.plain() ==
              "✏️ Updated decision: “roll back to .2” → “roll back to 2026.11.2 and freeze deploys”");
        CHECK(row_of(h, f.n, m)->text == "#decision roll back to 2026.11.2 and freeze deploys");
        CHECK(row_of(h, f.n, m)->edited);
    }
    SECTION("hypothesis keeps its number") {
        h.say("sam", f.room, "#hypothesis pool");
        auto m = h.last_msg();
        h.edit("sam", f.room, m, "#hypothesis the pool max is 10, not 40");
        REQUIRE(h.inc(f.n).hypotheses.size() == 1);
        CHECK(h.inc(f.n).hypotheses[0].n == 1);
        CHECK(h.inc(f.n).hypotheses[0].text == "the pool max is 10, not 40");
        CHECK(h.incident_room_posts(f.n).at(0).body.plain().find("Updated H1") != std::string::npos);
    }
    SECTION("action item: text, owner and due date") {
        h.say("sam", f.room, "#action add alert");
        auto m = h.last_msg();
        h.edit("sam", f.room, m, "#action add a pool-waiters alert @dana due 2026-12-01");
        const auto& a = h.inc(f.n).actions.at(0);
        CHECK(a.text == "add a pool-waiters alert");
        CHECK(a.owner.id == "dana");
        CHECK(a.due == "2026-12-01");
    }
    SECTION("evidence of a ruled-out hypothesis") {
        h.say("sam", f.room, "#hypothesis pool");
        h.say("sam", f.room, "#ruledout H1 fine");
        auto m = h.last_msg();
        h.edit("sam", f.room, m, "#ruledout H1 pool at 40% throughout");
        CHECK(h.inc(f.n).hypotheses[0].evidence == "pool at 40% throughout");
        CHECK(h.inc(f.n).hypotheses[0].result == outcome::ruled_out);
    }
}

TEST_CASE("an edit that adds or removes a tag creates or withdraws the record", "[commands][amend]") {
    fixture f;
    auto& h = f.h;
    h.say("sam", f.room, "roll back to 2026.11.2");
    auto m = h.last_msg();
    CHECK(h.inc(f.n).notes.empty());
    h.edit("sam", f.room, m, "#decision roll back to 2026.11.2");
    REQUIRE(h.inc(f.n).notes.size() == 1);
    CHECK(h.inc(f.n).notes[0].source.id == m);
    CHECK(row_of(h, f.n, m)->tag == "decision");
    h.edit("sam", f.room, m, "#deadend rollback did not help");
    REQUIRE(h.inc(f.n).notes.size() == 1);
    CHECK(h.inc(f.n).notes[0].kind == note_kind::deadend);
    CHECK(row_of(h, f.n, m)->tag == "deadend");
    h.edit("sam", f.room, m, "rollback did not help");
    CHECK(h.inc(f.n).notes.empty());
    CHECK(row_of(h, f.n, m)->tag.empty());
    CHECK(h.incident_room_posts(f.n).at(0).body.plain().find("no longer has the tag") != std::string::npos);
    // A tagged hypothesis edit that becomes an action renumbers nothing.
    h.say("sam", f.room, "#hypothesis a");
    auto hm = h.last_msg();
    h.edit("sam", f.room, hm, "#action look at a");
    CHECK(h.inc(f.n).hypotheses.at(0).withdrawn);
    CHECK(h.inc(f.n).live_actions().size() == 1);
}

TEST_CASE("an edit that changes no text changes nothing", "[commands][amend]") {
    fixture f;
    auto& h = f.h;
    h.say("sam", f.room, "#decision roll back https://deploys/42");
    auto m = h.last_msg();
    h.edit("sam", f.room, m, "#decision roll back https://deploys/42");
    CHECK(h.last.outbox.empty());
    CHECK(h.last.entries.empty());
    CHECK_FALSE(row_of(h, f.n, m)->edited);
}

TEST_CASE("records made by commands do not follow the command message", "[commands][amend]") {
    fixture f;
    auto& h = f.h;
    h.say("maya", f.room, cmd("decision roll back"));
    auto m = h.last_msg();
    h.remove("maya", f.room, m);
    CHECK(h.inc(f.n).notes.size() == 1);
}
