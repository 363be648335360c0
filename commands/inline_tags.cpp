// Inline tags (#decision, #hypothesis, ...) in the messages of an incident room.
#include "commands/handlers.hpp"

#include "commands/update_fields.hpp"

#include <algorithm>
#include <cctype>

namespace firebreak::commands {

// ---- inline tags -----------------------------------------------------------------

std::optional<found_tag> find_tag(std::string_view raw) {
    static const std::string_view tags[] = {"#decision", "#deadend", "#hypothesis", "#action", "#change",
                                            "#impact",   "#mitigation", "#ruledout", "#confirmed"};
    // Pasted text hides characters a scribe cannot see: the tag must be found through them,
    // anywhere in the message, a new line included.
    const std::string text = fold_invisible(raw);
    auto words = split_words(text);
    for (std::size_t i = 0; i < words.size(); ++i) {
        auto w = ascii_lower(words[i]);
        while (!w.empty() && (w.back() == ':' || w.back() == ',' || w.back() == '.')) w.pop_back();
        if (w == "#dead-end") w = "#deadend";
        if (w == "#ruled-out") w = "#ruledout";
        for (auto t : tags) {
            if (w != t) continue;
            found_tag f;
            f.tag = std::string(t.substr(1));
            for (std::size_t k = 0; k < words.size(); ++k)
                if (k != i) f.rest += (f.rest.empty() ? "" : " ") + words[k];
            return f;
        }
    }
    return {};
}

void apply_tag(context& cx, const found_tag& t) {
    auto text = clean_line(t.rest, max_field_bytes);
    // Every tag that records something is acknowledged alike: ✅ on the message, and
    // where reactions do not exist one short line. Numbered records (H<n>, A<n>) also
    // say their number, which people need to refer to them.
    if (t.tag == "hypothesis") {
        if (text.empty()) return;
        cx.acknowledge();
        add_hypothesis(cx, text, true);
    } else if (t.tag == "ruledout" || t.tag == "confirmed") {
        auto words = split_words(text);
        std::optional<int> n = words.empty() ? std::nullopt : parse_h(words[0]);
        if (!n) return cx.tell(fmt::format("#{} needs a hypothesis id, e.g. #{} H1 <evidence>.", t.tag, t.tag));
        auto evidence = clean_line(std::string_view(text).substr(words[0].size()), max_field_bytes);
        auto before = cx.out.outbox.size();
        cx.acknowledge();
        auto err = close_hypothesis(cx, *n, t.tag == "confirmed" ? outcome::confirmed : outcome::ruled_out, evidence, true);
        if (!err.empty()) {
            cx.out.outbox.resize(before);  // nothing registered
            cx.tell(err);
        }
    } else if (t.tag == "action") {
        action_item a;
        auto err = parse_action(text, a);
        if (!err.empty()) return cx.tell("#action: " + err);
        cx.acknowledge();
        record_action(cx, std::move(a), true);
    } else if (auto k = parse_note_kind(t.tag)) {
        if (text.empty()) return;
        cx.acknowledge(rich_text{}.text("✅ " + note_label(*k, true) + " recorded."));
        add_note(cx, *k, text, true);
    }
}

std::string tag_of(const std::optional<found_tag>& t) {
    if (!t) return {};
    if (t->tag == "ruledout") return "ruled-out";
    return t->tag;
}

void on_message(context& cx) {
    const auto& ev = cx.ev;
    std::string_view text = ev.text;
    std::string_view typed_prefix = cx.cfg.command_prefix;
    bool is_command = is_command_text(text, typed_prefix);
    const incident* in_room = cx.st.by_room(ev.room);
    std::optional<found_tag> tag;
    // A closed incident keeps recording messages, but typed records wait for `reopen`.
    if (in_room && !is_command && !in_room->is_closed()) tag = find_tag(text);
    if (in_room) {
        cx.inc = *in_room;
        cx.in_incident_room = true;
        timeline_entry e;
        e.incident = in_room->id;
        e.at = ev.at;
        e.kind = entry_kind::message;
        // A command is marked as one, so a postmortem can show it once, as its effect.
        e.tag = is_command ? std::string("command") : tag_of(tag);
        e.author = ev.user;
        e.text = clean_text(text, text_limit(cx.ev.room.platform));
        e.room = ev.room;
        e.msg = ev.msg;
        e.thread_parent = ev.thread_parent;
        cx.out.entries.push_back(std::move(e));
        cx.inc->message_count += 1;
        // Whoever speaks in the room is in it, whether or not the platform told us of the join.
        if (!ev.user.empty()) cx.inc->members.insert(ev.user);
        cx.inc_dirty = true;
    }
    if (is_command) {
        // The command works on its own copy; keep the recorded message with it.
        auto recorded = cx.inc;
        auto dirty = cx.inc_dirty;
        auto entries = cx.out.entries;
        cx.inc.reset();
        cx.inc_dirty = false;
        cx.out.entries.clear();
        auto cmd_text = clean_text(text.substr(typed_prefix.size()), text_limit(cx.ev.room.platform));
        run_command(cx, cmd_text);
        // Merge: the message entry first, then what the command did.
        entries.insert(entries.end(), cx.out.entries.begin(), cx.out.entries.end());
        cx.out.entries = std::move(entries);
        if (recorded) {
            if (cx.inc && cx.inc->id == recorded->id) {
                cx.inc->message_count = recorded->message_count;
                cx.inc_dirty = true;
            } else {
                // The command was about another incident (or none): keep both.
                if (cx.inc && cx.inc_dirty) cx.out.incidents.push_back(*cx.inc);
                cx.inc = recorded;
                cx.inc_dirty = dirty;
            }
        }
        return;
    }
    if (in_room && tag) apply_tag(cx, *tag);
    if (!in_room && ev.direct) run_command(cx, clean_text(text, text_limit(cx.ev.room.platform)));
}

}  // namespace firebreak::commands
