// Matrix wire <-> core translation on fixtures shaped like the spec's examples: what
// a /sync body becomes, what the bot's output looks like, how errors are read.
#include "adapters/matrix/matrix_wire.hpp"
#include "tests/support/spec_check.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace firebreak;
using namespace firebreak::matrix;
namespace json = boost::json;

namespace {

const std::string bot = "@firebreak:example.org";

// A sync body with one joined room holding `events`.
std::string sync_with(const json::array& events, const std::string& room = "!inc:example.org", bool limited = false) {
    json::object timeline{{"events", events}, {"limited", limited}, {"prev_batch", "p1"}};
    json::object r{{"timeline", timeline}};
    json::object join{{room, r}};
    json::object rooms{{"join", join}};
    return json::serialize(json::object{{"next_batch", "s42"}, {"rooms", rooms}});
}

json::object message(const std::string& id, const std::string& sender, json::object content,
                     const std::string& type = "m.room.message") {
    return json::object{{"event_id", id},
                        {"sender", sender},
                        {"origin_server_ts", 1767225600123},
                        {"type", type},
                        {"content", std::move(content)}};
}

json::object text(const std::string& body) { return json::object{{"msgtype", "m.text"}, {"body", body}}; }

sync_batch decode(const std::string& body, const reaction_index& known = {}) {
    std::string error;
    auto b = decode_sync(body, bot, known, error);
    INFO(error);
    REQUIRE(b);
    return *b;
}

}  // namespace

TEST_CASE("a room message becomes a chat event with the platform's id, time and author", "[matrix]") {
    auto b = decode(sync_with({message("$m1", "@alice:example.org", text("!incident declare DB down --sev 1"))}));
    REQUIRE(b.next_batch == "s42");
    REQUIRE(b.events.size() == 1);
    const auto& e = b.events[0];
    CHECK(e.kind == event_kind::message);
    CHECK(e.event_id == "matrix:$m1");
    CHECK(e.room == room_ref{"matrix", "!inc:example.org"});
    CHECK(e.user.id == "alice:example.org");
    CHECK(to_unix_ms(e.at) == 1767225600123);
    CHECK(e.msg.id == "$m1");
    CHECK(e.text == "!incident declare DB down --sev 1");
}

TEST_CASE("the bot's own messages never come back as events", "[matrix]") {
    auto b = decode(sync_with({message("$m1", bot, text("INC-1 declared")), message("$m2", "@bob:example.org", text("hi"))}));
    REQUIRE(b.events.size() == 1);
    CHECK(b.events[0].user.id == "bob:example.org");
}

TEST_CASE("edits, redactions, reactions and thread replies map onto the core's kinds", "[matrix]") {
    json::object edit = text("* fixed typo");
    edit["m.new_content"] = text("fixed typo");
    edit["m.relates_to"] = json::object{{"rel_type", "m.replace"}, {"event_id", "$m1"}};
    json::object pin{{"m.relates_to", json::object{{"rel_type", "m.annotation"}, {"event_id", "$m1"}, {"key", "📌"}}}};
    json::object thread = text("> <@bob:example.org> earlier\n\nin the thread");
    thread["m.relates_to"] = json::object{{"rel_type", "m.thread"}, {"event_id", "$root"}};
    json::object reply = text("> <@bob:example.org> what changed?\n\nthe deploy at 14:02");
    reply["m.relates_to"] = json::object{{"m.in_reply_to", json::object{{"event_id", "$q"}}}};
    // Room version 11 puts `redacts` in content; older versions at the top level.
    auto redact_new = message("$r1", "@alice:example.org", json::object{{"redacts", "$pin"}}, "m.room.redaction");
    auto redact_old = message("$r2", "@alice:example.org", json::object{}, "m.room.redaction");
    redact_old["redacts"] = "$m3";

    auto b = decode(sync_with({message("$e", "@alice:example.org", edit),
                               message("$pin", "@alice:example.org", pin, "m.reaction"),
                               message("$t", "@alice:example.org", thread), message("$rp", "@alice:example.org", reply),
                               redact_new, redact_old}));
    REQUIRE(b.events.size() == 6);
    CHECK(b.events[0].kind == event_kind::edit);
    CHECK(b.events[0].msg.id == "$m1");
    CHECK(b.events[0].text == "fixed typo");
    CHECK(b.events[1].kind == event_kind::reaction);
    CHECK(b.events[1].reaction == "pushpin");
    CHECK(b.events[1].highlight);
    CHECK(b.events[1].reaction_added);
    CHECK(b.events[1].msg.id == "$m1");
    CHECK(b.events[2].thread_parent.id == "$root");
    CHECK(b.events[3].thread_parent.id == "$q");
    CHECK(b.events[3].text == "the deploy at 14:02");
    // The redaction of a reaction seen earlier in the batch takes the pin away again.
    CHECK(b.events[4].kind == event_kind::reaction);
    CHECK_FALSE(b.events[4].reaction_added);
    CHECK(b.events[4].msg.id == "$m1");
    CHECK(b.events[5].kind == event_kind::remove);
    CHECK(b.events[5].msg.id == "$m3");
    CHECK(b.reactions.count("$pin") == 1);
}

