#include "postmortem/document.hpp"

#include <fmt/format.h>

namespace firebreak {

namespace {

run plain(std::string s) { return {run::style::plain, std::move(s)}; }
run strong(std::string s) { return {run::style::strong, std::move(s)}; }
run em(std::string s) { return {run::style::em, std::move(s)}; }

fragment one(std::string s) { return fragment{plain(std::move(s))}; }

std::string utc_or_dash(const std::optional<instant>& t) { return t ? format_utc(*t) : "—"; }
std::string span_or_dash(const std::optional<duration>& d) { return d ? format_span_exact(*d) : "—"; }

// Rows from before commands were tagged are known by the default prefix.
constexpr std::string_view default_command_prefix = "!incident";

// "1 decision", "3 decisions".
std::string counted(std::size_t n, std::string_view one_name, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one_name : many);
}
std::string or_dash(std::string_view s) { return s.empty() ? "—" : std::string(s); }

block paragraph(fragment f) {
    block b;
    b.what = block::kind::paragraph;
    b.text = std::move(f);
    return b;
}

block heading(std::string s) {
    block b;
    b.what = block::kind::heading;
    b.text = one(std::move(s));
    return b;
}

block list(std::vector<fragment> items, bool numbered = false) {
    block b;
    b.what = numbered ? block::kind::numbered : block::kind::bullets;
    b.items = std::move(items);
    return b;
}

block table(std::vector<std::string> headers) {
    block b;
    b.what = block::kind::table;
    b.headers = std::move(headers);
    return b;
}

const std::string placeholder = "to be written";

// A row mark naming a hypothesis outcome, usable as a CSS class.
std::string outcome_mark(outcome o) {
    switch (o) {
        case outcome::confirmed: return "confirmed";
        case outcome::ruled_out: return "ruled-out";
        case outcome::open: break;
    }
    return "open";
}

class builder {
public:
    builder(const draft_source& src, const draft_facts& f) : src_(src), inc_(src.inc), f_(f) {}

    draft_document build() {
        doc_.title = fmt::format("{}: {} — postmortem draft", inc_.id.str(), inc_.title);
        block note;
        note.what = block::kind::quote;
        note.text = one(std::string(blameless_note));
        doc_.preamble.push_back(std::move(note));
        doc_.preamble.push_back(paragraph(one(fmt::format("Facts as recorded up to {}.", format_utc(f_.end)))));
        summary();
        impact();
        key_times();
        roles();
        notes_section("What changed", note_kind::change, "No changes recorded.");
        hypotheses();
        notes_section("Decisions", note_kind::decision, "No decisions recorded.");
        dead_ends();
        updates();
        timeline();
        actions();
        contributing_factors();
        reflections();
        return std::move(doc_);
    }

private:
    // "@maya", or "Maya (@U0MAYA)" when a display name is known; "—" for nobody.
    std::string who(const user_ref& u) const { return u.empty() ? "—" : person(src_, u); }

    // "2026-11-03 14:45:30Z · @maya: text" as one list item.
    fragment dated(instant at, const user_ref& author, std::string_view text) const {
        return {plain(fmt::format("{} · {}: ", format_utc(at), who(author))), plain(std::string(text))};
    }

    std::vector<block>& section(std::string_view title) {
        doc_.sections.push_back({std::string(title), {}});
        return doc_.sections.back().blocks;
    }

