#pragma once
// The ports between the core and the outside: clock, chat adapter, store.
// Implementations live in bot/runtime, adapters/* and storage/.
#include "bot/core/chat_event.hpp"
#include "bot/core/engine_state.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace firebreak {

/// A source of the current time. The system clock lives in bot/runtime; tests and
/// replays use a manual one.
class clock {
public:
    virtual ~clock() = default;
    /// The current UTC instant.
    virtual instant now() const = 0;
};

/// A clock that moves only when told to.
class manual_clock final : public clock {
public:
    explicit manual_clock(instant start = instant{}) : now_(start) {}
    instant now() const override { return now_; }
    /// Sets the time (never backwards).
    void set(instant t) { if (t > now_) now_ = t; }
    /// Moves the time forward.
    void advance(duration d) { now_ += d; }
private:
    instant now_;
};

/// The few error kinds every platform error maps onto.
enum class error_kind { none, retry_after, auth, not_found, invalid, transient };
/// "retry-after", "auth", ...
std::string to_string(error_kind k);

/// What a platform can do; the runtime and renderers adapt to it.
struct capabilities {
    bool ephemeral = false;    ///< messages only one user sees
    bool threads = false;
    bool files = false;        ///< file upload into a room
    bool topics = false;
    bool rich_text = false;    ///< styled output (mrkdwn, HTML)
    bool forms = false;        ///< modal forms (Slack views)
    bool reactions = false;
    bool create_rooms = false;
    /// The longest room name the platform takes (bytes); the title's part of a new room's
    /// name is cut at a word to fit.
    std::size_t room_name_limit = engine_settings::default_room_name_limit;
};

/// The outcome of one delivery.
struct delivery {
    error_kind error = error_kind::none;
    std::string detail;        ///< one line, no secrets
    message_id id;             ///< platform id of the posted message
    room_ref room;             ///< for open_room: the room created
    duration retry_after{0};
    bool ok() const { return error == error_kind::none; }
};

/// A request to open an incident room.
struct room_request {
    std::string name;          ///< already valid for the platform where possible
    std::string topic;
    std::vector<user_ref> invite;
    user_ref moderator;        ///< the commander
    bool is_private = false;
    std::string idempotency_key;
};

/// One inbound event with the adapter cursor that moves past it (Matrix next_batch);
/// the store commits both together.
struct inbound {
    chat_event event;
    std::optional<std::pair<std::string, std::string>> cursor;  ///< (key, value)
};

/// Waits out a delay for an adapter (the backoff before a reconnect). The runtime's waits
/// on the steady clock; tests step theirs, so none sleeps through a backoff.
class delay_timer {
public:
    virtual ~delay_timer() = default;
    /// Calls `then` once, `d` from now, replacing a wait that is not over; never after cancel().
    virtual void wait(duration d, std::function<void()> then) = 0;
    /// Forgets the wait under way.
    virtual void cancel() = 0;
};
/// Makes the delay timer of one adapter.
using delay_timers = std::function<std::unique_ptr<delay_timer>()>;

/// Where an adapter's link to its platform stands, for /readyz.
enum class link_state { idle, connecting, connected, retrying, failed, stopped };
/// "idle", "connecting", ...
std::string to_string(link_state s);

/// What a platform said of the configured credentials (`check-config --online`).
struct credential_check {
    bool ok = false;
    std::string who;     ///< whom the platform says the token belongs to, when ok
    std::string detail;  ///< why not, one line, no secrets
};

/// A small durable memory an adapter keeps between runs for state no event carries
/// (Matrix's transaction-id prefix). The store's cursors are what the runtime hands in.
class adapter_memory {
public:
    virtual ~adapter_memory() = default;
    /// The value kept under `key`.
    virtual std::optional<std::string> recall(const std::string& key) = 0;
    /// Keeps `value` under `key`, on the disk when this returns.
    virtual void keep(const std::string& key, const std::string& value) = 0;
};

