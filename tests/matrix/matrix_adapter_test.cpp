// The Matrix adapter end to end: the real service against a fake homeserver over real
// sockets on 127.0.0.1, every request checked against the Client-Server definitions.
#include "tests/matrix/matrix_rig.hpp"
#include "storage/sqlite_store.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace firebreak;
using namespace firebreak::testing;
namespace json = boost::json;

// Every request the fake saw fits the definitions (each problem printed when not).
#define CHECK_CONFORMS(spec)                                 \
    do {                                                     \
        auto problems_ = (spec).problems();                  \
        for (auto& p_ : problems_) UNSCOPED_INFO(p_);        \
        CHECK(problems_.empty());                            \
    } while (0)

namespace {

std::size_t count_requests(const fake_homeserver& hs, const std::string& method, const std::string& part) {
    std::size_t n = 0;
    for (const auto& r : hs.requests())
        if (r.method == method && r.target.find(part) != std::string::npos) ++n;
    return n;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// Declares INC-1 from a lobby the bot was invited to, and waits for its room.
std::string declare_incident(matrix_rig& rig, const std::string& lobby, const std::string& title = "Search is timing out") {
    rig.hs.say(lobby, alice, "!incident declare " + title + " --sev 1");
    REQUIRE(rig.until([&] { return !rig.room_of(1).empty(); }));
    return rig.room_of(1);
}

// A lobby the bot is invited to, the bot started, INC-1 declared there, alice in its
// room and the kickoff posted: where most scenarios begin.
std::pair<std::string, std::string> start_with_incident(matrix_rig& rig, const std::string& title = "Search is timing out") {
    auto lobby = rig.hs.create_room(alice, "Lobby");
    rig.hs.invite_bot(lobby, alice);
    rig.boot();
    REQUIRE(rig.until([&] { return contains(rig.hs.members(lobby), bot_id); }));
    auto room = declare_incident(rig, lobby, title);
    rig.hs.join(room, alice);
    REQUIRE(rig.until([&] { return rig.bot_said(room, "INC-1"); }));
    return {lobby, room};
}

}  // namespace

TEST_CASE("a whole incident worked through Matrix", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    auto lobby = hs.create_room(alice, "Lobby");
    auto news = hs.create_room(alice, "Incidents");
    hs.invite_bot(lobby, alice);
    hs.invite_bot(news, alice);
    // A room the bot was already in, with a command said before the bot ever ran.
    auto old = hs.create_room(alice, "Old");
    hs.join(old, bot_id);
    hs.say(old, alice, "!incident declare Old news");
    matrix_rig rig(hs, news);
    rig.boot();

    // Invitations are accepted; history from before the first start is not news.
    REQUIRE(rig.until([&] { return contains(hs.members(lobby), bot_id) && contains(hs.members(news), bot_id); }));
    auto room = declare_incident(rig, lobby);
    CHECK(rig.eng().state().incidents.size() == 1);

    // The room: name, alias, topic, invitation and moderator power for the commander.
    auto name = hs.state(room, "m.room.name");
    REQUIRE(name);
    CHECK(std::string(name->at("name").as_string()).find("inc-1-search-is-timing-out") == 0);
    CHECK(contains(hs.invited(room), alice));
    auto power = hs.state(room, "m.room.power_levels");
    REQUIRE(power);
    CHECK(power->at("users").as_object().at(alice).to_number<int>() == 50);
    CHECK(power->at("users").as_object().at(bot_id).to_number<int>() == 100);
    REQUIRE(rig.until([&] { return rig.bot_said(room, "INC-1"); }));
    // The kickoff is an m.notice with an HTML body.
    auto kickoff = rig.bot_messages(room).front();
    CHECK(kickoff.at("msgtype") == "m.notice");
    CHECK(kickoff.at("format") == "org.matrix.custom.html");
    REQUIRE(rig.until([&] { return rig.bot_said(news, "INC-1"); }));
    REQUIRE(rig.until([&] { return hs.state(room, "m.room.topic").has_value(); }));
    CHECK(std::string(hs.state(room, "m.room.topic")->at("topic").as_string()).find("SEV1") != std::string::npos);

    // Working the incident: tagged messages, a pin, an edit, a deletion, a thread reply.
    hs.join(room, alice);
    auto hyp = hs.say(room, alice, "#hypothesis the new index is missing");
    hs.push_event(room, alice,
                  json::object{{"type", "m.reaction"},
                               {"content", json::object{{"m.relates_to", json::object{{"rel_type", "m.annotation"},
                                                                                        {"event_id", hyp},
                                                                                        {"key", "📌"}}}}}});
    auto typo = hs.say(room, alice, "rolled back the deploi");
    json::object edit{{"msgtype", "m.text"},
                      {"body", "* rolled back the deploy"},
                      {"m.new_content", json::object{{"msgtype", "m.text"}, {"body", "rolled back the deploy"}}},
                      {"m.relates_to", json::object{{"rel_type", "m.replace"}, {"event_id", typo}}}};
    hs.push_event(room, alice, json::object{{"type", "m.room.message"}, {"content", edit}});
    auto oops = hs.say(room, alice, "password is hunter2");
    hs.push_event(room, alice, json::object{{"type", "m.room.redaction"}, {"content", json::object{{"redacts", oops}}}});
    json::object threaded{{"msgtype", "m.text"},
                          {"body", "error rate is back to normal"},
                          {"m.relates_to", json::object{{"rel_type", "m.thread"}, {"event_id", hyp}}}};
    hs.push_event(room, alice, json::object{{"type", "m.room.message"}, {"content", threaded}});
    hs.say(room, alice, "!incident status resolved");
    hs.say(room, alice, "!incident close");

    // The postmortem arrives as an m.file, its Markdown in the media repository.
    REQUIRE(rig.until([&] {
        for (auto& c : rig.bot_messages(room))
            if (c.at("msgtype") == "m.file") return true;
        return false;
    }));
    auto media = hs.media();
    REQUIRE(media.size() == 1);
    const auto& md = media.begin()->second.second;
    CHECK(md.find("Search is timing out") != std::string::npos);
    CHECK(md.find("the new index is missing") != std::string::npos);

    auto* inc = rig.eng().state().find(1);
    REQUIRE(inc);
    CHECK(inc->is_closed());
    CHECK(rig.has_text(1, "rolled back the deploy"));
    CHECK_FALSE(rig.has_text(1, "hunter2"));
    CHECK(rig.has_text(1, "error rate is back to normal"));
    CHECK(rig.eng().state().find(2) == nullptr);  // "Old news" was history
    bool pinned = false, threaded_ok = false;
    for (auto& e : rig.eng().store().timeline(incident_id{1})) {
        if (e.msg.id == hyp && e.highlight) pinned = true;
        if (e.text == "error rate is back to normal" && e.thread_parent.id == hyp) threaded_ok = true;
    }
    CHECK(pinned);
    CHECK(threaded_ok);
    CHECK(rig.bot_said(news, "closed"));
    // The #hypothesis registered: the bot's ✅ annotation on that very event.
    bool acked = false;
    for (auto& e : hs.timeline(room))
        if (e.at("sender") == bot_id.c_str() && e.at("type") == "m.reaction") {
            const auto& rel = e.at("content").at("m.relates_to");
            acked = acked || (rel.at("event_id") == hyp.c_str() && rel.at("key") == "\u2705");
        }
    CHECK(acked);

    // Nothing the bot sent broke the definitions, and it sent a fair amount.
    CHECK_CONFORMS(spec);
    CHECK(spec.checked() > 15);
    CHECK(hs.hook_failures().empty());
}

TEST_CASE("a restart in the middle of a sync batch loses nothing and doubles nothing", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);

