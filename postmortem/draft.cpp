#include "postmortem/draft.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace firebreak {

namespace {

// Where the derived spans start, as metrics_of() counts them.
std::pair<instant, std::string_view> span_basis(const incident& inc) {
    if (inc.times.impact_started) return {*inc.times.impact_started, "impact start"};
    if (inc.times.detected) return {*inc.times.detected, "detection"};
    return {inc.times.declared, "declaration"};
}

}  // namespace

std::optional<std::string> display_name_of(const draft_source& src, const user_ref& user) {
    auto it = src.names.find(user.id);
    if (it == src.names.end() || it->second.empty() || it->second == user.id) return std::nullopt;
    return it->second;
}

std::string person(const draft_source& src, const user_ref& user) {
    if (auto name = display_name_of(src, user)) return fmt::format("{} (@{})", *name, user.id);
    return "@" + user.id;
}

std::string with_names(const draft_source& src, std::string_view text) {
    if (src.names.empty() || text.find('@') == std::string_view::npos) return std::string(text);
    auto id_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '=' || c == '/';
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] != '@' || (i > 0 && id_char(text[i - 1]))) {
            out += text[i++];
            continue;
        }
        // The longest known id that ends where the token does (a Matrix id may hold ':' and
        // '.', so those end a token only when no letter follows).
        const std::string* best = nullptr;
        for (const auto& [id, name] : src.names) {
            if (id.empty() || text.compare(i + 1, id.size(), id) != 0) continue;
            std::size_t end = i + 1 + id.size();
            bool whole = end == text.size() || !id_char(text[end]);
            if (whole && end < text.size() && (text[end] == ':' || text[end] == '.') && end + 1 < text.size() &&
                id_char(text[end + 1]))
                whole = false;
            if (whole && (!best || id.size() > best->size())) best = &id;
        }
        if (!best) {
            out += text[i++];
            continue;
        }
        out += person(src, user_ref{*best});
        i += 1 + best->size();
    }
    return out;
}

draft_facts facts_of(const draft_source& src) {
    const incident& inc = src.inc;
    draft_facts f;

    // Participants: everyone who wrote a message, and everyone who held a role even if
    // they never typed, so the table accounts for all the people involved.
    std::map<std::string, participant> people;
    for (const auto& e : src.entries) {
        if (e.kind != entry_kind::message || e.author.empty()) continue;
        auto& p = people[e.author.id];
        p.user = e.author;
        ++p.messages;
    }
    for (const auto& s : inc.shifts) {
        auto& p = people[s.user.id];
        p.user = s.user;
        if (std::find(p.roles.begin(), p.roles.end(), s.held) == p.roles.end()) p.roles.push_back(s.held);
    }
    for (auto& [id, p] : people) f.participants.push_back(std::move(p));
    std::stable_sort(f.participants.begin(), f.participants.end(),
                     [](const participant& a, const participant& b) { return a.messages > b.messages; });

    for (const auto& n : inc.notes)
        if (n.kind == note_kind::deadend) f.dead_ends.push_back({n.at, n.author, n.text, 0, {}});
    for (const auto* hp : inc.live_hypotheses()) {
        const auto& h = *hp;
        if (h.result == outcome::confirmed) f.confirmed.push_back(&h);
        if (h.result == outcome::ruled_out)
            f.dead_ends.push_back({h.closed_at.value_or(h.opened_at), h.closed_by.empty() ? h.opened_by : h.closed_by,
                                   shown_text(h), h.n, h.evidence});
    }
    std::stable_sort(f.dead_ends.begin(), f.dead_ends.end(),
                     [](const dead_end& a, const dead_end& b) { return a.at < b.at; });

    f.worst = inc.sev;
    for (const auto& p : inc.history) f.worst = std::min(f.worst, p.sev);  // SEV1 is the smallest value

    // The recorded span: every instant the incident knows of, so a chart of it shows
    // everything and the "as of" time is the last thing recorded, never the wall clock.
    instant lo = inc.times.declared, hi = inc.times.declared;
    auto see = [&](instant t) {
        lo = std::min(lo, t);
        hi = std::max(hi, t);
    };
    auto see_opt = [&](const std::optional<instant>& t) {
        if (t) see(*t);
    };
    const auto& m = inc.times;
    for (const auto* t : {&m.impact_started, &m.detected, &m.commander_assigned, &m.identified, &m.mitigated,
                          &m.resolved, &m.closed})
        see_opt(*t);
    for (const auto& p : inc.history) see(p.at);
    for (const auto& s : inc.shifts) {
        see(s.start);
        see_opt(s.end);
    }
    for (const auto& u : inc.updates) see(u.at);
    for (const auto* h : inc.live_hypotheses()) {
        see(h->opened_at);
        see_opt(h->closed_at);
    }
    for (const auto& n : inc.notes) see(n.at);
    for (const auto* a : inc.live_actions()) see(a->at);
    if (!src.entries.empty()) {
        // Entries are in commit order, which is time order; look at both ends only.
        see(src.entries.front().at);
        see(src.entries.back().at);
    }
    f.start = lo;
    f.end = hi;
    return f;
}

std::vector<const note*> notes_of(const incident& inc, note_kind kind) {
    std::vector<const note*> out;
    for (const auto& n : inc.notes)
        if (n.kind == kind) out.push_back(&n);
    return out;
}

std::string duration_phrase(const incident& inc, const draft_facts& f) {
    auto m = metrics_of(inc);
    auto [from, basis] = span_basis(inc);
    if (m.total) return fmt::format("{} from {} to close", format_span_exact(*m.total), basis);
    if (m.to_resolve) return fmt::format("{} from {} to resolution (not closed yet)", format_span_exact(*m.to_resolve), basis);
    return fmt::format("open for {} since {}, as of {}", format_span_exact(f.end - from), basis, format_utc(f.end));
}

rich_text postmortem_summary(const draft_source& src) {
    const incident& inc = src.inc;
    auto f = facts_of(src);
    rich_text t;
    t.bold(fmt::format("{} — {}", inc.id.str(), inc.title)).text(": postmortem draft").line();
    std::string sev = to_string(inc.sev);
    if (f.worst != inc.sev) sev += fmt::format(" (peak {})", to_string(f.worst));
    t.text(fmt::format("{} · {} · {}", sev, to_title(inc.state), duration_phrase(inc, f)));
    for (const auto* h : f.confirmed) {
        t.line().text(fmt::format("Root cause (H{}, confirmed): {}", h->n, shown_text(*h)));
        if (!h->evidence.empty()) t.text(fmt::format(" — {}", h->evidence));
    }
    if (f.confirmed.empty()) t.line().text("No hypothesis was confirmed; the root cause is still open.");
    return t;
}

std::string postmortem_filename(incident_id id, std::string_view format) {
    return fmt::format("{}-postmortem.{}", id.str(), format);
}

}  // namespace firebreak