/// A chat platform as the runtime sees it. Every call completes through its
/// callback exactly once, possibly before returning.
class chat_adapter {
public:
    using done = std::function<void(delivery)>;
    /// Acknowledges an event to the platform; called only after its effects are committed.
    using ack_fn = std::function<void()>;
    /// Where an adapter hands events, in platform order. An adapter need not wait for one
    /// event's ack before handing the next: the runtime handles them in the order handed
    /// (several may share one group commit) and acks each once it is committed.
    using event_sink = std::function<void(const inbound&, ack_fn)>;
    /// Called once when the adapter gives up for good (a refused token), with why.
    using fatal_fn = std::function<void(const std::string&)>;
    virtual ~chat_adapter() = default;
    /// Starts receiving events (connecting where needed).
    virtual void start(event_sink sink) = 0;
    /// Where a fatal error is reported.
    void on_fatal(fatal_fn f) { on_fatal_ = std::move(f); }
    /// Called each time the link comes back after a failure.
    void on_reconnect(std::function<void()> f) { on_reconnect_ = std::move(f); }
    /// The link's state; an adapter without a link (the console) is always connected.
    virtual link_state state() const { return link_state::connected; }
    /// The last link error, one line, no secrets; empty when none.
    virtual std::string last_error() const { return {}; }
    /// Asks the platform, once and bounded in time, whether it accepts the configured
    /// credentials. Needs no start(). The default (no credentials) says yes.
    virtual void check_credentials(std::function<void(credential_check)> cb) { cb(credential_check{true, {}, {}}); }
    /// Stops receiving and closes connections; pending acks are not sent.
    virtual void stop() = 0;
    /// Stops taking new events but keeps sending, so a graceful shutdown can drain the
    /// outbox; stop() follows.
    virtual void stop_receiving() {}
    /// A user's display name where the platform has one (adapters cache it).
    virtual void display_name(const user_ref& user, std::function<void(std::optional<std::string>)> cb) = 0;
    /// "console", "slack", "matrix".
    virtual std::string platform() const = 0;
    /// What this platform supports.
    virtual capabilities caps() const = 0;
    /// Creates a room.
    virtual void open_room(const room_request& req, done cb) = 0;
    /// Posts a message; `key` makes a retried send idempotent where the platform allows.
    virtual void post(const room_ref& room, const rich_text& body, const message_id& thread,
                      const std::string& key, done cb) = 0;
    /// Shows a message to one user (callers check caps().ephemeral first).
    virtual void post_ephemeral(const room_ref& room, const user_ref& user, const rich_text& body,
                                done cb) = 0;
    /// Reacts to a message with an emoji given by its Slack-style name ("white_check_mark");
    /// having reacted already is success (callers check caps().reactions first).
    virtual void react(const room_ref& room, const message_id& msg, const std::string& emoji, done cb) = 0;
    /// Invites users to a room; already being a member is success.
    virtual void invite(const room_ref& room, const std::vector<user_ref>& users, done cb) = 0;
    /// Replaces the text of a message the bot posted earlier.
    virtual void edit(const room_ref& room, const message_id& id, const rich_text& body, done cb) = 0;
    /// Makes `promote` a moderator of the room and `demote` (the commander before) no
    /// longer one; either may be empty. Platforms without ranks succeed doing nothing.
    virtual void set_moderator(const room_ref& room, const user_ref& promote, const user_ref& demote, done cb) {
        (void)room, (void)promote, (void)demote;
        cb(delivery{});
    }
    /// Sets a room's topic.
    virtual void set_topic(const room_ref& room, const std::string& topic, done cb) = 0;
    /// Uploads a file into a room with a short comment.
    virtual void post_file(const room_ref& room, const std::string& filename,
                           const std::string& content, const rich_text& comment, done cb) = 0;

protected:
    /// Tells the runtime the adapter gave up for good.
    void report_fatal(const std::string& why) {
        if (on_fatal_) on_fatal_(why);
    }
    /// Tells the runtime the link came back.
    void report_reconnect() {
        if (on_reconnect_) on_reconnect_();
    }

private:
    fatal_fn on_fatal_;
    std::function<void()> on_reconnect_;
};

/// One row of the persisted outbox.
struct outbox_row {
    std::int64_t id = 0;
    outbound msg;
    int attempts = 0;
    instant created_at{};
    std::optional<instant> not_before;
};

/// What was restored from the store at start.
struct restored_state {
    engine_state state;
    std::int64_t timeline_rows = 0;
};