    // More than one group holds: the runtime commits a long batch in groups of at most
    // engine::max_batch, the cursor with the last.
    // The messages come while the bot is down, so the next start syncs them as one batch.
    const int notes = int(engine::max_batch) + 44;
    rig.crash();
    for (int i = 0; i < notes; ++i) hs.say(room, alice, "note " + std::to_string(i));
    rig.boot();
    // Crash right after the first group is committed: the cursor is not, so the batch
    // comes again and the committed part is recognised by event id.
    REQUIRE(rig.until_each([&] { return rig.eng().counters().events_by_kind[0] > 0; }));
    // The batch also holds Alice's join of the room: one group of whatever kinds.
    const auto& kinds = rig.eng().counters().events_by_kind;
    CHECK(kinds[std::size_t(event_kind::message)] + kinds[std::size_t(event_kind::member_joined)] ==
          std::int64_t(engine::max_batch));
    rig.crash();
    rig.boot();
    REQUIRE(rig.until([&] { return rig.has_text(1, "note " + std::to_string(notes - 1)); }));
    auto texts = rig.texts(1);
    for (int i = 0; i < notes; ++i)
        CHECK(std::count(texts.begin(), texts.end(), "note " + std::to_string(i)) == 1);
    CHECK(rig.eng().counters().duplicates == std::int64_t(engine::max_batch));
    CHECK_CONFORMS(spec);
}

