// Display names: after an event from a person is committed, the engine asks the
// platform once per person and run for their name and keeps it in the store; asking
// never blocks, never fails an event, and an answer after the engine is gone is dropped.
#include "bot/runtime/engine.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/test_adapter.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <memory>
#include <stdexcept>

using namespace firebreak;
using firebreak::testing::adapter_call;

namespace {

using name_map = std::map<std::string, std::string>;

// Completes every delivery at once; answers display_name() from `names` (the id for
// anyone not listed, as the console does; no answer for "ghost"), at once or, when
// `later`, only when the test releases the answers.
class naming_adapter final : public firebreak::testing::test_adapter {
public:
    name_map names;
    bool later = false;
    std::map<std::string, int> asked;  // user id -> display_name() calls
    std::deque<std::function<void()>> answers;
    int rooms = 0;

    naming_adapter() { caps_.create_rooms = true; }

    void display_name(const user_ref& u, std::function<void(std::optional<std::string>)> cb) override {
        ++asked[u.id];
        std::optional<std::string> answer = u.id;
        if (auto it = names.find(u.id); it != names.end()) answer = it->second;
        if (u.id == "ghost") answer.reset();
        if (!later) return cb(answer);
        answers.push_back([cb = std::move(cb), answer] { cb(answer); });
    }
    // Hands over the answers held back so far, oldest first.
    void release() {
        while (!answers.empty()) {
            auto f = std::move(answers.front());
            answers.pop_front();
            f();
        }
    }

protected:
    void on_call(adapter_call c) override {
        delivery d;
        if (c.what == "open") d.room = room_ref{"test", "room-" + std::to_string(++rooms)};
        c.cb(d);
    }
};

chat_event said(const std::string& id, const std::string& user, const std::string& room, const std::string& text,
                instant at) {
    chat_event ev;
    ev.kind = event_kind::message;
    ev.event_id = id;
    ev.room = room_ref{"test", room};
    ev.user = user_ref{user};
    ev.text = text;
    ev.msg = message_id{id};
    ev.at = at;
    return ev;
}

struct rig {
    sqlite_store store{":memory:"};
    manual_clock clk{from_unix_ms(1'700'000'000'000)};
    naming_adapter a;
    std::unique_ptr<engine> eng = std::make_unique<engine>(store, engine_settings{}, clk);
    int n = 0;
    rig() { eng->add_adapter(a); }
    handled say(const std::string& user, const std::string& room, const std::string& text) {
        clk.advance(std::chrono::seconds{1});
        return eng->handle(said("e" + std::to_string(++n), user, room, text, clk.now()));
    }
    // maya declares INC-1; returns its room.
    std::string declared() {
        REQUIRE(say("U0MAYA", "general", "!incident declare Disk full") == handled::committed);
        return eng->state().find(1)->room_on("test")->id;
    }
};

}  // namespace

TEST_CASE("each person is asked about once per run and their name is stored", "[runtime][names]") {
    rig r;
    r.a.names = {{"U0MAYA", "Maya"}, {"U0DANA", "Dana"}, {"U0PRIYA", "Priya"}};
    auto room = r.declared();
    CHECK(r.a.asked == std::map<std::string, int>{{"U0MAYA", 1}});
    CHECK(r.store.display_names("test") == name_map{{"U0MAYA", "Maya"}});

    r.say("U0MAYA", room, "checking the disks");
    r.say("U0DANA", room, "on it");
    r.say("U0DANA", room, "/var is full");
    // Given a role without ever typing: the postmortem lists them, so they are asked too.
    r.say("U0MAYA", room, "!incident scribe @U0PRIYA");
    r.say("sam", room, "hello");     // the platform knows no other name than the id
    r.say("ghost", room, "boo");     // the platform has no answer
    r.say("ghost", room, "boo again");
    CHECK(r.a.asked ==
          std::map<std::string, int>{{"U0MAYA", 1}, {"U0DANA", 1}, {"U0PRIYA", 1}, {"sam", 1}, {"ghost", 1}});
    CHECK(r.store.display_names("test") == name_map{{"U0MAYA", "Maya"}, {"U0DANA", "Dana"}, {"U0PRIYA", "Priya"}});
    CHECK(r.eng->state().find(1)->message_count == 7);  // the command counts too
}

TEST_CASE("a name the store already has is not asked for again after a restart", "[runtime][names]") {
    rig r;
    r.store.put_display_name("test", user_ref{"U0MAYA"}, "Maya", r.clk.now());
    auto room = r.declared();
    r.say("U0MAYA", room, "still here");
    CHECK(r.a.asked.empty());
    // A name from another platform says nothing about this one.
    r.store.put_display_name("other", user_ref{"U0DANA"}, "Dana elsewhere", r.clk.now());
    r.say("U0DANA", room, "me too");
    CHECK(r.a.asked == std::map<std::string, int>{{"U0DANA", 1}});
}

