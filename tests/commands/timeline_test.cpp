// The timeline: every message in an incident room, inline tags, edits,
// deletions and highlights.
#include "bot/core/text.hpp"
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {
struct fixture : with_incident {
    fixture() : with_incident("DB down", false) {}
};
}  // namespace

TEST_CASE("messages in an incident room are recorded with the platform's timestamp", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.advance(10min);
    h.event_time = h.now() - 3s - 250ms;  // the platform's time, not the engine's
    h.say("dev", f.room, "seeing 503s from checkout-api", "m-root");
    auto msgs = h.message_entries();
    REQUIRE(msgs.size() == 1);
    const auto& e = msgs[0];
    CHECK(e.incident.n == f.n);
    CHECK(e.kind == entry_kind::message);
    CHECK(e.author.id == "dev");
    CHECK(e.at == utc(2026, 11, 22, 14, 9, 56, 750));
    CHECK(e.text == "seeing 503s from checkout-api");
    CHECK(e.room == h.room(f.room));
    CHECK(e.msg.id == h.last_msg());
    CHECK_FALSE(e.msg.empty());
    CHECK(e.thread_parent.id == "m-root");
    CHECK(e.tag.empty());
    CHECK(h.inc(f.n).message_count == 1);
    // Nothing is said back for a plain message.
    CHECK(h.last.outbox.empty());
    REQUIRE_FALSE(h.tail(f.n).empty());
    CHECK(h.tail(f.n).back().text == "seeing 503s from checkout-api");
}

TEST_CASE("messages in other rooms are not recorded", "[commands]") {
    fixture f;
    auto& h = f.h;
    auto before = h.state;
    h.say("dev", "#general", "anyone else seeing 503s? #decision roll back");
    CHECK(h.last.empty());
    CHECK(h.state == before);
}

TEST_CASE("each inline tag creates its record and tags the message", "[commands]") {
    fixture f;
    auto& h = f.h;
    struct row { const char* text; const char* tag; std::function<void(const incident&)> check; };
    const std::vector<row> rows = {
        {"#decision roll back to 2026.11.2", "decision",
         [](const incident& i) {
             REQUIRE(i.notes.size() == 1);
             CHECK(i.notes[0].kind == note_kind::decision);
             CHECK(i.notes[0].text == "roll back to 2026.11.2");
             CHECK(i.notes[0].author.id == "sam");
         }},
        {"restarting pods did nothing #deadend", "deadend",
         [](const incident& i) {
             REQUIRE(i.notes.size() == 1);
             CHECK(i.notes[0].kind == note_kind::deadend);
             CHECK(i.notes[0].text == "restarting pods did nothing");
         }},
        {"#dead-end: the cache is fine", "deadend",
         [](const incident& i) { CHECK(i.notes.at(0).kind == note_kind::deadend); }},
        {"#hypothesis the release broke the pool", "hypothesis",
         [](const incident& i) {
             REQUIRE(i.hypotheses.size() == 1);
             CHECK(i.hypotheses[0].n == 1);
             CHECK(i.hypotheses[0].text == "the release broke the pool");
             CHECK(i.hypotheses[0].opened_by.id == "sam");
         }},
        {"#action add a canary stage @dev due 2026-12-01", "action",
         [](const incident& i) {
             REQUIRE(i.actions.size() == 1);
             CHECK(i.actions[0].text == "add a canary stage");
             CHECK(i.actions[0].owner.id == "dev");
             CHECK(i.actions[0].due == "2026-12-01");
         }},
        {"#change rolled back checkout-api to 2026.11.2", "change",
         [](const incident& i) { CHECK(i.notes.at(0).kind == note_kind::change); }},
        {"#impact 8% of EU checkouts fail", "impact",
         [](const incident& i) {
             CHECK(i.notes.at(0).kind == note_kind::impact);
             CHECK(i.notes.at(0).text == "8% of EU checkouts fail");
         }},
        {"#Mitigation, traffic shifted to us-east", "mitigation",
         [](const incident& i) {
             CHECK(i.notes.at(0).kind == note_kind::mitigation);
             CHECK(i.notes.at(0).text == "traffic shifted to us-east");
         }},
    };
    for (const auto& r : rows) {
        DYNAMIC_SECTION(r.text) {
            h.advance(1min);
            h.say("sam", f.room, r.text);
            auto msgs = h.message_entries();
            REQUIRE(msgs.size() == 1);
            CHECK(msgs[0].tag == r.tag);
            CHECK(msgs[0].text == r.text);  // the message keeps its words
            r.check(h.inc(f.n));
            // The tagged message is the record: no extra system entry.
            CHECK(h.last.entries.size() == 1);
            CHECK(h.out(outbound_op::ephemeral).empty());
        }
    }
}

