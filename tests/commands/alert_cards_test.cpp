// Alert cards in the core: grouping into one card, declaring from it, attaching it,
// dismissing it, and an attached card's alerts writing into the incident's record.
#include "tests/commands/harness.hpp"

using namespace firebreak;
using namespace firebreak::test;

namespace {

std::size_t posts_in(const harness& h, const std::string& room_id) {
    std::size_t n = 0;
    for (const auto& o : h.last.outbox)
        if (o.op == outbound_op::post && o.room == h.room(room_id)) ++n;
    return n;
}

std::vector<timeline_entry> alert_entries(const harness& h, std::int64_t n) {
    std::vector<timeline_entry> out;
    for (const auto& e : h.tail(n))
        if (e.tag == "alert") out.push_back(e);
    return out;
}

}  // namespace

TEST_CASE("the first alert of a group posts one card, and the rest of a storm joins it quietly", "[alerts]") {
    harness h;
    h.alert("#alerts", "fp0", true);
    REQUIRE(h.state.cards.size() == 1);
    const auto& card = h.state.cards.at(1);
    CHECK(card.str() == "A1");
    CHECK(card.room == h.room("#alerts"));
    REQUIRE(posts_in(h, "#alerts") == 1);
    const auto body = h.out(outbound_op::post).at(0).body;
    const auto text = body.plain();
    CHECK(text.find("Alert A1") != std::string::npos);
    CHECK(text.find("Checkout errors") != std::string::npos);
    CHECK(text.find("SEV1") != std::string::npos);
    CHECK(text.find("alertname=HighErrorRate, instance=fp0") != std::string::npos);
    CHECK(text.find("http://prometheus.local/graph") != std::string::npos);
    CHECK(text.find("!incident declare-from A1") != std::string::npos);
    CHECK(text.find("!incident attach A1 INC-n") != std::string::npos);
    CHECK(text.find("!incident dismiss A1") != std::string::npos);
    REQUIRE(body.actions().size() == 2);
    CHECK(body.actions()[0].command == "declare-from A1");
    CHECK(body.actions()[1].command == "dismiss A1");

    for (int i = 1; i < 500; ++i) {
        h.advance(1s);
        h.alert("#alerts", "fp" + std::to_string(i), true);
        INFO(i);
        REQUIRE(h.last.outbox.empty());
    }
    CHECK(h.state.cards.size() == 1);
    CHECK(h.state.cards.at(1).alerts.size() == 500);
    CHECK(h.state.incidents.empty());
    // Another group is another card.
    h.alert("#alerts", "other", true, "g2");
    CHECK(h.state.cards.size() == 2);
    CHECK(posts_in(h, "#alerts") == 1);
}

TEST_CASE("a group's card takes alerts within the window after its last one, and later ones open a new card", "[alerts]") {
    harness h;
    h.settings.alert_group_window = 1h;
    h.alert("#alerts", "a", true);
    h.advance(50min);
    h.alert("#alerts", "b", true);
    h.advance(50min);  // 100 min after the first, 50 after the last
    h.alert("#alerts", "c", true);
    CHECK(h.state.cards.size() == 1);
    h.advance(61min);
    h.alert("#alerts", "d", true);
    REQUIRE(h.state.cards.size() == 2);
    CHECK(h.state.cards.at(2).alerts.at(0).fingerprint == "d");
    // An alert the first card holds still goes there, however late: its resolution.
    h.advance(5h);
    h.alert("#alerts", "a", false, "g1", h.state.cards.at(1).alerts.at(0).started);
    CHECK(h.state.cards.size() == 2);
    CHECK_FALSE(h.state.cards.at(1).alerts.at(0).firing);
    CHECK(h.state.cards.at(1).alerts.at(0).notifications == 2);
}

TEST_CASE("a resolution of an alert no card holds makes nothing", "[alerts]") {
    harness h;
    h.alert("#alerts", "never-seen", false);
    CHECK(h.state.cards.empty());
    CHECK(h.last.empty());
}

