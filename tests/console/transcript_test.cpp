// read_transcript(): how a JSONL transcript for `firebreak replay` becomes chat
// events, and how bad lines are reported by line number and skipped.
#include "adapters/console/transcript.hpp"
#include "tests/core/test_time.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <set>
#include <sstream>
#include <string>

using namespace firebreak;
using firebreak::test::utc;

namespace {

transcript read(const std::string& text, std::string_view platform = "console") {
    std::istringstream in(text);
    return read_transcript(in, platform);
}

// A valid message line in #general from maya at 14:32:05Z.
std::string good(const std::string& text = "db is slow") {
    return fmt::format(R"({{"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","text":"{}"}})", text);
}

// The numbers of the lines that were kept.
std::vector<std::size_t> kept(const transcript& t) {
    std::vector<std::size_t> out;
    for (const auto& l : t.lines) out.push_back(l.line_no);
    return out;
}

}  // namespace

TEST_CASE("a message line becomes a message event with every field read", "[console]") {
    auto t = read(R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","text":"db is slow",)"
                  R"("id":"m17","thread":"m3"})"
                  "\n");
    REQUIRE(t.errors.empty());
    REQUIRE(t.lines.size() == 1);
    const auto& l = t.lines[0];
    CHECK(l.line_no == 1);
    CHECK_FALSE(l.incident.has_value());
    const auto& ev = l.event;
    CHECK(ev.kind == event_kind::message);
    CHECK(ev.room.platform == "console");
    CHECK(ev.room.id == "#general");  // kept as written
    CHECK(ev.user.id == "maya");
    CHECK(ev.text == "db is slow");
    CHECK(ev.at == utc(2026, 11, 22, 14, 32, 5));
    CHECK(ev.msg.id == "m17");
    CHECK(ev.thread_parent.id == "m3");
    CHECK_FALSE(ev.event_id.empty());
}

TEST_CASE("the platform given to read_transcript names the events' rooms", "[console]") {
    auto t = read(good() + "\n", "slack");
    REQUIRE(t.lines.size() == 1);
    CHECK(t.lines[0].event.room == room_ref{"slack", "#general"});
}

TEST_CASE("times with an offset are converted to UTC", "[console]") {
    auto t = read(R"({"time":"2026-11-22T16:32:05.250+02:00","room":"#general","user":"maya","text":"a"})"
                  "\n"
                  R"({"time":"2026-11-22T09:32:05-05:00","room":"#general","user":"maya","text":"b"})"
                  "\n"
                  R"({"time":"2026-11-23T00:30:00+01:00","room":"#general","user":"maya","text":"c"})"
                  "\n");
    REQUIRE(t.errors.empty());
    REQUIRE(t.lines.size() == 3);
    CHECK(t.lines[0].event.at == utc(2026, 11, 22, 14, 32, 5, 250));
    CHECK(t.lines[1].event.at == utc(2026, 11, 22, 14, 32, 5));
    CHECK(t.lines[2].event.at == utc(2026, 11, 22, 23, 30));  // crosses midnight back to the 22nd
}

TEST_CASE("a message without an id gets L<line number>, counting blank lines", "[console]") {
    auto t = read("\n\n" + good() + "\n" + good("again") + "\n");
    REQUIRE(t.errors.empty());
    REQUIRE(t.lines.size() == 2);
    CHECK(t.lines[0].line_no == 3);
    CHECK(t.lines[0].event.msg.id == "L3");
    CHECK(t.lines[0].event.thread_parent.empty());
    CHECK(t.lines[1].event.msg.id == "L4");
}

TEST_CASE("a room written INC-n names that incident's room", "[console]") {
    auto t = read(R"({"time":"2026-11-22T14:32:05Z","room":"INC-3","user":"maya","text":"x"})"
                  "\n"
                  R"({"time":"2026-11-22T14:32:05Z","room":"INC-12","user":"maya","text":"x"})"
                  "\n"
                  R"({"time":"2026-11-22T14:32:05Z","room":"#inc-1-db-down","user":"maya","text":"x"})"
                  "\n"
                  R"({"time":"2026-11-22T14:32:05Z","room":"INC-3x","user":"maya","text":"x"})"
                  "\n");
    REQUIRE(t.errors.empty());
    REQUIRE(t.lines.size() == 4);
    REQUIRE(t.lines[0].incident.has_value());
    CHECK(*t.lines[0].incident == 3);
    CHECK(t.lines[0].event.room.id == "INC-3");
    REQUIRE(t.lines[1].incident.has_value());
    CHECK(*t.lines[1].incident == 12);
    CHECK_FALSE(t.lines[2].incident.has_value());
    CHECK_FALSE(t.lines[3].incident.has_value());
}

