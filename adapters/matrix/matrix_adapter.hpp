#pragma once
// The Matrix platform: Client-Server API v3 over HTTP(S). The sync loop is one coroutine
// (run_sync: whoami, filter, then /sync long-polls, gaps filled, each batch handed over):
// it turns the homeserver's timeline into chat_events, handed to the runtime a whole batch
// at a time (it commits them as one group); the batch's next_batch travels with its last
// event so the store commits the cursor with the effects, and the next sync waits for it. Output goes out as m.notice with an HTML body through PUT …/send/{txnId},
// the txnId derived from the outbox row, so a resend after a crash cannot double-post.
#include "adapters/net/backoff.hpp"
#include "adapters/net/http_client.hpp"
#include "adapters/net/tasks.hpp"
#include "adapters/matrix/matrix_wire.hpp"
#include "bot/core/ports.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace firebreak::matrix {

/// How the adapter connects.
struct matrix_options {
    std::string homeserver;                ///< base URL, "https://matrix.example.org"
    std::string access_token;              ///< sent only as "Authorization: Bearer"
    std::string ca_file;                   ///< extra trusted CA (PEM)
    std::string user_id;                   ///< expected bot user; "" = whatever whoami says
    /// Where the adapter's memory keeps the next_batch it resumes from; it moves with each
    /// batch's last event, in the commit of that event's effects.
    std::string cursor_key = "matrix.next_batch";
    /// Where the rooms known to be one-to-one with the bot are kept (direct_rooms_value());
    /// a room seen to be direct later is stored there too, with the batch that showed it.
    std::string direct_rooms_key = "matrix.direct_rooms";
    /// Where the transaction-id prefix is kept: made once per database, so txnIds never
    /// collide with another deployment's (ids restart at 1 in a new database, and a
    /// homeserver that still remembers "fb-1" for this token would swallow the send).
    std::string txn_prefix_key = "matrix.txn_prefix";
    std::chrono::milliseconds sync_timeout{30000};
    net::backoff_policy backoff;
};

/// The stored form of a set of direct rooms (a JSON array of room ids), and back; a value
/// that is not one reads as no rooms.
std::string direct_rooms_value(const std::set<std::string>& rooms);
std::set<std::string> parse_direct_rooms(std::string_view value);

/// chat_adapter for Matrix. Use from the executor it was given; not thread-safe.
class matrix_adapter final : public chat_adapter {
public:
    /// Reads where to resume, the direct rooms and the transaction-id prefix from `memory`
    /// (making and keeping the prefix on the very first start).
    /// Waits out its backoffs on `retry_timer`.
    matrix_adapter(boost::asio::any_io_executor ex, matrix_options o, adapter_memory& memory,
                   std::unique_ptr<delay_timer> retry_timer);
    ~matrix_adapter() override;

    link_state state() const override { return state_; }
    std::string last_error() const override { return last_error_; }
    /// whoami: the token is accepted, and belongs to the configured user when one is set.
    void check_credentials(std::function<void(credential_check)> cb) override;
    /// The bot's user id, known after whoami.
    const std::string& bot_mxid() const { return bot_mxid_; }
    /// Sync responses handled so far.
    std::int64_t syncs() const { return syncs_; }

