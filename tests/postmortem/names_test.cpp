// Display names in the drafts: a person whose platform told us a name is written
// "Maya (@U0MAYA)" in every format; anyone else exactly as before, "@U0SAM".
#include "postmortem/chart.hpp"
#include "postmortem/html.hpp"
#include "postmortem/json_export.hpp"
#include "postmortem/markdown.hpp"
#include "tests/postmortem/fixtures.hpp"

#include <boost/json.hpp>

using namespace firebreak;
using namespace firebreak::testing;
namespace json = boost::json;

namespace {

std::size_t count(const std::string& hay, std::string_view needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
    return n;
}

// A Slack incident: maya declared and commands, dana is the database SME, sam and
// "U0SAME" (whose name is their id) only speak.
draft_source slack_draft() {
    using test::utc;
    draft_source src;
    incident& inc = src.inc;
    const user_ref maya{"U0MAYA"}, dana{"U0DANA"}, sam{"U0SAM"}, same{"U0SAME"};
    inc.id = incident_id{3};
    inc.title = "Search is timing out";
    inc.sev = severity::sev2;
    inc.state = status::closed;
    inc.declared_by = maya;
    inc.declared_in = room_ref{"slack", "C0GENERAL"};
    inc.rooms = {room_ref{"slack", "C0INC3"}};
    inc.times.declared = utc(2026, 11, 3, 10, 0);
    inc.times.commander_assigned = utc(2026, 11, 3, 10, 0);
    inc.times.closed = utc(2026, 11, 3, 11, 0);
    inc.shifts.push_back({role::commander, maya, "", utc(2026, 11, 3, 10, 0), utc(2026, 11, 3, 11, 0), maya, maya});
    inc.shifts.push_back({role::sme, dana, "search", utc(2026, 11, 3, 10, 5), utc(2026, 11, 3, 11, 0), maya, maya});
    inc.history.push_back({utc(2026, 11, 3, 10, 0), severity::sev2, status::investigating, maya, {}});
    inc.history.push_back({utc(2026, 11, 3, 11, 0), severity::sev2, status::closed, maya, {}});
    inc.updates.push_back({utc(2026, 11, 3, 10, 20), maya, "slow search", "rolling back", "", utc(2026, 11, 3, 10, 50)});
    inc.message_count = 4;
    std::int64_t seq = 0;
    auto say = [&](const user_ref& who, int minute, std::string text) {
        timeline_entry e;
        e.seq = ++seq;
        e.incident = inc.id;
        e.at = utc(2026, 11, 3, 10, minute);
        e.kind = entry_kind::message;
        e.author = who;
        e.text = std::move(text);
        e.room = inc.rooms[0];
        e.msg = message_id{"17622" + std::to_string(minute)};
        src.entries.push_back(e);
    };
    say(maya, 1, "looking");
    say(dana, 2, "index missing");
    say(sam, 3, "customers see timeouts");
    say(same, 4, "me too");
    src.names = {{"U0MAYA", "Maya"}, {"U0DANA", "Dana"}, {"U0SAME", "U0SAME"}};
    return src;
}

}  // namespace

TEST_CASE("the Markdown draft names people beside their ids where a name is known", "[postmortem][names]") {
    auto md = postmortem_markdown(slack_draft());
    INFO(md);
    CHECK(md.find("Declared 2026-11-03 10:00:00Z by Maya (@U0MAYA);") != std::string::npos);
    CHECK(md.find("Commander: Maya (@U0MAYA).") != std::string::npos);
    CHECK(md.find("| commander | Maya (@U0MAYA) |") != std::string::npos);
    CHECK(md.find("| sme | Dana (@U0DANA) | search |") != std::string::npos);
    CHECK(md.find("| Maya (@U0MAYA) | 1 | commander |") != std::string::npos);
    CHECK(md.find("| Dana (@U0DANA) | 1 | sme |") != std::string::npos);
    // No name: the id as before. A "name" that is the id adds nothing.
    CHECK(md.find("| @U0SAM | 1 | — |") != std::string::npos);
    CHECK(md.find("| @U0SAME | 1 | — |") != std::string::npos);
    CHECK(md.find("(@U0SAM)") == std::string::npos);
    CHECK(md.find("(@U0SAME)") == std::string::npos);
    // Every place a person appears, the timeline included; never a bare id for maya.
    CHECK(count(md, "@U0MAYA") == count(md, "Maya (@U0MAYA)"));
    CHECK(md.find("| 2026-11-03 10:01:00Z | Maya (@U0MAYA) | message | looking |") != std::string::npos);
}

TEST_CASE("the HTML draft and its chart name people beside their ids", "[postmortem][names]") {
    auto src = slack_draft();
    auto html = postmortem_html(src);
    CHECK(html.find("<td>Maya (@U0MAYA)</td>") != std::string::npos);
    CHECK(html.find("<td>Dana (@U0DANA)</td>") != std::string::npos);
    CHECK(html.find("<td>@U0SAM</td>") != std::string::npos);
    CHECK(count(html, "@U0MAYA") == count(html, "Maya (@U0MAYA)"));
    // The swimlanes are labelled with the name, and so are their tooltips.
    auto svg = timeline_chart_svg(src, facts_of(src));
    CHECK(svg.find("aria-label=\"commander Maya (@U0MAYA)\"") != std::string::npos);
    CHECK(svg.find("aria-label=\"sme Dana (@U0DANA) (search)\"") != std::string::npos);
    CHECK(svg.find("assigned by Maya (@U0MAYA)") != std::string::npos);
    CHECK(svg.find("Status update 2026-11-03 10:20:00Z by Maya (@U0MAYA)") != std::string::npos);
    CHECK(count(svg, "@U0MAYA") == count(svg, "Maya (@U0MAYA)"));
    require_well_formed_xml(svg, "the chart");
}

