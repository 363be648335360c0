// Alerts: each alert event joins the card of its group (or opens one), the card is
// declared into an incident, attached to one or dismissed, and an attached card's alerts
// keep writing their firing and resolution into the incident's timeline.
#include "commands/handlers.hpp"

#include <algorithm>

namespace firebreak::commands {

namespace {

constexpr std::size_t max_label_line = 300;

// "alertname=HighLatency, service=checkout", cut to fit one line.
std::string labels_line(const card_alert& a) {
    std::string out;
    for (const auto& [k, v] : a.labels) {
        if (!out.empty()) out += ", ";
        out += k + "=" + v;
        if (out.size() > max_label_line) break;
    }
    return clean_line(out, max_label_line);
}

// How an alert reads in a timeline entry: its title, then its labels.
std::string alert_line(const card_alert& a) {
    std::string s = clean_line(a.title, 200);
    if (auto l = labels_line(a); !l.empty()) s += " {" + l + "}";
    return s;
}

rich_text card_view(const alert_card& card, const card_alert& first, const std::string& prefix) {
    rich_text r;
    r.text("🔔 ").bold("Alert " + card.str()).text(" · " + to_string(card.sev) + " · " + clean_line(card.title, 200));
    r.line().text(first.firing ? "Firing since " : "Resolved; fired at ").text(format_utc(first.started));
    r.text(" (from " + clean_line(first.source, 60) + ")");
    if (!first.summary.empty()) r.line().text(shorten_words(clean_line(first.summary, 1000), 400));
    if (auto l = labels_line(first); !l.empty()) r.line().text("Labels: ").code(l);
    if (!first.link.empty()) r.line().text("Source: " + clean_line(first.link, 500));
    r.line().text("Alerts of this group that follow join this card.");
    r.line().text("Declare: ").code(prefix + " declare-from " + card.str());
    r.text(" · attach to an incident: ").code(prefix + " attach " + card.str() + " INC-n");
    r.text(" · dismiss: ").code(prefix + " dismiss " + card.str());
    r.button("Declare incident", "declare-from " + card.str());
    r.button("Dismiss", "dismiss " + card.str());
    return r;
}

// A card without its alerts: what a change carries, and cheap to copy however many it holds.
alert_card header_of(const alert_card& c) {
    alert_card h;
    h.number = c.number;
    h.room = c.room;
    h.group = c.group;
    h.title = c.title;
    h.sev = c.sev;
    h.rule = c.rule;
    h.opened = c.opened;
    h.last = c.last;
    h.incident = c.incident;
    h.dismissed = c.dismissed;
    h.decided_by = c.decided_by;
    h.resolved_told = c.resolved_told;
    return h;
}

// Whether the card's incident is closed (its record is done).
bool closed_incident(const context& cx, const alert_card& card) {
    if (card.incident.n == 0) return false;
    const incident* inc = cx.st.find(card.incident.n);
    return !inc || inc->is_closed();
}

// The card an alert joins. The card holding it already takes its resolution, and its firing
// while it fires there still or its last alert is within the window. Otherwise the group's
// latest card, while its last alert is within the window. Never a card whose incident is
// closed, but for a resolution.
const alert_card* card_for(const context& cx, const alert_arrival& ar) {
    const auto window = cx.cfg.alert_group_window;
    if (auto h = cx.st.card_by_alert.find(ar.alert.key); h != cx.st.card_by_alert.end())
        if (const alert_card* holder = cx.st.card(h->second)) {
            if (!ar.alert.firing) return holder;
            const card_alert* held = holder->find(ar.alert.key);
            if (!closed_incident(cx, *holder) && ((held && held->firing) || cx.now - holder->last <= window)) return holder;
        }
    auto it = cx.st.card_by_group.find(ar.group);
    if (it == cx.st.card_by_group.end()) return nullptr;
    const alert_card* card = cx.st.card(it->second);
    if (!card || closed_incident(cx, *card)) return nullptr;
    return cx.now - card->last <= window ? card : nullptr;
}

// The incident learns of its card: each alert as an entry, and the earliest start as the
// impact start when nobody said one (or a later one).
void join_incident(context& cx, const alert_card& card) {
    std::vector<const card_alert*> alerts;
    for (const auto& a : card.alerts) alerts.push_back(&a);
    std::sort(alerts.begin(), alerts.end(), [](auto* x, auto* y) { return x->started < y->started; });
    std::vector<timeline_entry> entries;
    for (const auto* a : alerts) {
        timeline_entry e;
        e.incident = cx.inc->id;
        e.at = a->started;
        e.kind = entry_kind::system;
        e.tag = "alert";
        e.author = cx.ev.user;
        e.text = fmt::format("🔥 alert fired ({} {}): {}", card.str(), a->source, alert_line(*a));
        e.room = card.room;
        entries.push_back(std::move(e));
        if (!a->firing && a->resolved) {
            auto r = entries.back();
            r.at = *a->resolved;
            r.text = fmt::format("✅ alert resolved ({}): {}", card.str(), alert_line(*a));
            entries.push_back(std::move(r));
        }
    }
    // Fired before the incident: they come first on the record.
    cx.out.entries.insert(cx.out.entries.begin(), entries.begin(), entries.end());
    if (!alerts.empty() && !cx.inc->times.impact_started) cx.inc->times.impact_started = alerts.front()->started;
    cx.inc_dirty = true;
}

// Everything attached has resolved (`total` alerts, `firing` of them still firing): the
// incident room is asked, once, never answered for.
void maybe_all_resolved(context& cx, alert_card& card, std::size_t total, std::size_t firing) {
    if (card.resolved_told || total == 0 || firing > 0) return;
    if (cx.inc->state >= status::mitigated) return;
    card.resolved_told = true;
    rich_text r;
    r.text(fmt::format("✅ All {} alert{} of {} resolved — mark mitigated? ", total, total == 1 ? "" : "s", card.str()))
        .code(cx.prefix() + " status mitigated");
    cx.to_incident_room(std::move(r));
    cx.system("alert", fmt::format("all {} alerts of {} resolved", total, card.str()));
}

// Declares an incident from a card: its title and severity, its alerts as the first entries.
void declare_card(context& cx, alert_card& card, const user_ref& by, const user_ref& commander, std::optional<severity> sev,
                  bool is_private) {
    declaration d;
    d.title = clean_line(card.title, max_title_bytes);
    if (d.title.empty()) d.title = "Alert " + card.str();
    d.sev = sev.value_or(card.sev);
    d.commander = commander;
    d.is_private = is_private;
    d.by = by;
    d.origin = " from alert " + card.str();
    declare_incident(cx, d);
    card.incident = cx.inc->id;
    card.dismissed = false;
    card.decided_by = by;
    join_incident(cx, card);
}

// A card as a change carries it: without its alerts.
void changed(context& cx, const alert_card& card) {
    alert_card header = header_of(card);
    auto it = std::find_if(cx.out.cards.begin(), cx.out.cards.end(), [&](const alert_card& c) { return c.number == card.number; });
    if (it == cx.out.cards.end()) cx.out.cards.push_back(std::move(header));
    else *it = std::move(header);
}

// The card named by the first word that reads as one, or a reason to tell the asker.
const alert_card* named_card(context& cx, const parsed_command& c, const command_spec& spec) {
    for (const auto& a : c.args)
        if (auto n = parse_card_id(a)) {
            const alert_card* card = cx.st.card(*n);
            if (!card) cx.tell(fmt::format("There is no alert card A{}.", *n));
            return card;
        }
    cx.usage(spec, "Name the alert card, e.g. A3.");
    return nullptr;
}

}  // namespace

void on_alert(context& cx) {
    if (!cx.ev.alert) return;
    const alert_arrival& ar = *cx.ev.alert;
    const alert_card* found = card_for(cx, ar);
    card_alert a = ar.alert;

    if (!found) {
        // A resolution of an alert no card holds: nothing to triage.
        if (!a.firing) return;
        alert_card card;
        card.number = cx.st.next_card;
        card.room = ar.room;
        card.group = ar.group;
        card.title = ar.title.empty() ? a.title : ar.title;
        card.sev = ar.sev;
        card.rule = ar.rule;
        card.opened = cx.now;
        card.last = cx.now;
        a.card = card.number;
        card.alerts.push_back(a);
        cx.out.next_card = card.number + 1;
        cx.out.card_alerts.push_back(a);
        cx.this_room_row(outbound_op::post).body = card_view(card, a, cx.prefix());
        if (ar.declare) declare_card(cx, card, cx.ev.user, {}, std::nullopt, false);
        changed(cx, card);
        return;
    }

    // The card's alerts stay in the state; only the header and this alert change. A storm
    // of thousands on one card costs no copy of the others.
    alert_card card = header_of(*found);
    card.last = cx.now;
    a.card = card.number;
    const card_alert* before = found->find(a.key);
    const bool attached = card.incident.n != 0 && !closed_incident(cx, card);
    if (before) {
        card_alert now = *before;
        ++now.notifications;
        const bool fired_again = a.firing && !before->firing;
        const bool resolved = !a.firing && before->firing;
        now.firing = a.firing;
        now.resolved = a.firing ? std::nullopt : std::optional<instant>(a.resolved.value_or(cx.now));
        if (!a.link.empty()) now.link = a.link;
        if (!a.summary.empty()) now.summary = a.summary;
        a = now;
        if (attached && (fired_again || resolved)) {
            cx.inc = *cx.st.find(card.incident.n);
            cx.system("alert", fired_again ? fmt::format("🔥 alert firing again ({}): {}", card.str(), alert_line(a))
                                           : fmt::format("✅ alert resolved ({}): {}", card.str(), alert_line(a)));
        }
    } else {
        if (!a.firing) return;  // resolved before it was ever seen firing: nothing to add
        if (attached) {
            cx.inc = *cx.st.find(card.incident.n);
            cx.system("alert", fmt::format("🔥 alert fired ({} {}): {}", card.str(), a.source, alert_line(a)));
        }
    }
    if (cx.inc) {
        const std::size_t total = found->alerts.size() + (before ? 0 : 1);
        const std::size_t firing = found->firing() - (before && before->firing ? 1 : 0) + (a.firing ? 1 : 0);
        maybe_all_resolved(cx, card, total, firing);
    }
    cx.out.card_alerts.push_back(a);
    changed(cx, card);
}

void cmd_declare_from(context& cx, const parsed_command& c) {
    const auto& spec = *c.spec;
    const alert_card* found = named_card(cx, c, spec);
    if (!found) return;
    if (found->incident.n != 0) {
        const incident* inc = cx.st.find(found->incident.n);
        if (inc && !may_see(*inc, cx.asker(), cx.cfg.admins))
            return cx.tell(fmt::format("{} already belongs to an incident.", found->str()));
        return cx.tell(fmt::format("{} already belongs to {}.", found->str(), found->incident.str()));
    }
    std::optional<severity> sev;
    user_ref commander = cx.actor();
    bool is_private = false;
    for (std::size_t i = 0; i < c.args.size(); ++i) {
        auto la = ascii_lower(c.args[i]);
        if (parse_card_id(la)) continue;
        if (la == "--sev" || la == "--severity") {
            if (i + 1 >= c.args.size() || !(sev = parse_severity(c.args[i + 1])))
                return cx.usage(spec, "--sev needs a number from 1 to 4.");
            ++i;
        } else if (la == "--commander") {
            auto m = i + 1 < c.args.size() ? parse_user_mention(c.args[i + 1]) : std::nullopt;
            if (!m) return cx.usage(spec, "--commander needs a @user.");
            commander = user_ref{clean_line(*m, max_user_bytes)};
            ++i;
        } else if (la == "--private") {
            is_private = true;
        } else {
            return cx.usage(spec, fmt::format("\"{}\" is not an option here.", clean_line(c.args[i], 30)));
        }
    }
    alert_card card = *found;
    declare_card(cx, card, cx.actor(), commander, sev, is_private);
    changed(cx, card);
}

void cmd_attach(context& cx, const parsed_command& c) {
    const auto& spec = *c.spec;
    const alert_card* found = named_card(cx, c, spec);
    if (!found) return;
    std::optional<std::int64_t> number;
    for (const auto& a : c.args)
        if (auto n = parse_incident_ref(a)) number = n;
    const incident* target = number ? cx.st.find(*number) : cx.st.by_room(cx.ev.room);
    if (!number && !target) return cx.usage(spec, "Outside an incident room, name the incident, e.g. INC-7.");
    if (!target || !may_see(*target, cx.asker(), cx.cfg.admins)) return cx.tell(not_visible_line(number.value_or(0)));
    if (target->is_closed()) return cx.tell(fmt::format("{} is closed; `reopen <reason>` it first.", target->id.str()));
    cx.inc = *target;
    cx.in_incident_room = cx.st.by_room(cx.ev.room) == target;
    if (found->incident == target->id) return cx.tell(fmt::format("{} is attached to {} already.", found->str(), target->id.str()));
    if (found->incident.n != 0)
        return cx.tell(fmt::format("{} already belongs to {}.", found->str(),
                                   cx.st.find(found->incident.n) && may_see(*cx.st.find(found->incident.n), cx.asker(), cx.cfg.admins)
                                       ? found->incident.str()
                                       : std::string("another incident")));
    alert_card card = *found;
    card.incident = target->id;
    card.dismissed = false;
    card.decided_by = cx.actor();
    join_incident(cx, card);
    cx.system("alert", fmt::format("@{} attached alert {} ({} alert{}: {})", cx.actor().id, card.str(), card.alerts.size(),
                                   card.alerts.size() == 1 ? "" : "s", clean_line(card.title, 200)));
    rich_text r;
    r.bold(card.str()).text(fmt::format(" attached to {} by ", target->id.str())).mention(cx.actor().id);
    r.text(fmt::format(": {} alert{}, {} firing. Their firing and resolution go on the record.", card.alerts.size(),
                       card.alerts.size() == 1 ? "" : "s", card.firing()));
    cx.announce_here(r);
    maybe_all_resolved(cx, card, card.alerts.size(), card.firing());
    changed(cx, card);
}

void cmd_dismiss(context& cx, const parsed_command& c) {
    const alert_card* found = named_card(cx, c, *c.spec);
    if (!found) return;
    if (found->incident.n != 0)
        return cx.tell(fmt::format("{} belongs to an incident; it cannot be dismissed.", found->str()));
    if (found->dismissed) return cx.tell(fmt::format("{} is dismissed already.", found->str()));
    alert_card card = *found;
    card.dismissed = true;
    card.decided_by = cx.actor();
    cx.reply(rich_text{}.bold(card.str()).text(" dismissed by ").mention(cx.actor().id).text(
        ". Later alerts of its group join it quietly; ").code(cx.prefix() + " declare-from " + card.str()).text(" still works."));
    changed(cx, card);
}

}  // namespace firebreak::commands