TEST_CASE("events that bring nobody into the record ask nothing", "[runtime][names]") {
    rig r;
    // Chatter outside any incident changes nothing: no lookup for it.
    CHECK(r.say("U0MAYA", "random", "lunch?") == handled::nothing);
    CHECK(r.a.asked.empty());
    // A redelivered event is recognised before anything else happens.
    auto room = r.declared();
    r.a.asked.clear();
    auto again = said("e1", "U0DANA", room, "dup", r.clk.now());
    CHECK(r.eng->handle(again) == handled::duplicate);
    CHECK(r.a.asked.empty());
    // An internal event without a person.
    chat_event mark;
    mark.kind = event_kind::sync_mark;
    mark.event_id = "sync-1";
    mark.room = room_ref{"test", ""};
    r.eng->handle(mark);
    CHECK(r.a.asked.empty());
}

TEST_CASE("a platform that answers later is fine, even after the engine is gone", "[runtime][names]") {
    rig r;
    r.a.later = true;
    r.a.names = {{"U0MAYA", "Maya"}, {"U0DANA", "Dana"}};
    auto room = r.declared();
    // The event was handled and committed without waiting for the answer.
    CHECK(r.eng->state().find(1) != nullptr);
    CHECK(r.store.display_names("test").empty());
    r.say("U0MAYA", room, "again");  // asked already, answer pending: not asked twice
    CHECK(r.a.asked == std::map<std::string, int>{{"U0MAYA", 1}});
    r.a.release();
    CHECK(r.store.display_names("test") == name_map{{"U0MAYA", "Maya"}});

    r.say("U0DANA", room, "here");
    REQUIRE(r.a.answers.size() == 1);
    r.eng.reset();
    r.a.release();  // the engine that asked no longer exists: the answer is dropped
    CHECK(r.store.display_names("test") == name_map{{"U0MAYA", "Maya"}});
}

TEST_CASE("display names are cleaned to one bounded line before they are stored", "[runtime][names]") {
    rig r;
    r.a.names = {{"U0MAYA", "  Maya\nRaman\x01  "}, {"U0LONG", std::string(500, 'x')}, {"U0BLANK", " \n "}};
    auto room = r.declared();
    r.say("U0LONG", room, "hi");
    r.say("U0BLANK", room, "hi");
    auto names = r.store.display_names("test");
    CHECK(names.at("U0MAYA") == "Maya Raman");
    CHECK(names.at("U0LONG").size() <= 128 + 9);
    CHECK(names.count("U0BLANK") == 0);
}

namespace {

// Forwards to a real store, but fails every display-name read or write.
class names_failing_store final : public firebreak::testing::forwarding_store {
public:
    using forwarding_store::forwarding_store;
    bool fail_reads = false, fail_writes = false;
    void put_display_name(const std::string& p, const user_ref& u, const std::string& n, instant at) override {
        if (fail_writes) throw store_error("disk I/O error (test)");
        inner_.put_display_name(p, u, n, at);
    }
    std::map<std::string, std::string> display_names(const std::string& p) override {
        if (fail_reads) throw store_error("disk I/O error (test)");
        return inner_.display_names(p);
    }
};

}  // namespace

TEST_CASE("a store that cannot read or write names fails no event", "[runtime][names]") {
    sqlite_store inner(":memory:");
    names_failing_store store(inner);
    manual_clock clk{from_unix_ms(1'700'000'000'000)};
    naming_adapter a;
    a.names = {{"U0MAYA", "Maya"}, {"U0DANA", "Dana"}};
    engine eng(store, engine_settings{}, clk);
    eng.add_adapter(a);

    // Reading the known names fails: nobody is asked, the event stands.
    store.fail_reads = true;
    REQUIRE(eng.handle(said("e1", "U0MAYA", "general", "!incident declare Disk full", clk.now())) ==
            handled::committed);
    CHECK(a.asked.empty());
    // Storing an answer fails inside the adapter's callback: nothing escapes it.
    store.fail_reads = false;
    store.fail_writes = true;
    auto room = eng.state().find(1)->room_on("test")->id;
    CHECK(eng.handle(said("e2", "U0DANA", room, "here", clk.now())) == handled::committed);
    CHECK(a.asked == std::map<std::string, int>{{"U0DANA", 1}});
    CHECK(inner.display_names("test").empty());
    CHECK(eng.state().find(1)->message_count == 1);
}

namespace {

// Keeps every call it completes, so a test can read what reached the platform.
class keeping_adapter final : public firebreak::testing::test_adapter {
public:
    name_map names;
    std::vector<adapter_call> calls;
    int rooms = 0;
    keeping_adapter() {
        caps_.create_rooms = true;
        caps_.topics = true;
    }
    void display_name(const user_ref& u, std::function<void(std::optional<std::string>)> cb) override {
        auto it = names.find(u.id);
        cb(it == names.end() ? std::optional<std::string>{} : std::optional<std::string>{it->second});
    }
    std::vector<std::string> topics() const {
        std::vector<std::string> out;
        for (const auto& c : calls)
            if (c.what == "topic") out.push_back(c.text);
        return out;
    }

protected:
    void on_call(adapter_call c) override {
        delivery d;
        if (c.what == "open") d.room = room_ref{"test", "room-" + std::to_string(++rooms)};
        auto cb = std::move(c.cb);
        calls.push_back(std::move(c));
        cb(d);
    }
};

}  // namespace

