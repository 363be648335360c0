// The incident rows: an incident and its child rows written in step with the engine's
// state, the timeline's rows amended and read, and the whole state loaded at start.
#include "storage/sql_helpers.hpp"
#include "storage/sqlite_store_impl.hpp"
#include "storage/stored_names.hpp"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace firebreak {

using namespace detail;

// Keeps the child rows of one incident in step with `inc`. `before` is what the
// database holds for it, or null when unknown (then every child list is rewritten).
void sqlite_store::impl::write_incident(const incident& inc, const incident* before) {
    const std::int64_t number = inc.id.n;
    {
        scoped s(st_.upsert_incident);
        s->bind(1, number);
        s->bind(2, inc.title);
        s->bind(3, static_cast<int>(inc.sev));
        s->bind(4, name_of(status_names, inc.state, "status"));
        bind_flag(*s, 5, inc.is_private);
        s->bind(6, inc.declared_by.id);
        s->bind(7, inc.declared_in.platform);
        s->bind(8, inc.declared_in.id);
        bind_ms(*s, 9, inc.times.impact_started);
        bind_ms(*s, 10, inc.times.detected);
        bind_ms(*s, 11, inc.times.declared);
        bind_ms(*s, 12, inc.times.commander_assigned);
        bind_ms(*s, 13, inc.times.identified);
        bind_ms(*s, 14, inc.times.mitigated);
        bind_ms(*s, 15, inc.times.resolved);
        bind_ms(*s, 16, inc.times.closed);
        bind_ms(*s, 17, inc.next_update_due);
        s->bind(18, inc.message_count);
        s->exec();
    }

    // Rewrites one child list. Lists mostly grow at the end (a new shift, note or
    // update), so when the stored list is a prefix of the new one only the tail is
    // inserted; any other difference rewrites the list.
    const auto sync = [number](const auto& now, const auto* stored, SQLite::Statement& del,
                               auto&& insert) {
        std::size_t from = 0;
        if (stored) {
            if (*stored == now) return;
            if (stored->size() <= now.size() &&
                std::equal(stored->begin(), stored->end(), now.begin())) {
                from = stored->size();
            }
        }
        if (from == 0) {
            scoped d(del);
            d->bind(1, number);
            d->exec();
        }
        for (std::size_t i = from; i < now.size(); ++i)
            insert(static_cast<std::int64_t>(i), now[i]);
    };

    if (!before || before->rooms != inc.rooms) {
        {
            scoped s(st_.clear_room_order);
            s->bind(1, number);
            s->exec();
        }
        for (std::size_t i = 0; i < inc.rooms.size(); ++i) {
            scoped s(st_.upsert_room);
            s->bind(1, number);
            s->bind(2, inc.rooms[i].platform);
            s->bind(3, inc.rooms[i].id);
            s->bind(4, static_cast<std::int64_t>(i));
            s->exec();
        }
    }

    sync(inc.shifts, before ? &before->shifts : nullptr, st_.delete_shifts,
         [&](std::int64_t ord, const shift& v) {
             scoped s(st_.insert_shift);
             s->bind(1, number);
             s->bind(2, ord);
             s->bind(3, name_of(role_names, v.held, "role"));
             s->bind(4, v.user.id);
             s->bind(5, v.area);
             bind_ms(*s, 6, v.start);
             bind_ms(*s, 7, v.end);
             s->bind(8, v.assigned_by.id);
             s->bind(9, v.ended_by.id);
             s->exec();
         });
    sync(inc.hypotheses, before ? &before->hypotheses : nullptr, st_.delete_hypotheses,
         [&](std::int64_t ord, const hypothesis& v) {
             scoped s(st_.insert_hypothesis);
             s->bind(1, number);
             s->bind(2, ord);
             s->bind(3, v.n);
             s->bind(4, v.text);
             s->bind(5, v.opened_by.id);
             bind_ms(*s, 6, v.opened_at);
             s->bind(7, name_of(outcome_names, v.result, "outcome"));
             bind_ms(*s, 8, v.closed_at);
             s->bind(9, v.closed_by.id);
             s->bind(10, v.evidence);
             s->bind(11, v.source.id);
             s->bind(12, v.closed_source.id);
             bind_flag(*s, 13, v.withdrawn);
             bind_flag(*s, 14, v.source_deleted);
             s->exec();
         });
    sync(inc.notes, before ? &before->notes : nullptr, st_.delete_notes,
         [&](std::int64_t ord, const note& v) {
             scoped s(st_.insert_note);
             s->bind(1, number);
             s->bind(2, ord);
             s->bind(3, name_of(note_kind_names, v.kind, "note kind"));
             s->bind(4, v.text);
             s->bind(5, v.author.id);
             bind_ms(*s, 6, v.at);
             s->bind(7, v.source.id);
             s->exec();
         });
    sync(inc.actions, before ? &before->actions : nullptr, st_.delete_actions,
         [&](std::int64_t ord, const action_item& v) {
             scoped s(st_.insert_action);
             s->bind(1, number);
             s->bind(2, ord);
             s->bind(3, v.n);
             s->bind(4, v.text);
             s->bind(5, v.owner.id);
             s->bind(6, v.due);
             s->bind(7, v.created_by.id);
             bind_ms(*s, 8, v.at);
             s->bind(9, v.source.id);
             bind_flag(*s, 10, v.withdrawn);
             s->exec();
         });
    sync(inc.updates, before ? &before->updates : nullptr, st_.delete_updates,
         [&](std::int64_t ord, const status_update& v) {
             scoped s(st_.insert_update);
             s->bind(1, number);
             s->bind(2, ord);
             bind_ms(*s, 3, v.at);
             s->bind(4, v.author.id);
             s->bind(5, v.impact);
             s->bind(6, v.actions);
             s->bind(7, v.needs);
             bind_ms(*s, 8, v.next_at);
             s->exec();
         });

    sync(inc.history, before ? &before->history : nullptr, st_.delete_phases,
         [&](std::int64_t ord, const phase& v) {
             scoped s(st_.insert_phase);
             s->bind(1, number);
             s->bind(2, ord);
             bind_ms(*s, 3, v.at);
             s->bind(4, static_cast<int>(v.sev));
             s->bind(5, name_of(status_names, v.state, "status"));
             s->bind(6, v.by.id);
             s->bind(7, v.reason);
             s->exec();
         });

    if (!before || before->nudges != inc.nudges) {
        {
            scoped d(st_.delete_nudges);
            d->bind(1, number);
            d->exec();
        }
        for (const auto& [sequence, mark] : inc.nudges) {
            scoped s(st_.insert_nudge);
            s->bind(1, number);
            s->bind(2, sequence);
            s->bind(3, mark.sent);
            bind_ms(*s, 4, mark.first);
            bind_ms(*s, 5, mark.last);
            s->exec();
        }
    }

    if (!before || before->members != inc.members) {
        {
            scoped d(st_.delete_members);
            d->bind(1, number);
            d->exec();
        }
        for (const auto& member : inc.members) {
            scoped s(st_.insert_member);
            s->bind(1, number);
            s->bind(2, member.id);
            s->exec();
        }
    }

    if (!before || before->snoozed_until != inc.snoozed_until) {
        {
            scoped d(st_.delete_snoozes);
            d->bind(1, number);
            d->exec();
        }
        for (const auto& [nudge, until] : inc.snoozed_until) {
            scoped s(st_.insert_snooze);
            s->bind(1, number);
            s->bind(2, nudge);
            bind_ms(*s, 3, until);
            s->exec();
        }
    }
}