    void summary() {
        auto& b = section("Summary");
        std::string sev = to_string(inc_.sev);
        if (f_.worst != inc_.sev) sev += fmt::format(" (peak {})", to_string(f_.worst));
        b.push_back(paragraph({strong(fmt::format("{} · {} · {}", inc_.id.str(), sev, to_title(inc_.state))),
                               plain(" — " + inc_.title)}));
        std::vector<fragment> items;
        items.push_back(one(fmt::format("Declared {} by {}; {}.", format_utc(inc_.times.declared), who(inc_.declared_by),
                                        duration_phrase(inc_, f_))));
        std::string commanders;
        for (const auto& s : inc_.shifts)
            if (s.held == role::commander) commanders += (commanders.empty() ? "" : ", then ") + who(s.user);
        items.push_back(one(fmt::format("Commander: {}.", commanders.empty() ? "none assigned" : commanders)));
        for (const auto* h : f_.confirmed) {
            fragment it{plain(fmt::format("Root cause (H{}, confirmed {}): ", h->n, utc_or_dash(h->closed_at))),
                        plain(shown_text(*h))};
            if (!h->evidence.empty()) it.insert(it.end(), {plain(" — evidence: "), plain(h->evidence)});
            items.push_back(std::move(it));
        }
        if (f_.confirmed.empty()) items.push_back(one("No hypothesis was confirmed; the root cause is still open."));
        for (const auto* n : notes_of(inc_, note_kind::mitigation))
            items.push_back({plain(fmt::format("Mitigation ({}, {}): ", format_utc(n->at), who(n->author))),
                             plain(n->text)});
        std::int64_t messages = 0, speakers = 0;
        for (const auto& p : f_.participants) {
            messages += p.messages;
            speakers += p.messages > 0;
        }
        items.push_back(one(fmt::format(
            "The record: {} from {}, {}, {}, {}, {}, {}.", counted(std::size_t(messages), "message", "messages"),
            counted(std::size_t(speakers), "person", "people"),
            counted(src_.entries.size(), "timeline entry", "timeline entries"),
            counted(notes_of(inc_, note_kind::decision).size(), "decision", "decisions"),
            counted(f_.dead_ends.size(), "dead end", "dead ends"),
            counted(inc_.updates.size(), "status update", "status updates"),
            counted(inc_.live_actions().size(), "action item", "action items"))));
        b.push_back(list(std::move(items)));
    }

    void impact() {
        auto& b = section("Impact");
        auto notes = notes_of(inc_, note_kind::impact);
        const auto& t = inc_.times;
        bool reopened = false;
        for (std::size_t i = 1; i < inc_.history.size(); ++i)
            if (inc_.history[i].state == status::investigating && inc_.history[i - 1].state >= status::resolved) reopened = true;
        if (!t.impact_started && notes.empty() && inc_.updates.empty() && !reopened && src_.cards.empty()) {
            b.push_back(paragraph(one("No impact recorded.")));
            return;
        }
        if (t.impact_started) {
            std::string line = fmt::format("Impact started {}", format_utc(*t.impact_started));
            if (t.mitigated)
                line += fmt::format(" and lasted {} until mitigation at {}.", format_span_exact(*t.mitigated - *t.impact_started),
                                    format_utc(*t.mitigated));
            else if (t.resolved)
                line += fmt::format(" and lasted {} until resolution at {}.", format_span_exact(*t.resolved - *t.impact_started),
                                    format_utc(*t.resolved));
            else
                line += fmt::format("; it was not mitigated as of {}.", format_utc(f_.end));
            b.push_back(paragraph(one(std::move(line))));
        } else {
            b.push_back(paragraph(one("The time impact started was not recorded.")));
        }
        // A reopen means the harm came back: each one, and whether it was mitigated again.
        for (std::size_t i = 1; i < inc_.history.size(); ++i) {
            const auto& p = inc_.history[i];
            const auto before = inc_.history[i - 1].state;
            if (p.state != status::investigating || (before != status::resolved && before != status::closed)) continue;
            std::string line = fmt::format("Impact came back: reopened {} by {}", format_utc(p.at), who(p.by));
            if (!p.reason.empty()) line += " (" + p.reason + ")";
            std::optional<instant> again;
            for (std::size_t j = i + 1; j < inc_.history.size() && !again; ++j) {
                if (inc_.history[j].state == status::investigating) break;
                if (inc_.history[j].state >= status::mitigated) again = inc_.history[j].at;
            }
            if (again) line += fmt::format("; mitigated again {}, {} later.", format_utc(*again), format_span_exact(*again - p.at));
            else line += fmt::format("; not mitigated again as of {}.", format_utc(f_.end));
            b.push_back(paragraph(one(std::move(line))));
        }
        if (!src_.cards.empty()) alerts(b);
        if (!notes.empty()) {
            b.push_back(paragraph(one("Impact noted during the incident:")));
            std::vector<fragment> items;
            for (const auto* n : notes) items.push_back(dated(n->at, n->author, n->text));
            b.push_back(list(std::move(items)));
        }
        if (!inc_.updates.empty()) {
            const auto& u = inc_.updates.back();
            b.push_back(paragraph({plain(fmt::format("Impact as last reported to stakeholders ({}, {}): ",
                                                     format_utc(u.at), who(u.author))),
                                   plain(or_dash(u.impact))}));
        }
    }

