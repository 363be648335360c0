// The record following its messages: edits, deletions and highlights, and what tagged messages created.
#include "commands/handlers.hpp"

#include "commands/update_fields.hpp"

#include <algorithm>
#include <cctype>

namespace firebreak::commands {

// ---- records that follow their messages ---------------------------------------------

namespace {

// What one tagged message created, found by its platform id.
struct derived {
    std::optional<std::size_t> note;   // index into notes
    int opened = 0;                    // hypothesis it opened
    int closed = 0;                    // hypothesis it confirmed or ruled out
    int action = 0;                    // action item it recorded
};

derived derived_from(const incident& inc, const message_id& m) {
    derived d;
    if (m.empty()) return d;
    for (std::size_t i = 0; i < inc.notes.size(); ++i)
        if (inc.notes[i].source == m) d.note = i;
    for (const auto& h : inc.hypotheses) {
        if (h.withdrawn) continue;
        if (h.source == m) d.opened = h.n;
        if (h.closed_source == m && h.result != outcome::open) d.closed = h.n;
    }
    for (const auto& a : inc.actions)
        if (!a.withdrawn && a.source == m) d.action = a.n;
    return d;
}

// Whether a later command or tag referred to hypothesis `h`: then it keeps its place.
bool referred_to(const hypothesis& h) { return h.result != outcome::open; }

// Takes back what message `m` created, because it was deleted (`deleted`) or edited so it
// no longer carries the tag. A deleted message's words go with it, from the records too.
// Returns one line per record for the room.
std::vector<std::string> withdraw(context& cx, const derived& d, bool deleted) {
    auto& inc = *cx.inc;
    std::vector<std::string> said;
    const char* why = deleted ? "its message was deleted" : "its message no longer has the tag";
    if (d.closed) {
        auto& h = inc.hypotheses[std::size_t(d.closed - 1)];
        said.push_back(fmt::format("H{} is open again: the message that {} was {}.", h.n,
                                   h.result == outcome::confirmed ? "confirmed it" : "ruled it out",
                                   deleted ? "deleted" : "edited"));
        h.result = outcome::open;
        h.closed_at.reset();
        h.closed_by = {};
        h.evidence.clear();
        h.closed_source = {};
    }
    if (d.opened) {
        auto& h = inc.hypotheses[std::size_t(d.opened - 1)];
        if (referred_to(h)) {
            // H<n> was confirmed or ruled out since: the record keeps it, numbered.
            if (deleted) {
                h.text.clear();
                h.source_deleted = true;
                said.push_back(fmt::format("H{} keeps its number and outcome; its message was deleted.", h.n));
            }
        } else {
            h.withdrawn = true;
            if (deleted) h.text.clear();
            said.push_back(fmt::format("H{} withdrawn: {}.", h.n, why));
        }
    }
    if (d.action) {
        auto& a = inc.actions[std::size_t(d.action - 1)];
        a.withdrawn = true;
        if (deleted) a.text.clear();
        said.push_back(fmt::format("A{} withdrawn: {}.", a.n, why));
    }
    if (d.note) {
        said.push_back(fmt::format("{} withdrawn: {}.", note_label(inc.notes[*d.note].kind, true), why));
        inc.notes.erase(inc.notes.begin() + std::ptrdiff_t(*d.note));
    }
    cx.inc_dirty = cx.inc_dirty || !said.empty();
    return said;
}

// "“old” → “new”", cut for one line.
std::string was_now(const std::string& before, const std::string& after) {
    return fmt::format("“{}” → “{}”", echo(before), echo(after));
}

// An edited message in an incident room: the row keeps the new text (and the old one
// in its history), and what the message created follows it. Returns the lines to say.
std::vector<std::string> follow_edit(context& cx, const std::optional<found_tag>& tag) {
    auto& inc = *cx.inc;
    auto d = derived_from(inc, cx.ev.msg);
    std::string text = tag ? clean_line(tag->rest, max_field_bytes) : std::string{};
    std::vector<std::string> said;
    // The same kind of record as before: it is updated in place and keeps its number.
    if (tag && !text.empty()) {
        if (d.note && parse_note_kind(tag->tag) == inc.notes[*d.note].kind) {
            auto& n = inc.notes[*d.note];
            if (n.text != text) {
                said.push_back(fmt::format("Updated {}: {}", note_label(n.kind, false), was_now(n.text, text)));
                n.text = text;
                cx.inc_dirty = true;
            }
            return said;
        }
        if (d.opened && !d.closed && !d.note && !d.action && tag->tag == "hypothesis") {
            auto& h = inc.hypotheses[std::size_t(d.opened - 1)];
            if (h.text != text) {
                said.push_back(fmt::format("Updated H{}: {}", h.n, was_now(h.text, text)));
                h.text = text;
                cx.inc_dirty = true;
            }
            return said;
        }
        if (d.action && tag->tag == "action") {
            action_item fresh;
            if (parse_action(text, fresh).empty()) {
                auto& a = inc.actions[std::size_t(d.action - 1)];
                if (a.text != fresh.text || a.owner != fresh.owner || a.due != fresh.due) {
                    said.push_back(fmt::format("Updated A{}: {}", a.n, was_now(a.text, fresh.text)));
                    a.text = fresh.text;
                    a.owner = fresh.owner;
                    a.due = fresh.due;
                    cx.inc_dirty = true;
                }
                return said;
            }
        }
        if (d.closed && (tag->tag == "confirmed" || tag->tag == "ruledout")) {
            auto& h = inc.hypotheses[std::size_t(d.closed - 1)];
            auto words = split_words(text);
            auto n = words.empty() ? std::nullopt : parse_h(words[0]);
            auto result = tag->tag == "confirmed" ? outcome::confirmed : outcome::ruled_out;
            if (n && *n == h.n && result == h.result) {
                auto evidence = clean_line(std::string_view(text).substr(words[0].size()), max_field_bytes);
                if (evidence != h.evidence) {
                    said.push_back(fmt::format("Updated the evidence of H{}: {}", h.n, was_now(h.evidence, evidence)));
                    h.evidence = evidence;
                    cx.inc_dirty = true;
                }
                return said;
            }
        }
    }
    // Otherwise what it made is taken back, and what it says now is recorded afresh.
    said = withdraw(cx, d, false);
    if (tag && !inc.is_closed()) {
        auto before = cx.out.outbox.size();
        apply_tag(cx, *tag);
        // apply_tag confirms in the room itself; its lines join the one summary, its ✅ stays.
        std::vector<outbound> kept;
        for (std::size_t i = before; i < cx.out.outbox.size(); ++i) {
            auto& o = cx.out.outbox[i];
            if (o.op == outbound_op::post && o.reaction.empty() && o.incident == inc.id) said.push_back(o.body.plain());
            else kept.push_back(std::move(o));
        }
        cx.out.outbox.resize(before);
        for (auto& o : kept) cx.out.outbox.push_back(std::move(o));
    }
    return said;
}

}  // namespace

void on_amend(context& cx, timeline_amendment::what op) {
    const incident* in_room = cx.st.by_room(cx.ev.room);
    if (!in_room || cx.ev.msg.empty()) return;
    using what = timeline_amendment::what;
    timeline_amendment a;
    a.op = op;
    a.incident = in_room->id;
    a.room = cx.ev.room;
    a.msg = cx.ev.msg;
    a.actor = cx.ev.user;
    a.at = cx.ev.at;
    if (op == what::highlight && !cx.ev.bot_post_text.empty()) {
        // firebreak's own post, pinned: it joins the timeline, highlighted, as posted.
        timeline_entry e;
        e.incident = in_room->id;
        e.at = cx.ev.at;
        e.kind = entry_kind::message;
        e.tag = "bot";
        e.text = clean_text(cx.ev.bot_post_text, text_limit(cx.ev.room.platform));
        e.room = cx.ev.room;
        e.msg = cx.ev.msg;
        e.highlight = true;
        cx.out.entries.push_back(std::move(e));
        return;
    }
    std::optional<found_tag> tag;
    if (op == what::edit) {
        a.new_text = clean_text(cx.ev.text, text_limit(cx.ev.room.platform));
        if (!is_command_text(cx.ev.text, cx.cfg.command_prefix)) tag = find_tag(cx.ev.text);
        a.new_tag = tag_of(tag);
    }
    cx.out.amendments.push_back(std::move(a));
    if (op != what::edit && op != what::remove) return;
    cx.inc = *in_room;
    cx.in_incident_room = true;
    auto said = op == what::remove ? withdraw(cx, derived_from(*cx.inc, cx.ev.msg), true) : follow_edit(cx, tag);
    if (said.empty()) return;
    std::string line;
    for (const auto& l : said) line += (line.empty() ? "" : " ") + l;
    cx.system(op == what::remove ? "withdrawn" : "amended", line);
    cx.to_incident_room(rich_text{}.text("✏️ " + line));
}

}  // namespace firebreak::commands
