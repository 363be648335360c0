#include "web/pages.hpp"

#include "postmortem/escape.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace firebreak::web {

namespace {

// Appends escaped text.
struct html {
    std::string out;
    html& raw(std::string_view s) {
        out += s;
        return *this;
    }
    html& text(std::string_view s) {
        append_xml_escaped(out, s);
        return *this;
    }
    // A UTC time the script also shows in the reader's zone.
    html& time(instant t) {
        out += "<time datetime=\"";
        out += format_iso(t);
        out += "\">";
        out += format_utc(t).substr(0, 16);
        out += " UTC</time>";
        return *this;
    }
};

std::string_view sev_class(severity s) {
    switch (s) {
        case severity::sev1: return "sev1";
        case severity::sev2: return "sev2";
        case severity::sev3: return "sev3";
        case severity::sev4: return "sev4";
    }
    return "sev4";
}

void head(html& h, std::string_view title, std::string_view live) {
    h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.raw("<meta name=\"referrer\" content=\"same-origin\">\n");
    // Without script the page still reads, and refreshes itself now and then.
    if (!live.empty()) h.raw("<noscript><meta http-equiv=\"refresh\" content=\"30\"></noscript>\n");
    h.raw("<title>").text(title).raw("</title>\n");
    h.raw("<link rel=\"stylesheet\" href=\"/assets/view.css\">\n");
    if (!live.empty()) h.raw("<script src=\"/assets/view.js\" defer></script>\n");
    h.raw("</head>\n<body");
    if (!live.empty()) h.raw(" data-live=\"").text(live).raw("\"");
    h.raw(">\n");
}

void top_bar(html& h, const reader* who) {
    h.raw("<header class=\"bar\"><a class=\"home\" href=\"/\">firebreak</a>");
    h.raw("<span class=\"live\" id=\"live\" hidden>live</span>");
    if (who) {
        h.raw("<span class=\"who\">").text(who->name).raw("</span>");
        if (!who->by_proxy)
            h.raw("<form method=\"post\" action=\"/logout\" class=\"logout\"><button type=\"submit\">Sign out</button></form>");
    }
    h.raw("</header>\n");
}

std::string foot() { return "</body>\n</html>\n"; }

std::string user_text(const user_ref& u) { return u.empty() ? std::string("—") : "@" + u.id; }

// "2h 05m" since `from`, never negative.
std::string age(instant from, instant now) { return format_span(now > from ? now - from : duration{0}); }

bool matches(const incident& inc, const list_filter& f) {
    return (!f.state || inc.state == *f.state) && (!f.sev || inc.sev == *f.sev);
}

void filter_form(html& h, const list_filter& f) {
    h.raw("<form class=\"filters\" method=\"get\" action=\"/\"><label>Status <select name=\"status\">");
    h.raw("<option value=\"\">any</option>");
    for (auto s : {status::investigating, status::identified, status::mitigated, status::resolved, status::closed}) {
        h.raw("<option value=\"").raw(to_string(s)).raw("\"");
        if (f.state == s) h.raw(" selected");
        h.raw(">").raw(to_string(s)).raw("</option>");
    }
    h.raw("</select></label> <label>Severity <select name=\"sev\"><option value=\"\">any</option>");
    for (int i = 1; i <= 4; ++i) {
        h.raw(fmt::format("<option value=\"{}\"{}>SEV{}</option>", i, f.sev && int(*f.sev) == i ? " selected" : "", i));
    }
    h.raw("</select></label> <button type=\"submit\">Filter</button></form>\n");
}

void list_row(html& h, const incident& inc, instant now) {
    const bool closed = inc.is_closed();
    bool overdue = !closed && inc.next_update_due && *inc.next_update_due < now;
    h.raw("<tr class=\"incident ").raw(sev_class(inc.sev)).raw(overdue ? " overdue" : "").raw("\" data-id=\"")
        .raw(inc.id.str()).raw("\">");
    h.raw("<td><a href=\"/incidents/").raw(inc.id.str()).raw("\">").raw(inc.id.str()).raw("</a>");
    if (inc.is_private) h.raw(" <span class=\"tag private\">private</span>");
    h.raw("</td><td class=\"sev\">").raw(to_string(inc.sev)).raw("</td>");
    h.raw("<td class=\"status\">").raw(to_string(inc.state)).raw("</td>");
    h.raw("<td class=\"title\">").text(inc.title).raw("</td>");
    const shift* ic = inc.commander();
    h.raw("<td class=\"commander\">").text(ic ? user_text(ic->user) : std::string("none")).raw("</td>");
    if (closed) {
        h.raw("<td class=\"age\">closed ");
        if (inc.times.closed) h.time(*inc.times.closed);
        h.raw("</td><td class=\"updates\">").raw(fmt::format("{} update{}", inc.updates.size(),
                                                              inc.updates.size() == 1 ? "" : "s"));
        h.raw("</td>");
    } else {
        h.raw("<td class=\"age\">").raw(age(inc.times.declared, now)).raw("</td><td class=\"updates\">");
        if (!inc.updates.empty()) h.raw("last ").time(inc.updates.back().at);
        else h.raw("no update yet");
        if (inc.next_update_due) {
            h.raw(overdue ? "<br><strong class=\"overdue\">overdue since " : "<br>next due ");
            h.time(*inc.next_update_due);
            if (overdue) h.raw("</strong>");
        }
        h.raw("</td>");
    }
    h.raw("</tr>\n");
}

void list_table(html& h, const std::vector<const incident*>& rows, instant now, std::string_view empty) {
    if (rows.empty()) {
        h.raw("<p class=\"empty\">").text(empty).raw("</p>\n");
        return;
    }
    h.raw("<table class=\"list\"><thead><tr><th>Incident</th><th>Severity</th><th>Status</th><th>Title</th>"
          "<th>Commander</th><th>Age</th><th>Updates</th></tr></thead><tbody>\n");
    for (const auto* inc : rows) list_row(h, *inc, now);
    h.raw("</tbody></table>\n");
}

void section(html& h, std::string_view id, std::string_view title) {
    h.raw("<section id=\"").raw(id).raw("\"><h2>").text(title).raw("</h2>\n");
}

void when_empty(html& h, bool empty, std::string_view what) {
    if (empty) h.raw("<p class=\"empty\">").text(what).raw("</p>\n");
}

void notes_section(html& h, const draft_source& src, note_kind kind, std::string_view id, std::string_view title) {
    section(h, id, title);
    auto notes = notes_of(src.inc, kind);
    when_empty(h, notes.empty(), "None recorded.");
    if (!notes.empty()) {
        h.raw("<ul class=\"notes\">");
        for (const auto* n : notes) {
            h.raw("<li>").time(n->at).raw(" — ").text(with_names(src, n->text)).raw(" <span class=\"by\">(")
                .text(person(src, n->author)).raw(")</span></li>");
        }
        h.raw("</ul>\n");
    }
    h.raw("</section>\n");
}

}  // namespace