TEST_CASE("joins, leaves and kicks of people become membership events — the bot's own and invites do not",
          "[matrix]") {
    const std::string bot = "@firebreak:example.org";
    auto member = [&](const std::string& sender, const std::string& target, const std::string& membership) {
        auto e = message("$m1", sender, json::object{{"membership", membership}}, "m.room.member");
        e["state_key"] = target;
        return translate_event("!inc:example.org", e, bot, {});
    };
    auto joined = member("@zed:example.org", "@zed:example.org", "join");
    REQUIRE(joined);
    CHECK(joined->kind == event_kind::member_joined);
    CHECK(joined->user.id == "zed:example.org");
    auto left = member("@zed:example.org", "@zed:example.org", "leave");
    REQUIRE(left);
    CHECK(left->kind == event_kind::member_left);
    // A kick is sent by someone else; the one removed is the state key.
    auto kicked = member("@maya:example.org", "@dana:example.org", "leave");
    REQUIRE(kicked);
    CHECK(kicked->kind == event_kind::member_left);
    CHECK(kicked->user.id == "dana:example.org");
    CHECK(member("@maya:example.org", "@dana:example.org", "ban")->kind == event_kind::member_left);
    CHECK_FALSE(member("@maya:example.org", "@dana:example.org", "invite"));
    CHECK_FALSE(member("@maya:example.org", bot, "join"));
}

TEST_CASE("a reaction known from an earlier batch is taken back by its redaction", "[matrix]") {
    reaction_index known{{"$old", {"$m9", "📌"}}};
    auto b = decode(sync_with({message("$r", "@alice:example.org", json::object{{"redacts", "$old"}}, "m.room.redaction")}),
                    known);
    REQUIRE(b.events.size() == 1);
    CHECK(b.events[0].kind == event_kind::reaction);
    CHECK_FALSE(b.events[0].reaction_added);
    CHECK(b.events[0].msg.id == "$m9");
}

TEST_CASE("mention pills become user ids so commands can name people", "[matrix]") {
    json::object c = text("!incident commander Dana Smith");
    c["format"] = "org.matrix.custom.html";
    c["formatted_body"] = "!incident commander <a href=\"https://matrix.to/#/%40dana%3Aexample.org\">Dana Smith</a>";
    auto b = decode(sync_with({message("$m", "@alice:example.org", c)}));
    REQUIRE(b.events.size() == 1);
    CHECK(b.events[0].text == "!incident commander @dana:example.org");
}

// The href is percent-decoded; a '%' that starts no valid escape stays a literal '%'.
TEST_CASE("mention pills decode UTF-8 escapes and keep a stray percent sign", "[matrix]") {
    auto pill = [](const std::string& href, const std::string& label) {
        json::object c = text("!incident commander " + label);
        c["format"] = "org.matrix.custom.html";
        c["formatted_body"] = "!incident commander <a href=\"https://matrix.to/#/" + href + "\">" + label + "</a>";
        auto b = decode(sync_with({message("$m", "@alice:example.org", c)}));
        REQUIRE(b.events.size() == 1);
        return b.events[0].text;
    };
    CHECK(pill("%40d%C3%A9na%3Aexample.org", "D\xC3\xA9na") == "!incident commander @d\xC3\xA9na:example.org");
    CHECK(pill("%40dana%3Aex%ample.org", "Dana") == "!incident commander @dana:ex%ample.org");
    CHECK(pill("%40dana%3Aexample.org%", "Dana") == "!incident commander @dana:example.org%");
    CHECK(pill("%40dana%3Aexample.org%4", "Dana") == "!incident commander @dana:example.org%4");
    CHECK(pill("%%40dana%3Aexample.org", "Dana") == "!incident commander Dana");  // "%@dana...": no user id
    CHECK(pill("@dana:example.org?via=%zz", "Dana") == "!incident commander @dana:example.org");
}

