// Group commit in the engine: a batch of events is applied in order against the state
// the earlier ones left, written with one transaction and one disk flush, and only then
// delivered; a failed group keeps nothing and leaves the state as the store has it; the
// replies of a burst are made durable with one sync at its end.
#include "bot/runtime/engine.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/test_adapter.hpp"

#include <catch2/catch.hpp>
#include <deque>

using namespace firebreak;
using firebreak::testing::adapter_call;

namespace {

// Forwards to a real store and records how the engine used it.
class recording_store final : public firebreak::testing::forwarding_store {
public:
    using forwarding_store::forwarding_store;
    int groups = 0, commits = 0, syncs_with_marks = 0, marks = 0;
    bool in_group = false;
    int fail_commit_at = 0;  // the n-th commit (from 1) throws; 0 = never
    int marks_since_sync = 0;
    int lazy_commits = 0;

    bool commit(change& c, const std::string& id, instant now,
                const std::optional<std::pair<std::string, std::string>>& cursor) override {
        if (++commits == fail_commit_at) throw store_error("disk I/O error (test)");
        return inner_.commit(c, id, now, cursor);
    }
    void mark_sent(std::int64_t id, const message_id& p, instant at) override {
        REQUIRE_FALSE(in_group);
        ++marks;
        ++marks_since_sync;
        inner_.mark_sent(id, p, at);
    }
    bool commit_lazily(change& c, const std::string& id, instant now) override {
        ++lazy_commits;
        ++marks_since_sync;
        return inner_.commit_lazily(c, id, now);
    }
    void sync() override {
        if (marks_since_sync > 0) ++syncs_with_marks;
        marks_since_sync = 0;
        inner_.sync();
    }
    void begin_group() override {
        REQUIRE_FALSE(in_group);
        in_group = true;
        inner_.begin_group();
    }
    void end_group() override {
        ++groups;
        inner_.end_group();
        in_group = false;
    }
    void abandon_group() noexcept override {
        in_group = false;
        inner_.abandon_group();
    }
};

// Holds every call until the test completes it, and notes whether a group was open
// when the engine made it.
class holding_adapter final : public firebreak::testing::test_adapter {
public:
    explicit holding_adapter(const recording_store& s) : store_(s) {
        caps_.topics = true;
        caps_.create_rooms = true;
    }
    std::deque<adapter_call> pending;
    int calls_during_group = 0;
    int rooms = 0;
    void complete() {
        REQUIRE_FALSE(pending.empty());
        auto c = std::move(pending.front());
        pending.pop_front();
        delivery d;
        if (c.what == "open") d.room = room_ref{"test", "room-" + std::to_string(++rooms)};
        c.cb(d);
    }

protected:
    void on_call(adapter_call c) override {
        if (store_.in_group) ++calls_during_group;
        pending.push_back(std::move(c));
    }

private:
    const recording_store& store_;
};

inbound said(const std::string& id, const std::string& room, const std::string& text, instant at,
             std::optional<std::pair<std::string, std::string>> cursor = std::nullopt) {
    inbound in;
    in.event.kind = event_kind::message;
    in.event.event_id = id;
    in.event.room = room_ref{"test", room};
    in.event.user = user_ref{"maya"};
    in.event.text = text;
    in.event.msg = message_id{id};
    in.event.at = at;
    in.cursor = std::move(cursor);
    return in;
}

struct rig {
    sqlite_store inner{":memory:"};
    recording_store store{inner};
    manual_clock clk{from_unix_ms(1'700'000'000'000)};
    holding_adapter a{store};
    engine eng{store, engine_settings{}, clk};
    rig() { eng.add_adapter(a); }
};

}  // namespace