list_filter parse_list_filter(std::string_view query) {
    list_filter f;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        auto key = part.substr(0, eq), value = part.substr(eq + 1);
        if (key == "status") f.state = parse_status(value);
        else if (key == "sev") f.sev = parse_severity(value);
    }
    return f;
}

std::string list_page(const std::vector<const incident*>& visible, const list_filter& f, instant now, const reader& who) {
    std::vector<const incident*> open, closed;
    for (const auto* inc : visible) {
        if (!matches(*inc, f)) continue;
        (inc->is_closed() ? closed : open).push_back(inc);
    }
    std::sort(open.begin(), open.end(), [](const incident* a, const incident* b) {
        if (a->sev != b->sev) return a->sev < b->sev;
        return a->times.declared < b->times.declared;
    });
    std::sort(closed.begin(), closed.end(), [](const incident* a, const incident* b) {
        auto at = [](const incident* i) { return i->times.closed.value_or(i->times.declared); };
        return at(a) > at(b);
    });
    if (closed.size() > recently_closed) closed.resize(recently_closed);
    html h;
    h.out.reserve(4096 + 512 * (open.size() + closed.size()));
    head(h, "Incidents — firebreak", "list");
    top_bar(h, &who);
    h.raw("<main id=\"main\">\n<h1>Incidents</h1>\n");
    h.raw("<p class=\"asof\">As of ").time(now).raw(fmt::format(" · {} open</p>\n", open.size()));
    filter_form(h, f);
    h.raw("<h2>Open</h2>\n");
    list_table(h, open, now, "Nothing is on fire.");
    h.raw("<h2>Recently closed</h2>\n");
    list_table(h, closed, now, "No closed incidents.");
    h.raw("</main>\n");
    h.raw(foot());
    return std::move(h.out);
}