TEST_CASE("#ruledout and #confirmed close hypotheses", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.say("sam", f.room, "#hypothesis bad release");
    h.say("sam", f.room, "#hypothesis pool exhausted");
    h.advance(4min);
    h.say("dev", f.room, "#ruledout H2 pool usage is 40%");
    CHECK(h.message_entries().at(0).tag == "ruled-out");
    CHECK(h.inc(f.n).hypotheses[1].result == outcome::ruled_out);
    CHECK(h.inc(f.n).hypotheses[1].evidence == "pool usage is 40%");
    CHECK(h.inc(f.n).hypotheses[1].closed_by.id == "dev");
    CHECK(h.inc(f.n).hypotheses[1].closed_at == h.now());

    h.say("dev", f.room, "#confirmed h1 rollback cleared the errors");
    CHECK(h.message_entries().at(0).tag == "confirmed");
    CHECK(h.inc(f.n).hypotheses[0].result == outcome::confirmed);
    CHECK(h.inc(f.n).hypotheses[0].evidence == "rollback cleared the errors");

    SECTION("problems are told to the writer; the message is still recorded") {
        for (auto text : {"#confirmed H1 again", "#ruledout H9 nope", "#ruledout no id here"}) {
            INFO(text);
            h.say("dev", f.room, text);
            CHECK(h.message_entries().size() == 1);
            CHECK(h.out(outbound_op::ephemeral).size() == 1);
            CHECK(h.out(outbound_op::ephemeral)[0].to_user.id == "dev");
        }
        CHECK(h.inc(f.n).hypotheses[0].result == outcome::confirmed);
    }
}

TEST_CASE("words that only look like tags are not tags", "[commands]") {
    fixture f;
    auto& h = f.h;
    auto text = GENERATE(as<std::string>{}, "see #db-alerts for the page", "#decisions are hard", "foo#decision",
                         "#decision-making later", "the #hypothesis2 channel", "# decision", "decision: roll back",
                         "##decision", "(#decision)");
    INFO(text);
    auto before = h.inc(f.n);
    h.say("sam", f.room, text);
    REQUIRE(h.message_entries().size() == 1);
    CHECK(h.message_entries()[0].tag.empty());
    CHECK(h.inc(f.n).notes == before.notes);
    CHECK(h.inc(f.n).hypotheses == before.hypotheses);
    CHECK(h.last.outbox.empty());
}

TEST_CASE("a tag outside an incident room does nothing", "[commands]") {
    fixture f;
    auto& h = f.h;
    for (auto text : {"#decision roll back", "#hypothesis dns", "#action fix @dev"}) {
        h.say("sam", "#general", text);
        CHECK(h.last.empty());
    }
    CHECK(h.inc(f.n).notes.empty());
    CHECK(h.inc(f.n).hypotheses.empty());
    CHECK(h.inc(f.n).actions.empty());
}