TEST_CASE("topics name people by display name, with the id only where two share one", "[runtime][names]") {
    sqlite_store store(":memory:");
    manual_clock clk{from_unix_ms(1'700'000'000'000)};
    keeping_adapter a;
    a.names = {{"U0MAYA", "Maya"}, {"U0DANA", "Dana"}, {"U0DANA2", "Dana"}};
    engine eng(store, engine_settings{}, clk);
    eng.add_adapter(a);
    // The first topic is set before anyone's name is known: the id stands in.
    REQUIRE(eng.handle(said("e1", "U0MAYA", "general", "!incident declare Disk full", clk.now())) ==
            handled::committed);
    REQUIRE_FALSE(a.topics().empty());
    CHECK(a.topics().back().find("Commander @U0MAYA") != std::string::npos);
    auto room = eng.state().find(1)->room_on("test")->id;

    // Once the name is known, the next topic uses it; topics never carry the id then.
    REQUIRE(eng.handle(said("e2", "U0MAYA", room, "!incident scribe @U0DANA", clk.now())) == handled::committed);
    REQUIRE(eng.handle(said("e3", "U0MAYA", room, "!incident sev 1 spreading", clk.now())) == handled::committed);
    auto t = a.topics().back();
    INFO(t);
    CHECK(t.find("Commander Maya |") != std::string::npos);
    CHECK(t.find("Scribe Dana |") != std::string::npos);
    CHECK(t.find("@U0") == std::string::npos);

    // Two people called Dana: the topic says which one.
    REQUIRE(eng.handle(said("e4", "U0DANA2", room, "here too", clk.now())) == handled::committed);
    REQUIRE(eng.handle(said("e5", "U0MAYA", room, "!incident sev 2 contained", clk.now())) == handled::committed);
    CHECK(a.topics().back().find("Scribe Dana (@U0DANA) |") != std::string::npos);
}

TEST_CASE("a changed display name is kept and used by the next topic", "[runtime][names]") {
    sqlite_store store(":memory:");
    manual_clock clk{from_unix_ms(1'700'000'000'000)};
    keeping_adapter a;
    a.names = {{"U0MAYA", "Maya"}};
    engine eng(store, engine_settings{}, clk);
    eng.add_adapter(a);
    REQUIRE(eng.handle(said("e1", "U0MAYA", "general", "!incident declare Disk full", clk.now())) ==
            handled::committed);
    auto room = eng.state().find(1)->room_on("test")->id;

    chat_event renamed;
    renamed.kind = event_kind::name_changed;
    renamed.event_id = "rename-1";
    renamed.room = room_ref{"test", ""};
    renamed.user = user_ref{"U0MAYA"};
    renamed.text = "Maya R. (on call)";
    renamed.at = clk.now();
    CHECK(eng.handle(renamed) == handled::nothing);
    CHECK(store.display_names("test").at("U0MAYA") == "Maya R. (on call)");
    // A redelivery of the same change is a duplicate, as any event.
    CHECK(eng.handle(renamed) == handled::duplicate);
    // The record is unchanged; the next topic uses the new name.
    CHECK(eng.state().find(1)->message_count == 0);
    REQUIRE(eng.handle(said("e2", "U0MAYA", room, "!incident sev 1 spreading", clk.now())) == handled::committed);
    CHECK(a.topics().back().find("Commander Maya R. (on call) |") != std::string::npos);
}

TEST_CASE("the declare confirmation and the announcement link the incident room once it exists",
          "[runtime][names]") {
    sqlite_store store(":memory:");
    manual_clock clk{from_unix_ms(1'700'000'000'000)};
    keeping_adapter a;
    engine_settings settings;
    settings.announcement_rooms["test"] = room_ref{"test", "announce"};
    engine eng(store, settings, clk);
    eng.add_adapter(a);
    REQUIRE(eng.handle(said("e1", "U0MAYA", "general", "!incident declare Disk full", clk.now())) ==
            handled::committed);
    auto room = eng.state().find(1)->room_on("test")->id;
    int links = 0;
    for (const auto& c : a.calls) {
        for (const auto& s : c.body.spans()) {
            if (s.look != span::style::room) continue;
            ++links;
            INFO(c.text);
            CHECK(s.ref == room);
            CHECK(s.text == "inc-1-disk-full");
        }
    }
    CHECK(links == 2);  // the confirmation where it was declared, and the announcement
    bool ack = false;
    for (const auto& c : a.calls) ack = ack || c.text.find("Join #inc-1-disk-full to work it.") != std::string::npos;
    CHECK(ack);
}
