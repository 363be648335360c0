// What the web view's pages say: the list puts open incidents first and marks an overdue
// update, filters by status and severity; an incident's page shows its record with deleted
// rows as "(deleted)" and edits as edited; hostile text is escaped everywhere.
#include "web/pages.hpp"

#include <catch2/catch.hpp>

using namespace firebreak;
using namespace firebreak::web;

namespace {

instant at(int minutes) { return from_unix_ms(1'800'000'000'000 + std::int64_t(minutes) * 60'000); }

incident make(std::int64_t n, std::string title, severity sev, status st, int declared) {
    incident inc;
    inc.id = incident_id{n};
    inc.title = std::move(title);
    inc.sev = sev;
    inc.state = st;
    inc.times.declared = at(declared);
    if (st == status::closed) inc.times.closed = at(declared + 30);
    inc.shifts.push_back(shift{role::commander, user_ref{"maya"}, {}, at(declared), std::nullopt, {}, {}});
    return inc;
}

const reader manager{"managers", {}, false, false};

std::size_t count(const std::string& s, std::string_view what) {
    std::size_t n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("the list shows open incidents worst first, then the closed, with an overdue update marked", "[web][pages]") {
    auto a = make(1, "Search slow", severity::sev3, status::identified, 0);
    auto b = make(2, "Checkout down", severity::sev1, status::investigating, 10);
    b.next_update_due = at(30);
    auto c = make(3, "Old outage", severity::sev2, status::closed, -100);
    auto html = list_page({&a, &b, &c}, {}, at(45), manager);
    auto p1 = html.find("INC-1\""), p2 = html.find("INC-2\""), p3 = html.find("INC-3\"");
    REQUIRE(p1 != std::string::npos);
    REQUIRE(p2 != std::string::npos);
    REQUIRE(p3 != std::string::npos);
    CHECK(p2 < p1);
    CHECK(p1 < html.find("Recently closed"));
    CHECK(html.find("Recently closed") < p3);
    CHECK(html.find("overdue since") != std::string::npos);
    CHECK(count(html, "class=\"incident sev1 overdue\"") == 1);
    CHECK(html.find("@maya") != std::string::npos);
    CHECK(html.find("35m") != std::string::npos);  // INC-2's age
    auto only_sev1 = list_page({&a, &b, &c}, parse_list_filter("sev=1"), at(45), manager);
    CHECK(only_sev1.find("Search slow") == std::string::npos);
    CHECK(only_sev1.find("Checkout down") != std::string::npos);
    auto closed = list_page({&a, &b, &c}, parse_list_filter("status=closed&sev=nonsense"), at(45), manager);
    CHECK(closed.find("Old outage") != std::string::npos);
    CHECK(closed.find("Checkout down") == std::string::npos);
    CHECK(list_page({}, {}, at(0), manager).find("Nothing is on fire.") != std::string::npos);
}

TEST_CASE("hostile text is escaped on every page", "[web][pages]") {
    const std::string hostile = "<script>alert(\"x\")</script> ' & <img src=x onerror=alert(1)>";
    auto inc = make(4, hostile, severity::sev2, status::investigating, 0);
    inc.updates.push_back(status_update{at(5), user_ref{"maya\"><b>"}, hostile, hostile, hostile, at(35)});
    inc.notes.push_back(note{note_kind::decision, hostile, user_ref{"maya"}, at(6), {}});
    auto list = list_page({&inc}, {}, at(10), reader{hostile, {}, false, false});
    draft_source src;
    src.inc = inc;
    timeline_entry e;
    e.seq = 1;
    e.incident = inc.id;
    e.at = at(7);
    e.author = user_ref{"<u>"};
    e.text = hostile + "\xff\xfe";
    src.entries.push_back(e);
    auto page = incident_page(src, {}, at(10), reader{hostile, {}, false, false});
    for (const auto* html : {&list, &page}) {
        CHECK(html->find("<script>alert") == std::string::npos);
        CHECK(html->find("<img") == std::string::npos);
        CHECK(html->find("<b>") == std::string::npos);
        CHECK(html->find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") != std::string::npos);
    }
    CHECK(page.find("\xff") == std::string::npos);
    CHECK(login_page(hostile).find("<script>alert") == std::string::npos);
    CHECK(message_page(hostile, hostile).find("<img") == std::string::npos);
}

TEST_CASE("an incident's page shows the record, deleted rows as deleted and edits as edited", "[web][pages]") {
    auto inc = make(5, "Checkout errors", severity::sev2, status::identified, 0);
    inc.next_update_due = at(50);
    inc.updates.push_back(status_update{at(20), user_ref{"maya"}, "5% of checkouts fail", "rolling back", "DBA", at(50)});
    inc.hypotheses.push_back(hypothesis{1, "bad deploy", user_ref{"sam"}, at(5), outcome::confirmed, at(15), user_ref{"sam"},
                                        "errors began with v2.3", {}, {}, false, false});
    inc.notes.push_back(note{note_kind::decision, "roll back to v2.2", user_ref{"maya"}, at(16), {}});
    inc.notes.push_back(note{note_kind::deadend, "CDN was fine", user_ref{"sam"}, at(8), {}});
    inc.actions.push_back(action_item{1, "add a canary", user_ref{"sam"}, "2027-01-10", user_ref{"maya"}, at(25), {}, false});
    inc.shifts.push_back(shift{role::scribe, user_ref{"kim"}, {}, at(2), at(12), {}, {}});
    draft_source src;
    src.inc = inc;
    auto entry = [&](std::int64_t seq, std::string text) {
        timeline_entry e;
        e.seq = seq;
        e.incident = inc.id;
        e.at = at(int(seq));
        e.author = user_ref{"sam"};
        e.text = std::move(text);
        return e;
    };
    auto kept = entry(1, "the CDN looks fine");
    kept.highlight = true;
    auto edited = entry(2, "rollback started");
    edited.edited = true;
    src.edits[2] = {{at(3), "rollback startde"}};
    auto gone = entry(3, "");
    gone.deleted = true;
    src.entries = {kept, edited, gone};
    incident_extras extras;
    extras.chart_svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>";
    extras.postmortem = true;
    auto html = incident_page(src, extras, at(40), manager);
    for (std::string_view want : {"Identified", "next update due", "5% of checkouts fail", "rolling back", "bad deploy",
                                  "confirmed", "roll back to v2.2", "CDN was fine", "add a canary", "2027-01-10",
                                  "scribe", "(deleted)", "(edited)", "rollback startde", "★", "3 entries",
                                  "/incidents/INC-5/postmortem.md", "/incidents/INC-5/postmortem.json", "<svg"})
        CHECK(html.find(want) != std::string::npos);
    CHECK(html.find("data-live=\"INC-5\"") != std::string::npos);
    CHECK(html.find("class=\"message deleted\"") != std::string::npos);
    CHECK(html.find("class=\"message highlight\"") != std::string::npos);
    // Past its due time the next update is overdue.
    CHECK(incident_page(src, extras, at(55), manager).find("update overdue since") != std::string::npos);
}

TEST_CASE("every page loads only the view's own stylesheet and script", "[web][pages]") {
    auto inc = make(6, "x", severity::sev2, status::investigating, 0);
    draft_source src;
    src.inc = inc;
    for (const auto& html : {list_page({&inc}, {}, at(1), manager), incident_page(src, {}, at(1), manager), login_page("")}) {
        CHECK(count(html, "src=\"") == count(html, "src=\"/assets/view.js\""));
        CHECK(count(html, "href=\"http") == 0);
        CHECK(count(html, "<style") == 0);
        CHECK(count(html, " style=") == 0);
    }
    CHECK(content_security_policy.find("default-src 'none'") != std::string_view::npos);
    CHECK(content_security_policy.find("unsafe-inline") == std::string_view::npos);
}
