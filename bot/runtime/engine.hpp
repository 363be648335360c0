#pragma once
// The engine loop: one event at a time, decided by the pure core, committed in
// one transaction, then delivered through the persisted outbox.
#include "bot/core/ports.hpp"
#include "bot/runtime/name_directory.hpp"

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace firebreak {

/// How handling one event ended.
enum class handled { committed, duplicate, nothing };

/// One file of a rendered document.
struct rendered_file {
    std::string filename;
    std::string format;    ///< "md", "html", "json": the key it is stored under
    std::string content;
};

/// The postmortem draft of an incident: the canonical file (posted to the room), the same
/// draft in other formats (stored and written beside it), and a summary for the room.
struct rendered_document {
    std::string filename;
    std::string format;
    std::string content;
    std::vector<rendered_file> exports;
    rich_text summary;
};
using document_renderer = std::function<rendered_document(const incident&, incident_store&)>;
/// Where a generated file is kept besides the store (a folder on disk): returns where it
/// went, to tell the room, or nothing when it could not be kept.
using document_writer = std::function<std::optional<std::string>(const rendered_file&)>;

/// What the engine has done since start, for the ops endpoint's metrics.
struct engine_counters {
    std::array<std::int64_t, std::size_t(event_kind::alert) + 1> events_by_kind{};   ///< indexed by event_kind
    std::int64_t commands = 0;                      ///< events that were commands
    std::int64_t duplicates = 0;                    ///< redeliveries recognised
    std::int64_t rate_limit_waits = 0;              ///< deliveries told to wait and retry
    std::int64_t dropped = 0;                       ///< outbox rows refused for good
    std::int64_t groups = 0;                        ///< group commits (handle_batch of 2 or more)
    std::int64_t grouped_events = 0;                ///< events committed in those groups
    std::int64_t alerts_deduplicated = 0;           ///< alert notifications already committed (a sender's retry)
    std::int64_t alerts_grouped = 0;                ///< alerts that joined an existing card
    std::int64_t alert_cards = 0;                   ///< cards opened
};

/// Owns the in-memory state and drives store and adapters. Not thread-safe: call it
/// from one strand.
class engine {
public:
    engine(incident_store& store, engine_settings settings, const clock& clk);

    /// Registers an adapter for its platform.
    void add_adapter(chat_adapter& adapter);
    /// Sets how postmortem drafts are rendered (a timeline export until then).
    void set_renderer(document_renderer r) { renderer_ = std::move(r); }
    /// Where generated documents are also written as files (none until set).
    void set_document_writer(document_writer w) { write_document_ = std::move(w); }

    /// Handles one event, as a batch of one: de-duplicates, applies, commits (with `cursor`
    /// if given), and then delivers the outbox. The platform may be acknowledged once this
    /// returns.
    /// Afterwards, best-effort, it asks the platform for the display names of the people
    /// the event brought into the record (see learn_names).
    handled handle(const chat_event& ev,
                   const std::optional<std::pair<std::string, std::string>>& cursor = std::nullopt);

    /// Handles events in order with one group commit: each is de-duplicated and applied
    /// against the state the ones before it left, all are written in one transaction and
    /// one disk flush, and only then is the outbox delivered. Every event may be
    /// acknowledged once this returns; if it throws, none may be: nothing of the batch was
    /// kept, and the state is reloaded from the store. One outcome per event, in order.
    std::vector<handled> handle_batch(const std::vector<inbound>& batch);
    /// The most events the runtime puts in one batch: enough that a backlog costs one disk
    /// flush per few hundred events, few enough that the first of them is not kept waiting
    /// long for the last.
    static constexpr std::size_t max_batch = 256;

    /// Delivers pending outbox rows in order until done or blocked (rate limit, no room yet).
    void deliver();

    /// Sends every nudge due now (each committed on its own, so a crash between two
    /// sends neither repeats nor loses one), then delivers. Returns how many were sent.
    std::size_t tick();

    /// Called after anything that may move the next wake (a commit, a delivery); the
    /// scheduler re-aims its timer from here.
    void set_on_progress(std::function<void()> f) { on_progress_ = std::move(f); }
    /// Told of every change once it is committed and folded into the state, on the
    /// engine's strand (the web view follows the record from here).
    void set_on_commit(std::function<void(const change&)> f) { on_commit_ = std::move(f); }

    /// When the engine next has something to do by itself: the earliest planned nudge
    /// or the end of a rate-limit wait in the outbox. The scheduler sleeps until then.
    std::optional<instant> next_wake();

    /// The current state.
    const engine_state& state() const { return state_; }
    /// The settings in force.
    const engine_settings& settings() const { return settings_; }
    /// The store.
    incident_store& store() { return store_; }
    /// Outbox rows delivered since start.
    std::int64_t delivered() const { return delivered_; }
    /// Nudges sent since start.
    std::int64_t nudges_sent() const { return nudges_sent_; }
    /// Events, commands and delivery outcomes since start.
    const engine_counters& counters() const { return counters_; }

private:
    // Applies, commits (alone or in the open group) and folds one event; the people it
    // brought into the record are left in last_people_.
    handled apply_one(const chat_event& ev, const std::optional<std::pair<std::string, std::string>>& cursor,
                      instant now, change& c);
    void deliver_row(const outbox_row& row, std::function<void(bool)> next);
    void finish_row(const outbox_row& row, const delivery& d, const std::function<void(bool)>& next);
    void render_postmortem(const outbox_row& row, chat_adapter& a, const room_ref& room,
                           const std::function<void(bool)>& next);
    // `body` with what only delivery knows filled in, the ids of the rooms it links to (the
    // rooms of `inc`): `body` itself when there is nothing to fill, else `scratch`.
    const rich_text& with_links(const rich_text& body, const incident* inc, const std::string& platform,
                                rich_text& scratch);
    incident_store& store_;
    engine_settings settings_;
    const clock& clock_;
    engine_state state_;
    std::map<std::string, chat_adapter*> adapters_;
    document_renderer renderer_;
    std::function<void()> on_progress_;
    std::function<void(const change&)> on_commit_;
    std::vector<change> grouped_;  // committed in the open group, told once it is durable
    void folded(const change& c) {
        if (on_commit_ && !c.empty()) on_commit_(c);
    }
    void progressed() {
        if (on_progress_) on_progress_();
    }
    document_writer write_document_;
    std::vector<user_ref> last_people_;
    bool delivering_ = false;
    bool again_ = false;
    std::int64_t delivered_ = 0;
    std::int64_t nudges_sent_ = 0;
    engine_counters counters_;
    name_directory names_;
};

}  // namespace firebreak
