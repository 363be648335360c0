// How the engine hands the draft to the incident room: as a Markdown file where the
// platform takes files, else as a short summary saying where the files are.
#include "tests/postmortem/fixtures.hpp"
#include "tests/support/test_adapter.hpp"

using namespace firebreak;
using namespace firebreak::testing;

namespace {

// An adapter that completes everything at once and records what it was asked to do.
class recording_adapter final : public test_adapter {
public:
    explicit recording_adapter(bool files) {
        caps_.files = files;
        caps_.create_rooms = true;
    }
    struct file_post {
        std::string name, content, comment;
    };
    std::vector<std::string> posts;
    std::vector<file_post> files;

protected:
    void on_call(adapter_call c) override {
        delivery d;
        if (c.what == "open") d.room = room_ref{"test", c.text};
        if (c.what == "post" || c.what == "ephemeral") posts.push_back(c.text);
        if (c.what == "file") files.push_back({c.text, c.content, c.comment});
        c.cb(d);
    }
};

// A store, a clock and an engine over the recording adapter, documents in a temp dir.
struct rig {
    temp_dir dir;
    sqlite_store store{":memory:"};
    manual_clock clk{test::utc(2026, 11, 3, 10, 0)};
    recording_adapter a;
    engine eng{store, engine_settings{}, clk};
    int n = 0;

    explicit rig(bool files) : a(files) {
        eng.add_adapter(a);
        eng.set_renderer(postmortem_renderer());
        eng.set_document_writer(document_folder((dir.path() / "docs").string()));
    }
    std::string room() const { return eng.state().find(1)->room_on("test")->id; }
    void say(const std::string& room, const std::string& text, std::chrono::minutes later = std::chrono::minutes{1}) {
        clk.advance(later);
        chat_event ev;
        ev.kind = event_kind::message;
        ev.event_id = "e" + std::to_string(++n);
        ev.room = room_ref{"test", room};
        ev.user = user_ref{"maya"};
        ev.text = text;
        ev.msg = message_id{ev.event_id};
        ev.at = clk.now();
        eng.handle(ev);
    }
    // Declares, confirms a hypothesis, resolves and closes INC-1.
    void work_an_incident() {
        say("general", "!incident declare Disk full on db-7 --sev 1");
        say(room(), "!incident hypothesis the nightly export filled /var");
        say(room(), "!incident confirm H1 du shows 380G in /var/export", std::chrono::minutes{9});
        say(room(), "!incident status resolved", std::chrono::minutes{20});
        say(room(), "!incident close");
    }
};

}  // namespace

TEST_CASE("without file upload the room gets the summary and where the three files are", "[postmortem][engine]") {
    rig r(false);
    r.work_an_incident();
    REQUIRE(r.eng.state().find(1)->is_closed());
    CHECK(r.a.files.empty());
    REQUIRE_FALSE(r.a.posts.empty());
    const auto& summary = r.a.posts.back();
    INFO(summary);
    CHECK_THAT(summary, Catch::StartsWith("INC-1 — Disk full on db-7: postmortem draft"));
    CHECK_THAT(summary, Catch::Contains("SEV1 · Closed · 31m from declaration to close"));
    CHECK_THAT(summary, Catch::Contains("Root cause (H1, confirmed): the nightly export filled /var — du shows 380G"));
    for (auto format : postmortem_formats) {
        auto path = r.dir.path() / "docs" / postmortem_filename(incident_id{1}, format);
        CHECK_THAT(summary, Catch::Contains(path.string()));
        CHECK(std::filesystem::exists(path));
        CHECK(r.store.document(incident_id{1}, std::string(format)).has_value());
    }
    CHECK(r.store.pending_outbox(0).empty());
}

TEST_CASE("with file upload the Markdown draft is posted as a file with the summary", "[postmortem][engine]") {
    rig r(true);
    r.work_an_incident();
    REQUIRE(r.a.files.size() == 1);
    const auto& f = r.a.files.front();
    CHECK(f.name == "INC-1-postmortem.md");
    CHECK_THAT(f.content, Catch::StartsWith("# INC-1: Disk full on db-7 — postmortem draft"));
    CHECK(f.content == *r.store.document(incident_id{1}, "md"));
    CHECK_THAT(f.comment, Catch::Contains("Root cause (H1, confirmed)") && Catch::Contains("INC-1-postmortem.html"));

    // `postmortem` renders again from the record as it now stands.
    r.say(r.room(), "!incident action add disk alerts at 80% @maya due 2026-11-20");
    r.say(r.room(), "!incident postmortem");
    REQUIRE(r.a.files.size() == 2);
    CHECK_THAT(r.a.files.back().content, Catch::Contains("| A1 | add disk alerts at 80% | @maya | 2026-11-20 |"));
    CHECK(r.a.files.back().content == *r.store.document(incident_id{1}, "md"));
}

TEST_CASE("an unconfirmed root cause is said plainly in the summary", "[postmortem]") {
    auto src = empty_draft();
    auto text = postmortem_summary(src).plain();
    CHECK_THAT(text, Catch::StartsWith("INC-7 — Quiet incident: postmortem draft\nSEV2 · Investigating · open for 0s"));
    CHECK_THAT(text, Catch::Contains("No hypothesis was confirmed"));
}
