// Crash safety of the alert receivers (issue 18): the real `firebreak run`, with [alerts] on
// and its cards going to a room of the fake homeserver, takes a storm of Alertmanager
// notifications from four senders while it is SIGKILLed at random points and restarted.
// Each sender keeps to its own groups, in order, and resends a notification until it is
// answered 200, as Alertmanager does. Some groups declare an incident at once. After
// every kill, with the process dead:
//   - every alert of every notification answered 200 is in the store, in the state that
//     notification gave it (or the one its sender's next notification, in flight at the
//     kill, gave it: committed, not yet answered);
//   - each group has exactly one card, holding only its own alerts, and a declaring
//     group's card exactly one incident; nothing else is there;
//   - the room shows each card's post at most once, and only posts of stored cards; the
//     homeserver has at most one room per incident.
// After a last clean run (every notification answered, every card posted, then SIGTERM,
// exit 0) each card is posted exactly once and each incident has exactly one room.
//
// The kill delays and the senders' order come from a seeded std::mt19937; the seed is
// printed. To replay: FIREBREAK_CRASH_SEED=<seed> build/tests/matrix_tests "[alerts]"
#include "bot/runtime/system_clock.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/crash_rig.hpp"
#include "tests/support/alert_rig.hpp"
#include "tests/support/fake_homeserver.hpp"
#include "tests/support/process.hpp"
#include "tests/support/process_rig.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace firebreak;
using namespace firebreak::testing;

namespace {

const std::string matrix_token = "syt_ZmlyZWJyZWFr_alertcrash_4q5w6e";
const std::string alice = "@alice:example.org";
const std::string bot = "@firebreak:example.org";

constexpr int kills = 12;
constexpr int senders = 4;
constexpr int groups = 48;               // groups g % 6 == 0 declare at once
constexpr int notifications_per_group = 8;
constexpr int alerts_per_notification = 4;

bool declares(int group) { return group % 6 == 0; }
std::string alertname(int group) { return fmt::format("{}{:02}", declares(group) ? "Page" : "Warn", group); }

// One alert as a notification reports it.
struct sent_alert {
    std::string fingerprint;
    bool firing = true;
};

// One Alertmanager notification of one group, and whether its sender has been answered 200.
struct notification {
    int group = 0;
    std::vector<sent_alert> alerts;
    std::string body;
};

// The notifications of a group: new alerts firing, and from the fourth on the alerts of
// the notification three before resolved alongside (so retries of resolutions are tested).
std::vector<notification> notifications_of(int group, const std::string& started) {
    std::vector<notification> out;
    for (int k = 0; k < notifications_per_group; ++k) {
        notification n;
        n.group = group;
        for (int i = 0; i < alerts_per_notification; ++i)
            n.alerts.push_back({fmt::format("{:02x}{:02x}{:02x}00000000aa", group, k, i), true});
        if (k >= 3)
            for (int i = 0; i < alerts_per_notification; ++i)
                n.alerts.push_back({fmt::format("{:02x}{:02x}{:02x}00000000aa", group, k - 3, i), false});
        std::string items;
        for (const auto& a : n.alerts) {
            if (!items.empty()) items += ",";
            items += fmt::format(
                R"({{"status":"{}","labels":{{"alertname":"{}","severity":"critical","instance":"api-{}"}},)"
                R"("annotations":{{"summary":"errors above 5%"}},"startsAt":"{}","endsAt":"0001-01-01T00:00:00Z",)"
                R"("generatorURL":"http://prometheus.test/graph","fingerprint":"{}"}})",
                a.firing ? "firing" : "resolved", alertname(group), a.fingerprint, started, a.fingerprint);
        }
        n.body = fmt::format(R"({{"version":"4","groupKey":"{{}}:{{alertname=\"{}\"}}","status":"firing",)"
                             R"("receiver":"firebreak","groupLabels":{{"alertname":"{}"}},"alerts":[{}]}})",
                             alertname(group), alertname(group), items);
        out.push_back(std::move(n));
    }
    return out;
}

// "A12" of each card post in the room ("🔔 Alert A12 · SEV1 · …"), in order.
std::vector<std::string> card_posts(const fake_homeserver& hs, const std::string& room) {
    static const std::regex card(R"(^🔔 \*?\*?Alert (A\d+)\b)");
    std::vector<std::string> out;
    std::smatch m;
    for (const auto& body : bot_messages(hs, room, bot))
        if (std::regex_search(body, m, card)) out.push_back(m[1].str());
    return out;
}

}  // namespace

TEST_CASE("firebreak run: SIGKILL during an alert storm loses no acknowledged alert and doubles no card or incident",
          "[matrix][crash][alerts]") {
    const std::uint32_t seed = crash_seed("alert crash test");
    INFO("seed " << seed);
    std::mt19937 rng(seed);

    fake_homeserver_options o;
    o.access_token = matrix_token;
    fake_homeserver hs(o);
    const auto alerts_room = hs.create_room(alice, "Alerts");
    hs.invite_bot(alerts_room, alice);
    temp_dir dir;
    const auto db = dir.file("firebreak.sqlite");
    const auto cfg = write_run_config(dir, db, hs.base_url(), bot);
    {
        std::ofstream f(cfg, std::ios::app);
        f << fmt::format(R"([alerts]
enabled = true
listen = "127.0.0.1:0"
room = "matrix:{}"
[alerts.sources.prometheus]
kind = "alertmanager"
token_env = "FB_TEST_ALERT_TOKEN"
[[alerts.rules]]
match_regex = {{ alertname = "Page.*" }}
action = "declare"
severity = {{ critical = 1 }}
)",
                         alerts_room);
    }
    const std::vector<std::string> argv{FIREBREAK_BINARY, "run", "--config", cfg};
    const std::vector<std::pair<std::string, std::string>> env{{"FB_TEST_MATRIX_TOKEN", matrix_token},
                                                               {"FB_TEST_ALERT_TOKEN", token}};
    int run_no = 0;
    // Starts a run and returns it with its receivers' port, read from its log.
    auto start = [&](unsigned short& port) {
        auto c = std::make_unique<child_process>(argv, env, dir.file(fmt::format("run{}.log", run_no++)));
        if (!c->wait_output("alert receivers on http://127.0.0.1:", std::chrono::milliseconds{20000}))
            FAIL("run " << run_no - 1 << " never opened its alert receivers; it said:\n" << log_tail(c->output()));
        std::smatch m;
        const auto out = c->output();
        REQUIRE(std::regex_search(out, m, std::regex(R"(alert receivers on http://127\.0\.0\.1:(\d+)/)")));
        port = static_cast<unsigned short>(std::stoi(m[1].str()));
        return c;
    };