TEST_CASE("a command typed in the incident room is recorded and executed", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.advance(2min);
    h.say("maya", f.room, cmd("hypothesis bad release #decision"));
    REQUIRE(h.last.entries.size() == 2);
    const auto& msg = h.last.entries[0];
    CHECK(msg.kind == entry_kind::message);
    CHECK(msg.text == "!incident hypothesis bad release #decision");
    CHECK(msg.author.id == "maya");
    CHECK(msg.tag == "command");  // marked as a command, and not read for tags
    CHECK(h.last.entries[1].kind == entry_kind::system);
    CHECK(h.last.entries[1].tag == "hypothesis");
    REQUIRE(h.last.incidents.size() == 1);
    CHECK(h.inc(f.n).hypotheses.size() == 1);
    CHECK(h.inc(f.n).hypotheses[0].text == "bad release #decision");
    CHECK(h.inc(f.n).notes.empty());
    CHECK(h.inc(f.n).message_count == 1);

    SECTION("the message count survives a refused command") {
        h.say("sam", f.room, cmd("close"));
        CHECK(h.told("sam", "Only the current commander"));
        CHECK(h.inc(f.n).message_count == 2);
        CHECK(h.message_entries().size() == 1);
    }
}

TEST_CASE("edits, deletions and pins amend the message entry", "[commands]") {
    fixture f;
    auto& h = f.h;
    h.say("dev", f.room, "pool at 40%");
    auto id = h.last_msg();
    using what = timeline_amendment::what;

    SECTION("edit") {
        h.advance(1min);
        h.edit("dev", f.room, id, "pool at 45%\x01");
        REQUIRE(h.last.amendments.size() == 1);
        const auto& a = h.last.amendments[0];
        CHECK(a.op == what::edit);
        CHECK(a.incident.n == f.n);
        CHECK(a.room == h.room(f.room));
        CHECK(a.msg.id == id);
        CHECK(a.new_text == "pool at 45%");
        CHECK(a.actor.id == "dev");
        CHECK(a.at == h.now());
        CHECK(h.tail(f.n).back().text == "pool at 45%");
        CHECK(h.tail(f.n).back().edited);
    }
    SECTION("delete") {
        h.remove("dev", f.room, id);
        REQUIRE(h.last.amendments.size() == 1);
        CHECK(h.last.amendments[0].op == what::remove);
        CHECK(h.tail(f.n).back().deleted);
        CHECK(h.tail(f.n).back().text.empty());
    }
    SECTION("📌 and pushpin highlight; removing the reaction unhighlights") {
        for (auto pin : {"📌", "pushpin", ":pushpin:"}) {
            INFO(pin);
            h.react("lena", f.room, id, pin);
            REQUIRE(h.last.amendments.size() == 1);
            CHECK(h.last.amendments[0].op == what::highlight);
            CHECK(h.last.amendments[0].actor.id == "lena");
            CHECK(h.tail(f.n).back().highlight);
            h.react("lena", f.room, id, pin, false);
            REQUIRE(h.last.amendments.size() == 1);
            CHECK(h.last.amendments[0].op == what::unhighlight);
            CHECK_FALSE(h.tail(f.n).back().highlight);
        }
    }
    SECTION("other reactions do nothing") {
        h.react("lena", f.room, id, "thumbsup");
        CHECK(h.last.empty());
    }
    SECTION("amendments outside incident rooms or without a message id do nothing") {
        h.edit("dev", "#general", id, "x");
        CHECK(h.last.empty());
        h.react("dev", "#general", id, "pushpin");
        CHECK(h.last.empty());
        h.remove("dev", f.room, "");
        CHECK(h.last.empty());
    }
    SECTION("a highlighted entry shows in the timeline view") {
        h.react("lena", f.room, id, "pushpin");
        h.say("dev", f.room, "typo");
        h.remove("dev", f.room, h.last_msg());
        h.slash("sam", f.room, "timeline 2");
        auto t = h.only_ephemeral().body.plain();
        INFO(t);
        CHECK(t.find("📌 @dev: pool at 40%") != std::string::npos);
        CHECK(t.find("(message deleted)") != std::string::npos);
        CHECK(t.find("typo") == std::string::npos);
    }
}

