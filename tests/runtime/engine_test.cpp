// The engine's outbox delivery with an adapter that completes later, fails, or
// asks to retry: order kept per incident, nothing sent twice, nothing dropped.
#include "bot/runtime/engine.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/test_adapter.hpp"

#include <catch2/catch.hpp>
#include <deque>

using namespace firebreak;
using firebreak::testing::adapter_call;

namespace {

// An adapter whose completions are released by the test, one at a time.
class deferred_adapter final : public firebreak::testing::test_adapter {
public:
    std::deque<adapter_call> pending;
    std::vector<std::string> completed;  // texts in the order they were accepted
    int rooms = 0;

    deferred_adapter() {
        caps_.topics = true;
        caps_.create_rooms = true;
    }

    // Completes the oldest call with `d` (a room for open_room when it succeeds).
    void complete(delivery d = {}) {
        REQUIRE_FALSE(pending.empty());
        auto c = std::move(pending.front());
        pending.pop_front();
        if (d.ok()) {
            if (c.what == "open") d.room = room_ref{"test", "room-" + std::to_string(++rooms)};
            completed.push_back(c.what + ":" + c.text);
        }
        c.cb(d);
    }

protected:
    void on_call(adapter_call c) override { pending.push_back(std::move(c)); }
};

chat_event say(const std::string& id, const std::string& room, const std::string& text, instant at) {
    chat_event ev;
    ev.kind = event_kind::message;
    ev.event_id = id;
    ev.room = room_ref{"test", room};
    ev.user = user_ref{"maya"};
    ev.text = text;
    ev.msg = message_id{id};
    ev.at = at;
    return ev;
}

// A store, a clock and an engine over the deferred adapter.
struct rig {
    sqlite_store store{":memory:"};
    manual_clock clk{from_unix_ms(1'700'000'000'000)};
    deferred_adapter a;
    engine eng{store, engine_settings{}, clk};
    rig() { eng.add_adapter(a); }
    // Declares INC-1 and delivers everything; returns its room.
    std::string declared() {
        eng.handle(say("e1", "general", "!incident declare Disk full", clk.now()));
        while (!a.pending.empty()) a.complete();
        a.completed.clear();
        return eng.state().find(1)->room_on("test")->id;
    }
};

}  // namespace

TEST_CASE("an adapter that completes later gets one outbox row at a time, in order", "[runtime][outbox]") {
    rig r;
    auto& [store, clk, a, eng] = r;

    REQUIRE(eng.handle(say("e1", "general", "!incident declare Disk full", clk.now())) == handled::committed);
    // Only the room creation is in flight; nothing else may overtake it.
    REQUIRE(a.pending.size() == 1);
    CHECK(a.pending.front().what == "open");
    // An event arriving meanwhile is committed but does not start a second delivery.
    eng.handle(say("e2", "general", "!incident help", clk.now()));
    CHECK(a.pending.size() == 1);

    std::size_t rows = store.pending_outbox(0).size();
    for (std::size_t i = 0; i < rows; ++i) {
        REQUIRE(a.pending.size() == 1);
        a.complete();
    }
    CHECK(a.pending.empty());
    CHECK(store.pending_outbox(0).empty());
    REQUIRE(a.completed.size() == rows);
    CHECK(a.completed[0].rfind("open:inc-1-disk-full", 0) == 0);
    CHECK(a.completed[1].rfind("topic:INC-1", 0) == 0);
    CHECK(a.completed[2].rfind("post:INC-1 · SEV2", 0) == 0);  // the kickoff, in the new room
    CHECK(eng.state().find(1)->room_on("test")->id == "room-1");
}

TEST_CASE("a rate-limited row holds back the rows after it until it is sent", "[runtime][outbox]") {
    rig r;
    auto& [store, clk, a, eng] = r;
    const auto room = r.declared();

    eng.handle(say("e2", room, "!incident decision clean up /var", clk.now()));
    eng.handle(say("e3", room, "!incident decision page storage team", clk.now()));
    delivery limited;
    limited.error = error_kind::retry_after;
    limited.retry_after = std::chrono::seconds{5};
    a.complete(limited);
    // Nothing else was attempted: the second decision waits behind the first.
    CHECK(a.pending.empty());
    CHECK(store.pending_outbox(0).size() == 2);
    eng.deliver();  // too early: still waiting
    CHECK(a.pending.empty());

    clk.advance(std::chrono::seconds{5});
    eng.deliver();
    a.complete();
    a.complete();
    REQUIRE(a.completed.size() == 2);
    CHECK(a.completed[0] == "post:Recorded Decision: clean up /var");
    CHECK(a.completed[1] == "post:Recorded Decision: page storage team");
    CHECK(store.pending_outbox(0).empty());
}