    // Every group's notifications, each sender taking every senders-th group of a shuffled
    // order, one group after another: new cards open all through the storm, four at a time.
    const system_clock wall;
    const std::string started = format_iso(wall.now() - std::chrono::minutes{5});
    std::vector<int> order(groups);
    for (int g = 0; g < groups; ++g) order[std::size_t(g)] = g;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::vector<notification>> queues(senders);
    for (std::size_t i = 0; i < order.size(); ++i) {
        auto own = notifications_of(order[i], started);
        auto& q = queues[i % senders];
        q.insert(q.end(), own.begin(), own.end());
    }
    // The senders: each sends its next notification until it is answered 200, to whichever
    // run is up, and waits while none is. A refused send is retried at once: between a kill
    // and the test noticing it the connections are refused fast, and then the sender waits.
    struct receiver_address {
        std::mutex m;
        std::condition_variable changed;
        unsigned short port = 0;  // 0 while no run is up
        bool quit = false;
        void set(unsigned short p) {
            {
                std::lock_guard lock(m);
                port = p;
            }
            changed.notify_all();
        }
        void stop() {
            {
                std::lock_guard lock(m);
                quit = true;
            }
            changed.notify_all();
        }
        // The port of the run that is up; 0 once stopped.
        unsigned short wait_up() {
            std::unique_lock lock(m);
            changed.wait(lock, [&] { return port != 0 || quit; });
            return quit ? 0 : port;
        }
    } receiver;
    std::mutex acked_mutex;
    std::vector<std::size_t> acked(senders, 0);  // how many of each queue were answered 200
    std::atomic<int> refused{0};                 // answers other than 200 (or none)
    std::vector<std::thread> threads;
    for (int s = 0; s < senders; ++s)
        threads.emplace_back([&, s] {
            const auto& q = queues[std::size_t(s)];
            for (std::size_t i = 0; i < q.size();) {
                const auto p = receiver.wait_up();
                if (p == 0) return;
                const auto answer = raw_http_exchange(p, post("/alerts/prometheus", q[i].body, bearer()));
                if (status_line(answer) == "HTTP/1.1 200 OK") {
                    std::lock_guard lock(acked_mutex);
                    acked[std::size_t(s)] = ++i;
                } else {
                    ++refused;
                }
            }
        });
    struct joiner {
        receiver_address& receiver;
        std::vector<std::thread>& threads;
        ~joiner() {
            receiver.stop();
            for (auto& t : threads) t.join();
        }
    } join_senders{receiver, threads};
    const auto all_acked = [&] {
        std::lock_guard lock(acked_mutex);
        for (int s = 0; s < senders; ++s)
            if (acked[std::size_t(s)] != queues[std::size_t(s)].size()) return false;
        return true;
    };