TEST_CASE("declare-from makes an incident whose first entries are the alerts and whose impact starts at the first", "[alerts]") {
    harness h;
    const instant t0 = h.now() - 20min;
    h.alert("#alerts", "fp1", true, "g1", t0 + 5min);
    h.alert("#alerts", "fp2", true, "g1", t0);
    h.advance(2min);
    h.say("maya", "#alerts", "!incident declare-from A1");
    REQUIRE(h.state.incidents.size() == 1);
    const incident& inc = h.state.incidents.begin()->second;
    CHECK(inc.title == "Checkout errors");
    CHECK(inc.sev == severity::sev1);
    REQUIRE(inc.commander());
    CHECK(inc.commander()->user.id == "maya");
    CHECK(inc.declared_by.id == "maya");
    REQUIRE(inc.times.impact_started);
    CHECK(*inc.times.impact_started == t0);
    CHECK(h.state.card(1)->incident == inc.id);
    CHECK(h.state.card(1)->decided_by.id == "maya");
    // The alerts come first on the record, oldest first, at their own times.
    REQUIRE(h.last.entries.size() >= 3);
    CHECK(h.last.entries[0].tag == "alert");
    CHECK(h.last.entries[0].at == t0);
    CHECK(h.last.entries[0].text.find("fp2") != std::string::npos);
    CHECK(h.last.entries[1].tag == "alert");
    CHECK(h.last.entries[1].at == t0 + 5min);
    CHECK(h.last.entries[2].tag == "declared");
    CHECK(h.last.entries[2].text.find("from alert A1") != std::string::npos);
    CHECK(h.out(outbound_op::open_room).size() == 1);

    h.say("sam", "#alerts", "!incident declare-from A1");
    CHECK(h.told("sam", "A1 already belongs to INC-1"));
    CHECK(h.state.incidents.size() == 1);
}

TEST_CASE("a rule that declares opens the incident with the card, with no commander and the sender as declarer", "[alerts]") {
    harness h;
    h.alert("#alerts", "fp1", true, "g1", std::nullopt, true);
    REQUIRE(h.state.incidents.size() == 1);
    const incident& inc = h.state.incidents.begin()->second;
    CHECK(inc.commander() == nullptr);
    CHECK(is_alert_sender(inc.declared_by));
    CHECK(sender_name(inc.declared_by) == "prometheus");
    CHECK(h.state.card(1)->incident == inc.id);
    CHECK(h.all_text().find("Alert A1") != std::string::npos);  // the card is still posted
    CHECK(h.all_text().find("no commander yet") != std::string::npos);
    // No platform user is mentioned or invited for the sender.
    for (const auto& o : h.last.outbox) {
        for (const auto& u : o.invite) CHECK_FALSE(is_alert_sender(u));
        for (const auto& sp : o.body.spans())
            if (sp.look == span::style::mention) CHECK_FALSE(sp.text.rfind("alert:", 0) == 0);
    }
    // The storm that follows joins the incident, one entry per new alert, and no second incident.
    for (int i = 2; i <= 50; ++i) h.alert("#alerts", "fp" + std::to_string(i), true);
    CHECK(h.state.incidents.size() == 1);
    CHECK(alert_entries(h, inc.id.n).size() >= 40);
}