TEST_CASE("at start the service forgets the ids of events handled over 30 days ago", "[matrix]") {
    fake_homeserver hs;
    matrix_rig rig(hs);
    {
        // An earlier run's store: one event 40 days old, one from yesterday.
        sqlite_store before(rig.cfg.database);
        change none;
        REQUIRE(before.commit(none, "$forty-days", rig.clk.now() - std::chrono::hours{24 * 40}, std::nullopt));
        REQUIRE(before.commit(none, "$yesterday", rig.clk.now() - std::chrono::hours{24}, std::nullopt));
    }
    rig.boot();
    CHECK_FALSE(rig.eng().store().processed("$forty-days"));
    CHECK(rig.eng().store().processed("$yesterday"));
}

TEST_CASE("a send the server performed but never answered is not posted twice", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);

    hs.drop_after_handling("PUT", "/send/", 1);
    hs.say(room, alice, "!incident hypothesis cache stampede");
    // The server has the message; the bot never heard back, and crashes before retrying.
    REQUIRE(rig.until([&] { return rig.bot_said(room, "H1"); }));
    REQUIRE(rig.until([&] {
        for (auto& r : hs.requests())
            if (r.dropped) return true;
        return false;
    }));
    rig.crash();
    rig.boot();
    // The restarted bot resends the outbox row with the same transaction id once its
    // retry time comes.
    REQUIRE(rig.until([&] {
        rig.clk.advance(std::chrono::seconds{1});
        rig.eng().deliver();
        return rig.eng().store().pending_outbox(0).empty();
    }));
    std::size_t h1 = 0;
    for (auto& c : rig.bot_messages(room))
        if (std::string(c.at("body").as_string()).find("H1") != std::string::npos) ++h1;
    CHECK(h1 == 1);
    CHECK_CONFORMS(spec);
}

TEST_CASE("429 bursts are waited out without reordering a room's messages", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);

    hs.rate_limit("PUT", "/send/", 6, 1500);
    for (int i = 1; i <= 5; ++i) hs.say(room, alice, "!incident hypothesis idea " + std::to_string(i));
    // Every wait the server asks for passes on the engine's clock.
    REQUIRE(rig.until([&] {
        auto head = rig.eng().store().pending_outbox(1);
        if (!head.empty() && head.front().not_before && *head.front().not_before > rig.clk.now()) {
            rig.clk.set(*head.front().not_before);
            rig.eng().deliver();
        }
        return rig.bot_said(room, "H5");
    }));
    std::vector<int> order;
    for (auto& c : rig.bot_messages(room)) {
        std::string body(c.at("body").as_string());
        for (int i = 1; i <= 5; ++i)
            if (body.find("H" + std::to_string(i)) != std::string::npos && body.find("idea " + std::to_string(i)) != std::string::npos)
                order.push_back(i);
    }
    CHECK(order == std::vector<int>{1, 2, 3, 4, 5});
    CHECK(rig.eng().counters().rate_limit_waits >= 6);
    CHECK(rig.eng().counters().dropped == 0);
    CHECK_CONFORMS(spec);
}