TEST_CASE("unknown msgtypes with a body are kept — events without one are skipped and counted", "[matrix]") {
    json::object odd{{"msgtype", "org.example.custom"}, {"body", "custom text"}};
    json::object no_body{{"msgtype", "m.text"}};
    json::object emote{{"msgtype", "m.emote"}, {"body", "is rolling back"}};
    json::object file{{"msgtype", "m.file"}, {"body", "heap.pprof"}};
    auto b = decode(sync_with({message("$a", "@alice:example.org", odd), message("$b", "@alice:example.org", no_body),
                               message("$c", "@alice:example.org", emote), message("$d", "@alice:example.org", file),
                               message("$e", "@alice:example.org", json::object{{"x", 1}}, "org.example.unknown"),
                               json::value("not an event")}));
    REQUIRE(b.events.size() == 3);
    CHECK(b.events[0].text == "custom text");
    CHECK(b.events[1].text == "* is rolling back");
    CHECK(b.events[2].text == "[file] heap.pprof");
    CHECK(b.skipped == 3);
}

TEST_CASE("a sync body that is not usable is refused with the reason — the cursor stays", "[matrix]") {
    std::string error;
    CHECK_FALSE(decode_sync("{not json", bot, {}, error));
    CHECK(error.find("not JSON") != std::string::npos);
    CHECK_FALSE(decode_sync("[1,2]", bot, {}, error));
    CHECK_FALSE(decode_sync(R"({"rooms":{}})", bot, {}, error));
    CHECK(error.find("next_batch") != std::string::npos);
    // Wrong shapes inside a good body are skipped, not fatal.
    auto b = decode_sync(R"({"next_batch":"s2","rooms":{"join":{"!a:x":"oops","!b:x":{"timeline":{"events":7}}},"invite":[]}})",
                         bot, {}, error);
    REQUIRE(b);
    CHECK(b->events.empty());
    CHECK(b->skipped == 1);
}

TEST_CASE("invites, direct rooms and limited timelines are reported", "[matrix]") {
    json::object member{{"type", "m.room.member"},
                        {"state_key", bot},
                        {"sender", "@alice:example.org"},
                        {"content", json::object{{"membership", "invite"}, {"is_direct", true}}}};
    json::object invite{{"!dm:example.org", json::object{{"invite_state", json::object{{"events", json::array{member}}}}}}};
    auto body = json::parse(sync_with({message("$m", "@a:example.org", text("x"))}, "!busy:example.org", true)).as_object();
    body["rooms"].as_object()["invite"] = invite;
    auto b = decode(json::serialize(body));
    CHECK(b.invites == std::vector<std::string>{"!dm:example.org"});
    CHECK(b.direct_rooms.count("!dm:example.org") == 1);
    REQUIRE(b.gaps.size() == 1);
    CHECK(b.gaps[0].room_id == "!busy:example.org");
    CHECK(b.gaps[0].prev_batch == "p1");
}

TEST_CASE("bot output is an m.notice whose HTML escapes user text and links mentions", "[matrix]") {
    rich_text t;
    t.bold("INC-3").text(" <script>alert(1)</script> & co").line().text("commander ").mention("dana:example.org");
    auto c = notice_content(t);
    CHECK(c["msgtype"] == "m.notice");
    CHECK(c["body"].as_string() == t.plain());
    std::string html(c["formatted_body"].as_string());
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co") != std::string::npos);
    CHECK(html.find("<strong>INC-3</strong>") != std::string::npos);
    CHECK(html.find("<br/>") != std::string::npos);
    CHECK(html.find("<a href=\"https://matrix.to/#/@dana:example.org\">@dana:example.org</a>") != std::string::npos);
    auto problems = testing::matrix_api::get().check_event_content("m.room.message", c);
    CHECK(problems.empty());
    // A room link is a matrix.to link clients show as a pill; not yet known, its name.
    rich_text join;
    join.text("Join ").room_link("inc-3-<x>", "!abc:example.org").text(" or ").room_link("inc-4");
    auto jc = notice_content(join);
    CHECK(jc["body"].as_string() == "Join #inc-3-<x> or #inc-4");
    CHECK(std::string(jc["formatted_body"].as_string()) ==
          "Join <a href=\"https://matrix.to/#/!abc:example.org?via=example.org\">#inc-3-&lt;x&gt;</a> or #inc-4");
    auto threaded = notice_content(t, "$root");
    CHECK(threaded["m.relates_to"].as_object()["rel_type"] == "m.thread");
    CHECK(testing::matrix_api::get().check_event_content("m.room.message", threaded).empty());
}

