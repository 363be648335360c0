// The scribe can trust the tags: found through invisible characters and on any line,
// and every tag that records something acknowledged the same way.
#include "tests/commands/harness.hpp"

#include "bot/core/text.hpp"

using namespace firebreak;
using namespace firebreak::test;

using fixture = announced_incident;

namespace {

// The ✅ acknowledgements of the last change, as (message, fallback line).
std::vector<std::pair<std::string, std::string>> acks(const harness& h) {
    std::vector<std::pair<std::string, std::string>> r;
    for (const auto& o : h.last.outbox)
        if (o.op == outbound_op::post && o.reaction == "white_check_mark") r.emplace_back(o.reaction_to.id, o.body.plain());
    return r;
}

}  // namespace

TEST_CASE("invisible characters of pasted text are folded for reading", "[core][text]") {
    CHECK(fold_invisible("\xE2\x80\x8B#decision") == "#decision");              // zero-width space
    CHECK(fold_invisible("a\xC2\xA0#decision") == "a #decision");               // no-break space
    CHECK(fold_invisible("\xEF\xBB\xBF#deadend x") == "#deadend x");            // byte order mark
    CHECK(fold_invisible("#dec\xC2\xADision") == "#decision");                  // soft hyphen
    CHECK(fold_invisible("\xE2\x81\xA0#change\xE2\x80\xAFy") == "#change y");   // word joiner, narrow nbsp
    CHECK(fold_invisible("\xEF\xBC\x83impact z") == "#impact z");               // fullwidth #
    CHECK(fold_invisible("plain ascii") == "plain ascii");
    CHECK(fold_invisible("caf\xC3\xA9 \xF0\x9F\x94\xA5") == "caf\xC3\xA9 \xF0\x9F\x94\xA5");
}

TEST_CASE("a tag is found after invisible characters and at the start of any line", "[commands][tags]") {
    const std::vector<std::pair<std::string, note_kind>> cases = {
        {"\xE2\x80\x8B#decision roll back", note_kind::decision},
        {"#decision\xC2\xA0roll back", note_kind::decision},
        {"\xEF\xBB\xBF#deadend CDN fine", note_kind::deadend},
        {"looked at it\n#change bumped the pool", note_kind::change},
        {"first line\r\n\xE2\x81\xA0#impact 8% fail", note_kind::impact},
    };
    for (const auto& [text, kind] : cases) {
        INFO(text);
        fixture f;
        f.h.say("sam", f.room, text);
        REQUIRE(f.h.inc(f.n).notes.size() == 1);
        CHECK(f.h.inc(f.n).notes[0].kind == kind);
        CHECK(f.h.message_entries().at(0).tag == to_string(kind));
    }
}

TEST_CASE("every tag that records something is acknowledged on its message", "[commands][tags]") {
    fixture f;
    auto& h = f.h;
    for (const char* text : {"#decision roll back", "#deadend CDN fine", "#change pool to 40", "#impact 8% fail",
                             "#mitigation traffic moved", "#hypothesis pool too small", "#action alert @dana",
                             "#ruledout H1 pool at 40%"}) {
        INFO(text);
        h.say("sam", f.room, text);
        auto a = acks(h);
        REQUIRE(a.size() == 1);
        CHECK(a[0].first == h.last_msg());
    }
    // Notes have no line of their own: the fallback where reactions do not exist says it.
    h.say("sam", f.room, "#decision freeze deploys");
    CHECK(acks(h).at(0).second == "✅ Decision recorded.");
    h.say("sam", f.room, "#deadend the load balancer");
    CHECK(acks(h).at(0).second == "✅ Dead end recorded.");
    // Numbered records say their number in their own line, so the fallback is empty.
    h.say("sam", f.room, "#hypothesis bad deploy");
    CHECK(acks(h).at(0).second.empty());
    CHECK(h.posted("Recorded hypothesis H2: bad deploy"));
    // What records nothing is not acknowledged.
    h.say("sam", f.room, "#ruledout H9 nope");
    CHECK(acks(h).empty());
    CHECK(h.told("sam", "There is no H9"));
    h.say("sam", f.room, "#decision");
    CHECK(acks(h).empty());
    h.say("sam", f.room, "just talking");
    CHECK(acks(h).empty());
}