TEST_CASE("a sync batch of 1,000 events is handled in order, each once", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);
    for (int i = 0; i < 1000; ++i) hs.say(room, i % 2 ? alice : bob, "line " + std::to_string(i));
    REQUIRE(rig.until([&] { return rig.has_text(1, "line 999"); }, std::chrono::milliseconds{60000}));
    std::vector<std::string> lines;
    for (auto& t : rig.texts(1))
        if (t.rfind("line ", 0) == 0) lines.push_back(t);
    REQUIRE(lines.size() == 1000);
    for (int i = 0; i < 1000; ++i) CHECK(lines[std::size_t(i)] == "line " + std::to_string(i));
    CHECK_CONFORMS(spec);
}

TEST_CASE("a limited timeline's gap is filled from /messages, oldest first, nothing skipped", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);
    // The server sends only the newest 50 of a room's new events per sync.
    hs.set_timeline_limit(50);
    for (int i = 0; i < 400; ++i) hs.say(room, alice, "burst " + std::to_string(i));
    REQUIRE(rig.until([&] { return rig.has_text(1, "burst 399"); }, std::chrono::milliseconds{30000}));
    std::vector<std::string> lines;
    for (auto& t : rig.texts(1))
        if (t.rfind("burst ", 0) == 0) lines.push_back(t);
    REQUIRE(lines.size() == 400);
    for (int i = 0; i < 400; ++i) CHECK(lines[std::size_t(i)] == "burst " + std::to_string(i));
    CHECK(count_requests(hs, "GET", "/messages") >= 3);
    CHECK_CONFORMS(spec);
}

TEST_CASE("malformed sync responses and odd events are skipped — the bot stays up", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig, "<b>Checkout</b> & <script>x</script>");
    // The title is plain text in the room name and escaped in every HTML body.
    for (auto& c : rig.bot_messages(room))
        if (c.contains("formatted_body")) CHECK(std::string(c.at("formatted_body").as_string()).find("<script>") == std::string::npos);

    hs.inject_raw_sync("{\"next_batch\": ");
    hs.inject_raw_sync("<html>502 Bad Gateway</html>");
    hs.push_event(room, alice, json::object{{"type", "m.room.message"}, {"content", json::object{{"msgtype", 7}}}});
    hs.push_event(room, alice, json::object{{"type", "org.example.unknown"}, {"content", json::object{{"x", 1}}}});
    hs.push_event(room, alice,
                  json::object{{"type", "m.room.message"},
                               {"content", json::object{{"msgtype", "org.example.poll"}, {"body", "poll: roll back?"}}}});
    hs.say(room, alice, std::string(300000, 'x'));
    hs.say(room, alice, "invalid utf-8 \xC3\x28 here");
    // A room the bot is in but that is no incident: chatter there is not recorded.
    hs.say(lobby, alice, "just chatting");
    hs.say(room, alice, "still listening");
    REQUIRE(rig.until([&] { return rig.has_text(1, "still listening"); }));
    CHECK(rig.has_text(1, "poll: roll back?"));
    CHECK_FALSE(rig.has_text(1, "just chatting"));
    for (auto& t : rig.texts(1)) CHECK(t.size() < 300000);
    CHECK(rig.svc->adapter("matrix")->state() == link_state::connected);
    CHECK_CONFORMS(spec);
}

TEST_CASE("a refused token stops the adapter with one clear error and no retry storm", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    rig.cfg.matrix.access_token = secret{"wrong-token", "test"};
    REQUIRE(rig.boot_until_fatal());
    CHECK(hs.requests().size() == 1);
    CHECK(rig.svc->code() == exit_code::platform);
    CHECK(rig.svc->adapter("matrix")->state() == link_state::failed);
    auto why = rig.svc->adapter("matrix")->last_error();
    CHECK(why.find("refused") != std::string::npos);
    CHECK(why.find("wrong-token") == std::string::npos);
    CHECK_FALSE(rig.svc->not_ready().empty());
    CHECK_CONFORMS(spec);
}