TEST_CASE("reaction, unreaction, edit and delete lines", "[console]") {
    auto t = read(R"({"time":"2026-11-22T14:33:00Z","room":"#general","user":"lena","react":"pushpin","target":"m17"})"
                  "\n"
                  R"({"time":"2026-11-22T14:34:00Z","room":"#general","user":"lena","unreact":"pushpin","target":"m17"})"
                  "\n"
                  R"({"time":"2026-11-22T14:35:00Z","room":"#general","user":"maya","edit":"m17","text":"db is fine"})"
                  "\n"
                  R"({"time":"2026-11-22T14:36:00Z","room":"#general","user":"maya","delete":"m17"})"
                  "\n");
    REQUIRE(t.errors.empty());
    REQUIRE(t.lines.size() == 4);

    const auto& react = t.lines[0].event;
    CHECK(react.kind == event_kind::reaction);
    CHECK(react.reaction == "pushpin");
    CHECK(react.highlight);
    CHECK(react.reaction_added);
    CHECK(react.msg.id == "m17");
    CHECK(react.user.id == "lena");
    CHECK(react.at == utc(2026, 11, 22, 14, 33));

    const auto& unreact = t.lines[1].event;
    CHECK(unreact.kind == event_kind::reaction);
    CHECK(unreact.reaction == "pushpin");
    CHECK_FALSE(unreact.reaction_added);
    CHECK(unreact.msg.id == "m17");

    const auto& edit = t.lines[2].event;
    CHECK(edit.kind == event_kind::edit);
    CHECK(edit.msg.id == "m17");
    CHECK(edit.text == "db is fine");

    const auto& del = t.lines[3].event;
    CHECK(del.kind == event_kind::remove);
    CHECK(del.msg.id == "m17");
    CHECK(del.at == utc(2026, 11, 22, 14, 36));
}

TEST_CASE("event ids depend on the line's content and number only", "[console]") {
    const std::string a = good("first");
    const std::string b = good("second");

    auto once = read(a + "\n" + b + "\n");
    auto again = read(a + "\n" + b + "\n");
    REQUIRE(once.lines.size() == 2);
    REQUIRE(again.lines.size() == 2);
    // Replaying the same file yields the same ids, so a store de-duplicates them.
    CHECK(once.lines[0].event.event_id == again.lines[0].event.event_id);
    CHECK(once.lines[1].event.event_id == again.lines[1].event.event_id);
    CHECK(once.lines[0].event.event_id != once.lines[1].event.event_id);

    SECTION("the same content on another line is another event") {
        auto shifted = read("\n" + a + "\n");
        REQUIRE(shifted.lines.size() == 1);
        CHECK(shifted.lines[0].event.event_id != once.lines[0].event.event_id);
    }
    SECTION("other content on the same line is another event") {
        auto changed = read(good("first!") + "\n");
        REQUIRE(changed.lines.size() == 1);
        CHECK(changed.lines[0].event.event_id != once.lines[0].event.event_id);
    }
    SECTION("identical lines on different line numbers are different events") {
        auto twice = read(a + "\n" + a + "\n");
        REQUIRE(twice.lines.size() == 2);
        CHECK(twice.lines[0].event.event_id != twice.lines[1].event.event_id);
    }
}

