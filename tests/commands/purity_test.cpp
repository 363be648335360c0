// apply() is a pure function of (state, event, now, settings): the same inputs
// give the same change, and the state it is given is never touched.
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {

bool same(const change& a, const change& b) {
    return a.incidents == b.incidents && a.next_number == b.next_number && a.entries == b.entries &&
           a.amendments == b.amendments && a.outbox == b.outbox && a.rooms_bound == b.rooms_bound;
}

/// A harness that, before folding each event, checks apply() for purity.
struct checking_harness : harness {
    int checked = 0;
    const change& feed_checked(chat_event ev) {
        if (ev.event_id.empty()) ev.event_id = "p" + std::to_string(checked);
        const engine_state copy = state;
        auto first = apply(state, ev, now(), settings);
        CHECK(state == copy);
        auto second = apply(state, ev, now(), settings);
        CHECK(state == copy);
        CHECK(same(first, second));
        // A different `now` may change the answer, but never the given state.
        auto later = apply(state, ev, now() + 1h, settings);
        (void)later;
        CHECK(state == copy);
        ++checked;
        return feed(ev);
    }
    chat_event message(const std::string& user, const std::string& room_id, const std::string& text) {
        chat_event ev;
        ev.kind = event_kind::message;
        ev.room = room(room_id);
        ev.user = user_ref{user};
        ev.at = now();
        ev.text = text;
        ev.msg = message_id{"pm" + std::to_string(checked)};
        return ev;
    }
};

}  // namespace

TEST_CASE("apply() is pure over a whole incident", "[commands]") {
    checking_harness h;
    h.settings.announcement_rooms["console"] = h.room("#incidents");
    h.feed_checked(h.message("maya", "#general", cmd("declare Checkout 5xx --sev 1")));
    {
        chat_event ev;
        ev.kind = event_kind::room_bound;
        ev.room = h.room("inc-1-checkout-5xx");
        ev.incident = incident_id{1};
        h.feed_checked(ev);
        h.feed_checked(ev);  // the duplicate too
    }
    const std::string room = "inc-1-checkout-5xx";
    const std::vector<std::pair<std::string, std::string>> script = {
        {"maya", "picture: 503s at 8%"},
        {"maya", cmd("impact-started 13:50")},
        {"maya", cmd("scribe @sam")},
        {"sam", "#hypothesis bad release"},
        {"dev", cmd("hypothesis pool exhausted")},
        {"dev", "#ruledout H2 pool at 40%"},
        {"maya", "#decision roll back"},
        {"maya", cmd("sme @dana database")},
        {"maya", cmd("update impact: 8% fail; actions: rollback; next: 20m")},
        {"maya", cmd("status mitigated")},
        {"maya", cmd("sev 2 contained")},
        {"maya", "#action add canary @dev due 2026-12-01"},
        {"maya", cmd("handoff @lena")},
        {"lena", cmd("timeline 5")},
        {"lena", cmd("roles")},
        {"lena", cmd("status resolved")},
        {"lena", cmd("close")},
        {"admin", cmd("reopen errors are back")},
        {"x", cmd("frobnicate")},
        {"x", cmd("list")},
    };
    for (const auto& [user, text] : script) {
        INFO(user << ": " << text);
        h.advance(2min);
        h.feed_checked(h.message(user, room, text));
    }
    chat_event edit;
    edit.kind = event_kind::edit;
    edit.room = h.room(room);
    edit.user = user_ref{"maya"};
    edit.msg = message_id{"pm3"};  // "picture: 503s at 8%"
    edit.text = "picture: 503s at 9%";
    h.feed_checked(edit);
    chat_event pin = edit;
    pin.kind = event_kind::reaction;
    pin.reaction = "pushpin";
    pin.highlight = true;
    h.feed_checked(pin);

    CHECK(h.checked == int(script.size()) + 5);
    CHECK(h.inc(1).state == status::investigating);
    CHECK(h.inc(1).commander()->user.id == "admin");
    CHECK(h.tail(1).size() > 20);
    bool pinned = false;
    for (const auto& e : h.tail(1))
        if (e.msg.id == "pm3") pinned = e.highlight && e.edited && e.text == "picture: 503s at 9%";
    CHECK(pinned);
}

TEST_CASE("a change applied to a copy does not leak into the original state", "[commands]") {
    harness h;
    auto n = h.open("maya", "DB down");
    const auto snapshot = h.state;
    chat_event ev;
    ev.kind = event_kind::message;
    ev.room = h.room(h.room_of(n));
    ev.user = user_ref{"maya"};
    ev.at = h.now();
    ev.text = cmd("scribe @sam");
    ev.msg = message_id{"x1"};
    auto c = apply(snapshot, ev, h.now(), h.settings);
    CHECK_FALSE(c.empty());
    CHECK(snapshot == h.state);
    // The returned incident is a new value; the state's copy still has no scribe.
    REQUIRE(c.incidents.size() == 1);
    CHECK(c.incidents[0].scribe() != nullptr);
    CHECK(h.inc(n).scribe() == nullptr);
}
