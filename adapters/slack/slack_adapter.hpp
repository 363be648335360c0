#pragma once
// The Slack platform: Socket Mode (apps.connections.open, a WebSocket of envelopes,
// acks after commit) for what happens, and the Web API over HTTPS for what the bot
// does. The link is one coroutine (run_link: auth.test, connections.open, connect, hello,
// frames); a refresh opens the new connection before the old one closes, so no envelope
// falls in a gap. Each envelope is handed to the runtime as it arrives, in order across
// connections, by a coroutine of its own that awaits the group commit holding it and
// then acknowledges it (deliver).
#include "adapters/net/backoff.hpp"
#include "adapters/net/http_client.hpp"
#include "adapters/net/tasks.hpp"
#include "adapters/net/ws_client.hpp"
#include "adapters/slack/slack_frames.hpp"
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

namespace firebreak::slack {

/// How the adapter connects.
struct slack_options {
    std::string api_base_url = "https://slack.com/api";
    std::string bot_token;     ///< xoxb-…, the Web API
    std::string app_token;     ///< xapp-…, Socket Mode
    std::string ca_file;       ///< extra trusted CA (PEM)
    net::backoff_policy backoff;
    net::ws_timeouts ws;
    std::chrono::milliseconds api_timeout{30000};
    int form_default_severity = 2;  ///< where the declare form's severity starts (1-4)
    /// How long a slash command's response_url takes answers (Slack: 30 minutes, 5 uses).
    std::chrono::milliseconds response_url_lifetime{30 * 60 * 1000};
};

/// chat_adapter for Slack. Use from the executor it was given; not thread-safe.
/// `/incident declare` or `/incident update` typed alone opens a form (views.open) instead
/// of reaching the engine; its submission comes back as the full command.
class slack_adapter final : public chat_adapter {
public:
    /// Waits out its backoffs on `retry_timer`.
    slack_adapter(boost::asio::any_io_executor ex, slack_options o, const clock& clk,
                  std::unique_ptr<delay_timer> retry_timer);
    ~slack_adapter() override;

    /// The Socket Mode link's state (a refused token or link_disabled: failed).
    link_state state() const override { return state_; }
    std::string last_error() const override { return last_error_; }
    /// auth.test with the bot token.
    void check_credentials(std::function<void(credential_check)> cb) override;
    /// The bot's user id, known after auth.test.
    const std::string& bot_user() const { return bot_user_; }
    /// Frames that were malformed, oversized or of an unknown type, skipped.
    std::int64_t skipped_frames() const { return skipped_frames_; }

    void start(event_sink sink) override;
    void stop() override;
    void stop_receiving() override;
    void display_name(const user_ref& user, std::function<void(std::optional<std::string>)> cb) override;
    std::string platform() const override { return "slack"; }
    capabilities caps() const override;
    void open_room(const room_request& req, done cb) override;
    void post(const room_ref& room, const rich_text& body, const message_id& thread, const std::string& key,
              done cb) override;
    void post_ephemeral(const room_ref& room, const user_ref& user, const rich_text& body, done cb) override;
    void react(const room_ref& room, const message_id& msg, const std::string& emoji, done cb) override;
    void invite(const room_ref& room, const std::vector<user_ref>& users, done cb) override;
    void edit(const room_ref& room, const message_id& id, const rich_text& body, done cb) override;
    void set_topic(const room_ref& room, const std::string& topic, done cb) override;
    void post_file(const room_ref& room, const std::string& filename, const std::string& content,
                   const rich_text& comment, done cb) override;