TEST_CASE("a message with invalid UTF-8 is stored cleaned, whole up to the platform's limit", "[commands]") {
    fixture f;
    auto& h = f.h;
    std::string text = "start \xFF\xFE \x1B[31m \xE2\x80\xAE ";
    while (text.size() < 6000) text += "0123456789 \xC3 ";
    h.say("dev", f.room, text);
    auto msgs = h.message_entries();
    REQUIRE(msgs.size() == 1);
    const auto& stored = msgs[0].text;
    CHECK(valid_utf8(stored));
    CHECK(stored.rfind("start \xEF\xBF\xBD\xEF\xBF\xBD [31m  ", 0) == 0);
    // Nothing is cut: the console carries what Matrix does, 65,536 bytes.
    CHECK(stored.find("[cut]") == std::string::npos);
    CHECK(stored.size() > 6000);
    CHECK(stored.find('\x1B') == std::string::npos);
    // Only what no platform message could hold is cut, and then it says so.
    std::string huge(text_limit("console") + 5000, 'x');
    h.say("dev", f.room, huge);
    const std::string cut = h.message_entries().at(0).text;
    CHECK(cut.size() <= text_limit("console") + 16);
    CHECK(cut.find("[cut]") != std::string::npos);
}

TEST_CASE("a 10 KB log paste and a 300-character title are kept whole — derived lines are shortened at a word",
          "[commands]") {
    harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    std::string title;
    while (title.size() < 300) title += "checkout latency spikes across regions ";
    while (title.back() == ' ') title.pop_back();
    h.say("maya", "#general", cmd("declare " + title));
    const auto announced = h.announcements();  // of the declare's own change
    REQUIRE(h.out(outbound_op::open_room).size() == 1);
    const auto n = h.last.next_number - 1;
    h.bind_room(n, h.out(outbound_op::open_room).front().room_name);
    CHECK(h.inc(n).title == title);
    // The topic and the announcement name it shortened at a word boundary, with "…".
    const std::string shortened = shorten_words(title, 120);
    const std::string kept = shortened.substr(0, shortened.size() - std::string("…").size());
    CHECK(title.rfind(kept, 0) == 0);
    CHECK(title[kept.size()] == ' ');  // a whole word ends there
    REQUIRE_FALSE(announced.empty());
    for (const auto& o : announced) {
        auto a = o.body.plain();
        INFO(a);
        CHECK(a.find(title) == std::string::npos);
        CHECK(a.find(shortened) != std::string::npos);
    }
    std::string paste;
    for (int i = 0; paste.size() < 10 * 1024; ++i) paste += "2026-11-03T14:19:0" + std::to_string(i % 10) + "Z ERROR pool exhausted\n";
    h.say("sam", h.room_of(n), "#hypothesis the pool is exhausted, see\n" + paste);
    const std::string stored = h.message_entries().at(0).text;
    CHECK(stored.size() == ("#hypothesis the pool is exhausted, see\n" + paste).size());
    REQUIRE(h.inc(n).hypotheses.size() == 1);
    CHECK(h.inc(n).hypotheses[0].text.size() > 10 * 1024 - 100);
    // The reply repeating it is shortened and says where the rest is.
    auto posts = h.incident_room_posts(n);
    bool said_cut = false;
    for (const auto& p : posts)
        if (p.body.plain().find("cut here; `timeline` or the export has it whole") != std::string::npos) said_cut = true;
    CHECK(said_cut);
    h.say("sam", h.room_of(n), cmd("timeline 2"));
    auto t = h.only_ephemeral().body.plain();
    CHECK(t.size() < 2000);
    CHECK(t.find("the export has it whole") != std::string::npos);
}