    struct progress {
        std::size_t acked_notifications, alerts, cards, incidents, posted, pending;
    };
    // The invariants, with no run alive. `final`: everything answered, posted and opened.
    auto check = [&](const std::string& when, const child_process& last, bool final) {
        INFO(when << "\nthe last run said:\n" << log_tail(last.output()));
        std::vector<std::size_t> acked_now;
        {
            std::lock_guard lock(acked_mutex);
            acked_now = acked;
        }
        engine_state st;
        std::size_t pending = 0;
        {
            sqlite_store store(db);  // takes the database's lock; released before the next start
            st = store.load(0).state;
            pending = store.pending_outbox(0).size();
        }
        // What each alert's latest answered notification says of it.
        std::map<std::string, std::pair<int, bool>> want;  // fingerprint -> (group, firing)
        std::size_t answered = 0;
        for (int s = 0; s < senders; ++s)
            for (std::size_t i = 0; i < acked_now[std::size_t(s)]; ++i, ++answered) {
                const auto& n = queues[std::size_t(s)][i];
                for (const auto& a : n.alerts) want[a.fingerprint] = {n.group, a.firing};
            }
        // What the store holds: each card one group's, each alert on one card.
        std::map<std::string, std::pair<const alert_card*, const card_alert*>> held;
        std::map<std::string, const alert_card*> card_of_group;
        std::set<std::int64_t> incidents_of_cards;
        for (const auto& [n, card] : st.cards) {
            std::string name;
            for (const auto& a : card.alerts) {
                auto it = std::find_if(a.labels.begin(), a.labels.end(), [](const auto& l) { return l.first == "alertname"; });
                REQUIRE(it != a.labels.end());
                if (name.empty()) name = it->second;
                if (it->second != name) FAIL("card " << card.str() << " holds alerts of " << name << " and " << it->second);
                if (!held.emplace(a.fingerprint, std::pair{&card, &a}).second)
                    FAIL("alert " << a.fingerprint << " is on two cards");
            }
            if (name.empty()) FAIL("card " << card.str() << " holds no alert");
            if (!card_of_group.emplace(name, &card).second)
                FAIL("group " << name << " has two cards: " << card_of_group[name]->str() << " and " << card.str());
            const bool declaring = name.rfind("Page", 0) == 0;
            if (declaring) {
                if (card.incident.n == 0) FAIL("card " << card.str() << " of " << name << " was not declared");
                if (!incidents_of_cards.insert(card.incident.n).second)
                    FAIL("incident INC-" << card.incident.n << " is two cards'");
            } else if (card.incident.n != 0) {
                FAIL("card " << card.str() << " of " << name << " has incident INC-" << card.incident.n);
            }
        }
        CHECK(st.incidents.size() == incidents_of_cards.size());
        // A sender's notification in flight at the kill may be committed and unanswered: the
        // state it gives an alert is as good as the answered one.
        std::map<std::string, bool> in_flight;
        for (int s = 0; s < senders; ++s)
            if (acked_now[std::size_t(s)] < queues[std::size_t(s)].size())
                for (const auto& a : queues[std::size_t(s)][acked_now[std::size_t(s)]].alerts) in_flight[a.fingerprint] = a.firing;
        for (const auto& [fp, g] : want) {
            auto h = held.find(fp);
            if (h == held.end())
                FAIL("alert " << fp << " of " << alertname(g.first) << " was answered 200 but is not in the store");
            const bool firing = h->second.second->firing;
            const auto f = in_flight.find(fp);
            if (firing != g.second && (f == in_flight.end() || f->second != firing))
                FAIL("alert " << fp << " is " << (firing ? "firing" : "resolved")
                              << " in the store; its last answered notification said "
                              << (g.second ? "firing" : "resolved") << " and none in flight said otherwise");
        }
        // What the homeserver shows: each card posted at most once, and only stored cards.
        const auto posts = card_posts(hs, alerts_room);
        std::set<std::string> posted(posts.begin(), posts.end());
        if (posted.size() != posts.size()) FAIL("a card was posted twice:\n" << fmt::format("{}", fmt::join(posts, " ")));
        std::set<std::string> stored;
        for (const auto& [n, card] : st.cards) stored.insert(card.str());
        for (const auto& p : posted)
            if (!stored.count(p)) FAIL("card " << p << " was posted but is not in the store");
        const auto incident_rooms = hs.rooms().size() - 1;
        CHECK(incident_rooms <= st.incidents.size());
        if (final) {
            CHECK(answered == std::size_t(groups * notifications_per_group));
            CHECK(want.size() == held.size());
            CHECK(st.cards.size() == std::size_t(groups));
            CHECK(posted == stored);
            CHECK(incident_rooms == st.incidents.size());
            CHECK(pending == 0);
        }
        return progress{answered, held.size(), st.cards.size(), st.incidents.size(), posts.size(), pending};
    };