/// Durable storage of incidents, timeline, outbox and processed events.
class incident_store {
public:
    virtual ~incident_store() = default;
    /// Loads every incident, the room index and each incident's timeline tail.
    virtual restored_state load(std::size_t tail) = 0;
    /// Whether an event id has already been handled.
    virtual bool processed(const std::string& event_id) = 0;
    /// Writes a change, the processed event id and (if given) an adapter cursor in one
    /// durable transaction, and sets the `seq` of each entry in `c.entries` to the row it
    /// became. Returns false, writing nothing, when the event id was already processed.
    /// An empty event id is never de-duplicated (internal events).
    virtual bool commit(change& c, const std::string& event_id, instant now,
                        const std::optional<std::pair<std::string, std::string>>& cursor) = 0;
    /// As commit() (outside a group), but like mark_sent(): in the file at once, so a killed
    /// process keeps it, and on the disk at the next sync(). For what follows from a
    /// delivery (the room an open_room made), never for what an ack depends on.
    virtual bool commit_lazily(change& c, const std::string& event_id, instant now) = 0;
    /// Undelivered, not given-up outbox rows in insertion order; `limit` 0 = all.
    virtual std::vector<outbox_row> pending_outbox(std::size_t limit) = 0;
    /// Marks a row delivered, with the platform's id for what was sent. The mark survives
    /// the process being killed at once, but may reach the disk only at the next sync():
    /// a power cut in between sends the row again.
    virtual void mark_sent(std::int64_t id, const message_id& platform_id, instant at) = 0;
    /// Makes every earlier write durable (the runtime calls it when a burst of deliveries ends).
    virtual void sync() = 0;
    /// Group commit: every commit() until end_group() joins one transaction, written and
    /// synced once by end_group(), so a batch of events costs one disk flush. Nothing of the
    /// group is durable, or may be acknowledged, before end_group() returns. A commit()
    /// in the group still returns false for an event id already committed, in the group
    /// or before. No other write may happen while a group is open.
    virtual void begin_group() = 0;
    /// Commits the open group durably.
    virtual void end_group() = 0;
    /// Rolls back the open group (after a failure); a no-op when none is open.
    virtual void abandon_group() noexcept = 0;
    /// Records a failed attempt; `give_up` ends retries for this row.
    virtual void mark_failed(std::int64_t id, const std::string& detail, bool give_up,
                             std::optional<instant> not_before) = 0;
    /// Timeline rows of one incident in order (seq ascending), `limit` 0 = all.
    virtual std::vector<timeline_entry> timeline(incident_id inc, std::size_t limit = 0) = 0;
    /// Earlier texts of an edited message row, oldest first (at, text). A deletion
    /// forgets them along with the text.
    virtual std::vector<std::pair<instant, std::string>> edit_history(std::int64_t seq) = 0;
    /// The text of a message firebreak posted about incident `inc` that the platform knows
    /// as `id`, when no timeline row holds that message yet (so a 📌 on it can add one).
    virtual std::optional<std::string> bot_post(incident_id inc, const message_id& id) = 0;
    /// An adapter cursor (Matrix next_batch, ...).
    virtual std::optional<std::string> cursor(const std::string& key) = 0;
    /// Stores an adapter's own value under `key` (replacing an earlier one), durably, in a
    /// small transaction of its own: for adapter state that no event carries (a transaction
    /// id prefix), never for a cursor that must move with an event's effects.
    virtual void put_cursor(const std::string& key, const std::string& value) = 0;
    /// Stores a generated document (postmortem draft) for an incident.
    virtual void put_document(incident_id inc, const std::string& format, const std::string& body,
                              instant at) = 0;
    /// The latest stored document of a format.
    virtual std::optional<std::string> document(incident_id inc, const std::string& format) = 0;
    /// Remembers a user's display name on a platform (replacing an earlier one), in a small
    /// transaction of its own: a name is a cached outside fact, never part of an event's effects.
    virtual void put_display_name(const std::string& platform, const user_ref& user, const std::string& name,
                                  instant at) = 0;
    /// The display names known on one platform: user id -> name. Per platform, because a
    /// user id means something only on its own platform; callers merge as they need.
    virtual std::map<std::string, std::string> display_names(const std::string& platform) = 0;
    /// The alert cards declared into or attached to `inc`, each with its alerts, by number
    /// (for the postmortem, which is drawn from the store, not the engine's state).
    virtual std::vector<alert_card> cards_of(incident_id inc) = 0;
};

}  // namespace firebreak
