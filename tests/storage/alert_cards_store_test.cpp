// Alert cards in the store: cards and their alerts written with the event that changed
// them, read back into the same state, redeliveries refused, an abandoned group leaving none.
#include "storage/sqlite_store.hpp"
#include "tests/commands/harness.hpp"
#include "tests/storage/storage_fixtures.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {

// A harness whose every change goes through `store` before it is folded.
void commit_through(harness& h, sqlite_store& store) {
    h.commit = [&store, &h](change& c, const chat_event& ev) { return store.commit(c, ev.event_id, h.now(), std::nullopt); };
}

}  // namespace

TEST_CASE("alert cards and every alert on them round-trip through commit and load", "[storage][alerts]") {
    temp_path db;
    harness h;
    {
        sqlite_store store(db.str());
        commit_through(h, store);
        auto n = h.open("maya", "Checkout 5xx");
        for (int i = 0; i < 120; ++i) {
            h.advance(1s);
            h.alert("#alerts", "fp" + std::to_string(i), true, i < 100 ? "g1" : "g2");
        }
        // Labels holding the separators and bytes that are not UTF-8 come back as they went.
        auto odd = std::make_shared<alert_arrival>(*h.last_event.alert);
        odd->alert.key = "prometheus/odd";
        odd->alert.fingerprint = "odd";
        odd->alert.labels = {{"a:b", "3:x\ny"}, {"bytes", std::string("\xff\xfe", 2)}, {"empty", ""}};
        chat_event ev = h.last_event;
        ev.event_id = "alert:odd";
        ev.alert = odd;
        h.feed(ev);
        h.say("maya", h.room_of(n), "!incident attach A1");
        h.alert("#alerts", "fp3", false, "g1", h.state.card(1)->find("prometheus/fp3")->started);
        h.say("sam", "#alerts", "!incident dismiss A2");
        CHECK(store.load(h.settings.timeline_tail).state == h.state);
    }
    sqlite_store again(db.str());
    const auto loaded = again.load(h.settings.timeline_tail).state;
    CHECK(loaded == h.state);
    REQUIRE(loaded.cards.size() == 2);
    CHECK(loaded.cards.at(1).alerts.size() == 100);
    CHECK(loaded.cards.at(1).incident.n == 1);
    CHECK_FALSE(loaded.cards.at(1).find("prometheus/fp3")->firing);
    CHECK(loaded.cards.at(2).dismissed);
    CHECK(loaded.next_card == 3);
    CHECK(loaded.card_by_group.at("g1") == 1);
    CHECK(loaded.card_by_alert.at("prometheus/fp105") == 2);
}

TEST_CASE("a redelivered alert notification writes nothing, and an abandoned group keeps no card", "[storage][alerts]") {
    sqlite_store store(":memory:");
    harness h;
    commit_through(h, store);
    h.alert("#alerts", "fp1", true);
    const auto before = store.load(50).state;
    REQUIRE(before.cards.size() == 1);
    h.alert("#alerts", "fp1", true);  // the same notification again: same event id
    CHECK(store.load(50).state == before);
    CHECK(h.state == before);

    store.begin_group();
    h.alert("#alerts", "new-group", true, "g9");
    store.abandon_group();
    CHECK(store.load(50).state == before);
}
