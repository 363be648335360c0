// console_adapter: the local chat platform the console and replays print to.
#include "adapters/console/console_adapter.hpp"
#include "tests/core/test_time.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <sstream>

using namespace firebreak;
using firebreak::test::utc;
using namespace std::chrono_literals;

namespace {

// Records what each callback was given and how often it was called.
struct recorder {
    std::vector<delivery> got;
    chat_adapter::done cb() {
        return [this](delivery d) { got.push_back(std::move(d)); };
    }
    // The one delivery of a call that must have completed exactly once.
    const delivery& only() const {
        REQUIRE(got.size() == 1);
        return got.front();
    }
};

rich_text say(std::string_view s) { return rich_text{}.text(s); }

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + needle.size())) ++n;
    return n;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// An adapter printing to a string stream at 14:32 UTC.
struct fixture {
    testing::temp_dir dir;
    manual_clock clk{utc(2026, 11, 22, 14, 32, 5)};
    std::ostringstream out;
    console_adapter adapter{out, clk, dir.path() / "files"};
};

room_request request(const std::string& name) {
    room_request r;
    r.name = name;
    r.topic = "SEV1 · investigating";
    return r;
}

}  // namespace

TEST_CASE("open_room creates the requested room — a second one of that name gets -2", "[console]") {
    fixture f;
    recorder first, second, third;
    f.adapter.open_room(request("inc-1-db-down"), first.cb());
    f.adapter.open_room(request("inc-1-db-down"), second.cb());
    f.adapter.open_room(request("inc-1-db-down"), third.cb());

    REQUIRE(first.only().ok());
    CHECK(first.only().room == room_ref{"console", "inc-1-db-down"});
    REQUIRE(second.only().ok());
    CHECK(second.only().room == room_ref{"console", "inc-1-db-down-2"});
    CHECK(third.only().room == room_ref{"console", "inc-1-db-down-3"});

    CHECK(f.adapter.has_room("inc-1-db-down"));
    CHECK(f.adapter.has_room("inc-1-db-down-2"));
    CHECK(f.adapter.rooms().at("inc-1-db-down") == "SEV1 · investigating");
    CHECK_THAT(f.out.str(), Catch::Contains("[14:32] [#inc-1-db-down] * room #inc-1-db-down created") &&
                                Catch::Contains("* room #inc-1-db-down-2 created"));
}

TEST_CASE("open_room does not take over a room that already exists", "[console]") {
    fixture f;
    f.adapter.ensure_room("general");
    recorder r;
    f.adapter.open_room(request("general"), r.cb());
    CHECK(r.only().room.id == "general-2");
}

TEST_CASE("open_room reports private rooms and invitees, who are then members", "[console]") {
    fixture f;
    auto req = request("inc-2-search");
    req.is_private = true;
    req.invite = {user_ref{"maya"}, user_ref{"lena"}};
    recorder r, inv;
    f.adapter.open_room(req, r.cb());
    CHECK_THAT(f.out.str(), Catch::Contains("* room #inc-2-search created (private); invited @maya, @lena"));

    f.out.str("");
    f.adapter.invite(r.only().room, {user_ref{"maya"}}, inv.cb());
    CHECK(inv.only().ok());
    CHECK(f.out.str().empty());  // maya was invited with the room
}

TEST_CASE("post returns distinct ids and a repeated idempotency key never prints twice", "[console]") {
    fixture f;
    const room_ref general{"console", "general"};
    recorder a, b, again, other;
    f.adapter.post(general, say("first"), {}, "key-1", a.cb());
    f.adapter.post(general, say("second"), {}, "", b.cb());
    f.adapter.post(general, say("first, retried"), {}, "key-1", again.cb());
    f.adapter.post(general, say("third"), {}, "key-2", other.cb());

    REQUIRE(a.only().ok());
    REQUIRE(b.only().ok());
    REQUIRE(again.only().ok());
    REQUIRE(other.only().ok());
    CHECK_FALSE(a.only().id.empty());
    CHECK(a.only().id != b.only().id);
    CHECK(other.only().id != a.only().id);
    CHECK(other.only().id != b.only().id);
    CHECK(again.only().id == a.only().id);  // the first post's id

    const auto text = f.out.str();
    CHECK(count(text, "firebreak: first") == 1);
    CHECK(text.find("retried") == std::string::npos);
    CHECK_THAT(text, Catch::Contains("[14:32] [#general] firebreak: second\n"));
    CHECK(count(text, "\n") == 3);
    CHECK(f.adapter.has_room("general"));
}

