#pragma once
// An in-process fake Matrix homeserver for adapter tests. It speaks the Client-Server
// API v3 over real sockets on 127.0.0.1 (port 0), HTTP/1.1 keep-alive, optionally TLS
// with a throw-away CA, and runs its own io_context on its own thread so a test drives
// it like a remote server: script the world (rooms, members, messages), inject faults
// (429s, errors, dropped connections, malformed syncs), then read back what the client
// did. One user exists with a valid token: the bot.
#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace firebreak::testing {

/// One request the fake received, and how it answered.
struct recorded_request {
    std::string method, target, content_type, body, authorization;
    int status = 0;        ///< what the fake answered
    bool dropped = false;  ///< the connection was closed instead of answering (drop_after_handling)
};

/// How a fake homeserver is set up.
struct fake_homeserver_options {
    bool tls = false;                                  ///< serve HTTPS with a fresh make_test_pki()
    std::string server_name = "example.org";           ///< the server part of ids it mints
    std::string bot_user = "@firebreak:example.org";   ///< the one user the access token belongs to
    std::string access_token = "fake-token-123";       ///< anything else gets 401 M_UNKNOWN_TOKEN
};

/// A fake Matrix homeserver serving the Client-Server API on 127.0.0.1 from its own thread.
class fake_homeserver {
public:
    /// Binds 127.0.0.1:0 and starts serving; throws std::runtime_error when it cannot.
    explicit fake_homeserver(fake_homeserver_options o = {});
    /// Closes every socket, drops parked syncs unanswered, and joins the server thread.
    ~fake_homeserver();
    fake_homeserver(const fake_homeserver&) = delete;
    fake_homeserver& operator=(const fake_homeserver&) = delete;

    /// "http://127.0.0.1:PORT", or "https://localhost:PORT" when tls.
    std::string base_url() const;
    /// The bound port.
    unsigned short port() const;
    /// The CA to trust when tls (empty otherwise).
    std::string ca_pem() const;

    // --- scripting the world (thread-safe) ---

    /// Creates a room with `creator` joined (not the bot) and returns its id ("!r1:example.org").
    std::string create_room(const std::string& creator, const std::string& name = "");
    /// The bot is invited to a room by `inviter`: shows up under rooms.invite in the next sync.
    void invite_bot(const std::string& room_id, const std::string& inviter);
    /// A user joins a room (m.room.member join in the timeline).
    void join(const std::string& room_id, const std::string& user);
    /// Appends a client event ("type", "content", optionally "state_key") sent by `sender`, assigning
    /// event_id "$e<N>" and origin_server_ts (the fake time, +1 ms per event); returns the event id.
    std::string push_event(const std::string& room_id, const std::string& sender, boost::json::object event);
    /// Convenience: an m.room.message m.text from `sender` with `body` (and optional HTML formatted_body).
    std::string say(const std::string& room_id, const std::string& sender, const std::string& body,
                    const std::string& formatted_body = "");
    /// Queues a raw string to be the body of the next /sync response (the since token does not advance).
    void inject_raw_sync(std::string body);
    /// The next `count` matching requests get 429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After.
    void rate_limit(const std::string& method, const std::string& path_part, int count, int retry_after_ms);
    /// The next `count` matching requests get `status` with `body` (e.g. 401 M_UNKNOWN_TOKEN, 500).
    void fail(const std::string& method, const std::string& path_part, int count, int status, std::string body);
    /// The next `count` matching requests are performed, then their connection closes without an answer.
    void drop_after_handling(const std::string& method, const std::string& path_part, int count);
    /// Sets the display name GET /profile/{user}/displayname returns.
    void set_display_name(const std::string& user, const std::string& name);
    /// Points `alias` ("#ops:example.org") at an existing room, as a room directory entry.
    void set_alias(const std::string& alias, const std::string& room_id);
    /// Caps each room's timeline in an incremental sync at `n` events (0 = no cap): older
    /// ones are left out, the timeline is marked limited and /messages serves the gap.
    void set_timeline_limit(std::size_t n);
    /// Sets the fake time (ms since the epoch) stamped on the next event.
    void set_time_ms(std::int64_t ms);

    // --- reading what happened (thread-safe copies) ---

    /// Every answered (or dropped) request, in the order they were answered.
    std::vector<recorded_request> requests() const;
    /// Events in a room's timeline, in order, including the bot's sends (each a full event object).
    std::vector<boost::json::object> timeline(const std::string& room_id) const;
    /// Room ids that exist, in creation order; the bot-created ones included.
    std::vector<std::string> rooms() const;
    /// Current state event content of (room, type, state_key), if any.
    std::optional<boost::json::object> state(const std::string& room_id, const std::string& type,
                                             const std::string& state_key = "") const;
    /// Joined members of a room.
    std::vector<std::string> members(const std::string& room_id) const;
    /// Invited (not yet joined) users of a room.
    std::vector<std::string> invited(const std::string& room_id) const;
    /// Uploaded media: content URI -> (content type, bytes).
    std::map<std::string, std::pair<std::string, std::string>> media() const;
    /// Filters the client uploaded: filter id -> definition.
    std::map<std::string, boost::json::object> filters() const;
    /// The stream position a sync made now would return as next_batch ("s<N>").
    std::string stream_position() const;
    /// How many /sync requests are parked waiting for an event right now.
    std::size_t parked_syncs() const;
    /// A hook called on the server thread, outside the lock, with every request before it is answered.
    void on_request(std::function<void(const recorded_request&)> f);
    /// What the hook threw (it runs off the test thread, so failures are collected, not propagated).
    std::vector<std::string> hook_failures() const;

    struct impl;  ///< the server and its world; defined in the .cpp

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace firebreak::testing