    // ---- the bot joins the alerts room first.
    {
        unsigned short p = 0;
        auto first = start(p);
        if (!eventually([&] {
                auto m = hs.members(alerts_room);
                return std::find(m.begin(), m.end(), bot) != m.end();
            }))
            FAIL("the bot never joined the alerts room; it said:\n" << log_tail(first->output()));
        first->signal(SIGTERM);
        auto code = first->wait_exit(std::chrono::milliseconds{20000});
        if (!code || *code != 0) FAIL("the first run did not stop cleanly; it said:\n" << log_tail(first->output()));
    }

    std::uniform_int_distribution<int> delay_ms(20, 300);
    std::ostringstream summary;
    for (int it = 0; it < kills; ++it) {
        unsigned short p = 0;
        auto child = start(p);
        moment t0;
        receiver.set(p);
        const int delay = delay_ms(rng);
        t0.wait(std::chrono::milliseconds{delay});
        child->signal(SIGKILL);
        auto code = child->wait_exit(std::chrono::milliseconds{10000});
        receiver.set(0);
        if (!code || *code != 128 + SIGKILL)
            FAIL("kill " << it << ": the run did not die by SIGKILL; it said:\n" << log_tail(child->output()));
        auto pr = check(fmt::format("after kill {} ({} ms)", it, delay), *child, false);
        summary << fmt::format("kill {:2} after {:3} ms: {:3} notifications answered, {:4} alerts, {:2} cards, "
                               "{} incidents, {:2} card posts, {} messages pending\n",
                               it, delay, pr.acked_notifications, pr.alerts, pr.cards, pr.incidents, pr.posted, pr.pending);
    }
    std::cout << summary.str() << refused.load() << " sends refused or unanswered" << std::endl;
    INFO(summary.str());

    // ---- a last run, undisturbed, until every notification is answered and every card posted.
    unsigned short p = 0;
    auto last = start(p);
    receiver.set(p);
    if (!eventually(all_acked, std::chrono::milliseconds{60000}))
        FAIL("the senders were not all answered; the last run said:\n" << log_tail(last->output()));
    if (!eventually([&] {
            return card_posts(hs, alerts_room).size() >= std::size_t(groups) &&
                   hs.rooms().size() >= 1 + std::size_t(groups / 6);
        }, std::chrono::milliseconds{30000}))
        FAIL("not every card was posted nor every incident room opened; the last run said:\n" << log_tail(last->output()));
    last->signal(SIGTERM);
    auto code = last->wait_exit(std::chrono::milliseconds{20000});
    receiver.set(0);
    if (!code || *code != 0) FAIL("the last run did not stop cleanly; it said:\n" << log_tail(last->output()));
    CHECK(last->output().find(token) == std::string::npos);
    CHECK(last->output().find(matrix_token) == std::string::npos);
    check("after the last run", *last, true);
}