TEST_CASE("a homeserver that forbids the bot stops it with one clear error", "[matrix]") {
    fake_homeserver hs;
    hs.fail("GET", "/account/whoami", 1, 403, R"({"errcode":"M_FORBIDDEN","error":"This account has been deactivated"})");
    matrix_rig rig(hs);
    REQUIRE(rig.boot_until_fatal());
    CHECK(rig.svc->code() == exit_code::platform);
    CHECK(rig.svc->adapter("matrix")->last_error().find("M_FORBIDDEN") != std::string::npos);
    CHECK(hs.requests().size() == 1);
}

TEST_CASE("over TLS the bot verifies the homeserver against the configured CA", "[matrix][tls]") {
    fake_homeserver_options o;
    o.tls = true;
    fake_homeserver hs(o);
    conformance spec(hs);
    auto lobby = hs.create_room(alice, "Lobby");
    hs.invite_bot(lobby, alice);
    {
        matrix_rig rig(hs);
        rig.boot();
        REQUIRE(rig.until([&] { return contains(hs.members(lobby), bot_id); }));
        auto room = declare_incident(rig, lobby);
        REQUIRE(rig.until([&] { return rig.bot_said(room, "INC-1"); }));
        CHECK(rig.svc->not_ready().empty());
    }
    CHECK_CONFORMS(spec);

    // Without the CA the handshake fails and the adapter keeps retrying, never ready.
    auto before = hs.requests().size();
    matrix_rig untrusted(hs);
    untrusted.cfg.matrix.ca_file.clear();
    untrusted.boot();
    untrusted.until([] { return false; }, std::chrono::milliseconds{300});
    CHECK(hs.requests().size() == before);
    CHECK(untrusted.svc->adapter("matrix")->state() == link_state::retrying);
    CHECK(untrusted.svc->adapter("matrix")->last_error().find("handshake") != std::string::npos);
}

TEST_CASE("a room alias already taken gets a suffix — one the bot made before a crash is reused", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    auto lobby = hs.create_room(alice, "Lobby");
    auto squatter = hs.create_room(bob, "Someone else's");
    hs.set_alias("#inc-1-search-is-timing-out:example.org", squatter);
    hs.invite_bot(lobby, alice);
    matrix_rig rig(hs);
    rig.boot();
    REQUIRE(rig.until([&] { return contains(hs.members(lobby), bot_id); }));
    auto room = declare_incident(rig, lobby);
    CHECK(room != squatter);
    CHECK(count_requests(hs, "POST", "/createRoom") == 2);

    // A crash after createRoom succeeded but before the room was recorded: the retry
    // finds the room by its alias and its creation key, and makes no second one.
    hs.drop_after_handling("POST", "/createRoom", 1);
    hs.say(lobby, alice, "!incident declare Payments failing --sev 2");
    REQUIRE(rig.until([&] {
        for (auto& r : hs.requests())
            if (r.dropped) return true;
        return false;
    }));
    auto rooms_before = hs.rooms().size();
    rig.crash();
    rig.boot();
    REQUIRE(rig.until([&] {
        rig.clk.advance(std::chrono::seconds{2});
        rig.eng().deliver();
        return !rig.room_of(2).empty();
    }));
    CHECK(hs.rooms().size() == rooms_before);
    CHECK_CONFORMS(spec);
}