// An amendment addresses rows by (room, platform message id); when no row has that
// id (a message from before the incident, or one we never saw) it changes nothing.
void sqlite_store::impl::apply(const timeline_amendment& a, std::int64_t changed_at) {
    // Without an id there is no message to address.
    if (a.msg.empty()) return;
    // Only message rows of the named incident, as the engine's fold() matches them:
    // system entries never carry a platform message to edit.
    const auto where = [&](SQLite::Statement& s) {
        s.bind(1, a.room.platform);
        s.bind(2, a.room.id);
        s.bind(3, a.msg.id);
        s.bind(6, a.incident.n);
    };
    using what = timeline_amendment::what;
    if (a.op == what::edit) {
        // History first, while the row still holds the text being replaced.
        scoped h(st_.copy_to_history);
        where(*h);
        h->bind(4, changed_at);
        h->bind(5, a.actor.id);
        h->bind(7, a.new_text);
        h->exec();
    } else if (a.op == what::remove) {
        // A deletion removes the words, earlier versions included (a pasted secret must
        // go); the row itself keeps the fact that something was said and deleted.
        scoped h(st_.forget_history);
        where(*h);
        h->exec();
    }
    switch (a.op) {
    case what::edit: {
        scoped s(st_.apply_edit);
        where(*s);
        s->bind(4, a.new_text);
        s->bind(5, a.new_tag);
        s->exec();
        break;
    }
    case what::remove: {
        scoped s(st_.apply_remove);
        where(*s);
        s->exec();
        break;
    }
    case what::highlight:
    case what::unhighlight: {
        scoped s(st_.apply_highlight);
        where(*s);
        bind_flag(*s, 4, a.op == what::highlight);
        s->exec();
        break;
    }
    }
}