    // The alerts behind the incident: each card's alerts in arrival order, when each first
    // fired and resolved, and its labels.
    void alerts(std::vector<block>& b) {
        std::size_t n = 0;
        for (const auto& c : src_.cards) n += c.alerts.size();
        b.push_back(heading("Alerts"));
        b.push_back(paragraph(one(fmt::format("{} from {}:", counted(n, "alert", "alerts"),
                                              counted(src_.cards.size(), "alert card", "alert cards")))));
        auto t = table({"Card", "Alert", "Source", "First fired (UTC)", "Resolved (UTC)", "Labels"});
        for (const auto& c : src_.cards)
            for (const auto& a : c.alerts) {
                std::string labels;
                for (const auto& [k, v] : a.labels) labels += (labels.empty() ? "" : ", ") + k + "=" + v;
                t.rows.push_back({{one(c.str()), one(a.title), one(a.source), one(format_utc(a.started)),
                                   one(a.firing ? std::string("still firing") : utc_or_dash(a.resolved)), one(or_dash(labels))},
                                  {}});
            }
        b.push_back(std::move(t));
    }

    void key_times() {
        auto& b = section("Key times and metrics");
        block chart;
        chart.what = block::kind::chart;
        b.push_back(std::move(chart));

        const auto& t = inc_.times;
        auto milestones = table({"Milestone", "Time (UTC)"});
        auto row = [&milestones](std::string name, std::string value) {
            milestones.rows.push_back({{one(std::move(name)), one(std::move(value))}, {}});
        };
        row("Impact started", utc_or_dash(t.impact_started));
        row("Detected", utc_or_dash(t.detected));
        row("Declared", format_utc(t.declared));
        row("Commander assigned", utc_or_dash(t.commander_assigned));
        row("Identified", utc_or_dash(t.identified));
        row("Mitigated", utc_or_dash(t.mitigated));
        row("Resolved", utc_or_dash(t.resolved));
        row("Closed", utc_or_dash(t.closed));
        b.push_back(std::move(milestones));

        auto m = metrics_of(inc_);
        auto metrics = table({"Metric", "Value"});
        auto metric = [&metrics](std::string name, const std::optional<duration>& d) {
            metrics.rows.push_back({{one(std::move(name)), one(span_or_dash(d))}, {}});
        };
        // Both clocks, labelled: from when the harm began (what users felt) and from the
        // declaration (what the response did once it started).
        std::string basis = t.impact_started ? "impact start" : t.detected ? "detection" : "declaration";
        const bool two_clocks = basis != "declaration";
        metric("Time to declare (from " + basis + ")", m.to_declare);
        metric("Time to assign a commander (from declaration)", m.to_assign);
        metric("Time to mitigate (from " + basis + ")", m.to_mitigate);
        if (two_clocks) metric("Time to mitigate (from declaration)", m.declared_to_mitigate);
        metric("Time to resolve (from " + basis + ")", m.to_resolve);
        if (two_clocks) metric("Time to resolve (from declaration)", m.declared_to_resolve);
        metric("Total duration (from " + basis + " to close)", m.total);
        if (two_clocks) metric("Total duration (from declaration to close)", m.declared_to_close);
        b.push_back(std::move(metrics));
        b.push_back(paragraph(one(two_clocks
                                      ? fmt::format("Each span is given from {} and from declaration, as labelled.", basis)
                                      : std::string("Neither impact start nor detection was recorded: spans are "
                                                    "measured from declaration."))));

        b.push_back(paragraph(one("Severity and status over time:")));
        if (inc_.history.empty()) {
            b.push_back(paragraph(one("No severity or status changes recorded.")));
            return;
        }
        auto phases = table({"From (UTC)", "Severity", "Status", "By", "Reason"});
        for (const auto& p : inc_.history)
            phases.rows.push_back({{one(format_utc(p.at)), one(to_string(p.sev)), one(to_title(p.state)), one(who(p.by)),
                                    one(or_dash(p.reason))},
                                   {}});
        b.push_back(std::move(phases));
    }

    void roles() {
        auto& b = section("Roles and participants");
        if (inc_.shifts.empty()) {
            b.push_back(paragraph(one("No role shifts recorded.")));
        } else {
            auto shifts = table({"Role", "Person", "Area", "Start (UTC)", "End (UTC)", "Duration"});
            for (const auto& s : inc_.shifts)
                shifts.rows.push_back({{one(to_string(s.held)), one(who(s.user)), one(or_dash(s.area)),
                                        one(format_utc(s.start)), one(s.end ? format_utc(*s.end) : "on shift"),
                                        one(s.end ? format_span_exact(*s.end - s.start) : "—")},
                                       {}});
            b.push_back(std::move(shifts));
        }
        if (f_.participants.empty()) {
            b.push_back(paragraph(one("No messages recorded.")));
            return;
        }
        auto people = table({"Person", "Messages", "Roles"});
        for (const auto& p : f_.participants) {
            std::string held;
            for (auto r : p.roles) held += (held.empty() ? "" : ", ") + to_string(r);
            people.rows.push_back({{one(who(p.user)), one(std::to_string(p.messages)), one(or_dash(held))}, {}});
        }
        b.push_back(std::move(people));
    }