TEST_CASE("a private incident through Matrix: outsiders learn nothing, answers to members stay in the incident room, "
          "a kick ends access", "[matrix][privacy]") {
    fake_homeserver hs;
    conformance spec(hs);
    const std::string zed = "@zed:example.org";
    auto lobby = hs.create_room(alice, "Lobby");
    hs.join(lobby, bob);
    hs.join(lobby, zed);
    hs.invite_bot(lobby, alice);
    matrix_rig rig(hs);
    rig.boot();
    REQUIRE(rig.until([&] { return contains(hs.members(lobby), bot_id); }));
    hs.say(lobby, alice, "!incident declare leaked deploy token --private --sev 1");
    REQUIRE(rig.until([&] { return !rig.room_of(1).empty(); }));
    auto room = rig.room_of(1);
    // The lobby learns that a private incident exists; the details go to Alice in its room,
    // since Matrix has no messages only one person sees.
    REQUIRE(rig.until([&] { return rig.bot_said(lobby, "INC-1 declared (private)"); }));
    REQUIRE(rig.until([&] { return rig.bot_said(room, "leaked deploy token — commander"); }));
    auto lobby_said_nothing_secret = [&] {
        for (auto& c : rig.bot_messages(lobby)) {
            INFO(c.at("body").as_string());
            CHECK(std::string(c.at("body").as_string()).find("leaked deploy token") == std::string::npos);
        }
    };

    // Zed asks from the lobby: the answer of a missing incident.
    hs.say(lobby, zed, "!incident INC-1 timeline");
    hs.say(lobby, zed, "!incident INC-1 scribe " + zed);
    REQUIRE(rig.until([&] {
        int n = 0;
        for (auto& c : rig.bot_messages(lobby))
            if (std::string(c.at("body").as_string()).find("There is no INC-1 you can see.") != std::string::npos) ++n;
        return n == 2;
    }));
    CHECK_FALSE(contains(hs.invited(room), zed));
    CHECK_FALSE(rig.eng().state().find(1)->scribe());

    // Bob is brought in; his question from the lobby is answered in the incident room.
    hs.say(lobby, alice, "!incident INC-1 sme " + bob + " secrets");
    REQUIRE(rig.until([&] { return contains(hs.invited(room), bob); }));
    hs.join(room, bob);
    auto before = rig.bot_messages(lobby).size();
    hs.say(lobby, bob, "!incident INC-1 timeline");
    REQUIRE(rig.until([&] { return rig.bot_said(room, "INC-1 — last"); }));
    CHECK(rig.bot_messages(lobby).size() == before);

    // Alice kicks Bob: he is out, and from the lobby it is as if INC-1 did not exist.
    hs.push_event(room, alice,
                  json::object{{"type", "m.room.member"}, {"state_key", bob},
                               {"content", json::object{{"membership", "leave"}, {"reason", "wrong Bob"}}}});
    REQUIRE(rig.until([&] { return rig.eng().state().find(1)->members.count(user_ref{"bob:example.org"}) == 0; }));
    hs.say(lobby, bob, "!incident INC-1 roles");
    REQUIRE(rig.until([&] {
        int n = 0;
        for (auto& c : rig.bot_messages(lobby))
            if (std::string(c.at("body").as_string()).find("There is no INC-1 you can see.") != std::string::npos) ++n;
        return n == 3;
    }));
    lobby_said_nothing_secret();
    auto problems = spec.problems();
    for (auto& p : problems) UNSCOPED_INFO(p);
    CHECK(problems.empty());
    CHECK(hs.hook_failures().empty());
}

TEST_CASE("a commander named later is raised to moderator, and one who hands over is lowered", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);
    auto level = [&](const std::string& user) -> std::int64_t {
        auto pl = hs.state(room, "m.room.power_levels");
        if (!pl) return -1;
        const auto& users = pl->at("users").as_object();
        auto* v = users.if_contains(user);
        return v ? v->to_number<std::int64_t>() : 0;
    };
    REQUIRE(level(alice) == 50);
    hs.join(room, bob);
    hs.say(room, alice, "!incident handoff @bob:example.org");
    REQUIRE(rig.until([&] { return level(bob) == 50; }));
    CHECK(level(alice) == 0);
    CHECK(level(bot_id) == 100);
    CHECK(rig.eng().state().find(1)->commander()->user.id == "bob:example.org");
    // Nobody in command: bob keeps no rank; a new commander gets it.
    hs.say(room, bob, "!incident unassign commander @bob:example.org");
    REQUIRE(rig.until([&] { return level(bob) == 0; }));
    hs.say(room, alice, "!incident commander @alice:example.org");
    REQUIRE(rig.until([&] { return level(alice) == 50; }));
    CHECK(level(bob) == 0);
    CHECK_CONFORMS(spec);
}

