#pragma once
// Routing rules: which room an alert's triage card goes to, what firebreak does with it
// (post a card, declare at once, or ignore it), the incident severity its own severity
// maps to, and the title an incident declared from it gets. The first rule that matches
// wins; an alert no rule matches gets a card in the default room, so none is dropped
// silently. Also what groups alerts of one problem into one card.
#include "alerts/alert.hpp"
#include "bot/core/ids.hpp"

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace firebreak::alerts {

enum class alert_action { card, declare, ignore };
/// "card", "declare", "ignore".
std::string to_string(alert_action a);

/// One label condition: equal to a value, or matching a regular expression whole
/// (ECMAScript syntax, anchored at both ends as Alertmanager's are).
struct label_matcher {
    std::string label;
    std::string value;
    std::shared_ptr<const std::regex> pattern;  ///< set for a regex matcher
    /// An equality matcher.
    static label_matcher equals(std::string label, std::string value);
    /// A regex matcher; nullopt (and `error` set) when the expression does not compile.
    static std::optional<label_matcher> matches(std::string label, const std::string& expression, std::string& error);
    bool operator()(const alert& a) const;
};

struct routing_rule {
    std::string name;                     ///< for logs and the card: "rules[2]" unless named
    std::vector<std::string> sources;     ///< empty: any source
    std::vector<label_matcher> matchers;  ///< all must hold; none: every alert
    room_ref room;                        ///< empty: the default room
    alert_action action = alert_action::card;
    std::map<std::string, int> severity_map;  ///< the sender's severity (any case) -> SEV 1-4
    int default_severity = 3;                 ///< when the map has no entry
    std::string title_template;               ///< see render_title; "" keeps the alert's title
};

/// What the rules decide for one alert.
struct routing_decision {
    const routing_rule* rule = nullptr;  ///< nullptr: no rule matched
    alert_action action = alert_action::card;
    room_ref room;
    int severity = 3;
    std::string title;
};

routing_decision route(const alert& a, const std::vector<routing_rule>& rules, const room_ref& default_room);

/// A title from a template: {title}, {severity}, {source}, {fingerprint}, {labels.NAME} and
/// {annotations.NAME} are replaced (an absent one by nothing), "{{" and "}}" are braces.
/// The result is one cleaned line of at most 200 bytes; empty falls back to the alert's title.
std::string render_title(const std::string& tmpl, const alert& a);
/// Why a template cannot be used ("unclosed {", "unknown field {foo}"), or "".
std::string check_template(const std::string& tmpl);

/// What groups alerts into one card: the sender's group key (Alertmanager's groupKey) when
/// it has one, else the source and the values of `group_by` labels, else the fingerprint.
std::string group_of(const alert& a, const std::string& group_key, const std::vector<std::string>& group_by);

}  // namespace firebreak::alerts