    void notes_section(std::string_view title, note_kind kind, std::string none) {
        auto& b = section(title);
        auto notes = notes_of(inc_, kind);
        if (notes.empty()) {
            b.push_back(paragraph(one(std::move(none))));
            return;
        }
        std::vector<fragment> items;
        for (const auto* n : notes) items.push_back(dated(n->at, n->author, n->text));
        b.push_back(list(std::move(items)));
    }

    void hypotheses() {
        auto& b = section("Hypotheses");
        auto live = inc_.live_hypotheses();
        if (live.empty()) {
            b.push_back(paragraph(one("No hypotheses recorded.")));
            return;
        }
        auto t = table({"ID", "Hypothesis", "Opened (UTC)", "By", "Outcome", "Closed (UTC)", "Evidence"});
        for (const auto* h : live)
            t.rows.push_back({{one(fmt::format("H{}", h->n)), h->source_deleted ? fragment{em(shown_text(*h))} : one(h->text),
                               one(format_utc(h->opened_at)), one(who(h->opened_by)), one(to_string(h->result)),
                               one(utc_or_dash(h->closed_at)), one(or_dash(h->evidence))},
                              {outcome_mark(h->result)}});
        b.push_back(std::move(t));
    }

    void dead_ends() {
        auto& b = section("Dead ends");
        if (f_.dead_ends.empty()) {
            b.push_back(paragraph(one("No dead ends recorded.")));
            return;
        }
        std::vector<fragment> items;
        for (const auto& d : f_.dead_ends) {
            auto it = dated(d.at, d.author, d.text);
            if (d.hypothesis) {
                it.push_back(plain(fmt::format(" (H{} ruled out", d.hypothesis)));
                if (!d.evidence.empty()) it.insert(it.end(), {plain("; evidence: "), plain(d.evidence)});
                it.push_back(plain(")"));
            }
            items.push_back(std::move(it));
        }
        b.push_back(list(std::move(items)));
    }

    void updates() {
        auto& b = section("Status updates sent");
        if (inc_.updates.empty()) {
            b.push_back(paragraph(one("No status updates sent.")));
            return;
        }
        auto t = table({"Sent (UTC)", "By", "Impact", "Current actions", "Needs", "Next update (UTC)"});
        for (const auto& u : inc_.updates)
            t.rows.push_back({{one(format_utc(u.at)), one(who(u.author)), one(or_dash(u.impact)), one(or_dash(u.actions)),
                               one(or_dash(u.needs)), one(format_utc(u.next_at))},
                              {}});
        b.push_back(std::move(t));
    }

    // A command typed in the room: its effect is the system row that follows it (who and
    // when included), and a read-only query (roles, timeline, help) had none worth keeping.
    // The store keeps the message; the postmortem shows each command once.
    static bool typed_command(const timeline_entry& e) {
        return e.kind == entry_kind::message && !e.deleted &&
               (e.tag == "command" || e.text.rfind(default_command_prefix, 0) == 0);
    }