TEST_CASE("errors map to the few kinds the engine acts on", "[matrix]") {
    auto limited = failure(429, R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many","retry_after_ms":1500})", "2", "send");
    CHECK(limited.error == error_kind::retry_after);
    CHECK(limited.retry_after == duration{2000});  // the header wins
    auto body_only = failure(429, R"({"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500})", std::nullopt, "send");
    CHECK(body_only.retry_after == duration{1500});
    CHECK(failure(401, R"({"errcode":"M_UNKNOWN_TOKEN"})", std::nullopt, "x").error == error_kind::auth);
    CHECK(failure(403, R"({"errcode":"M_FORBIDDEN"})", std::nullopt, "x").error == error_kind::auth);
    CHECK(failure(404, R"({"errcode":"M_NOT_FOUND"})", std::nullopt, "x").error == error_kind::not_found);
    CHECK(failure(502, "<html>bad gateway</html>", std::nullopt, "x").error == error_kind::transient);
    CHECK(failure(400, R"({"errcode":"M_BAD_JSON"})", std::nullopt, "x").error == error_kind::invalid);
    auto d = failure(400, R"({"errcode":"M_BAD_JSON","error":"line\nbreak"})", std::nullopt, "createRoom");
    CHECK(d.detail == "createRoom: HTTP 400 M_BAD_JSON (line break)");
}

TEST_CASE("hostile room names still give a valid alias", "[matrix]") {
    CHECK(alias_localpart("inc-4-search-is-down") == "inc-4-search-is-down");
    CHECK(alias_localpart("INC 5: <b>Checkout</b> 🔥 down!") == "inc-5-b-checkout-b-down");
    CHECK(alias_localpart("!!!???") == "incident");
    CHECK(alias_localpart("") == "incident");
    CHECK(alias_localpart(std::string(200, 'a')).size() == 80);
    auto cyr = alias_localpart("инцидент-7");
    CHECK(cyr == "7");
    for (char c : alias_localpart("a:b#c@d e"))
        CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'));
}

TEST_CASE("user ids keep the sigil on the wire and drop it in the core", "[matrix]") {
    CHECK(to_mxid(user_ref{"dana:example.org"}) == "@dana:example.org");
    CHECK(to_mxid(user_ref{"@dana:example.org"}) == "@dana:example.org");
    CHECK(from_mxid("@dana:example.org").id == "dana:example.org");
    CHECK(server_of("@dana:example.org") == "example.org");
    CHECK(server_of("dana").empty());
}

TEST_CASE("the sync filter asks only for what the bot acts on", "[matrix]") {
    auto f = sync_filter();
    auto types = f["room"].as_object()["timeline"].as_object()["types"].as_array();
    CHECK(types.size() == 4);
    CHECK(std::find(types.begin(), types.end(), json::value("m.room.member")) != types.end());
    CHECK(f["presence"].as_object()["not_types"].as_array()[0] == "*");
    // The filter body is what POST /user/{userId}/filter takes.
    auto problems = testing::matrix_api::get().check_request(
        "POST", "/_matrix/client/v3/user/%40firebreak%3Aexample.org/filter", "application/json", json::serialize(f));
    CHECK(problems.empty());
}

TEST_CASE("a reply too long for one Matrix event loses its HTML first, then is cut saying so", "[matrix]") {
    rich_text mid;
    mid.bold("INC-1").text(" " + std::string(35000, 'a'));
    auto c = notice_content(mid);
    CHECK(c.at("body").as_string().size() > 35000);
    CHECK_FALSE(c.contains("formatted_body"));
    CHECK_FALSE(c.contains("format"));
    rich_text huge;
    for (int i = 0; i < 8000; ++i) huge.text("log line " + std::to_string(i) + " ");
    auto h = notice_content(huge);
    std::string body(h.at("body").as_string());
    CHECK(body.size() <= 60000);
    CHECK(body.find("(cut to fit Matrix; `timeline` or the export has the rest)") != std::string::npos);
    // Short replies keep both forms.
    auto small = notice_content(rich_text{}.bold("INC-1").text(" ok"));
    CHECK(small.at("formatted_body") == "<strong>INC-1</strong> ok");
}