TEST_CASE("posts without a key are never de-duplicated", "[console]") {
    fixture f;
    recorder a, b;
    f.adapter.post({"console", "general"}, say("same"), {}, "", a.cb());
    f.adapter.post({"console", "general"}, say("same"), {}, "", b.cb());
    CHECK(a.only().id != b.only().id);
    CHECK(count(f.out.str(), "firebreak: same") == 2);
}

TEST_CASE("a threaded post says so", "[console]") {
    fixture f;
    recorder r;
    f.adapter.post({"console", "general"}, say("ack"), message_id{"m3"}, "", r.cb());
    CHECK(r.only().ok());
    CHECK_THAT(f.out.str(), Catch::Contains("firebreak (in thread): ack"));
}

TEST_CASE("post_ephemeral names the one user who sees it", "[console]") {
    fixture f;
    recorder r, p;
    f.adapter.post_ephemeral({"console", "general"}, user_ref{"maya"}, say("usage: !incident declare <title>"),
                             r.cb());
    f.adapter.post({"console", "general"}, say("x"), {}, "", p.cb());
    REQUIRE(r.only().ok());
    CHECK(r.only().id != p.only().id);
    CHECK_THAT(f.out.str(),
               Catch::Contains("[#general] firebreak (only @maya sees this): usage: !incident declare <title>"));
}

TEST_CASE("set_topic prints only when the topic changes", "[console]") {
    fixture f;
    const room_ref room{"console", "inc-1"};
    recorder a, b, c;
    f.adapter.set_topic(room, "SEV2 · investigating", a.cb());
    f.adapter.set_topic(room, "SEV2 · investigating", b.cb());
    f.adapter.set_topic(room, "SEV2 · mitigated", c.cb());
    CHECK(a.only().ok());
    CHECK(b.only().ok());
    CHECK(c.only().ok());
    const auto text = f.out.str();
    CHECK(count(text, "* topic: SEV2 · investigating") == 1);
    CHECK(count(text, "* topic: SEV2 · mitigated") == 1);
    CHECK(count(text, "\n") == 2);
    CHECK(f.adapter.rooms().at("inc-1") == "SEV2 · mitigated");
}

TEST_CASE("set_topic to the topic the room was opened with prints nothing", "[console]") {
    fixture f;
    recorder r, t;
    f.adapter.open_room(request("inc-1"), r.cb());
    f.out.str("");
    f.adapter.set_topic(r.only().room, "SEV1 · investigating", t.cb());
    CHECK(t.only().ok());
    CHECK(f.out.str().empty());
}

TEST_CASE("invite prints only users not already in the room", "[console]") {
    fixture f;
    const room_ref room{"console", "inc-1"};
    recorder a, b, c;
    f.adapter.invite(room, {user_ref{"maya"}, user_ref{"lena"}}, a.cb());
    CHECK(a.only().ok());
    CHECK_THAT(f.out.str(), Catch::Contains("[#inc-1] * invited @maya, @lena\n"));

    f.out.str("");
    f.adapter.invite(room, {user_ref{"lena"}, user_ref{"omar"}, user_ref{"omar"}}, b.cb());
    CHECK(b.only().ok());
    CHECK(f.out.str() == "[14:32] [#inc-1] * invited @omar\n");

    f.out.str("");
    f.adapter.invite(room, {user_ref{"maya"}, user_ref{"omar"}}, c.cb());
    CHECK(c.only().ok());  // already being a member is success
    CHECK(f.out.str().empty());

    SECTION("membership is per room") {
        recorder d;
        f.adapter.invite({"console", "inc-2"}, {user_ref{"maya"}}, d.cb());
        CHECK(d.only().ok());
        CHECK_THAT(f.out.str(), Catch::Contains("[#inc-2] * invited @maya"));
    }
}

TEST_CASE("edit prints the new text with the id it replaces", "[console]") {
    fixture f;
    recorder p, e;
    f.adapter.post({"console", "inc-1"}, say("status: investigating"), {}, "", p.cb());
    f.adapter.edit({"console", "inc-1"}, p.only().id, say("status: mitigated"), e.cb());
    REQUIRE(e.only().ok());
    CHECK(e.only().id == p.only().id);
    CHECK_THAT(f.out.str(), Catch::Contains("firebreak (edited " + p.only().id.id + "): status: mitigated"));
}

