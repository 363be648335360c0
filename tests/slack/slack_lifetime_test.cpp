// The Slack adapter's tasks end with it: an envelope still awaiting its commit when the
// adapter stops receiving, or is destroyed, is never acknowledged afterwards, and nothing of
// the adapter runs when the runtime's late acknowledgement arrives (the sanitizer build
// would report a use after free).
#include "adapters/slack/slack_adapter.hpp"
#include "tests/support/fake_slack.hpp"
#include "tests/support/stepped_delays.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace firebreak;

namespace {

struct held_events {
    std::vector<std::string> texts;
    std::vector<chat_adapter::ack_fn> acks;
};

struct direct_slack {
    testing::fake_slack slack;
    std::string general;
    boost::asio::io_context io;
    manual_clock clk;
    testing::stepped_delays delays;
    held_events held;
    std::unique_ptr<slack::slack_adapter> adapter;

    direct_slack() {
        slack.add_user("U0MAYA", "maya", "Maya");
        general = slack.create_channel("general", {"U0MAYA", "UFBBOT"});
        slack::slack_options o;
        o.api_base_url = slack.api_base_url();
        o.bot_token = "xoxb-test-bot";
        o.app_token = "xapp-1-test-app";
        o.backoff.initial = std::chrono::milliseconds{10};
        o.backoff.jitter = std::chrono::milliseconds{0};
        adapter = std::make_unique<slack::slack_adapter>(io.get_executor(), o, clk, delays.source()());
        // The runtime's part, held back: each event waits for the test to say it is committed.
        adapter->start([this](const inbound& in, chat_adapter::ack_fn ack) {
            held.texts.push_back(in.event.text);
            held.acks.push_back(std::move(ack));
        });
    }
    bool until(const std::function<bool()>& done) { return delays.run_until(io, done); }
    void settle() {
        testing::run_io_until(io, [] { return false; }, std::chrono::milliseconds{150});
    }
};

}  // namespace

TEST_CASE("slack: an envelope is acked once its commit returns, not before", "[slack][lifetime]") {
    direct_slack t;
    REQUIRE(t.until([&] { return t.adapter->state() == link_state::connected; }));
    t.slack.push_message(t.general, "U0MAYA", "one");
    REQUIRE(t.until([&] { return t.held.acks.size() == 1; }));
    t.settle();
    CHECK(t.slack.acked_count() == 0);
    t.held.acks[0]();
    CHECK(t.until([&] { return t.slack.acked_count() == 1; }));
}

TEST_CASE("slack: after stop_receiving a late commit sends no ack", "[slack][lifetime]") {
    direct_slack t;
    REQUIRE(t.until([&] { return t.adapter->state() == link_state::connected; }));
    t.slack.push_message(t.general, "U0MAYA", "one");
    REQUIRE(t.until([&] { return t.held.acks.size() == 1; }));
    t.adapter->stop_receiving();
    t.held.acks[0]();
    t.settle();
    CHECK(t.slack.acked_count() == 0);
    CHECK(t.slack.unacked().size() == 1);  // Slack hands it over again at the next start
}

TEST_CASE("slack: a commit that returns after the adapter is gone touches nothing of it", "[slack][lifetime]") {
    direct_slack t;
    REQUIRE(t.until([&] { return t.adapter->state() == link_state::connected; }));
    t.slack.push_message(t.general, "U0MAYA", "one");
    t.slack.push_message(t.general, "U0MAYA", "two");
    REQUIRE(t.until([&] { return t.held.acks.size() == 2; }));
    CHECK(t.held.texts == std::vector<std::string>{"one", "two"});
    t.held.acks[0]();
    REQUIRE(t.until([&] { return t.slack.acked_count() == 1; }));
    t.adapter.reset();
    // Called at once and from a queued handler, as an intake would after its group commit.
    t.held.acks[1]();
    boost::asio::post(t.io, t.held.acks[1]);
    t.settle();
    CHECK(t.slack.acked_count() == 1);
}

TEST_CASE("slack: the new connection lost while the old one still owes acks reconnects at once", "[slack][lifetime]") {
    direct_slack t;
    REQUIRE(t.until([&] { return t.adapter->state() == link_state::connected; }));
    t.slack.push_message(t.general, "U0MAYA", "one");
    REQUIRE(t.until([&] { return t.held.acks.size() == 1; }));
    // A refresh: the second connection says hello while the first still owes an ack.
    t.slack.request_refresh();
    REQUIRE(t.until([&] { return t.slack.connections_opened() == 2 && t.slack.open_connections() == 2; }));
    t.settle();
    REQUIRE(t.slack.open_connections() == 2);
    // The new one drops; the old one is still open and delivering.
    t.slack.drop_after_frames(0);
    CHECK(t.until([&] { return t.slack.connections_opened() == 3; }));
    CHECK(t.delays.asked().empty());  // no backoff: the link never went down
    CHECK(t.adapter->state() == link_state::connected);
    // The held commit returns: acked on the connection it came on, which then retires.
    t.held.acks[0]();
    CHECK(t.until([&] { return t.slack.acked_count() == 1 && t.slack.open_connections() == 1; }));
}