    void start(event_sink sink) override;
    void stop() override;
    void stop_receiving() override;
    void display_name(const user_ref& user, std::function<void(std::optional<std::string>)> cb) override;
    std::string platform() const override { return "matrix"; }
    capabilities caps() const override;
    void open_room(const room_request& req, done cb) override;
    void post(const room_ref& room, const rich_text& body, const message_id& thread, const std::string& key,
              done cb) override;
    void post_ephemeral(const room_ref& room, const user_ref& user, const rich_text& body, done cb) override;
    void react(const room_ref& room, const message_id& msg, const std::string& emoji, done cb) override;
    void invite(const room_ref& room, const std::vector<user_ref>& users, done cb) override;
    void edit(const room_ref& room, const message_id& id, const rich_text& body, done cb) override;
    void set_topic(const room_ref& room, const std::string& topic, done cb) override;
    /// Reads the room's m.room.power_levels and writes it back with the new commander at
    /// 50 and the one before at the room's default, leaving everyone else as they were.
    void set_moderator(const room_ref& room, const user_ref& promote, const user_ref& demote, done cb) override;
    void post_file(const room_ref& room, const std::string& filename, const std::string& content,
                   const rich_text& comment, done cb) override;

private:
    using reply_fn = std::function<void(const net::http_response&)>;
    net::http_request request(std::string method, std::string target, const boost::json::object* body,
                              std::chrono::milliseconds timeout) const;
    void call(net::http_client& c, std::string method, std::string target, const boost::json::object* body,
              reply_fn cb, std::chrono::milliseconds timeout = std::chrono::milliseconds{30000});
    boost::asio::awaitable<net::http_response> fetch(net::http_client& c, std::string method, std::string target,
                                                     const boost::json::object* body = nullptr,
                                                     std::chrono::milliseconds timeout = std::chrono::milliseconds{30000});
    // The sync loop and its steps, as coroutines of tasks_.
    boost::asio::awaitable<void> run_sync();
    boost::asio::awaitable<bool> sign_in();
    boost::asio::awaitable<bool> upload_filter();
    /// The batch's events with those a limited timeline left out fetched before them;
    /// nullopt when a page could not be fetched (then why says why).
    boost::asio::awaitable<std::optional<std::vector<chat_event>>> fill_gaps(sync_batch& b, std::string& why);
    boost::asio::awaitable<void> hand_over(const std::string& next_batch, std::vector<chat_event> events);
    boost::asio::awaitable<void> back_off(std::string why);
    /// Takes in what a sync answer says beside its events (invites, reactions, direct
    /// rooms); false when the adapter stopped meanwhile.
    bool take_batch_state(const sync_batch& b);
    void join_invites(const std::vector<std::string>& rooms);
    // A call that needs the bot's id before sign-in: tried again a moment later.
    static delivery not_signed_in(const std::string& op);
    // The delivery a failed answer means (no answer, a refused token, an error status), or
    // none when the server took the request.
    std::optional<delivery> refused(const net::http_response& r, const std::string& op);
    void fatal(const std::string& why);
    bool running() const { return state_ != link_state::stopped && state_ != link_state::failed; }
    bool auth_failure(const net::http_response& r, std::string_view operation);
    void send_event(const std::string& room_id, const std::string& type, const std::string& txn,
                    const boost::json::object& content, std::string_view operation, done cb);
    void create_room(std::shared_ptr<room_request> req, int attempt, done cb);
    void adopt_or_retry(std::shared_ptr<room_request> req, int attempt, std::string alias, done cb);
    void invite_next(std::string room_id, std::shared_ptr<std::vector<user_ref>> users, std::size_t i, done cb);
    std::string txn(const std::string& key) const;
    std::string alias_for(const room_request& req, int attempt) const;

    boost::asio::any_io_executor ex_;
    matrix_options opt_;
    net::http_client sync_http_;  // the parked long-poll has a connection of its own
    net::http_client api_http_;   // everything else, in order
    std::unique_ptr<delay_timer> retry_timer_;  // the backoff before reconnecting
    net::backoff backoff_;
    net::task_group tasks_;  // the sync loop
    event_sink sink_;
    link_state state_ = link_state::idle;
    std::string last_error_;
    std::string txn_prefix_;
    std::string bot_mxid_;
    std::string filter_;                       // filter id, or the filter itself as JSON
    std::optional<std::string> since_;
    reaction_index reactions_;                 // reaction event -> (target, key), for unreacts
    std::set<std::string> direct_rooms_;
    std::map<std::string, std::optional<std::string>> names_;  // display-name cache
    std::int64_t syncs_ = 0;
    bool retrying_ = false;
};

}  // namespace firebreak::matrix