TEST_CASE("bad lines are reported with their line number and skipped — later lines are kept", "[console]") {
    struct bad_line {
        const char* what;
        std::string line;
        const char* message_part;
    };
    const std::vector<bad_line> cases = {
        {"not JSON", R"({"time": "2026-11-22T14:32:05Z", )", "not JSON"},
        {"plain prose", "maya: db is slow", "not JSON"},
        {"a JSON array", R"(["2026-11-22T14:32:05Z", "#general", "maya", "hi"])", "not a JSON object"},
        {"a JSON string", R"("hello")", "not a JSON object"},
        {"missing time", R"({"room":"#general","user":"maya","text":"x"})", "needs \"time\""},
        {"missing room", R"({"time":"2026-11-22T14:32:05Z","user":"maya","text":"x"})", "needs"},
        {"missing user", R"({"time":"2026-11-22T14:32:05Z","room":"#general","text":"x"})", "needs"},
        {"time not ISO", R"({"time":"yesterday at noon","room":"#general","user":"maya","text":"x"})",
         "ISO 8601"},
        {"time without an offset", R"({"time":"2026-11-22T14:32:05","room":"#general","user":"maya","text":"x"})",
         "ISO 8601"},
        {"an impossible date", R"({"time":"2026-02-30T14:32:05Z","room":"#general","user":"maya","text":"x"})",
         "ISO 8601"},
        {"text as a number", R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","text":5})",
         "\"text\" must be a string"},
        {"time as a number", R"({"time":1763821925,"room":"#general","user":"maya","text":"x"})",
         "\"time\" must be a string"},
        {"user as an object", R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":{"id":"maya"},"text":"x"})",
         "\"user\" must be a string"},
        {"id as a number", R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","text":"x","id":17})",
         "\"id\" must be a string"},
        {"an empty room", R"({"time":"2026-11-22T14:32:05Z","room":"","user":"maya","text":"x"})", "1-200"},
        {"a reaction without target", R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","react":"pushpin"})",
         "\"target\""},
        {"an unreaction without target",
         R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","unreact":"pushpin"})", "\"target\""},
        {"an edit without text", R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","edit":"m17"})",
         "an edit needs \"text\""},
        {"a message without text", R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","id":"m1"})",
         "a message needs \"text\""},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.what) {
            auto t = read(good("before") + "\n" + c.line + "\n" + good("after") + "\n");
            REQUIRE(t.errors.size() == 1);
            CHECK(t.errors[0].line_no == 2);
            CHECK_THAT(t.errors[0].message, Catch::Contains(c.message_part));
            CHECK(kept(t) == std::vector<std::size_t>{1, 3});
            REQUIRE(t.lines.size() == 2);
            CHECK(t.lines[1].event.text == "after");
            CHECK(t.lines[1].event.msg.id == "L3");
        }
    }
}

TEST_CASE("several bad lines are each reported once, in order", "[console]") {
    auto t = read("oops\n" + good() + "\n[1]\n\n" + R"({"time":"x","room":"#g","user":"u","text":"t"})" + "\n" +
                  good() + "\n");
    REQUIRE(t.errors.size() == 3);
    CHECK(t.errors[0].line_no == 1);
    CHECK(t.errors[1].line_no == 3);
    CHECK(t.errors[2].line_no == 5);
    CHECK(kept(t) == std::vector<std::size_t>{2, 6});
}

TEST_CASE("lines over 64 KiB are refused — a line of exactly 64 KiB is read", "[console]") {
    const std::size_t limit = 64 * 1024;
    const std::size_t overhead = good("").size();
    const std::string exact = good(std::string(limit - overhead, 'a'));
    const std::string over = good(std::string(limit - overhead + 1, 'b'));
    REQUIRE(exact.size() == limit);
    REQUIRE(over.size() == limit + 1);

    auto t = read(exact + "\n" + over + "\n" + good("after") + "\n");
    REQUIRE(t.errors.size() == 1);
    CHECK(t.errors[0].line_no == 2);
    CHECK_THAT(t.errors[0].message, Catch::Contains("65537") && Catch::Contains("65536"));
    CHECK(kept(t) == std::vector<std::size_t>{1, 3});
    REQUIRE(t.lines.size() == 2);
    CHECK(t.lines[0].event.text.size() == limit - overhead);

    SECTION("a huge line of no JSON at all is refused for its length, not parsed") {
        auto big = read(std::string(1024 * 1024, '{') + "\n" + good() + "\n");
        REQUIRE(big.errors.size() == 1);
        CHECK(big.errors[0].line_no == 1);
        CHECK_THAT(big.errors[0].message, Catch::Contains("at most 65536"));
        CHECK(kept(big) == std::vector<std::size_t>{2});
    }
}

TEST_CASE("empty and whitespace-only lines are skipped silently", "[console]") {
    auto t = read("\n   \n\t\t\n \t \n" + good() + "\n\n");
    CHECK(t.errors.empty());
    CHECK(kept(t) == std::vector<std::size_t>{5});
}

TEST_CASE("CRLF line endings are accepted", "[console]") {
    const std::string a = R"({"time":"2026-11-22T14:32:05Z","room":"#general","user":"maya","text":"one"})";
    const std::string b = R"({"time":"2026-11-22T14:33:05Z","room":"#general","user":"maya","text":"two"})";
    auto crlf = read(a + "\r\n\r\n" + "nonsense\r\n" + b + "\r\n");
    REQUIRE(crlf.errors.size() == 1);  // the blank CRLF line is not an error
    CHECK(crlf.errors[0].line_no == 3);
    REQUIRE(crlf.lines.size() == 2);
    CHECK(crlf.lines[0].event.text == "one");
    CHECK(crlf.lines[1].event.text == "two");
    CHECK(crlf.lines[1].line_no == 4);
    CHECK(crlf.lines[1].event.msg.id == "L4");

    // The same transcript with LF endings is the same events, so converting a file's
    // line endings does not make a replay record everything twice.
    auto lf = read(a + "\n\nnonsense\n" + b + "\n");
    REQUIRE(lf.lines.size() == 2);
    CHECK(lf.lines[0].event.event_id == crlf.lines[0].event.event_id);
    CHECK(lf.lines[1].event.event_id == crlf.lines[1].event.event_id);
}

TEST_CASE("a last line without a newline is read", "[console]") {
    auto t = read(good("a") + "\n" + good("b"));
    CHECK(t.errors.empty());
    CHECK(kept(t) == std::vector<std::size_t>{1, 2});
}

TEST_CASE("invalid UTF-8 inside a JSON string is an error line, not a crash", "[console]") {
    const std::string bad = "{\"time\":\"2026-11-22T14:32:05Z\",\"room\":\"#general\",\"user\":\"maya\",\"text\":\"caf\xc3"
                            "\x28 \xff\xfe\"}";
    const std::string truncated = "{\"time\":\"2026-11-22T14:32:05Z\",\"room\":\"#general\",\"user\":\"ma\xe2\x82\","
                                  "\"text\":\"x\"}";
    auto t = read(bad + "\n" + truncated + "\n" + good("caf\xc3\xa9 \xf0\x9f\x93\x8c") + "\n");
    REQUIRE(t.errors.size() == 2);
    CHECK(t.errors[0].line_no == 1);
    CHECK(t.errors[1].line_no == 2);
    REQUIRE(t.lines.size() == 1);
    CHECK(t.lines[0].line_no == 3);
    CHECK(t.lines[0].event.text == "caf\xc3\xa9 \xf0\x9f\x93\x8c");  // valid UTF-8 passes through
}

TEST_CASE("a 10,000-line transcript is read whole", "[console]") {
    std::string text;
    for (int i = 1; i <= 10'000; ++i) {
        if (i % 100 == 0)
            text += "not json\n";
        else
            text += fmt::format(R"({{"time":"2026-11-22T14:32:05Z","room":"INC-{}","user":"u{}","text":"line {}"}})",
                                1 + i % 7, i % 13, i) +
                    "\n";
    }
    auto t = read(text);
    REQUIRE(t.lines.size() == 9'900);
    REQUIRE(t.errors.size() == 100);
    CHECK(t.errors.front().line_no == 100);
    CHECK(t.errors.back().line_no == 10'000);
    CHECK(t.lines.front().line_no == 1);
    CHECK(t.lines.back().line_no == 9'999);
    CHECK(t.lines.back().event.text == "line 9999");
    CHECK(t.lines.back().event.msg.id == "L9999");
    std::set<std::string> ids;
    for (const auto& l : t.lines) ids.insert(l.event.event_id);
    CHECK(ids.size() == t.lines.size());
}