TEST_CASE("the JSON draft gives a display_name beside the user id of participants and shifts", "[postmortem][names][json]") {
    json::error_code ec;
    auto v = json::parse(postmortem_json(slack_draft()), ec);
    REQUIRE_FALSE(ec);
    const auto& doc = v.as_object();
    CHECK(doc.at("version").as_int64() == 1);  // additive: see SCHEMA.md
    std::map<std::string, std::optional<std::string>> participants;
    for (const auto& p : doc.at("participants").as_array()) {
        const auto& o = p.as_object();
        auto it = o.find("display_name");
        participants[std::string(o.at("user").as_string())] =
            it == o.end() ? std::nullopt : std::optional<std::string>(std::string(it->value().as_string()));
        // Beside the id: right after "user".
        if (it != o.end()) CHECK(std::next(o.begin())->key() == "display_name");
    }
    CHECK(participants == std::map<std::string, std::optional<std::string>>{{"U0MAYA", "Maya"},
                                                                            {"U0DANA", "Dana"},
                                                                            {"U0SAM", std::nullopt},
                                                                            {"U0SAME", std::nullopt}});
    const auto& shifts = doc.at("shifts").as_array();
    REQUIRE(shifts.size() == 2);
    CHECK(shifts[0].as_object().at("display_name").as_string() == "Maya");
    CHECK(shifts[1].as_object().at("display_name").as_string() == "Dana");
    // Elsewhere ids stay ids.
    CHECK(doc.at("incident").as_object().at("declared_by").as_string() == "U0MAYA");
}

TEST_CASE("without names every format is what it was", "[postmortem][names]") {
    auto named = slack_draft();
    auto plain = named;
    plain.names.clear();
    auto md = postmortem_markdown(plain);
    CHECK(md.find("Maya") == std::string::npos);
    CHECK(md.find("| @U0MAYA | 1 | commander |") != std::string::npos);
    auto js = postmortem_json(plain);
    CHECK(js.find("display_name") == std::string::npos);
    CHECK(postmortem_html(plain).find("Maya") == std::string::npos);
}

TEST_CASE("a hostile display name stays text in every format", "[postmortem][names][escaping]") {
    auto src = slack_draft();
    src.names["U0MAYA"] = hostile;
    auto md = postmortem_markdown(src);
    // Still one row per participant: the name cannot end the table row.
    auto lines = lines_of(md);
    std::size_t rows = 0;
    for (const auto& l : lines)
        if (l.find("(@U0MAYA) | 1 | commander |") != std::string::npos) ++rows;
    CHECK(rows == 1);
    auto html = postmortem_html(src);
    CHECK(html.find("<script>") == std::string::npos);
    require_well_formed_xml(svg_of(html), "the chart");
    json::error_code ec;
    json::parse(postmortem_json(src), ec);
    CHECK_FALSE(ec);
}

TEST_CASE("postmortem_source reads the names known on the incident's platforms", "[postmortem][names]") {
    sqlite_store store(":memory:");
    auto src0 = slack_draft();
    change c;
    c.incidents = {src0.inc};
    c.entries = src0.entries;
    for (auto& e : c.entries) e.seq = 0;
    REQUIRE(store.commit(c, "ev", src0.inc.times.declared, std::nullopt));
    store.put_display_name("slack", user_ref{"U0MAYA"}, "Maya", src0.inc.times.declared);
    store.put_display_name("matrix", user_ref{"@dana:example.org"}, "Dana on Matrix", src0.inc.times.declared);
    auto src = postmortem_source(src0.inc, store);
    CHECK(src.names == std::map<std::string, std::string>{{"U0MAYA", "Maya"}});
    CHECK(postmortem_markdown(src).find("Maya (@U0MAYA)") != std::string::npos);
}

TEST_CASE("firebreak's own timeline rows name people too, matching whole ids only", "[postmortem][names]") {
    auto src = slack_draft();
    timeline_entry e;
    e.seq = 99;
    e.incident = src.inc.id;
    e.at = test::utc(2026, 11, 3, 10, 5);
    e.kind = entry_kind::system;
    e.tag = "role";
    e.author = user_ref{"U0MAYA"};
    e.text = "@U0MAYA made @U0DANA SME (search); @U0DANAX and @U0SAM unchanged, mail a@U0DANA.";
    e.room = src.inc.rooms[0];
    src.entries.push_back(e);
    auto md = postmortem_markdown(src);
    INFO(md);
    CHECK(md.find("Maya (@U0MAYA) made Dana (@U0DANA) SME (search); @U0DANAX and @U0SAM unchanged, mail a@U0DANA.") !=
          std::string::npos);
    CHECK(count(md, "@U0MAYA") == count(md, "Maya (@U0MAYA)"));
    // A person's own message is theirs: quoted as typed.
    CHECK(md.find("| index missing |") != std::string::npos);

    // Matrix ids hold ':' and '.': a sentence may end after one.
    draft_source m;
    m.names = {{"dana:example.org", "Dana"}, {"dana", "Not Dana"}};
    CHECK(with_names(m, "handed to @dana:example.org.") == "handed to Dana (@dana:example.org).");
    CHECK(with_names(m, "@dana:example.org: done") == "Dana (@dana:example.org): done");
    CHECK(with_names(m, "@dana: done") == "Not Dana (@dana): done");
    CHECK(with_names(m, "no mention here") == "no mention here");
    CHECK(with_names(m, "@") == "@");
}
