// The engine's outbox delivery: rows go out in order through the adapter of their
// platform, each marked sent or failed as the platform answers; postmortem rows are
// rendered and stored on the way.
#include "bot/runtime/engine.hpp"

#include "bot/core/text.hpp"
#include "commands/dispatcher.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace firebreak {

void engine::deliver() {
    // Completions may arrive synchronously (console) or later (network adapters);
    // one row is in flight at a time so every room keeps its order.
    if (delivering_) {
        again_ = true;
        return;
    }
    delivering_ = true;
    // A store failure must not leave delivery switched off for the rest of the process.
    struct reset_on_throw {
        bool& flag;
        bool armed = true;
        ~reset_on_throw() { if (armed) flag = false; }
    } guard{delivering_};
    for (;;) {
        again_ = false;
        auto rows = store_.pending_outbox(1);
        if (rows.empty()) break;
        const auto& row = rows.front();
        if (row.not_before && *row.not_before > clock_.now()) break;
        // The flags outlive this frame when the adapter completes later.
        struct progress {
            bool sync_done = false, proceed = false, async = false;
        };
        auto p = std::make_shared<progress>();
        deliver_row(row, [this, p](bool ok) {
            if (p->async) {
                // Completed later: continue the queue from here.
                delivering_ = false;
                deliver();
                return;
            }
            p->sync_done = true;
            p->proceed = ok;
        });
        if (!p->sync_done) {
            p->async = true;
            guard.armed = false;
            return;  // delivering_ stays set until the completion arrives
        }
        bool proceed = p->proceed;
        if (!proceed) break;
    }
    delivering_ = false;
    // The burst is over (nothing deliverable, or a wait): the rows it marked sent are made
    // durable together, one flush for all the replies of a command instead of one each.
    store_.sync();
}

void engine::deliver_row(const outbox_row& row, std::function<void(bool)> next) {
    const auto& m = row.msg;
    auto it = adapters_.find(m.platform);
    if (it == adapters_.end()) {
        store_.mark_failed(row.id, fmt::format("no adapter for platform {}", m.platform), true, std::nullopt);
        spdlog::error("outbox row {}: no adapter for platform {}; dropped", row.id, m.platform);
        return next(true);
    }
    chat_adapter& a = *it->second;
    const incident* inc = m.incident.n ? state_.find(m.incident.n) : nullptr;

    if (m.op == outbound_op::open_room) {
        if (inc && inc->room_on(m.platform)) {
            store_.mark_sent(row.id, message_id{inc->room_on(m.platform)->id}, clock_.now());
            return next(true);
        }
        room_request req;
        req.name = m.room_name;
        req.topic = names_.without_mentions(m.body, m.platform);
        req.invite = m.invite;
        req.is_private = m.is_private;
        req.idempotency_key = fmt::format("fb-{}", row.id);
        if (inc && inc->commander()) req.moderator = inc->commander()->user;
        return a.open_room(req, [this, row, next](delivery d) {
            if (d.ok()) {
                chat_event bound;
                bound.kind = event_kind::room_bound;
                bound.event_id = fmt::format("room-bound:{}", row.id);
                bound.room = d.room;
                bound.incident = row.msg.incident;
                bound.at = clock_.now();
                auto now = clock_.now();
                change c = apply(state_, bound, now, settings_);
                // Flushed with the row's mark at the end of the burst. A power cut before
                // that loses both (never one without the other), and open_room runs again:
                // Matrix finds the room it made by its creation key, Slack makes another.
                if (store_.commit_lazily(c, bound.event_id, now)) {
                    fold(state_, c, settings_);
                    folded(c);
                }
                d.id = message_id{d.room.id};
            }
            finish_row(row, d, next);
        });
    }

    room_ref room;
    switch (m.target) {
        case target_kind::room: room = m.room; break;
        case target_kind::incident_room:
            if (inc) {
                if (auto r = inc->room_on(m.platform)) room = *r;
            }
            if (room.empty()) {
                // Rows are delivered in order and an open_room row that can still succeed
                // blocks the queue, so reaching here means the room was refused for good.
                store_.mark_failed(row.id, "the incident room could not be opened", true, std::nullopt);
                spdlog::error("outbox row {}: {} has no room on {}; dropped", row.id, m.incident.str(), m.platform);
                return next(true);
            }
            break;
        case target_kind::announcement: {
            auto an = settings_.announcement_rooms.find(m.platform);
            if (an == settings_.announcement_rooms.end()) {
                store_.mark_sent(row.id, message_id{}, clock_.now());
                return next(true);
            }
            room = an->second;
            break;
        }
    }
    auto done = [this, row, next](delivery d) { finish_row(row, d, next); };
    // Room links in the body point at rooms that exist by now (rows go out in order).
    rich_text linked;
    const rich_text& body = with_links(m.body, inc, m.platform, linked);
    switch (m.op) {
        case outbound_op::post:
            if (!m.reaction.empty() && a.caps().reactions) return a.react(room, m.reaction_to, m.reaction, done);
            if (m.body.empty()) {
                // An acknowledgement the platform shows as a reaction, and nothing otherwise.
                store_.mark_sent(row.id, message_id{}, clock_.now());
                return next(true);
            }
            return a.post(room, body, m.thread, fmt::format("fb-{}", row.id), done);
        case outbound_op::ephemeral: {
            if (a.caps().ephemeral) return a.post_ephemeral(room, m.to_user, body, done);
            room_ref where = room;
            message_id thread = m.thread;
            if (m.fallback == ephemeral_fallback::drop) {
                store_.mark_sent(row.id, message_id{}, clock_.now());
                return next(true);
            }
            if (m.fallback == ephemeral_fallback::incident_room) {
                // About a private incident, asked elsewhere: said in its own room, which the
                // asker is in, never in the room it was asked in.
                std::optional<room_ref> own;
                if (inc) own = inc->room_on(m.platform);
                if (!own) {
                    store_.mark_failed(row.id, "a private answer has no incident room to go to", true, std::nullopt);
                    spdlog::warn("outbox row {}: private answer about {} dropped: no room on {}", row.id,
                                 m.incident.str(), m.platform);
                    return next(true);
                }
                where = *own;
                thread = {};
            }
            return a.post(where, rich_text{}.mention(m.to_user.id).text(" ").append(body), thread,
                          fmt::format("fb-{}", row.id), done);
        }
        case outbound_op::set_topic:
            if (!a.caps().topics) {
                store_.mark_sent(row.id, message_id{}, clock_.now());
                return next(true);
            }
            return a.set_topic(room, names_.without_mentions(m.body, m.platform), done);
        case outbound_op::postmortem: return render_postmortem(row, a, room, next);
        case outbound_op::invite: return a.invite(room, m.invite, done);
        case outbound_op::moderator:
            return a.set_moderator(room, m.invite.empty() ? user_ref{} : m.invite.front(), m.to_user, done);
        case outbound_op::open_room: break;
    }
}

