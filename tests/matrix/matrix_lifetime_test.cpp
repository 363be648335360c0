// The Matrix adapter's sync loop ends with it: a batch still awaiting its commit when the
// adapter stops receiving, or is destroyed, starts no next sync afterwards, and nothing of the
// adapter runs when the runtime's late acknowledgement arrives (the sanitizer build would
// report a use after free).
#include "adapters/matrix/matrix_adapter.hpp"
#include "bot/runtime/adapter_registry.hpp"
#include "tests/support/fake_homeserver.hpp"
#include "tests/support/stepped_delays.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace firebreak;

namespace {

const std::string alice = "@alice:example.org";

struct direct_matrix {
    testing::fake_homeserver hs;
    boost::asio::io_context io;
    testing::stepped_delays delays;
    scratch_memory memory;
    std::vector<std::string> texts;
    std::vector<chat_adapter::ack_fn> held;  // the acks of message events, held back
    std::unique_ptr<matrix::matrix_adapter> adapter;

    direct_matrix() {
        matrix::matrix_options o;
        o.homeserver = hs.base_url();
        o.access_token = "fake-token-123";
        o.sync_timeout = std::chrono::milliseconds{200};
        o.backoff.initial = std::chrono::milliseconds{10};
        o.backoff.jitter = std::chrono::milliseconds{0};
        adapter = std::make_unique<matrix::matrix_adapter>(io.get_executor(), o, memory, delays.source()());
        // The runtime's part: cursor marks are committed at once (from a queued handler, as
        // the intake does); messages wait for the test to say they are committed.
        adapter->start([this](const inbound& in, chat_adapter::ack_fn ack) {
            if (in.event.kind != event_kind::message) return boost::asio::post(io, std::move(ack));
            texts.push_back(in.event.text);
            held.push_back(std::move(ack));
        });
    }
    bool until(const std::function<bool()>& done) { return delays.run_until(io, done); }
    void settle() {
        testing::run_io_until(io, [] { return false; }, std::chrono::milliseconds{300});
    }
    std::size_t syncs_asked() const {
        std::size_t n = 0;
        for (const auto& r : hs.requests())
            if (r.target.find("/sync?") != std::string::npos) ++n;
        return n;
    }
    // Joined to a room where alice has said `text`, its ack held.
    void one_message_held(const std::string& text) {
        auto room = hs.create_room(alice, "Lobby");
        hs.invite_bot(room, alice);
        REQUIRE(until([&] {
            for (const auto& r : hs.requests())
                if (r.target.find("/join/") != std::string::npos && r.status == 200) return true;
            return false;
        }));
        hs.say(room, alice, text);
        REQUIRE(until([&] { return held.size() == 1; }));
    }
};

}  // namespace

TEST_CASE("matrix: the next sync waits for the batch's commit", "[matrix][lifetime]") {
    direct_matrix t;
    t.one_message_held("one");
    t.settle();
    const auto before = t.syncs_asked();
    t.settle();
    CHECK(t.syncs_asked() == before);  // parked: nothing moves until the commit returns
    t.held[0]();
    CHECK(t.until([&] { return t.syncs_asked() > before; }));
}

TEST_CASE("matrix: after stop_receiving a late commit starts no sync", "[matrix][lifetime]") {
    direct_matrix t;
    t.one_message_held("one");
    const auto before = t.syncs_asked();
    t.adapter->stop_receiving();
    t.held[0]();
    t.settle();
    CHECK(t.syncs_asked() == before);
}

TEST_CASE("matrix: a commit that returns after the adapter is gone touches nothing of it", "[matrix][lifetime]") {
    direct_matrix t;
    t.one_message_held("one");
    CHECK(t.texts == std::vector<std::string>{"one"});
    const auto before = t.syncs_asked();
    t.adapter.reset();
    t.held[0]();
    boost::asio::post(t.io, t.held[0]);
    t.settle();
    CHECK(t.syncs_asked() == before);
}
