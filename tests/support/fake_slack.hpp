#pragma once
// An in-process fake Slack for adapter tests: the Web API (/api/<method>) and Socket Mode
// (apps.connections.open, then a WebSocket at /link that says hello and pushes envelopes)
// over real sockets on 127.0.0.1 (port 0), plain or TLS with a throw-away CA, served by its
// own io_context on its own thread. A test scripts the world (channels, users, messages),
// pushes events, injects faults (429s, errors, slow methods, refreshes, dropped sockets),
// then reads back what the client did. Built like fake_homeserver, and used the same way.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace firebreak::testing {

/// How a fake Slack is set up.
struct fake_slack_options {
    bool tls = false;                                ///< serve HTTPS and WSS with a fresh make_test_pki()
    std::string bot_token = "xoxb-test-bot";         ///< the token every Web API method but apps.connections.open takes
    std::string app_token = "xapp-1-test-app";       ///< the app-level token apps.connections.open takes
    std::string bot_user = "UFBBOT";                 ///< the bot's user id (auth.test user_id)
    std::string team = "T0FAKE";                     ///< the workspace id
    std::string app_id = "A0FAKEAPP";                ///< api_app_id in payloads, connection_info.app_id in hello
    std::chrono::milliseconds ack_timeout{3000};     ///< an events_api envelope not acked in time is sent again
    int max_retries = 3;                             ///< redeliveries per event (timeouts, reconnects), then give up
    std::chrono::milliseconds refresh_grace{10000};  ///< how long a connection told to disconnect stays open
    std::chrono::milliseconds ping_interval{5000};   ///< idle WebSocket pings (0: none); silence for 2x closes
    /// A slash command's response_url takes 5 posts within this long, then answers 404.
    std::chrono::milliseconds response_url_lifetime{30 * 60 * 1000};
};

/// One HTTP request the fake answered: a Web API call, or (method empty) an upload or response_url post.
struct slack_call {
    std::string method;  ///< "chat.postMessage"; empty when the request was not a Web API call
    std::string verb;    ///< "POST", "GET"
    std::string content_type, body, authorization;  ///< as received (body raw, Authorization header verbatim)
    boost::json::object args;  ///< query string and body arguments, decoded (JSON body values keep their types)
    int status = 0;            ///< HTTP status of the answer
    std::string error;         ///< the answer's "error" when ok was false ("ratelimited" for a 429)
    std::string target;        ///< the raw request target ("/api/chat.postMessage")
};

/// A message as the fake's channel history holds it.
struct posted_message {
    std::string channel, ts, text, thread_ts, user;  ///< user: the author (the bot for its own posts)
    boost::json::value blocks;                       ///< null when the message had none
    bool ephemeral = false;                          ///< chat.postEphemeral, or an ephemeral response_url reply
    std::string ephemeral_user;                      ///< who sees an ephemeral message
    std::vector<std::string> files;  ///< file ids shared with the message (files.completeUploadExternal)
    bool edited = false;             ///< changed by chat.update since it was posted
};

/// When one envelope frame went out and when its ack came back, on the steady clock, as the
/// fake's server thread saw them (the write completed; the ack frame was read).
struct envelope_timing {
    std::string envelope_id;                                    ///< as in the frame (a redelivery has its own)
    std::chrono::steady_clock::time_point written;              ///< the frame's write completed
    std::optional<std::chrono::steady_clock::time_point> acked;  ///< its ack was read; empty while not acked
    int retry_attempt = 0;                                       ///< 0 for the first sending, then 1, 2, ...
};

/// A fake Slack serving the Web API and Socket Mode on 127.0.0.1 from its own thread.
class fake_slack {
public:
    /// Binds 127.0.0.1:0 and starts serving; throws std::runtime_error when it cannot.
    explicit fake_slack(fake_slack_options o = {});
    /// Closes every socket at once (WebSockets without a close frame) and joins the server thread.
    ~fake_slack();
    fake_slack(const fake_slack&) = delete;
    fake_slack& operator=(const fake_slack&) = delete;

    /// "http://127.0.0.1:PORT/api", or "https://localhost:PORT/api" when tls.
    std::string api_base_url() const;
    /// The bound port.
    unsigned short port() const;
    /// The CA to trust when tls (empty otherwise).
    std::string ca_pem() const;

    // --- scripting the world (thread-safe) ---

    /// Creates a public channel with these members (users not yet known are added) and returns its id ("C…").
    /// Throws std::invalid_argument when the name is taken.
    std::string create_channel(const std::string& name, const std::vector<std::string>& members);
    /// Adds (or renames) a user; users.info answers with it.
    void add_user(const std::string& id, const std::string& name, const std::string& display_name);

    // --- Socket Mode: envelopes go to the newest open connection, queued until there is one ---

