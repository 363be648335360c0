// Crash safety of `firebreak run` (issue 8): the real binary against the fake homeserver
// is SIGKILLed at random points while a load of messages and commands is replayed into an
// incident room, then restarted, many times over. Part of each chunk is said before the
// start, the rest while it runs; in some rounds the bot first catches up (so its cursor
// moves and the kill lands in a later batch), in the others the backlog grows and each
// restart redelivers it from an older cursor. After every kill, with the process dead:
//   - what the store holds of the room is exactly a prefix of what was said, in order,
//     nothing twice, and it covers every event the committed /sync cursor acknowledges;
//   - every reply owed for a committed command is on the server exactly once or still in
//     the outbox (at most the one row that was in flight is both), in command order;
//     nothing the bot sent lacks a committed command behind it.
// After a last clean run (a sentinel command answered, then SIGTERM, exit 0) the same
// checks must hold with nothing pending and everything said handled exactly once.
//
// The kill delays come from a seeded std::mt19937; the seed is printed. To replay a run:
//   FIREBREAK_CRASH_SEED=<seed> build/tests/matrix_tests "[crash]"
#include "storage/sqlite_store.hpp"
#include "tests/support/crash_rig.hpp"
#include "tests/support/fake_homeserver.hpp"
#include "tests/support/process.hpp"
#include "tests/support/process_rig.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace firebreak;
using namespace firebreak::testing;

namespace {

const std::string token = "syt_ZmlyZWJyZWFr_crashtokenvalue_9z8y7x";
const std::string alice = "@alice:example.org";
const std::string bot = "@firebreak:example.org";
const std::string cursor_key = "matrix.next_batch";  // matrix_options::cursor_key

constexpr int iterations = 20;
constexpr int loads_per_chunk = 80;
constexpr int commands_per_chunk = 8;


// "s<N>" -> N (the fake's stream tokens); nullopt for anything else.
std::optional<std::size_t> stream_index(const std::optional<std::string>& token) {
    if (!token || token->size() < 2 || (*token)[0] != 's') return std::nullopt;
    return static_cast<std::size_t>(std::stoull(token->substr(1)));
}

// One line said in the incident room, and the one m.notice it must earn (empty for plain lines).
struct said {
    std::string text;
    std::string reply;          // the bot's body, e.g. "Recorded hypothesis H3: h41"
    std::string system_tag;     // the system entry the command records ("hypothesis", "decision")
    std::string system_text;
    // The stream position read right after it was pushed: its own position + 1, or more when
    // the bot sent something in between (so "covered by the cursor" errs on the safe side).
    std::size_t stream_after = 0;
};

// Lines `around - 5` .. `around + 5` of a list (all of a short one), numbered from 1.
std::string join_lines(const std::vector<std::string>& v, std::size_t around = 0) {
    std::size_t from = around > 5 ? around - 5 : 0, to = std::min(v.size(), around + 6);
    std::string out = from > 0 ? "  …\n" : "";
    for (std::size_t i = from; i < to; ++i) out += fmt::format("  {:4} {}\n", i + 1, v[i]);
    if (to < v.size()) out += fmt::format("  … ({} in all)\n", v.size());
    return out;
}

// How a child ended, for failure reports.
std::string ended(const std::optional<int>& code) {
    if (!code) return "still running";
    if (*code == 127) return "exit 127: the binary could not be executed (being relinked?)";
    if (*code > 128) return fmt::format("killed by signal {}", *code - 128);
    return fmt::format("exit {}", *code);
}

}  // namespace