TEST_CASE("post_file writes the file under the files dir with its exact content", "[console]") {
    fixture f;
    const std::string content = "# INC-1 postmortem\n\nline two\r\nbinary \x01\x02 and \xf0\x9f\x93\x8c\n";
    recorder r;
    f.adapter.post_file({"console", "inc-1"}, "INC-1-postmortem.md", content, say("draft postmortem"), r.cb());
    REQUIRE(r.only().ok());
    CHECK_FALSE(r.only().id.empty());

    const auto path = f.dir.path() / "files" / "INC-1-postmortem.md";
    REQUIRE(std::filesystem::exists(path));
    CHECK(slurp(path) == content);
    CHECK_THAT(f.out.str(), Catch::Contains("firebreak: draft postmortem") && Catch::Contains(path.string()) &&
                                Catch::Contains(std::to_string(content.size()) + " bytes"));

    SECTION("posting it again replaces the file") {
        recorder again;
        f.adapter.post_file({"console", "inc-1"}, "INC-1-postmortem.md", "short", say("v2"), again.cb());
        REQUIRE(again.only().ok());
        CHECK(again.only().id != r.only().id);
        CHECK(slurp(path) == "short");
    }
    SECTION("directories in the file name do not escape the files dir") {
        recorder sneaky;
        f.adapter.post_file({"console", "inc-1"}, "../escape.md", "x", say("x"), sneaky.cb());
        REQUIRE(sneaky.only().ok());
        CHECK(std::filesystem::exists(f.dir.path() / "files" / "escape.md"));
        CHECK_FALSE(std::filesystem::exists(f.dir.path() / "escape.md"));
    }
}

TEST_CASE("a files dir that cannot be created gives an invalid delivery, not a crash", "[console]") {
    testing::temp_dir dir;
    {
        std::ofstream blocker(dir.path() / "blocker");
        blocker << "a file where the directory should be";
    }
    manual_clock clk{utc(2026, 11, 22, 14, 32)};
    std::ostringstream out;
    console_adapter adapter(out, clk, dir.path() / "blocker" / "files");
    recorder r;
    adapter.post_file({"console", "inc-1"}, "INC-1-postmortem.md", "content", say("draft"), r.cb());
    const auto& d = r.only();
    CHECK_FALSE(d.ok());
    CHECK(d.error == error_kind::invalid);
    CHECK_THAT(d.detail, Catch::Contains("INC-1-postmortem.md"));
    CHECK(d.id.empty());
    CHECK(out.str().empty());  // nothing claims the file was posted
}

TEST_CASE("buffered mode keeps posts with the clock's time, grouped by room in order of first appearance",
          "[console]") {
    testing::temp_dir dir;
    manual_clock clk{utc(2026, 11, 22, 14, 0)};
    std::ostringstream out;
    console_adapter adapter(out, clk, dir.path() / "files", true);
    recorder r1, r2, r3, r4, r5;
    adapter.post({"console", "inc-1"}, say("one"), {}, "", r1.cb());
    clk.advance(5min);
    adapter.post({"console", "announcements"}, say("two"), {}, "", r2.cb());
    clk.advance(5min);
    adapter.post({"console", "inc-1"}, say("three"), {}, "", r3.cb());
    adapter.set_topic({"console", "general"}, "t", r4.cb());
    clk.advance(1h);
    adapter.post_ephemeral({"console", "announcements"}, user_ref{"maya"}, say("four"), r5.cb());
    for (auto* r : {&r1, &r2, &r3, &r4, &r5}) CHECK(r->only().ok());

    CHECK(out.str().empty());  // nothing printed while buffering

    const auto& all = adapter.posts();
    REQUIRE(all.size() == 5);
    CHECK(all[0].at == utc(2026, 11, 22, 14, 0));
    CHECK(all[1].at == utc(2026, 11, 22, 14, 5));
    CHECK(all[2].at == utc(2026, 11, 22, 14, 10));
    CHECK(all[3].at == utc(2026, 11, 22, 14, 10));
    CHECK(all[4].at == utc(2026, 11, 22, 15, 10));
    CHECK(all[0].text == "firebreak: one");
    CHECK(all[0].room == "inc-1");

    const auto groups = adapter.posts_by_room();
    REQUIRE(groups.size() == 3);
    CHECK(groups[0].first == "inc-1");
    CHECK(groups[1].first == "announcements");
    CHECK(groups[2].first == "general");
    REQUIRE(groups[0].second.size() == 2);
    CHECK(groups[0].second[0].text == "firebreak: one");
    CHECK(groups[0].second[1].text == "firebreak: three");
    REQUIRE(groups[1].second.size() == 2);
    CHECK(groups[1].second[0].text == "firebreak: two");
    CHECK(groups[1].second[1].text == "firebreak (only @maya sees this): four");
    CHECK(groups[1].second[1].at == utc(2026, 11, 22, 15, 10));
    REQUIRE(groups[2].second.size() == 1);
    CHECK(groups[2].second[0].text == "* topic: t");
}