void engine::render_postmortem(const outbox_row& row, chat_adapter& a, const room_ref& room,
                               const std::function<void(bool)>& next) {
    const incident* inc = state_.find(row.msg.incident.n);
    if (!inc || !renderer_) {
        store_.mark_failed(row.id, "no renderer or incident for postmortem", true, std::nullopt);
        return next(true);
    }
    auto doc = renderer_(*inc, store_);
    std::vector<rendered_file> files{{doc.filename, doc.format, doc.content}};
    files.insert(files.end(), doc.exports.begin(), doc.exports.end());
    auto now = clock_.now();
    std::vector<std::string> saved;
    for (const auto& file : files) {
        store_.put_document(inc->id, file.format, file.content, now);
        if (!write_document_) continue;
        if (auto where = write_document_(file)) saved.push_back(*where);
    }
    rich_text comment = doc.summary;
    if (!saved.empty()) {
        comment.line().text(saved.size() == 1 ? "Saved at " : "Saved as ");
        for (std::size_t i = 0; i < saved.size(); ++i) {
            if (i > 0) comment.text(", ");
            comment.code(saved[i]);
        }
    }
    auto done = [this, row, next](delivery d) { finish_row(row, d, next); };
    if (a.caps().files) return a.post_file(room, doc.filename, doc.content, comment, done);
    a.post(room, comment, message_id{}, fmt::format("fb-{}", row.id), done);
}

void engine::finish_row(const outbox_row& row, const delivery& d, const std::function<void(bool)>& next) {
    auto now = clock_.now();
    // Whatever happens to the row, the next wake may have moved (a rate-limit wait).
    struct notify {
        engine& e;
        ~notify() { e.progressed(); }
    } after{*this};
    if (d.ok()) {
        store_.mark_sent(row.id, d.id, now);
        ++delivered_;
        return next(true);
    }
    switch (d.error) {
        case error_kind::retry_after:
        case error_kind::transient: {
            auto wait = d.retry_after.count() > 0 ? d.retry_after : duration{std::chrono::seconds{1}};
            ++counters_.rate_limit_waits;
            store_.mark_failed(row.id, d.detail, false, now + wait);
            spdlog::warn("outbox row {}: {} ({}); retry in {}", row.id, to_string(d.error), d.detail, format_span(wait));
            return next(false);
        }
        default:
            ++counters_.dropped;
            store_.mark_failed(row.id, d.detail, true, std::nullopt);
            spdlog::error("outbox row {}: {} ({}); dropped", row.id, to_string(d.error), d.detail);
            return next(true);
    }
}

// Best-effort and never blocking: the adapter answers now (console) or later (a Web API
// round trip), and whatever goes wrong here is logged, never fails the event.
const rich_text& engine::with_links(const rich_text& body, const incident* inc, const std::string& platform,
                                    rich_text& scratch) {
    auto unlinked = [](const span& s) { return s.look == span::style::room && s.ref.empty(); };
    if (!inc || std::none_of(body.spans().begin(), body.spans().end(), unlinked)) return body;
    auto room = inc->room_on(platform);
    if (!room) return body;  // never opened: the name stays as text
    std::vector<span> spans = body.spans();
    for (auto& s : spans)
        if (unlinked(s)) s.ref = room->id;
    scratch.assign(std::move(spans), body.actions());
    return scratch;
}

}  // namespace firebreak