TEST_CASE("a member's new display name is kept and shown in the topic", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    hs.set_display_name(alice, "Alice");
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);
    REQUIRE(rig.until([&] { return rig.eng().store().display_names("matrix").count("alice:example.org") > 0; }));
    // Alice renames herself: the homeserver sends a member event in each room she shares.
    hs.push_event(room, alice,
                  json::object{{"type", "m.room.member"},
                               {"state_key", alice},
                               {"content", json::object{{"membership", "join"}, {"displayname", "Alice (on call)"}}}});
    REQUIRE(rig.until([&] {
        return rig.eng().store().display_names("matrix")["alice:example.org"] == "Alice (on call)";
    }));
    // Still a member (a rename is no leave), and the next topic names her so.
    hs.say(room, alice, "!incident sev 2 contained");
    REQUIRE(rig.until([&] {
        auto t = hs.state(room, "m.room.topic");
        return t && std::string(t->at("topic").as_string()).find("SEV2") != std::string::npos;
    }));
    auto topic = std::string(hs.state(room, "m.room.topic")->at("topic").as_string());
    INFO(topic);
    CHECK(topic.find("Commander Alice (on call) |") != std::string::npos);
    CHECK(rig.eng().state().find(1)->members.count(user_ref{"alice:example.org"}) == 1);
    CHECK_CONFORMS(spec);
}

TEST_CASE("a direct room stays direct across a restart", "[matrix]") {
    fake_homeserver hs;
    conformance spec(hs);
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);
    // Alice opens a one-to-one room with the bot: the invite says so, and only once.
    auto dm = hs.create_room(alice, "");
    hs.push_event(dm, alice,
                  json::object{{"type", "m.room.member"},
                               {"state_key", bot_id},
                               {"content", json::object{{"membership", "invite"}, {"is_direct", true}}}});
    REQUIRE(rig.until([&] { return contains(hs.members(dm), bot_id); }));
    // In a direct room plain words are commands.
    hs.say(dm, alice, "help");
    REQUIRE(rig.until([&] { return rig.bot_said(dm, "declare"); }));
    rig.crash();
    rig.boot();
    const auto before = rig.bot_messages(dm).size();
    hs.say(dm, alice, "roles INC-1");
    REQUIRE(rig.until([&] { return rig.bot_messages(dm).size() > before; }));
    auto last = rig.bot_messages(dm).back();
    INFO(boost::json::serialize(last));
    CHECK(rig.bot_said(dm, "INC-1 roles"));
    CHECK_CONFORMS(spec);
}

TEST_CASE("the transaction-id prefix is made once per database and kept across restarts", "[matrix]") {
    // The txnId of each m.room.message the bot sent: "<prefix>-<outbox key>".
    auto prefixes = [](fake_homeserver& hs) {
        std::set<std::string> out;
        const std::string marker = "/send/m.room.message/";
        for (const auto& r : hs.requests()) {
            auto at = r.target.find(marker);
            if (r.method != "PUT" || at == std::string::npos) continue;
            auto txn = r.target.substr(at + marker.size());
            out.insert(txn.substr(0, txn.find('-')));
        }
        return out;
    };
    fake_homeserver hs;
    matrix_rig rig(hs);
    auto [lobby, room] = start_with_incident(rig);
    auto first = prefixes(hs);
    REQUIRE(first.size() == 1);
    const auto prefix = *first.begin();
    CHECK(prefix.size() == 16);
    CHECK(prefix.find_first_not_of("0123456789abcdef") == std::string::npos);
    rig.crash();
    rig.boot();
    auto before = rig.bot_messages(room).size();
    hs.say(room, alice, "!incident status");
    REQUIRE(rig.until([&] { return rig.bot_messages(room).size() > before; }));
    CHECK(prefixes(hs) == first);
    rig.crash();

    // Another database on the same homeserver and token: another prefix, so its "1"
    // cannot be taken for the first database's "1".
    matrix_rig other(hs);
    other.boot();
    auto lobby2 = hs.create_room(alice, "Lobby 2");
    hs.invite_bot(lobby2, alice);
    REQUIRE(other.until([&] { return contains(hs.members(lobby2), bot_id); }));
    declare_incident(other, lobby2, "Another one");
    REQUIRE(other.until([&] { return prefixes(hs).size() == 2; }));
}
