#include "postmortem/json_export.hpp"

#include "postmortem/escape.hpp"

#include <algorithm>

// Boost.JSON here, though the core keeps JSON out: this file is an export format, the
// same kind of boundary as an adapter's wire format.
#include <boost/json.hpp>

namespace firebreak {

namespace {

namespace json = boost::json;

// Every string leaving firebreak is valid UTF-8; control characters are kept and the
// serializer escapes them.
json::value str(std::string_view s) { return json::string(repaired_utf8(s)); }
// Empty means "not given": null rather than "", so readers need one absence test.
json::value str_or_null(std::string_view s) { return s.empty() ? json::value(nullptr) : str(s); }
json::value user(const user_ref& u) { return str_or_null(u.id); }
json::value when(instant t) { return json::string(format_iso(t)); }
json::value when(const std::optional<instant>& t) { return t ? when(*t) : json::value(nullptr); }
json::value ms(const std::optional<duration>& d) { return d ? json::value(d->count()) : json::value(nullptr); }

// The one field written only when it has a value: a display name beside a user id. A
// missing field means null, so a draft with no names (the console's) is byte for byte what
// version 1 wrote before names existed; see SCHEMA.md.
void add_display_name(json::object& o, const draft_source& src, const user_ref& u) {
    if (auto name = display_name_of(src, u)) o["display_name"] = str(*name);
}

json::value room(const room_ref& r) {
    if (r.empty()) return nullptr;
    return json::object{{"platform", str(r.platform)}, {"room", str(r.id)}};
}

const char* outcome_name(outcome o) {
    switch (o) {
        case outcome::confirmed: return "confirmed";
        case outcome::ruled_out: return "ruled_out";
        case outcome::open: break;
    }
    return "open";
}

json::object incident_of(const incident& inc, const draft_facts& f) {
    json::array rooms;
    for (const auto& r : inc.rooms) rooms.push_back(room(r));
    json::object o;
    o["id"] = inc.id.str();
    o["number"] = inc.id.n;
    o["title"] = str(inc.title);
    o["severity"] = to_string(inc.sev);
    o["peak_severity"] = to_string(f.worst);
    o["status"] = to_string(inc.state);
    o["private"] = inc.is_private;
    o["declared_by"] = user(inc.declared_by);
    o["declared_in"] = room(inc.declared_in);
    o["rooms"] = std::move(rooms);
    o["message_count"] = inc.message_count;
    o["next_update_due"] = when(inc.next_update_due);
    o["recorded_until"] = when(f.end);
    return o;
}

json::object milestones_of(const milestones& t) {
    json::object o;
    o["impact_started"] = when(t.impact_started);
    o["detected"] = when(t.detected);
    o["declared"] = when(t.declared);
    o["commander_assigned"] = when(t.commander_assigned);
    o["identified"] = when(t.identified);
    o["mitigated"] = when(t.mitigated);
    o["resolved"] = when(t.resolved);
    o["closed"] = when(t.closed);
    return o;
}

json::object metrics_json(const incident& inc) {
    auto m = metrics_of(inc);
    json::object o;
    o["measured_from"] = inc.times.impact_started ? "impact_started" : inc.times.detected ? "detected" : "declared";
    o["time_to_declare_ms"] = ms(m.to_declare);
    o["time_to_assign_ms"] = ms(m.to_assign);
    o["time_to_mitigate_ms"] = ms(m.to_mitigate);
    o["time_to_resolve_ms"] = ms(m.to_resolve);
    o["total_duration_ms"] = ms(m.total);
    return o;
}

json::array history_of(const incident& inc) {
    json::array a;
    for (const auto& p : inc.history)
        a.push_back(json::object{{"at", when(p.at)},
                                 {"severity", to_string(p.sev)},
                                 {"status", to_string(p.state)},
                                 {"by", user(p.by)},
                                 {"reason", str_or_null(p.reason)}});
    return a;
}

json::array shifts_of(const draft_source& src) {
    json::array a;
    for (const auto& s : src.inc.shifts) {
        json::object o;
        o["role"] = to_string(s.held);
        o["user"] = user(s.user);
        add_display_name(o, src, s.user);
        o["area"] = str_or_null(s.area);
        o["start"] = when(s.start);
        o["end"] = when(s.end);
        o["duration_ms"] = s.end ? json::value((*s.end - s.start).count()) : json::value(nullptr);
        o["assigned_by"] = user(s.assigned_by);
        o["ended_by"] = user(s.ended_by);
        a.push_back(std::move(o));
    }
    return a;
}

json::array participants_of(const draft_source& src, const draft_facts& f) {
    json::array a;
    for (const auto& p : f.participants) {
        json::array roles;
        for (auto r : p.roles) roles.push_back(json::string(to_string(r)));
        json::object o;
        o["user"] = user(p.user);
        add_display_name(o, src, p.user);
        o["messages"] = p.messages;
        o["roles"] = std::move(roles);
        a.push_back(std::move(o));
    }
    return a;
}

json::array hypotheses_of(const incident& inc) {
    json::array a;
    for (const auto* hp : inc.live_hypotheses()) {
        const auto& h = *hp;
        json::object o;
        o["id"] = "H" + std::to_string(h.n);
        o["number"] = h.n;
        o["text"] = str(h.text);
        o["opened_by"] = user(h.opened_by);
        o["opened_at"] = when(h.opened_at);
        o["outcome"] = outcome_name(h.result);
        o["closed_at"] = when(h.closed_at);
        o["closed_by"] = user(h.closed_by);
        o["evidence"] = str_or_null(h.evidence);
        o["source_deleted"] = h.source_deleted;
        a.push_back(std::move(o));
    }
    return a;
}

json::array notes_json(const incident& inc) {
    json::array a;
    for (const auto& n : inc.notes)
        a.push_back(json::object{
            {"kind", to_string(n.kind)}, {"text", str(n.text)}, {"author", user(n.author)}, {"at", when(n.at)}});
    return a;
}

json::array dead_ends_of(const draft_facts& f) {
    json::array a;
    for (const auto& d : f.dead_ends)
        a.push_back(json::object{{"at", when(d.at)},
                                 {"author", user(d.author)},
                                 {"text", str(d.text)},
                                 {"hypothesis", d.hypothesis ? json::value("H" + std::to_string(d.hypothesis))
                                                             : json::value(nullptr)},
                                 {"evidence", str_or_null(d.evidence)}});
    return a;
}

json::array actions_of(const incident& inc) {
    json::array a;
    for (const auto* xp : inc.live_actions()) {
        const auto& x = *xp;
        json::object o;
        o["id"] = "A" + std::to_string(x.n);
        o["number"] = x.n;
        o["text"] = str(x.text);
        o["owner"] = user(x.owner);
        o["due"] = str_or_null(x.due);
        o["created_by"] = user(x.created_by);
        o["at"] = when(x.at);
        a.push_back(std::move(o));
    }
    return a;
}

json::array updates_of(const incident& inc) {
    json::array a;
    for (const auto& u : inc.updates)
        a.push_back(json::object{{"at", when(u.at)},
                                 {"author", user(u.author)},
                                 {"impact", str_or_null(u.impact)},
                                 {"actions", str_or_null(u.actions)},
                                 {"needs", str_or_null(u.needs)},
                                 {"next_update_at", when(u.next_at)}});
    return a;
}

json::array alerts_of(const draft_source& src) {
    json::array a;
    for (const auto& c : src.cards)
        for (const auto& al : c.alerts) {
            json::object labels;
            for (const auto& [k, v] : al.labels) labels[repaired_utf8(k)] = str(v);
            a.push_back(json::object{{"card", c.str()},
                                     {"source", str(al.source)},
                                     {"fingerprint", str(al.fingerprint)},
                                     {"title", str(al.title)},
                                     {"severity", str_or_null(al.severity)},
                                     {"link", str_or_null(al.link)},
                                     {"labels", std::move(labels)},
                                     {"first_fired_at", when(al.started)},
                                     {"resolved_at", al.firing || !al.resolved ? json::value(nullptr) : when(*al.resolved)}});
        }
    return a;
}

json::array timeline_of(const draft_source& src) {
    json::array a;
    a.reserve(src.entries.size());
    for (const auto& e : src.entries) {
        json::array earlier;
        if (auto it = src.edits.find(e.seq); it != src.edits.end())
            for (const auto& [at, text] : it->second)
                earlier.push_back(json::object{{"replaced_at", when(at)}, {"text", str(text)}});
        json::object o;
        o["seq"] = e.seq;
        o["at"] = when(e.at);
        o["kind"] = e.kind == entry_kind::system ? "system" : "message";
        o["tag"] = str_or_null(e.tag);
        o["author"] = user(e.author);
        o["text"] = str(e.text);
        o["room"] = room(e.room);
        o["message_id"] = str_or_null(e.msg.id);
        o["thread_parent"] = str_or_null(e.thread_parent.id);
        o["highlight"] = e.highlight;
        o["edited"] = e.edited;
        o["deleted"] = e.deleted;
        o["earlier_versions"] = std::move(earlier);
        a.push_back(std::move(o));
    }
    return a;
}

bool is_container(const json::value& v) { return v.is_object() || v.is_array(); }

// Two-space indented output, so a stored draft diffs line by line. Arrays of scalars
// stay on one line. Strings and numbers are written by Boost's serializer, which does
// the escaping.
void pretty(std::string& out, const json::value& v, std::size_t depth) {
    auto indent = [&out](std::size_t d) { out.append(2 * d, ' '); };
    if (v.is_object()) {
        const auto& o = v.get_object();
        if (o.empty()) {
            out += "{}";
            return;
        }
        out += "{\n";
        std::size_t i = 0;
        for (const auto& kv : o) {
            indent(depth + 1);
            // Keys are this file's own names, or an alert's label names: escaped like values.
            out += json::serialize(json::string(kv.key()));
            out += ": ";
            pretty(out, kv.value(), depth + 1);
            out += ++i < o.size() ? ",\n" : "\n";
        }
        indent(depth);
        out += '}';
        return;
    }
    if (v.is_array()) {
        const auto& a = v.get_array();
        if (a.empty()) {
            out += "[]";
            return;
        }
        bool flat = std::none_of(a.begin(), a.end(), is_container);
        out += flat ? "[" : "[\n";
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!flat) indent(depth + 1);
            pretty(out, a[i], depth + 1);
            if (i + 1 < a.size()) out += flat ? ", " : ",\n";
        }
        if (!flat) {
            out += '\n';
            indent(depth);
        }
        out += ']';
        return;
    }
    out += json::serialize(v);
}

}  // namespace

std::string postmortem_json(const draft_source& src) {
    const incident& inc = src.inc;
    auto f = facts_of(src);
    json::object root;
    root["schema"] = postmortem_schema;
    root["version"] = postmortem_schema_version;
    root["incident"] = incident_of(inc, f);
    root["milestones"] = milestones_of(inc.times);
    root["metrics"] = metrics_json(inc);
    root["history"] = history_of(inc);
    root["shifts"] = shifts_of(src);
    root["participants"] = participants_of(src, f);
    root["hypotheses"] = hypotheses_of(inc);
    root["notes"] = notes_json(inc);
    root["dead_ends"] = dead_ends_of(f);
    root["actions"] = actions_of(inc);
    root["updates"] = updates_of(inc);
    if (!src.cards.empty()) root["alerts"] = alerts_of(src);
    root["timeline"] = timeline_of(src);
    std::string out;
    out.reserve(512 + src.entries.size() * 400);
    pretty(out, root, 0);
    out += '\n';
    return out;
}

}  // namespace firebreak