TEST_CASE("an attached card's firing and resolution go on the record, and all resolved is told once, never acted on", "[alerts]") {
    harness h;
    auto n = h.open("maya", "Checkout 5xx");
    auto room = h.room_of(n);
    h.alert("#alerts", "fp1", true);
    const instant s1 = h.state.card(1)->alerts.at(0).started;
    h.say("maya", room, "!incident attach A1");
    CHECK(h.state.card(1)->incident.n == n);
    CHECK(h.posted("A1 attached to INC-1"));
    CHECK(h.inc(n).times.impact_started == s1);

    h.advance(1min);
    h.alert("#alerts", "fp2", true);
    REQUIRE(h.last.entries.size() == 1);
    CHECK(h.last.entries[0].text.find("alert fired") != std::string::npos);
    const instant s2 = h.state.card(1)->alerts.at(1).started;

    h.advance(1min);
    h.alert("#alerts", "fp1", false, "g1", s1);
    REQUIRE(h.last.entries.size() == 1);
    CHECK(h.last.entries[0].text.find("alert resolved") != std::string::npos);
    CHECK(h.incident_room_posts(n).empty());

    h.advance(1min);
    h.alert("#alerts", "fp2", false, "g1", s2);
    auto posts = h.incident_room_posts(n);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].body.plain().find("All 2 alerts of A1 resolved — mark mitigated?") != std::string::npos);
    CHECK(h.inc(n).state == status::investigating);
    CHECK(h.state.card(1)->resolved_told);

    // Firing again and resolving again is recorded, but not told twice.
    h.advance(1min);
    h.alert("#alerts", "fp2", true, "g1", h.now());
    CHECK(h.last.entries.at(0).text.find("firing again") != std::string::npos);
    h.advance(1min);
    h.alert("#alerts", "fp2", false, "g1", h.now() - 1min);
    CHECK(h.incident_room_posts(n).empty());
    CHECK(h.last.entries.size() == 1);
}

TEST_CASE("attach names an incident from elsewhere, and refuses closed and unseen ones", "[alerts]") {
    harness h;
    auto n = h.open("maya", "Checkout 5xx");
    h.alert("#alerts", "fp1", true);
    h.say("maya", "#alerts", "!incident attach A1 INC-" + std::to_string(n));
    CHECK(h.state.card(1)->incident.n == n);
    h.say("maya", "#alerts", "!incident attach A1 INC-1");
    CHECK(h.told("maya", "already"));

    h.alert("#alerts", "x", true, "g2");
    h.say("maya", "#alerts", "!incident attach A2 INC-42");
    CHECK(h.state.card(2)->incident.n == 0);
    CHECK(h.told("maya", "INC-42"));
    h.say("maya", "#alerts", "!incident attach A9 INC-1");
    CHECK(h.told("maya", "no alert card A9"));

    auto p = h.open("dana", "Secret breach --private");
    h.say("sam", "#alerts", "!incident attach A2 INC-" + std::to_string(p));
    CHECK(h.state.card(2)->incident.n == 0);
    CHECK_FALSE(h.all_text().find("Secret breach") != std::string::npos);
}

TEST_CASE("a dismissed card takes its group's later alerts quietly and can still be declared", "[alerts]") {
    harness h;
    h.alert("#alerts", "fp1", true);
    h.say("sam", "#alerts", "!incident dismiss A1");
    CHECK(h.state.card(1)->dismissed);
    CHECK(h.posted("A1 dismissed"));
    h.alert("#alerts", "fp2", true);
    CHECK(h.last.outbox.empty());
    CHECK(h.state.cards.size() == 1);
    h.say("sam", "#alerts", "!incident dismiss A1");
    CHECK(h.told("sam", "dismissed already"));
    h.say("sam", "#alerts", "!incident declare-from A1");
    CHECK(h.state.incidents.size() == 1);
    CHECK_FALSE(h.state.card(1)->dismissed);
    h.say("sam", "#alerts", "!incident dismiss A1");
    CHECK(h.told("sam", "belongs to an incident"));
}

TEST_CASE("once its incident is closed a group's next alert opens a new card", "[alerts]") {
    harness h;
    auto n = h.open("maya", "Checkout 5xx");
    auto room = h.room_of(n);
    h.alert("#alerts", "fp1", true);
    h.say("maya", room, "!incident attach A1");
    h.say("maya", room, "!incident status resolved");
    h.say("maya", room, "!incident close");
    REQUIRE(h.inc(n).is_closed());
    h.alert("#alerts", "fp9", true);
    CHECK(h.state.cards.size() == 2);
    CHECK(h.state.card(2)->incident.n == 0);
    CHECK(posts_in(h, "#alerts") == 1);
}