    /// One Web API answer.
    struct api_result {
        int status = 0;                   ///< HTTP status; 0 when no answer came
        bool ok = false;                  ///< Slack's "ok"
        std::string error;                ///< Slack's error code, or the transport failure
        boost::json::object body;
        duration retry_after{0};
    };

private:
    struct connection {
        std::shared_ptr<net::ws_client> ws;  // shared with the task reading it
        bool hello = false;
        bool retiring = false;  ///< replaced by a newer connection; closes once nothing is owed on it
    };
    /// A slash command's (or button's) response_url: where an answer goes when the bot is
    /// not in the channel it was typed in. Slack takes 5 posts within 30 minutes.
    struct reply_url {
        std::string channel, user, url;
        instant at;
        int uses = 0;
    };
    /// A connection opened by open_connection(), or why none was.
    struct opened {
        std::uint64_t id = 0;
        std::shared_ptr<net::ws_client> ws;
        std::string failure;
    };
    /// How reading a connection ended.
    struct read_end {
        bool replaced = false;      ///< it announced its end; the next one is wanted now
        bool another_open = false;  ///< an older connection that said hello is still open
        std::string why;
    };
    void remember_reply_url(const boost::json::object& payload);
    /// Answers through a response_url when chat.post* said the bot is not in the channel;
    /// false when no usable one is known (then `cb` was not called).
    bool answer_via_reply_url(const room_ref& room, const std::string& user, const rich_text& body, bool ephemeral,
                              done& cb);
    net::http_request api_request(const std::string& method, const boost::json::object& args,
                                  const std::string& token) const;
    static api_result api_answer(const net::http_response& r);
    void api(net::http_client& c, const std::string& method, const boost::json::object& args, const std::string& token,
             std::function<void(api_result)> cb);
    boost::asio::awaitable<api_result> call(net::http_client& c, const std::string& method, const std::string& token);
    // The link and what it reads, as coroutines of tasks_.
    boost::asio::awaitable<void> run_link();
    boost::asio::awaitable<opened> open_connection();
    boost::asio::awaitable<read_end> read_connection(std::uint64_t conn, std::shared_ptr<net::ws_client> ws,
                                                     bool replaceable);
    boost::asio::awaitable<void> read_rest(std::uint64_t conn, std::shared_ptr<net::ws_client> ws);
    boost::asio::awaitable<void> deliver(std::uint64_t conn, std::string envelope_id, inbound in);
    boost::asio::awaitable<void> back_off(std::string why);
    /// What one frame asks of the reader.
    enum class frame_outcome { next, replace, fatal };
    frame_outcome on_frame(std::uint64_t conn, const std::string& text);
    void on_hello(std::uint64_t conn);
    void on_envelope(std::uint64_t conn, frame f);
    void retire_idle();
    void ack(std::uint64_t conn, const std::string& envelope_id);
    void end_link();
    void fatal(const std::string& why);
    delivery to_delivery(const api_result& r, std::string_view operation);
    void create_channel(std::shared_ptr<room_request> req, int attempt, done cb);
    bool open_form(std::uint64_t conn, const frame& f);
    void remember(const std::string& event_id);

    boost::asio::any_io_executor ex_;
    slack_options opt_;
    const clock& clk_;
    net::http_client api_http_;      // the Web API calls the engine makes, in order
    net::http_client control_http_;  // auth.test and apps.connections.open, never behind a slow send
    std::unique_ptr<delay_timer> retry_timer_;  // the backoff before reconnecting
    net::backoff backoff_;
    net::task_group tasks_;  // the link, its readers, and each envelope awaiting its commit
    event_sink sink_;
    link_state state_ = link_state::idle;
    std::string last_error_;
    std::string bot_user_;
    std::map<std::uint64_t, connection> connections_;
    std::uint64_t next_conn_ = 1;
    bool retrying_ = false;
    bool receiving_ = true;
    std::map<std::uint64_t, std::size_t> owed_;  // per connection: envelopes handed over, not yet acked
    std::set<std::string> recent_;           // event ids handed over lately (redeliveries)
    std::deque<std::string> recent_order_;
    std::map<std::string, std::optional<std::string>> names_;
    std::deque<reply_url> reply_urls_;                                  // oldest first
    std::map<std::string, std::unique_ptr<net::http_client>> hook_clients_;  // per origin of a response_url
    std::int64_t skipped_frames_ = 0;
};

}  // namespace firebreak::slack