    void timeline() {
        auto& b = section("Timeline");
        std::vector<const timeline_entry*> shown;
        std::size_t commands = 0;
        for (const auto& e : src_.entries) {
            if (typed_command(e)) ++commands;
            else shown.push_back(&e);
        }
        if (shown.empty()) {
            b.push_back(paragraph(one("No timeline entries recorded.")));
            return;
        }
        std::string lead = counted(shown.size(), "entry", "entries") + ". ";
        if (commands > 0)
            lead += fmt::format("The {} typed in the room appear once each, as what they did. ",
                                counted(commands, "command", "commands"));
        b.push_back(paragraph({plain(lead + "📌 marks a highlight; "), em("system"),
                               plain(" rows are firebreak's own records; ↳ marks a reply in a thread.")}));
        auto t = table({"Time (UTC)", "Who", "Kind", "Text"});
        t.rows.reserve(shown.size());
        for (const auto* ep : shown) {
            const auto& e = *ep;
            table_row r;
            r.cells.reserve(4);
            r.cells.push_back(one(e.highlight ? "📌 " + format_utc(e.at) : format_utc(e.at)));
            r.cells.push_back(one(e.author.empty() ? std::string("firebreak") : who(e.author)));
            fragment kind;
            if (e.kind == entry_kind::system) kind.push_back(em("system"));
            else kind.push_back(plain("message"));
            if (!e.tag.empty()) kind.push_back(plain(" · " + e.tag));
            r.cells.push_back(std::move(kind));
            fragment text;
            if (!e.thread_parent.empty()) text.push_back(plain("↳ "));
            if (e.deleted) {
                text.push_back(em("(deleted)"));
            } else {
                // firebreak's own rows name people by id; the document uses their names.
                text.push_back(plain(e.kind == entry_kind::system ? with_names(src_, e.text) : e.text));
                if (e.edited) {
                    text.push_back(plain(" "));
                    text.push_back(em("(edited)"));
                    if (auto it = src_.edits.find(e.seq); it != src_.edits.end())
                        for (const auto& [at, was] : it->second)
                            text.insert(text.end(), {plain(fmt::format(" — until {} it read: ", format_utc(at))), plain(was)});
                }
            }
            r.cells.push_back(std::move(text));
            if (e.kind == entry_kind::system) r.marks.push_back("system");
            if (e.highlight) r.marks.push_back("highlight");
            if (e.deleted) r.marks.push_back("deleted");
            t.rows.push_back(std::move(r));
        }
        b.push_back(std::move(t));
    }

    void actions() {
        auto& b = section("Action items");
        auto live = inc_.live_actions();
        if (live.empty()) {
            b.push_back(paragraph(one("No action items recorded.")));
            return;
        }
        auto t = table({"ID", "Action", "Owner", "Due", "Recorded (UTC)", "By"});
        for (const auto* a : live)
            t.rows.push_back({{one(fmt::format("A{}", a->n)), one(a->text), one(a->owner.empty() ? "unassigned" : who(a->owner)),
                               one(or_dash(a->due)), one(format_utc(a->at)), one(who(a->created_by))},
                              {}});
        b.push_back(std::move(t));
    }

    void contributing_factors() {
        auto& b = section("Contributing factors");
        b.push_back(paragraph(
            one("Which conditions made this incident possible, and which made it larger or longer? Look for several; "
                "incidents rarely have a single cause. The changes, the confirmed hypothesis and the dead ends above "
                "are places to start.")));
        b.push_back(paragraph({plain("Five whys, starting from the problem: "), strong(inc_.title)}));
        std::vector<fragment> whys;
        if (!f_.confirmed.empty()) {
            const auto* h = f_.confirmed.front();
            whys.push_back({plain(fmt::format("Why? H{} (confirmed): ", h->n)), plain(shown_text(*h))});
        }
        while (whys.size() < 5) whys.push_back({plain("Why? "), em(placeholder)});
        b.push_back(list(std::move(whys), true));
        b.push_back(paragraph(one("Contributing factors:")));
        b.push_back(list({fragment{em(placeholder)}}));
    }

    void reflections() {
        auto& b = section(draft_sections.back());
        auto m = metrics_of(inc_);
        b.push_back(heading("What went well"));
        b.push_back(paragraph(one(fmt::format(
            "What helped us detect, declare (after {}) and mitigate (after {}) as quickly as we did? Which tools, "
            "runbooks and habits should we keep?",
            span_or_dash(m.to_declare), span_or_dash(m.to_mitigate)))));
        b.push_back(list({fragment{em(placeholder)}}));
        b.push_back(heading("What went poorly"));
        b.push_back(paragraph(one(fmt::format(
            "What slowed us down or made the work harder? The {} and the hand-offs above are places to look.",
            counted(f_.dead_ends.size(), "dead end", "dead ends")))));
        b.push_back(list({fragment{em(placeholder)}}));
        b.push_back(heading("Where we got lucky"));
        b.push_back(paragraph(one("What could have made this worse and did not, by chance rather than by design?")));
        b.push_back(list({fragment{em(placeholder)}}));
    }

    const draft_source& src_;
    const incident& inc_;
    const draft_facts& f_;
    draft_document doc_;
};

}  // namespace

draft_document build_document(const draft_source& src, const draft_facts& facts) { return builder(src, facts).build(); }

}  // namespace firebreak