    /// Pushes an events_api envelope wrapping `event` in an event_callback (fresh event_id "Ev…",
    /// event_time, event_ts filled in when missing); returns the envelope id.
    std::string push_event(boost::json::object event);
    /// The same with a chosen event id; a repeated id is Slack redelivering (retry_attempt counts up).
    std::string push_event_with_id(boost::json::object event, const std::string& event_id);
    /// Pushes a "message" event from `user` and stores it in the channel's history; returns its ts.
    /// Throws std::invalid_argument for an unknown channel.
    std::string push_message(const std::string& channel, const std::string& user, const std::string& text,
                             const std::string& thread_ts = "");
    /// Pushes a slash_commands envelope for "/incident <text>" with a fresh trigger_id and response_url;
    /// returns the envelope id. Throws std::invalid_argument for an unknown channel.
    std::string push_slash_command(const std::string& channel, const std::string& user, const std::string& text);
    /// Pushes an interactive envelope (block_actions, view_submission, ...) carrying `payload` as given;
    /// its trigger_id, if any, becomes valid for views.open. Returns the envelope id.
    std::string push_interactive(boost::json::object payload);
    /// Sends `text` as one frame, as is (malformed or unknown frames); not tracked for acks.
    void push_raw_frame(std::string text);
    /// Same as send_disconnect("refresh_requested").
    void request_refresh();
    /// Sends {"type":"disconnect","reason":reason,...} on the newest connection (nothing when none is open).
    /// "link_disabled" then closes it; any other reason keeps it open until the client closes it or
    /// refresh_grace passes, and holds new envelopes for a newer connection meanwhile.
    void send_disconnect(const std::string& reason);
    /// The newest connection closes without a close frame after sending `n` more frames (0: now);
    /// with no connection open, this applies to the next one (hello counts).
    void drop_after_frames(int n);

    // --- Web API faults (thread-safe); method "*" matches every method ---

    /// The next `count` calls of `method` get HTTP 429 with Retry-After: retry_after_s.
    void rate_limit(const std::string& method, int count, int retry_after_s);
    /// The next `count` calls of `method` get HTTP 200 {"ok":false,"error":error} and do nothing.
    void fail(const std::string& method, int count, const std::string& error);
    /// Every later call of `method` is performed at once but answered `d` later (zero: no delay).
    void delay(const std::string& method, std::chrono::milliseconds d);

    // --- reading what happened (thread-safe copies) ---

    /// Every answered HTTP request (WebSocket upgrades aside), in the order they were answered.
    std::vector<slack_call> calls() const;
    /// A channel's history in ts order: pushed messages, the bot's posts, ephemerals, file shares.
    std::vector<posted_message> messages(const std::string& channel) const;
    /// Channel ids in creation order.
    std::vector<std::string> channels() const;
    /// The id of the channel with this name.
    std::optional<std::string> channel_named(const std::string& name) const;
    /// A channel's topic ("" when unset or unknown).
    std::string topic(const std::string& channel) const;
    /// A channel's members, in joining order.
    std::vector<std::string> members(const std::string& channel) const;
    /// The ts of each pinned message, in pinning order.
    std::vector<std::string> pins(const std::string& channel) const;
    /// Reaction names the bot added to a message, in order.
    std::vector<std::string> reactions(const std::string& channel, const std::string& ts) const;
    /// Uploaded files whose upload was completed: file id -> bytes.
    std::map<std::string, std::string> files() const;
    /// The views opened with views.open (as answered, with their "id"), in order.
    std::vector<boost::json::object> views() const;
    /// Envelope ids acked, in order.
    std::vector<std::string> acked() const;
    /// Envelopes pushed and not acked yet, by their latest envelope id, in push order.
    std::vector<std::string> unacked() const;
    /// How many acks were accepted so far (acked().size() without the copy, for polling).
    std::size_t acked_count() const;
    /// Every envelope frame written, in writing order, with when its ack came (for benchmarks);
    /// from the `from`th on, so polling for new ones copies only those.
    std::vector<envelope_timing> envelope_timings(std::size_t from = 0) const;
    /// Envelope id -> the "payload" its ack carried (only acks that had one).
    std::map<std::string, boost::json::value> ack_payloads() const;
    /// Every frame the fake sent over Socket Mode, in order (hello, envelopes, disconnects, raw).
    std::vector<std::string> sent_frames() const;
    /// WebSocket connections accepted so far.
    int connections_opened() const;
    /// WebSocket connections open now.
    int open_connections() const;
    /// Frames from the client that were not valid acks (not JSON, no envelope_id, unknown or already acked).
    std::vector<std::string> bad_frames() const;
    /// A hook called on the server thread, outside the lock, with every request before it is answered.
    void on_call(std::function<void(const slack_call&)> f);
    /// What the hook threw (it runs off the test thread, so failures are collected, not propagated).
    std::vector<std::string> hook_failures() const;

    struct impl;  ///< the server and its world; defined in the .cpp

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace firebreak::testing