std::string incident_page(const draft_source& src, const incident_extras& extras, instant now, const reader& who) {
    const incident& inc = src.inc;
    html h;
    h.out.reserve(8192 + 256 * src.entries.size());
    head(h, inc.id.str() + ": " + inc.title + " — firebreak", inc.id.str());
    top_bar(h, &who);
    h.raw("<main id=\"main\">\n");
    h.raw("<h1><span class=\"id\">").raw(inc.id.str()).raw("</span> ").text(inc.title).raw("</h1>\n");
    // The status line: what a manager reads first.
    h.raw("<p class=\"statusline ").raw(sev_class(inc.sev)).raw("\"><span class=\"sev\">").raw(to_string(inc.sev))
        .raw("</span> · <span class=\"status\">").raw(to_title(inc.state)).raw("</span>");
    if (inc.is_private) h.raw(" · <span class=\"tag private\">private</span>");
    const shift* ic = inc.commander();
    h.raw(" · commander <span class=\"commander\">").text(ic ? person(src, ic->user) : std::string("none")).raw("</span>");
    h.raw(" · declared ").time(inc.times.declared);
    if (!inc.is_closed()) {
        h.raw(" (").raw(age(inc.times.declared, now)).raw(" ago)");
        if (inc.next_update_due) {
            bool overdue = *inc.next_update_due < now;
            h.raw(overdue ? " · <strong class=\"overdue\">update overdue since " : " · next update due ");
            h.time(*inc.next_update_due);
            if (overdue) h.raw("</strong>");
        }
    } else if (inc.times.closed) {
        h.raw(" · closed ").time(*inc.times.closed);
    }
    h.raw("</p>\n");
    if (extras.postmortem) {
        h.raw("<p class=\"postmortem\">Postmortem draft: <a href=\"/incidents/").raw(inc.id.str())
            .raw("/postmortem.html\">read it</a> · <a href=\"/incidents/").raw(inc.id.str())
            .raw("/postmortem.md\">Markdown</a> · <a href=\"/incidents/").raw(inc.id.str())
            .raw("/postmortem.json\">JSON</a></p>\n");
    }

    section(h, "roles", "Roles");
    when_empty(h, inc.shifts.empty(), "Nobody holds a role yet.");
    if (!inc.shifts.empty()) {
        h.raw("<table class=\"roles\"><thead><tr><th>Role</th><th>Who</th><th>From</th><th>Until</th></tr></thead><tbody>");
        for (const auto& s : inc.shifts) {
            h.raw(s.open() ? "<tr class=\"current\">" : "<tr>");
            h.raw("<td>").raw(to_string(s.held));
            if (!s.area.empty()) h.raw(" (").text(s.area).raw(")");
            h.raw("</td><td>").text(person(src, s.user)).raw("</td><td>").time(s.start).raw("</td><td>");
            if (s.end) h.time(*s.end);
            else h.raw("now");
            h.raw("</td></tr>");
        }
        h.raw("</tbody></table>\n");
    }
    h.raw("</section>\n");

    section(h, "updates", "Status updates");
    when_empty(h, inc.updates.empty(), "No status update yet.");
    for (auto it = inc.updates.rbegin(); it != inc.updates.rend(); ++it) {
        const auto& u = *it;
        h.raw("<article class=\"update\"><h3>").time(u.at).raw(" · ").text(person(src, u.author)).raw("</h3><dl>");
        h.raw("<dt>Impact</dt><dd>").text(u.impact.empty() ? "—" : u.impact).raw("</dd>");
        h.raw("<dt>Actions</dt><dd>").text(u.actions.empty() ? "—" : u.actions).raw("</dd>");
        h.raw("<dt>Needs</dt><dd>").text(u.needs.empty() ? "—" : u.needs).raw("</dd>");
        h.raw("<dt>Next update</dt><dd>").time(u.next_at).raw("</dd></dl></article>\n");
    }
    h.raw("</section>\n");

    section(h, "hypotheses", "Hypotheses");
    auto hyps = inc.live_hypotheses();
    when_empty(h, hyps.empty(), "None recorded.");
    if (!hyps.empty()) {
        h.raw("<ul class=\"hypotheses\">");
        for (const auto* hy : hyps) {
            h.raw("<li class=\"").raw(hy->result == outcome::confirmed ? "confirmed" : hy->result == outcome::ruled_out ? "ruled-out" : "open")
                .raw(fmt::format("\"><strong>H{}</strong> ", hy->n)).text(shown_text(*hy)).raw(" — <span class=\"outcome\">")
                .raw(to_string(hy->result)).raw("</span>");
            if (!hy->evidence.empty()) h.raw(" <span class=\"evidence\">(").text(hy->evidence).raw(")</span>");
            h.raw("</li>");
        }
        h.raw("</ul>\n");
    }
    h.raw("</section>\n");

    notes_section(h, src, note_kind::decision, "decisions", "Decisions");
    auto facts = facts_of(src);
    section(h, "deadends", "Dead ends");
    when_empty(h, facts.dead_ends.empty(), "None recorded.");
    if (!facts.dead_ends.empty()) {
        h.raw("<ul class=\"notes\">");
        for (const auto& d : facts.dead_ends) {
            h.raw("<li>").time(d.at).raw(" — ");
            if (d.hypothesis > 0) h.raw(fmt::format("H{} ruled out: ", d.hypothesis));
            h.text(with_names(src, d.text));
            if (!d.evidence.empty()) h.raw(" <span class=\"evidence\">(").text(d.evidence).raw(")</span>");
            h.raw("</li>");
        }
        h.raw("</ul>\n");
    }
    h.raw("</section>\n");

    section(h, "actions", "Action items");
    auto actions = inc.live_actions();
    when_empty(h, actions.empty(), "None recorded.");
    if (!actions.empty()) {
        h.raw("<ul class=\"actions\">");
        for (const auto* a : actions) {
            h.raw(fmt::format("<li><strong>A{}</strong> ", a->n)).text(a->text);
            if (!a->owner.empty()) h.raw(" — owner ").text(person(src, a->owner));
            if (!a->due.empty()) h.raw(" — due ").text(a->due);
            h.raw("</li>");
        }
        h.raw("</ul>\n");
    }
    h.raw("</section>\n");

    if (!extras.chart_svg.empty()) {
        section(h, "chart", "Timeline chart");
        h.raw("<div class=\"chart\">").raw(extras.chart_svg).raw("</div>\n</section>\n");
    }

    section(h, "timeline", "Timeline");
    when_empty(h, src.entries.empty(), "Nothing recorded yet.");
    if (!src.entries.empty()) {
        h.raw(fmt::format("<p class=\"count\">{} entries</p>\n", src.entries.size()));
        h.raw("<table class=\"timeline\"><thead><tr><th>Time</th><th>Who</th><th>Tag</th><th>Entry</th></tr></thead><tbody>\n");
        for (const auto& e : src.entries) {
            h.raw("<tr class=\"").raw(e.kind == entry_kind::system ? "system" : "message");
            if (e.highlight) h.raw(" highlight");
            if (e.deleted) h.raw(" deleted");
            h.raw("\"><td>").time(e.at).raw("</td><td>").text(e.author.empty() ? std::string("firebreak") : person(src, e.author))
                .raw("</td><td>").text(e.tag).raw("</td><td>");
            if (e.highlight) h.raw("<span class=\"mark\" title=\"highlighted\">★</span> ");
            if (e.deleted) {
                h.raw("<em>(deleted)</em>");
            } else {
                h.text(e.kind == entry_kind::system ? with_names(src, e.text) : e.text);
                if (e.edited) {
                    h.raw(" <em class=\"edited\">(edited)</em>");
                    if (auto it = src.edits.find(e.seq); it != src.edits.end() && !it->second.empty()) {
                        h.raw("<details><summary>earlier versions</summary><ul>");
                        for (const auto& [at, text] : it->second) h.raw("<li>").time(at).raw(" — ").text(text).raw("</li>");
                        h.raw("</ul></details>");
                    }
                }
            }
            h.raw("</td></tr>\n");
        }
        h.raw("</tbody></table>\n");
    }
    h.raw("</section>\n</main>\n");
    h.raw(foot());
    return std::move(h.out);
}

std::string login_page(std::string_view message) {
    html h;
    head(h, "Sign in — firebreak", "");
    top_bar(h, nullptr);
    h.raw("<main id=\"main\" class=\"login\">\n<h1>Sign in</h1>\n");
    if (!message.empty()) h.raw("<p class=\"error\" role=\"alert\">").text(message).raw("</p>\n");
    h.raw("<p>Paste the viewer token your firebreak operator gave you.</p>\n");
    h.raw("<form method=\"post\" action=\"/login\"><label for=\"token\">Viewer token</label> "
          "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required> "
          "<button type=\"submit\">Sign in</button></form>\n</main>\n");
    h.raw(foot());
    return std::move(h.out);
}

std::string message_page(std::string_view title, std::string_view message) {
    html h;
    head(h, std::string(title) + " — firebreak", "");
    top_bar(h, nullptr);
    h.raw("<main id=\"main\"><h1>").text(title).raw("</h1><p>").text(message).raw("</p><p><a href=\"/\">All incidents</a></p></main>\n");
    h.raw(foot());
    return std::move(h.out);
}

}  // namespace firebreak::web
