// Records: hypotheses, decisions, dead ends, changes, action items, and the views that read them back.
#include "commands/handlers.hpp"

#include "commands/update_fields.hpp"

#include <algorithm>
#include <cctype>

namespace firebreak::commands {

// ---- hypotheses and typed notes ---------------------------------------------------

void add_hypothesis(context& cx, const std::string& text, bool from_tag) {
    auto& inc = *cx.inc;
    hypothesis h;
    h.n = int(inc.hypotheses.size()) + 1;
    h.text = text;
    h.opened_by = cx.actor();
    h.opened_at = cx.now;
    if (from_tag) h.source = cx.ev.msg;
    inc.hypotheses.push_back(h);
    cx.inc_dirty = true;
    if (!from_tag) cx.system("hypothesis", fmt::format("H{} opened: {}", h.n, text));
    rich_text r;
    r.text(fmt::format("Recorded hypothesis ")).bold(fmt::format("H{}", h.n)).text(": " + echo(text));
    cx.to_incident_room(r);
}

std::optional<int> parse_h(std::string_view w) {
    if (w.size() < 2 || (w[0] != 'H' && w[0] != 'h')) return {};
    int n = 0;
    for (char ch : w.substr(1)) {
        if (ch < '0' || ch > '9' || n > 100000) return {};
        n = n * 10 + (ch - '0');
    }
    return n;
}

// Closes hypothesis `n` with an outcome. Returns an error line or empty on success.
std::string close_hypothesis(context& cx, int n, outcome result, const std::string& evidence, bool from_tag) {
    auto& inc = *cx.inc;
    if (n < 1 || std::size_t(n) > inc.hypotheses.size())
        return fmt::format("There is no H{} in {} (it has {} hypotheses).", n, inc.id.str(), inc.hypotheses.size());
    auto& h = inc.hypotheses[std::size_t(n - 1)];
    if (h.withdrawn) return fmt::format("H{} was withdrawn: the message that opened it is gone.", n);
    if (h.result != outcome::open)
        return fmt::format("H{} is already {}.", n, to_string(h.result));
    h.result = result;
    h.closed_at = cx.now;
    h.closed_by = cx.actor();
    h.evidence = evidence;
    h.closed_source = from_tag ? cx.ev.msg : message_id{};
    cx.inc_dirty = true;
    // A ruled-out hypothesis is a dead end: views and the postmortem list it with them.
    if (!from_tag)
        cx.system("hypothesis", fmt::format("H{} {}{}", n, to_string(result), evidence.empty() ? "" : ": " + evidence));
    rich_text r;
    r.bold(fmt::format("H{} {}", n, to_string(result))).text(": " + echo(shown_text(h)));
    if (!evidence.empty()) r.line().italic("Evidence: ").text(echo(evidence));
    cx.to_incident_room(r);
    return {};
}

namespace {

void cmd_close_hypothesis(context& cx, const parsed_command& c, outcome result) {
    if (c.args.empty()) return cx.usage(*c.spec);
    auto n = parse_h(c.args[0]);
    if (!n) return cx.usage(*c.spec, fmt::format("\"{}\" is not a hypothesis id like H2.", clean_line(c.args[0], 20)));
    auto evidence = clean_line(std::string_view(c.rest).substr(std::min(c.rest.size(), c.args[0].size())), max_field_bytes);
    auto err = close_hypothesis(cx, *n, result, evidence, false);
    if (!err.empty()) cx.tell(err);
}

}  // namespace

void cmd_confirm(context& cx, const parsed_command& c) { cmd_close_hypothesis(cx, c, outcome::confirmed); }

void cmd_rule_out(context& cx, const parsed_command& c) { cmd_close_hypothesis(cx, c, outcome::ruled_out); }

void cmd_hypothesis(context& cx, const parsed_command& c) {
    auto text = clean_line(c.rest, max_field_bytes);
    if (text.empty()) return cx.usage(*c.spec, "Say what you suspect.");
    add_hypothesis(cx, text, false);
}

// "decision", "dead end", ... as a sentence starts.
std::string note_label(note_kind k, bool capital) {
    std::string label = k == note_kind::deadend ? "dead end" : to_string(k);
    if (capital) label[0] = char(std::toupper(static_cast<unsigned char>(label[0])));
    return label;
}

void add_note(context& cx, note_kind k, const std::string& text, bool from_tag) {
    cx.inc->notes.push_back(note{k, text, cx.actor(), cx.now, from_tag ? cx.ev.msg : message_id{}});
    cx.inc_dirty = true;
    if (!from_tag) cx.system(to_string(k), text);
}

namespace {

void cmd_note(context& cx, const parsed_command& c, note_kind k) {
    auto text = clean_line(c.rest, max_field_bytes);
    if (text.empty()) return cx.usage(*c.spec, "The text is missing.");
    add_note(cx, k, text, false);
    cx.to_incident_room(rich_text{}.text("Recorded ").bold(note_label(k, true)).text(": " + echo(text)));
}

}  // namespace

void cmd_decision(context& cx, const parsed_command& c) { cmd_note(cx, c, note_kind::decision); }

void cmd_deadend(context& cx, const parsed_command& c) { cmd_note(cx, c, note_kind::deadend); }

void cmd_change(context& cx, const parsed_command& c) { cmd_note(cx, c, note_kind::change); }

namespace {

bool valid_date(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
    return parse_iso(std::string(d) + "T00:00Z").has_value();
}

}  // namespace

// Reads "text [@owner] [due YYYY-MM-DD]". Returns an error line or empty.
std::string parse_action(std::string_view rest, action_item& a) {
    auto words = split_words(rest);
    std::vector<std::string> text;
    for (std::size_t i = 0; i < words.size(); ++i) {
        auto lw = ascii_lower(words[i]);
        if (lw == "due" && i + 1 < words.size() && (valid_date(words[i + 1]) || words[i + 1].size() == 10)) {
            if (!valid_date(words[i + 1]))
                return fmt::format("\"{}\" is not a date (YYYY-MM-DD).", clean_line(words[i + 1], 20));
            a.due = words[++i];
        } else if (lw.rfind("due:", 0) == 0 && lw.size() == 14) {
            if (!valid_date(words[i].substr(4))) return "the due date must be YYYY-MM-DD.";
            a.due = words[i].substr(4);
        } else if (auto m = parse_user_mention(words[i]); m && a.owner.empty()) {
            a.owner = user_ref{clean_line(*m, max_user_bytes)};
        } else {
            text.push_back(words[i]);
        }
    }
    std::string joined;
    for (auto& w : text) joined += (joined.empty() ? "" : " ") + w;
    a.text = clean_line(joined, max_field_bytes);
    if (a.text.empty()) return "Say what needs doing.";
    return {};
}

void record_action(context& cx, action_item a, bool from_tag) {
    auto& inc = *cx.inc;
    a.n = int(inc.actions.size()) + 1;
    a.created_by = cx.actor();
    a.at = cx.now;
    if (from_tag) a.source = cx.ev.msg;
    inc.actions.push_back(a);
    cx.inc_dirty = true;
    if (!from_tag)
        cx.system("action", fmt::format("A{} {}{}{}", a.n, a.text, a.owner.empty() ? "" : " — @" + a.owner.id,
                                        a.due.empty() ? "" : " due " + a.due));
    rich_text r;
    r.text("Recorded action ").bold(fmt::format("A{}", a.n)).text(": " + echo(a.text));
    if (!a.owner.empty()) r.text(" — ").mention(a.owner.id);
    if (!a.due.empty()) r.text(" due " + a.due);
    cx.to_incident_room(r);
}

void cmd_action(context& cx, const parsed_command& c) {
    action_item a;
    auto err = parse_action(c.rest, a);
    if (!err.empty()) return cx.usage(*c.spec, err);
    record_action(cx, std::move(a), false);
}

// ---- views -------------------------------------------------------------------------

void cmd_timeline(context& cx, const parsed_command& c) {
    std::size_t n = 10;
    if (c.args.size() > 1) return cx.usage(*c.spec);
    if (c.args.size() == 1) {
        const auto& a = c.args[0];
        if (a.empty() || a.size() > 4 || !std::all_of(a.begin(), a.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            return cx.usage(*c.spec, fmt::format("\"{}\" is not a count.", clean_line(a, 20)));
        n = std::stoul(a);
        if (n == 0) return cx.usage(*c.spec, "Ask for at least one entry.");
        n = std::min<std::size_t>(n, std::min<std::size_t>(50, cx.cfg.timeline_tail));
    }
    static const std::deque<timeline_entry> none;
    auto it = cx.st.recent.find(cx.inc->id.n);
    cx.tell(timeline_view(*cx.inc, it == cx.st.recent.end() ? none : it->second, n));
}


void cmd_list(context& cx, const parsed_command&) {
    const auto me = cx.asker();
    cx.tell(list_view(cx.st, cx.now, [&](const incident& i) { return may_see(i, me, cx.cfg.admins); }));
}

void cmd_help(context& cx, const parsed_command& c) {
    const command_spec* one = c.args.empty() ? nullptr : find_command(c.args[0]);
    if (!c.args.empty() && !one) return cx.tell(fmt::format("No command \"{}\". Try `help`.", clean_line(c.args[0], 40)));
    cx.tell(help_view(one, cx.prefix()));
}

}  // namespace firebreak::commands
