// The alert cards and their alerts as rows: a card row per card, an alert row per alert of
// a card (by source and fingerprint), labels as a list of length-prefixed names and values.
#include "storage/sql_helpers.hpp"
#include "storage/sqlite_store_impl.hpp"
#include "storage/stored_names.hpp"

#include <algorithm>
#include <charconv>

namespace firebreak {

using namespace detail;

namespace {

// "5:alert3:api" per name and value: any byte may be in either.
std::string encode_labels(const std::vector<std::pair<std::string, std::string>>& labels) {
    std::string out;
    for (const auto& [k, v] : labels)
        for (const std::string* part : {&k, &v}) out += std::to_string(part->size()) + ":" + *part;
    return out;
}

std::vector<std::pair<std::string, std::string>> decode_labels(const std::string& text, const std::string& path) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t at = 0;
    const auto part = [&]() {
        std::size_t len = 0;
        const char* end = text.data() + text.size();
        auto [p, ec] = std::from_chars(text.data() + at, end, len);
        if (ec != std::errc{} || p == end || *p != ':' || std::size_t(end - p - 1) < len)
            throw store_error(fmt::format("corrupt database {}: unreadable alert labels", path));
        const std::size_t from = std::size_t(p - text.data()) + 1;
        at = from + len;
        return text.substr(from, len);
    };
    while (at < text.size()) {
        auto k = part();
        auto v = part();
        out.emplace_back(std::move(k), std::move(v));
    }
    return out;
}

}  // namespace

void sqlite_store::impl::write_cards(const change& c) {
    for (const alert_card& card : c.cards) {
        scoped s(st_.upsert_card);
        s->bind(1, card.number);
        s->bind(2, card.room.platform);
        s->bind(3, card.room.id);
        s->bind(4, card.group);
        s->bind(5, card.title);
        s->bind(6, std::int64_t(card.sev));
        s->bind(7, card.rule);
        bind_ms(*s, 8, card.opened);
        bind_ms(*s, 9, card.last);
        s->bind(10, card.incident.n);
        bind_flag(*s, 11, card.dismissed);
        s->bind(12, card.decided_by.id);
        bind_flag(*s, 13, card.resolved_told);
        s->exec();
    }
    for (const card_alert& a : c.card_alerts) {
        scoped s(st_.upsert_card_alert);
        s->bind(1, a.card);
        s->bind(2, a.key);
        s->bind(3, a.source);
        s->bind(4, a.fingerprint);
        s->bind(5, a.title);
        s->bind(6, a.severity);
        s->bind(7, a.summary);
        s->bind(8, a.link);
        s->bind(9, encode_labels(a.labels));
        bind_flag(*s, 10, a.firing);
        bind_ms(*s, 11, a.started);
        bind_ms(*s, 12, a.resolved);
        bind_ms(*s, 13, a.received);
        s->bind(14, std::int64_t(a.notifications));
        s->exec();
    }
}

std::map<std::int64_t, alert_card> sqlite_store::impl::card_rows(std::optional<incident_id> of) {
    std::map<std::int64_t, alert_card> cards;
    const std::string only = of ? " WHERE incident = ?1" : "";
    {
        SQLite::Statement q(db_,
                            "SELECT number, room_platform, room_id, group_key, title, severity, rule, opened_at, "
                            "last_at, incident, dismissed, decided_by, resolved_told FROM alert_cards" + only +
                                " ORDER BY number");
        if (of) q.bind(1, of->n);
        while (q.executeStep()) {
            alert_card card;
            card.number = q.getColumn(0).getInt64();
            card.room = room_ref{col_text(q, 1), col_text(q, 2)};
            card.group = col_text(q, 3);
            card.title = col_text(q, 4);
            card.sev = severity_of(q.getColumn(5).getInt64());
            card.rule = col_text(q, 6);
            card.opened = col_ms(q, 7);
            card.last = col_ms(q, 8);
            card.incident = incident_id{q.getColumn(9).getInt64()};
            card.dismissed = col_flag(q, 10);
            card.decided_by = user_ref{col_text(q, 11)};
            card.resolved_told = col_flag(q, 12);
            cards.emplace(card.number, std::move(card));
        }
    }
    // rowid order: the order each card's alerts arrived in.
    SQLite::Statement q(db_,
                        "SELECT card, alert_key, source, fingerprint, title, severity, summary, link, labels, "
                        "firing, started_at, resolved_at, received_at, notifications FROM card_alerts" +
                            std::string(of ? " WHERE card IN (SELECT number FROM alert_cards WHERE incident = ?1)" : "") +
                            " ORDER BY card, rowid");
    if (of) q.bind(1, of->n);
    while (q.executeStep()) {
        card_alert a;
        a.card = q.getColumn(0).getInt64();
        auto it = cards.find(a.card);
        if (it == cards.end()) throw store_error(fmt::format("corrupt database {}: an alert of unknown card A{}", path_, a.card));
        a.key = col_text(q, 1);
        a.source = col_text(q, 2);
        a.fingerprint = col_text(q, 3);
        a.title = col_text(q, 4);
        a.severity = col_text(q, 5);
        a.summary = col_text(q, 6);
        a.link = col_text(q, 7);
        a.labels = decode_labels(col_text(q, 8), path_);
        a.firing = col_flag(q, 9);
        a.started = col_ms(q, 10);
        a.resolved = col_opt_ms(q, 11);
        a.received = col_ms(q, 12);
        a.notifications = int(q.getColumn(13).getInt64());
        it->second.alerts.push_back(std::move(a));
    }
    return cards;
}

void sqlite_store::impl::read_cards(engine_state& state) {
    state.cards = card_rows(std::nullopt);
    for (const auto& [number, card] : state.cards) {
        auto& latest = state.card_by_group[card.group];
        latest = std::max(latest, number);
        for (const auto& a : card.alerts) {
            auto& holder = state.card_by_alert[a.key];
            holder = std::max(holder, number);
        }
    }
    std::int64_t next = state.cards.empty() ? 1 : state.cards.rbegin()->first + 1;
    SQLite::Statement c(db_, "SELECT value FROM counters WHERE name = ?1");
    c.bind(1, next_card_counter);
    if (c.executeStep()) next = std::max(next, c.getColumn(0).getInt64());
    state.next_card = next;
}

std::vector<alert_card> sqlite_store::cards_of(incident_id inc) {
    return guarded(impl_->path_, "reading the alert cards of an incident", [&] {
        std::vector<alert_card> out;
        for (auto& [number, card] : impl_->card_rows(inc)) out.push_back(std::move(card));
        return out;
    });
}

}  // namespace firebreak