TEST_CASE("a batch is applied in order and committed as one group before anything is delivered", "[runtime][group]") {
    rig r;
    const auto t = r.clk.now();
    const std::vector<inbound> batch{
        said("e1", "general", "!incident declare Disk full", t),
        // Numbered after the incident the first one declared, in the same group.
        said("e2", "general", "!incident declare Queue backlog --sev 1", t),
        said("e1", "general", "!incident declare Disk full", t),  // a redelivery inside the batch
        said("e3", "general", "lunch?", t, std::pair{std::string("test.cursor"), std::string("c3")}),
    };
    const auto out = r.eng.handle_batch(batch);
    REQUIRE(out == std::vector<handled>{handled::committed, handled::committed, handled::duplicate, handled::nothing});
    CHECK(r.store.groups == 1);
    CHECK(r.a.calls_during_group == 0);   // nothing goes out before the group is on disk
    CHECK_FALSE(r.a.pending.empty());     // and the replies went out right after
    REQUIRE(r.eng.state().find(2) != nullptr);
    CHECK(r.eng.state().find(1)->title == "Disk full");
    CHECK(r.eng.state().find(2)->sev == severity::sev1);
    CHECK(r.eng.state().next_number == 3);
    CHECK(r.inner.cursor("test.cursor") == "c3");
    CHECK(r.eng.counters().groups == 1);
    CHECK(r.eng.counters().grouped_events == 4);
    CHECK(r.eng.counters().duplicates == 1);

    // What the engine holds is what a restart would read back.
    const auto restored = r.inner.load(engine_settings{}.timeline_tail).state;
    REQUIRE(restored.find(2) != nullptr);
    CHECK(restored.find(2)->sev == severity::sev1);
    CHECK(restored.next_number == 3);

    // The whole batch again, as a platform redelivers it: nothing new.
    const auto again = r.eng.handle_batch(batch);
    CHECK(again == std::vector<handled>(4, handled::duplicate));
    CHECK(r.eng.state().next_number == 3);
}

TEST_CASE("a group that fails keeps nothing and the state goes back to the store's", "[runtime][group]") {
    rig r;
    const auto t = r.clk.now();
    const std::vector<inbound> batch{
        said("e1", "general", "!incident declare Disk full", t),
        said("e2", "general", "!incident declare Queue backlog", t),
        said("e3", "general", "!incident declare Cert expiry", t, std::pair{std::string("test.cursor"), std::string("c3")}),
    };
    r.store.fail_commit_at = 3;  // the third event's commit fails, after two were folded in
    CHECK_THROWS_AS(r.eng.handle_batch(batch), store_error);
    CHECK(r.eng.state().incidents.empty());
    CHECK(r.eng.state().next_number == 1);
    CHECK_FALSE(r.inner.processed("e1"));
    CHECK_FALSE(r.inner.cursor("test.cursor").has_value());
    CHECK(r.a.pending.empty());  // nothing of it was delivered
    CHECK(r.eng.counters().groups == 0);

    // The platform hands the same events again (they were never acknowledged): all are
    // taken, numbered from 1 as if the failure never happened.
    r.store.fail_commit_at = 0;
    const auto out = r.eng.handle_batch(batch);
    CHECK(out == std::vector<handled>(3, handled::committed));
    REQUIRE(r.eng.state().incidents.size() == 3);
    CHECK(r.eng.state().find(1)->title == "Disk full");
    CHECK(r.eng.state().find(3)->title == "Cert expiry");
    CHECK(r.inner.cursor("test.cursor") == "c3");
}

TEST_CASE("a batch of one takes the one path: one transaction, not counted as grouped", "[runtime][group]") {
    rig r;
    const auto out = r.eng.handle_batch({said("e1", "general", "!incident declare Disk full", r.clk.now())});
    CHECK(out == std::vector<handled>{handled::committed});
    CHECK(r.store.groups == 1);
    CHECK(r.eng.counters().groups == 0);
    // handle() is the same path.
    CHECK(r.eng.handle(said("e2", "general", "!incident status", r.clk.now()).event) != handled::duplicate);
    CHECK(r.store.groups == 2);
    CHECK(r.eng.state().find(1) != nullptr);
    CHECK(r.eng.handle_batch({}).empty());
}

TEST_CASE("the replies of a burst are marked sent lazily and synced once at its end", "[runtime][group]") {
    rig r;
    REQUIRE(r.eng.handle(said("e1", "general", "!incident declare Disk full", r.clk.now()).event) ==
            handled::committed);
    int delivered = 0;
    while (!r.a.pending.empty()) {
        // While rows are still going out, none of the marks has been flushed on its own.
        CHECK(r.store.syncs_with_marks == 0);
        r.a.complete();
        ++delivered;
    }
    REQUIRE(delivered >= 3);  // room, kickoff, topic and more: a burst worth grouping
    CHECK(r.store.marks >= delivered);  // some rows need no call (no announcement room)
    CHECK(r.store.syncs_with_marks == 1);
    CHECK(r.store.lazy_commits == 1);  // the room the open_room made, flushed with the marks
    CHECK(r.eng.state().find(1)->room_on("test").has_value());
    CHECK(r.inner.pending_outbox(0).empty());
    CHECK(r.inner.synchronous() == 2);
}