TEST_CASE("a row the platform refuses for good is dropped and the queue goes on", "[runtime][outbox]") {
    rig r;
    auto& [store, clk, a, eng] = r;
    const auto room = r.declared();

    eng.handle(say("e2", room, "!incident decision one", clk.now()));
    eng.handle(say("e3", room, "!incident decision two", clk.now()));
    delivery refused;
    refused.error = error_kind::invalid;
    refused.detail = "msg_too_long";
    a.complete(refused);
    REQUIRE(a.pending.size() == 1);
    a.complete();
    CHECK(a.completed == std::vector<std::string>{"post:Recorded Decision: two"});
    CHECK(store.pending_outbox(0).empty());
}

TEST_CASE("an event delivered twice is handled once and posts once", "[runtime][outbox]") {
    rig r;
    auto& [store, clk, a, eng] = r;
    auto ev = say("e1", "general", "!incident declare Disk full", clk.now());
    CHECK(eng.handle(ev) == handled::committed);
    auto rows = store.pending_outbox(0).size();
    CHECK(eng.handle(ev) == handled::duplicate);
    CHECK(store.pending_outbox(0).size() == rows);
    CHECK(eng.state().next_number == 2);
}

TEST_CASE("a private answer on a platform without ephemeral messages goes to the incident's room, never where it was "
          "asked", "[runtime][outbox][privacy]") {
    rig r;
    r.a.caps_.ephemeral = false;
    r.eng.handle(say("e1", "general", "!incident declare token leak --private", r.clk.now()));
    while (!r.a.pending.empty()) r.a.complete();
    const room_ref own = *r.eng.state().find(1)->room_on("test");
    // The public echo names no title; the declarer's details went to the incident room.
    bool echo_in_general = false;
    for (std::size_t i = 0; i < r.a.completed.size(); ++i) {
        const auto& what = r.a.completed[i];
        if (what.rfind("post:", 0) != 0) continue;
        INFO(what);
        if (what.find("token leak") != std::string::npos) CHECK(what.find("@maya") != std::string::npos);
    }
    for (std::size_t i = 0; i < r.a.posted_in.size(); ++i)
        if (r.a.posted_in[i] == room_ref{"test", "general"}) echo_in_general = true;
    CHECK(echo_in_general);
    r.a.completed.clear();
    r.a.posted_in.clear();

    auto ask = say("e2", "ops", "!incident INC-1 timeline", r.clk.now());
    r.eng.handle(ask);
    while (!r.a.pending.empty()) r.a.complete();
    REQUIRE(r.a.posted_in.size() == 1);
    CHECK(r.a.posted_in[0] == own);
    CHECK(r.a.completed.at(0).find("@maya INC-1") == 5);

    // A courtesy line ("Done; ...") is not posted at all without ephemeral messages.
    r.a.completed.clear();
    r.a.posted_in.clear();
    r.eng.handle(say("e3", "ops", "!incident INC-1 decision rotate every key", r.clk.now()));
    while (!r.a.pending.empty()) r.a.complete();
    for (const auto& room : r.a.posted_in) CHECK(room == own);
    CHECK_FALSE(r.a.posted_in.empty());
}

TEST_CASE("a tag's acknowledgement is a reaction where the platform has them, else its one line", "[runtime][outbox]") {
    for (bool reactions : {true, false}) {
        INFO((reactions ? "with" : "without") << " reactions");
        rig r;
        r.a.caps_.reactions = reactions;
        auto room = r.declared();
        r.eng.handle(say("t1", room, "#decision roll back", r.clk.now()));
        r.eng.handle(say("t2", room, "#hypothesis pool too small", r.clk.now()));
        while (!r.a.pending.empty()) r.a.complete();
        if (reactions) {
            CHECK(r.a.completed == std::vector<std::string>{"react:white_check_mark t1", "react:white_check_mark t2",
                                                            "post:Recorded hypothesis H1: pool too small"});
        } else {
            CHECK(r.a.completed == std::vector<std::string>{"post:✅ Decision recorded.",
                                                            "post:Recorded hypothesis H1: pool too small"});
        }
        CHECK(r.store.pending_outbox(0).empty());
    }
}