timeline_entry sqlite_store::impl::read_entry(const SQLite::Statement& s) {
    timeline_entry e;
    e.seq = s.getColumn(0).getInt64();
    e.incident = incident_id{s.getColumn(1).getInt64()};
    e.at = col_ms(s, 2);
    e.kind = value_of(entry_kind_names, col_text(s, 3), "timeline entry kind");
    e.tag = col_text(s, 4);
    e.author = user_ref{col_text(s, 5)};
    e.text = col_text(s, 6);
    e.room = room_ref{col_text(s, 7), col_text(s, 8)};
    e.msg = message_id{col_text(s, 9)};
    e.thread_parent = message_id{col_text(s, 10)};
    e.highlight = col_flag(s, 11);
    e.edited = col_flag(s, 12);
    e.deleted = col_flag(s, 13);
    return e;
}

std::vector<timeline_entry> sqlite_store::impl::read_timeline(incident_id inc, std::size_t limit) {
    std::vector<timeline_entry> out;
    scoped s(limit == 0 ? st_.timeline_all : st_.timeline_tail);
    s->bind(1, inc.n);
    if (limit != 0) bind_count(*s, 2, limit);
    while (s->executeStep()) out.push_back(read_entry(*s));
    return out;
}

restored_state sqlite_store::load(std::size_t tail) {
    return guarded(impl_->path_, "loading the state", [&] {
        auto& db = impl_->db_;
        restored_state out;
        engine_state& state = out.state;
        // One read transaction: every table seen at the same instant.
        SQLite::Transaction tx(db);

        const auto owner = [&](std::int64_t n, const char* table) -> incident& {
            const auto it = state.incidents.find(n);
            if (it == state.incidents.end()) {
                throw store_error(fmt::format("corrupt database {}: {} row for unknown incident {}",
                                              impl_->path_, table, n));
            }
            return it->second;
        };

        {
            SQLite::Statement q(db,
                                "SELECT number, title, severity, status, is_private, declared_by, "
                                "declared_in_platform, declared_in_room, impact_started_at, "
                                "detected_at, declared_at, commander_assigned_at, identified_at, "
                                "mitigated_at, resolved_at, closed_at, next_update_due, "
                                "message_count FROM incidents ORDER BY number");
            while (q.executeStep()) {
                incident inc;
                inc.id = incident_id{q.getColumn(0).getInt64()};
                inc.title = col_text(q, 1);
                inc.sev = severity_of(q.getColumn(2).getInt64());
                inc.state = value_of(status_names, col_text(q, 3), "status");
                inc.is_private = col_flag(q, 4);
                inc.declared_by = user_ref{col_text(q, 5)};
                inc.declared_in = room_ref{col_text(q, 6), col_text(q, 7)};
                inc.times.impact_started = col_opt_ms(q, 8);
                inc.times.detected = col_opt_ms(q, 9);
                inc.times.declared = col_ms(q, 10);
                inc.times.commander_assigned = col_opt_ms(q, 11);
                inc.times.identified = col_opt_ms(q, 12);
                inc.times.mitigated = col_opt_ms(q, 13);
                inc.times.resolved = col_opt_ms(q, 14);
                inc.times.closed = col_opt_ms(q, 15);
                inc.next_update_due = col_opt_ms(q, 16);
                inc.message_count = q.getColumn(17).getInt64();
                state.incidents.emplace(inc.id.n, std::move(inc));
            }
        }
        {
            // NULL ords (rooms only bound) sort first; they go to the index alone.
            SQLite::Statement q(db,
                                "SELECT incident, platform, room_id, ord FROM incident_rooms "
                                "ORDER BY incident, ord");
            while (q.executeStep()) {
                const std::int64_t n = q.getColumn(0).getInt64();
                room_ref room{col_text(q, 1), col_text(q, 2)};
                incident& inc = owner(n, "incident_rooms");
                if (!q.getColumn(3).isNull()) inc.rooms.push_back(room);
                state.room_index[std::move(room)] = incident_id{n};
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, role, user_id, area, start_at, end_at, "
                                "assigned_by, ended_by FROM shifts ORDER BY incident, ord");
            while (q.executeStep()) {
                shift v;
                v.held = value_of(role_names, col_text(q, 1), "role");
                v.user = user_ref{col_text(q, 2)};
                v.area = col_text(q, 3);
                v.start = col_ms(q, 4);
                v.end = col_opt_ms(q, 5);
                v.assigned_by = user_ref{col_text(q, 6)};
                v.ended_by = user_ref{col_text(q, 7)};
                owner(q.getColumn(0).getInt64(), "shifts").shifts.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, n, text, opened_by, opened_at, outcome, "
                                "closed_at, closed_by, evidence, source_msg, closed_source_msg, "
                                "withdrawn, source_deleted FROM hypotheses ORDER BY incident, ord");
            while (q.executeStep()) {
                hypothesis v;
                v.n = q.getColumn(1).getInt();
                v.text = col_text(q, 2);
                v.opened_by = user_ref{col_text(q, 3)};
                v.opened_at = col_ms(q, 4);
                v.result = value_of(outcome_names, col_text(q, 5), "outcome");
                v.closed_at = col_opt_ms(q, 6);
                v.closed_by = user_ref{col_text(q, 7)};
                v.evidence = col_text(q, 8);
                v.source = message_id{col_text(q, 9)};
                v.closed_source = message_id{col_text(q, 10)};
                v.withdrawn = col_flag(q, 11);
                v.source_deleted = col_flag(q, 12);
                owner(q.getColumn(0).getInt64(), "hypotheses").hypotheses.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, kind, text, author, at, source_msg FROM notes "
                                "ORDER BY incident, ord");
            while (q.executeStep()) {
                note v;
                v.kind = value_of(note_kind_names, col_text(q, 1), "note kind");
                v.text = col_text(q, 2);
                v.author = user_ref{col_text(q, 3)};
                v.at = col_ms(q, 4);
                v.source = message_id{col_text(q, 5)};
                owner(q.getColumn(0).getInt64(), "notes").notes.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, n, text, owner, due, created_by, at, source_msg, "
                                "withdrawn FROM actions "
                                "ORDER BY incident, ord");
            while (q.executeStep()) {
                action_item v;
                v.n = q.getColumn(1).getInt();
                v.text = col_text(q, 2);
                v.owner = user_ref{col_text(q, 3)};
                v.due = col_text(q, 4);
                v.created_by = user_ref{col_text(q, 5)};
                v.at = col_ms(q, 6);
                v.source = message_id{col_text(q, 7)};
                v.withdrawn = col_flag(q, 8);
                owner(q.getColumn(0).getInt64(), "actions").actions.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, at, author, impact, actions, needs, next_at "
                                "FROM status_updates ORDER BY incident, ord");
            while (q.executeStep()) {
                status_update v;
                v.at = col_ms(q, 1);
                v.author = user_ref{col_text(q, 2)};
                v.impact = col_text(q, 3);
                v.actions = col_text(q, 4);
                v.needs = col_text(q, 5);
                v.next_at = col_ms(q, 6);
                owner(q.getColumn(0).getInt64(), "status_updates").updates.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db,
                                "SELECT incident, at, severity, status, actor, reason FROM phases "
                                "ORDER BY incident, ord");
            while (q.executeStep()) {
                phase v;
                v.at = col_ms(q, 1);
                v.sev = severity_of(q.getColumn(2).getInt64());
                v.state = value_of(status_names, col_text(q, 3), "status");
                v.by = user_ref{col_text(q, 4)};
                v.reason = col_text(q, 5);
                owner(q.getColumn(0).getInt64(), "phases").history.push_back(std::move(v));
            }
        }
        {
            SQLite::Statement q(db, "SELECT incident, sequence, sent, first_at, last_at FROM nudge_progress");
            while (q.executeStep()) {
                auto& m = owner(q.getColumn(0).getInt64(), "nudge_progress").nudges[col_text(q, 1)];
                m.sent = q.getColumn(2).getInt();
                m.first = col_ms(q, 3);
                m.last = col_ms(q, 4);
            }
        }
        {
            SQLite::Statement q(db, "SELECT incident, user_id FROM incident_members ORDER BY incident");
            while (q.executeStep())
                owner(q.getColumn(0).getInt64(), "incident_members").members.insert(user_ref{col_text(q, 1)});
        }
        {
            SQLite::Statement q(db, "SELECT incident, nudge, until_at FROM snoozes");
            while (q.executeStep()) {
                owner(q.getColumn(0).getInt64(), "snoozes").snoozed_until[col_text(q, 1)] =
                    col_ms(q, 2);
            }
        }
        {
            // The counter is authoritative, but never hand out a number already used,
            // even if the counter row was lost or edited by hand.
            std::int64_t next = 1;
            SQLite::Statement c(db, "SELECT value FROM counters WHERE name = ?1");
            c.bind(1, next_number_counter);
            if (c.executeStep()) next = std::max(next, c.getColumn(0).getInt64());
            if (!state.incidents.empty()) next = std::max(next, state.incidents.rbegin()->first + 1);
            state.next_number = next;
        }
        impl_->read_cards(state);
        if (tail > 0) {
            for (const auto& [n, inc] : state.incidents) {
                auto entries = impl_->read_timeline(inc.id, tail);
                if (entries.empty()) continue;
                state.recent[n] = std::deque<timeline_entry>(std::make_move_iterator(entries.begin()),
                                                             std::make_move_iterator(entries.end()));
            }
        }
        {
            SQLite::Statement c(db, "SELECT count(*) FROM timeline");
            c.executeStep();
            out.timeline_rows = c.getColumn(0).getInt64();
        }
        tx.commit();
        impl_->written_ = state.incidents;
        return out;
    });
}

std::vector<timeline_entry> sqlite_store::timeline(incident_id inc, std::size_t limit) {
    return guarded(impl_->path_, "reading the timeline",
                   [&] { return impl_->read_timeline(inc, limit); });
}

std::vector<std::pair<instant, std::string>> sqlite_store::edit_history(std::int64_t seq) {
    return guarded(impl_->path_, "reading edit history", [&] {
        std::vector<std::pair<instant, std::string>> out;
        SQLite::Statement q(impl_->db_,
                            "SELECT at, previous_text FROM timeline_edits WHERE seq = ?1 "
                            "ORDER BY id");
        q.bind(1, seq);
        while (q.executeStep()) out.emplace_back(col_ms(q, 0), col_text(q, 1));
        return out;
    });
}

}  // namespace firebreak