TEST_CASE("firebreak run: SIGKILL at random points loses nothing and doubles nothing", "[matrix][crash]") {
    const std::uint32_t seed = crash_seed("crash test");
    INFO("seed " << seed);
    std::mt19937 rng(seed);

    fake_homeserver_options o;
    o.access_token = token;
    fake_homeserver hs(o);
    auto lobby = hs.create_room(alice, "Lobby");
    hs.invite_bot(lobby, alice);
    temp_dir dir;
    auto db = dir.file("firebreak.sqlite");
    auto cfg = write_run_config(dir, db, hs.base_url(), bot);
    const std::vector<std::string> argv{FIREBREAK_BINARY, "run", "--config", cfg};
    const std::vector<std::pair<std::string, std::string>> env{{"FB_TEST_MATRIX_TOKEN", token}};
    int run_no = 0;
    auto start = [&] { return std::make_unique<child_process>(argv, env, dir.file(fmt::format("run{}.log", run_no++))); };

    // Waits until the bot's reply `body` is in the incident room; false when it does not
    // come, or the child ends first (a child that ended is not signalled again).
    std::string room;
    auto answered = [&](child_process& c, const std::string& body) {
        bool done = false;
        eventually([&] {
            auto m = bot_messages(hs, room, bot);
            done = std::find(m.begin(), m.end(), body) != m.end();
            return done || c.wait_exit(std::chrono::milliseconds{0}).has_value();
        }, std::chrono::milliseconds{30000});
        return done;
    };

    // ---- setup: the bot joins the lobby, INC-1 is declared, its room opened and kicked off.
    {
        auto first = start();
        if (!eventually([&] {
                auto m = hs.members(lobby);
                return std::find(m.begin(), m.end(), bot) != m.end();
            }))
            FAIL("the bot never joined; it said:\n" << first->output());
        hs.say(lobby, alice, "!incident declare Disk full on db-3 --sev 2");
        if (!eventually([&] { return hs.rooms().size() == 2; })) FAIL("no incident room; the bot said:\n" << first->output());
        room = hs.rooms().back();
        hs.join(room, alice);
        if (!eventually([&] {
                auto m = bot_messages(hs, room, bot);
                return m.size() == 1 && m[0].find("First steps") != std::string::npos && bot_messages(hs, lobby, bot).size() == 1;
            }))
            FAIL("no kickoff in the incident room; the bot said:\n" << first->output());
        first->signal(SIGTERM);
        auto code = first->wait_exit(std::chrono::milliseconds{20000});
        if (!code || *code != 0) FAIL("the setup run did not stop cleanly; it said:\n" << first->output());
    }
    const std::string kickoff = bot_messages(hs, room, bot).at(0);
    const std::string declare_ack = bot_messages(hs, lobby, bot).at(0);

    std::vector<said> script;  // everything said in the incident room, in order
    int hypotheses = 0;
    auto say = [&](const std::string& text, said s) {
        hs.say(room, alice, text);
        s.text = text;
        s.stream_after = *stream_index(hs.stream_position());
        script.push_back(std::move(s));
    };
    // Each command earns exactly one m.notice in the room: hypothesis and decision post once
    // to the incident room and do nothing else (commands/dispatcher.cpp).
    auto push_line = [&](bool command) {
        auto i = script.size();
        said s;
        if (!command) return say(fmt::format("load {}", i), s);
        if (i % 2 == 0) {
            ++hypotheses;
            s.reply = fmt::format("Recorded hypothesis H{}: h{}", hypotheses, i);
            s.system_tag = "hypothesis";
            s.system_text = fmt::format("H{} opened: h{}", hypotheses, i);
            return say(fmt::format("!incident hypothesis h{}", i), s);
        }
        s.reply = fmt::format("Recorded Decision: d{}", i);
        s.system_tag = "decision";
        s.system_text = fmt::format("d{}", i);
        say(fmt::format("!incident decision d{}", i), s);
    };
    // A chunk: plain lines with commands at random places.
    auto make_chunk = [&] {
        std::vector<bool> is_command(loads_per_chunk + commands_per_chunk, false);
        for (int k = 0; k < commands_per_chunk; ++k) is_command[std::size_t(k)] = true;
        std::shuffle(is_command.begin(), is_command.end(), rng);
        return is_command;
    };

    // What one check saw, for the summary (and to show the kills land where it matters).
    struct progress {
        std::size_t recorded, acknowledged, delivered, pending;
        bool in_flight;  // a reply was on the server but its row not yet marked sent
    };
    // The invariants, checked with the process dead. `final` also asks that everything
    // said was handled and every reply delivered.
    auto check_store = [&](const std::string& when, const child_process& last, bool final) {
        INFO(when);
        std::vector<timeline_entry> entries;
        std::vector<std::string> pending;
        std::optional<std::size_t> cursor;
        {
            sqlite_store store(db);  // takes the database's lock; released before the next start
            entries = store.timeline(incident_id{1});
            for (const auto& r : store.pending_outbox(0))
                pending.push_back(fmt::format("{} op={}", r.msg.body.plain(), int(r.msg.op)));
            cursor = stream_index(store.cursor(cursor_key));
        }
        if (!cursor) FAIL("no committed /sync cursor; the last run said:\n" << log_tail(last.output()));

        // What the store recorded of the room is a prefix of what was said, in order.
        std::vector<std::string> recorded;
        std::map<std::string, int> system_count;
        std::vector<std::pair<std::string, std::string>> command_systems;
        for (const auto& e : entries) {
            if (e.kind == entry_kind::message) recorded.push_back(e.text);
            else if (e.tag == "hypothesis" || e.tag == "decision") command_systems.emplace_back(e.tag, e.text);
            else ++system_count[e.tag];
        }
        std::size_t m = 0;
        while (m < recorded.size() && m < script.size() && recorded[m] == script[m].text) ++m;
        if (m != recorded.size())
            FAIL("the store's record of the room is not what was said, in order, once: entry "
                 << m << " is \"" << recorded[m] << "\", expected \"" << (m < script.size() ? script[m].text : "<nothing>")
                 << "\" (" << recorded.size() << " recorded, " << script.size() << " said)\nthe last run said:\n"
                 << log_tail(last.output()));
        // Every event the committed cursor covers is acknowledged: it must be there.
        std::size_t acknowledged = 0;
        for (const auto& s : script) acknowledged += s.stream_after <= *cursor ? 1 : 0;
        INFO("cursor s" << *cursor << ", " << m << " of " << script.size() << " lines recorded, " << acknowledged
                        << " acknowledged by the cursor");
        if (m < acknowledged)
            FAIL("an acknowledged event is missing: \"" << script[m].text << "\" is covered by the committed cursor s"
                                                         << *cursor << " but not in the store\nthe last run said:\n"
                                                         << log_tail(last.output()));
        if (final && m != script.size())
            FAIL("not everything said was handled\nthe last run said:\n" << log_tail(last.output()));

        // Setup's own system entries stay single.
        CHECK(system_count["declared"] == 1);
        CHECK(system_count["room"] == 1);

        // The committed commands, in order: their system entries and the replies they owe.
        std::vector<std::pair<std::string, std::string>> want_systems;
        std::vector<std::string> owed;
        for (std::size_t i = 0; i < m; ++i) {
            if (script[i].reply.empty()) continue;
            want_systems.emplace_back(script[i].system_tag, script[i].system_text);
            owed.push_back(script[i].reply);
        }
        CHECK(command_systems == want_systems);

        // On the server: the kickoff once, then exactly a prefix of the owed replies, in order.
        auto sent = bot_messages(hs, room, bot);
        if (sent.empty() || sent[0] != kickoff || std::count(sent.begin(), sent.end(), kickoff) != 1)
            FAIL("the kickoff is not the bot's first and only kickoff message in the room:\n" << join_lines(sent));
        sent.erase(sent.begin());
        std::size_t f = 0;
        while (f < sent.size() && f < owed.size() && sent[f] == owed[f]) ++f;
        if (f != sent.size())
            FAIL("the bot's messages in the room are not the owed replies, in order, once: message "
                 << f + 1 << " is \"" << sent[f] << "\", expected \"" << (f < owed.size() ? owed[f] : "<nothing>")
                 << "\"\nsent after the kickoff:\n"
                 << join_lines(sent, f) << "owed:\n"
                 << join_lines(owed, f) << "the last run said:\n"
                 << log_tail(last.output()));
        // In the outbox: the rest of the owed replies; at most the one row in flight at the
        // kill is both sent and pending (its resend carries the same txnId).
        std::size_t p = owed.size() - std::min(owed.size(), pending.size());
        bool outbox_ok = pending.size() <= owed.size() && (f == p || f == p + 1);
        for (std::size_t k = 0; outbox_ok && k < pending.size(); ++k)
            outbox_ok = pending[k] == fmt::format("{} op={}", owed[p + k], int(outbound_op::post));
        if (!outbox_ok)
            FAIL("owed replies are lost, or pending ones are not owed: " << owed.size() << " owed, " << f
                 << " on the server, pending:\n"
                 << join_lines(pending) << "owed (around the first not on the server):\n"
                 << join_lines(owed, f) << "the last run said:\n"
                 << log_tail(last.output()));
        if (final) {
            CHECK(pending.empty());
            CHECK(f == owed.size());
        }
        // The lobby saw the declare acknowledgement once and nothing else.
        auto in_lobby = bot_messages(hs, lobby, bot);
        CHECK(in_lobby == std::vector<std::string>{declare_ack});
        return progress{m, acknowledged, f, pending.size(), f > p};
    };

    std::uniform_int_distribution<int> delay_ms(5, 150);
    std::uniform_int_distribution<int> percent(0, 99);
    std::ostringstream summary;
    int mid_batch = 0, in_flight = 0;
    for (int it = 0; it < iterations; ++it) {
        auto lines = make_chunk();
        // Part of the chunk before the start, the rest while it starts up and runs.
        auto before = std::size_t(std::uniform_int_distribution<std::size_t>(0, lines.size())(rng));
        for (std::size_t k = 0; k < before; ++k) push_line(lines[k]);
        // Sometimes the bot first catches up with one more command: its answer means the
        // command, the last thing said, was committed with the batch's cursor, so the kill
        // lands in a later batch. Otherwise the backlog grows and every restart
        // redelivers it from an older cursor.
        bool catch_up = percent(rng) < 30;
        int delay = percent(rng) < 15 ? 0 : delay_ms(rng);
        auto child = start();
        if (catch_up) {
            push_line(true);
            auto awaited = script.back().reply;
            if (!answered(*child, awaited))
                FAIL("iteration " << it << ": the bot never caught up to \"" << awaited << "\" ("
                                  << ended(child->wait_exit(std::chrono::milliseconds{0})) << "); it said:\n"
                                  << log_tail(child->output()));
        }
        moment t0;
        for (std::size_t k = before; k < lines.size(); ++k) push_line(lines[k]);
        t0.wait(std::chrono::milliseconds{delay});
        child->signal(SIGKILL);
        auto code = child->wait_exit(std::chrono::milliseconds{10000});
        if (!code || *code != 128 + SIGKILL)
            FAIL("iteration " << it << ": expected death by SIGKILL, got " << ended(code) << "; it said:\n"
                              << log_tail(child->output()));
        auto pr = check_store(fmt::format("after the kill of iteration {} ({} ms)", it, delay), *child, false);
        mid_batch += pr.recorded > pr.acknowledged ? 1 : 0;
        in_flight += pr.in_flight ? 1 : 0;
        summary << fmt::format("iteration {:2}: {:2} said before start, {}killed after {:3} ms: {:4} of {:4} lines "
                               "recorded ({:4} acknowledged by the cursor), {:3} replies on the server, {} pending{}\n",
                               it, before, catch_up ? "caught up, rest said, " : "", delay, pr.recorded, script.size(),
                               pr.acknowledged, pr.delivered, pr.pending,
                               pr.in_flight ? " (one sent, not yet marked)" : "");
    }
    summary << fmt::format("{} of {} kills left committed events beyond the cursor; {} caught a reply in flight\n",
                           mid_batch, iterations, in_flight);
    std::cout << summary.str();
    INFO(summary.str());

    // ---- a last run, undisturbed: a sentinel command answered means everything before it
    // was handled and delivered (one room, one sync order, one outbox order).
    auto last = start();
    {
        said s;
        ++hypotheses;
        s.reply = fmt::format("Recorded hypothesis H{}: sentinel", hypotheses);
        s.system_tag = "hypothesis";
        s.system_text = fmt::format("H{} opened: sentinel", hypotheses);
        say("!incident hypothesis sentinel", s);
    }
    if (!answered(*last, script.back().reply))
        FAIL("the sentinel was never answered (" << ended(last->wait_exit(std::chrono::milliseconds{0}))
                                                 << "); the last run said:\n"
                                                 << log_tail(last->output()));
    last->signal(SIGTERM);
    auto code = last->wait_exit(std::chrono::milliseconds{20000});
    if (!code || *code != 0)
        FAIL("the last run did not stop cleanly (" << ended(code) << "); it said:\n" << log_tail(last->output()));
    CHECK(last->output().find(token) == std::string::npos);

    auto end = check_store("after the last run", *last, true);
    std::size_t commands = 0;
    for (const auto& s : script) commands += s.reply.empty() ? 0 : 1;
    CHECK(end.recorded == script.size());
    CHECK(end.delivered == commands);
    // Every bot message in the room is one distinct expected reply: the kickoff and one per command.
    CHECK(bot_messages(hs, room, bot).size() == 1 + commands);
}