TEST_CASE("printed lines carry the clock's HH:MM and the room", "[console]") {
    fixture f;
    recorder a, b;
    f.adapter.post({"console", "general"}, say("a"), {}, "", a.cb());
    f.clk.advance(2h + 3min);
    f.adapter.post({"console", "inc-4"}, say("b"), {}, "", b.cb());
    CHECK(f.out.str() == "[14:32] [#general] firebreak: a\n[16:35] [#inc-4] firebreak: b\n");
}

TEST_CASE("render prints mentions as @id, drops styles and indents continuation lines", "[console]") {
    rich_text body;
    body.bold("INC-7").text(" commander: ").mention("maya").line().text("scribe: ").mention("lena");
    body.bullet().code("db-1").text(" at ").italic("40%");
    CHECK(console_adapter::render(body) == "INC-7 commander: @maya\n    scribe: @lena\n    • db-1 at 40%");

    CHECK(console_adapter::render(rich_text{}).empty());
    CHECK(console_adapter::render(say("one line")) == "one line");

    SECTION("a multi-line post reads as one indented block") {
        fixture f;
        recorder r;
        f.adapter.post({"console", "general"}, rich_text{}.text("a").line().text("b"), {}, "", r.cb());
        CHECK(f.out.str() == "[14:32] [#general] firebreak: a\n    b\n");
    }
}

TEST_CASE("the console advertises what it can do", "[console]") {
    testing::temp_dir dir;
    manual_clock clk;
    std::ostringstream out;
    console_adapter adapter(out, clk, dir.path());
    CHECK(adapter.platform() == "console");
    auto c = adapter.caps();
    CHECK(c.ephemeral);
    CHECK(c.threads);
    CHECK(c.files);
    CHECK(c.topics);
    CHECK(c.reactions);
    CHECK(c.create_rooms);
    CHECK_FALSE(c.rich_text);
    CHECK_FALSE(c.forms);
}

TEST_CASE("every call completes through its callback exactly once", "[console]") {
    fixture f;
    const room_ref room{"console", "inc-1"};
    recorder open, post, dup, eph, topic, same_topic, inv, edit, file;
    f.adapter.open_room(request("inc-1"), open.cb());
    f.adapter.post(room, say("x"), {}, "k", post.cb());
    f.adapter.post(room, say("x"), {}, "k", dup.cb());
    f.adapter.post_ephemeral(room, user_ref{"maya"}, say("x"), eph.cb());
    f.adapter.set_topic(room, "new", topic.cb());
    f.adapter.set_topic(room, "new", same_topic.cb());
    f.adapter.invite(room, {}, inv.cb());
    f.adapter.edit(room, message_id{"bot-1"}, say("y"), edit.cb());
    f.adapter.post_file(room, "a.md", "x", say("x"), file.cb());
    for (auto* r : {&open, &post, &dup, &eph, &topic, &same_topic, &inv, &edit, &file}) {
        CHECK(r->got.size() == 1);
        if (r->got.size() == 1) CHECK(r->got[0].ok());
    }

    SECTION("a failing post_file calls back once too") {
        std::ofstream(f.dir.path() / "plain-file") << "x";
        console_adapter broken(f.out, f.clk, f.dir.path() / "plain-file" / "sub");
        recorder failed;
        broken.post_file(room, "a.md", "x", say("x"), failed.cb());
        CHECK(failed.got.size() == 1);
    }
}

TEST_CASE("events reach the engine only through a started adapter", "[console]") {
    std::ostringstream out;
    manual_clock clk(from_unix_ms(1'762'180'000'000));
    console_adapter adapter(out, clk, std::filesystem::temp_directory_path(), true);
    chat_event ev;
    ev.event_id = "console:t:1";
    ev.text = "hello";
    CHECK_FALSE(adapter.inject(ev));  // not started: refused, not dropped silently

    std::vector<std::string> seen;
    int acks = 0;
    adapter.start([&](const inbound& in, const chat_adapter::ack_fn& ack) {
        seen.push_back(in.event.event_id);
        CHECK_FALSE(in.cursor.has_value());
        ack();
        ++acks;
    });
    CHECK(adapter.inject(ev));
    CHECK(seen == std::vector<std::string>{"console:t:1"});
    CHECK(acks == 1);
    adapter.stop();
    CHECK_FALSE(adapter.inject(ev));
    CHECK(seen.size() == 1);
}
