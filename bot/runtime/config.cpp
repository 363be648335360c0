#include "bot/runtime/config.hpp"

#include "bot/core/text.hpp"
#include "bot/core/time.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace firebreak {

namespace {

enum class read_result { ok, failed, too_large };

// Reads a whole file of at most `most` bytes into `out`, without ever reading more than
// one byte past that, so an endless file (/dev/zero, a pipe that never closes) is refused.
read_result read_at_most(const std::string& path, std::size_t most, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return read_result::failed;
    out.assign(most + 1, '\0');
    f.read(out.data(), std::streamsize(most + 1));
    if (f.bad()) return read_result::failed;
    const auto got = std::size_t(f.gcount());
    if (got > most) return read_result::too_large;
    out.resize(got);
    return read_result::ok;
}

const char* type_name(toml::node_type t) {
    switch (t) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        default: return "nothing";
    }
}

// What a node holds, for "found …" in messages. Strings are quoted and cut short;
// this is never called on a secret (secrets are read from elsewhere).
std::string found(const toml::node& n) {
    if (auto s = n.value<std::string>()) {
        auto v = *s;
        if (v.size() > 40) v = v.substr(0, 40) + "…";
        return fmt::format("\"{}\"", v);
    }
    if (auto i = n.value<std::int64_t>(); i && n.is_integer()) return std::to_string(*i);
    if (auto b = n.value<bool>()) return *b ? "true" : "false";
    return type_name(n.type());
}

bool is_loopback_host(std::string_view host) {
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

// Collects every problem of a document instead of stopping at the first.
class reader {
public:
    explicit reader(const env_lookup& env) : env_(env) {}

    std::vector<config_problem> problems;

    void problem(std::string key, std::string message) { problems.push_back({std::move(key), std::move(message)}); }

    static std::string join(std::string_view path, std::string_view key) {
        return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
    }

    // Reports every key of `t` not in `known`.
    void only(const toml::table& t, std::string_view path, std::initializer_list<std::string_view> known) {
        for (auto&& [k, v] : t) {
            bool ok = false;
            for (auto name : known) ok = ok || k.str() == name;
            if (!ok)
                problem(join(path, k.str()),
                        fmt::format("unknown key (expected one of: {})", fmt::join(known.begin(), known.end(), ", ")));
        }
    }

    const toml::table* table(const toml::table& parent, std::string_view path, std::string_view key) {
        auto* n = parent.get(key);
        if (!n) return nullptr;
        if (auto* t = n->as_table()) return t;
        problem(join(path, key), fmt::format("expected a table, found {}", found(*n)));
        return nullptr;
    }

    void string(const toml::table& t, std::string_view path, std::string_view key, std::string& out) {
        auto* n = t.get(key);
        if (!n) return;
        if (auto s = n->value<std::string>(); s && n->is_string()) {
            out = *s;
            return;
        }
        problem(join(path, key), fmt::format("expected a string, found {}", found(*n)));
    }

    void boolean(const toml::table& t, std::string_view path, std::string_view key, bool& out) {
        auto* n = t.get(key);
        if (!n) return;
        if (n->is_boolean()) {
            out = *n->value<bool>();
            return;
        }
        problem(join(path, key), fmt::format("expected true or false, found {}", found(*n)));
    }

    void integer(const toml::table& t, std::string_view path, std::string_view key, std::int64_t lo, std::int64_t hi,
                 std::int64_t& out) {
        auto* n = t.get(key);
        if (!n) return;
        if (n->is_integer()) {
            auto v = *n->value<std::int64_t>();
            if (v >= lo && v <= hi) {
                out = v;
                return;
            }
        }
        problem(join(path, key), fmt::format("expected an integer from {} to {}, found {}", lo, hi, found(*n)));
    }

    void choice(const toml::table& t, std::string_view path, std::string_view key,
                std::initializer_list<std::string_view> allowed, std::string& out) {
        auto* n = t.get(key);
        if (!n) return;
        if (auto s = n->value<std::string>(); s && n->is_string()) {
            for (auto a : allowed)
                if (*s == a) {
                    out = *s;
                    return;
                }
        }
        problem(join(path, key),
                fmt::format("expected one of {}, found {}", fmt::join(allowed.begin(), allowed.end(), ", "), found(*n)));
    }

    // "20m", "2h30m", "90s"; "0" or "off" turns a nudge off.
    void span(const toml::table& t, std::string_view path, std::string_view key, duration& out) {
        auto* n = t.get(key);
        if (!n) return;
        if (auto s = n->value<std::string>(); s && n->is_string()) {
            if (*s == "0" || *s == "off") {
                out = duration{0};
                return;
            }
            if (auto d = parse_duration(*s)) {
                out = *d;
                return;
            }
        }
        problem(join(path, key), fmt::format("expected a duration like \"20m\", \"2h\" or \"off\", found {}", found(*n)));
    }

    void strings(const toml::table& t, std::string_view path, std::string_view key, std::set<std::string>& out) {
        auto* n = t.get(key);
        if (!n) return;
        auto* a = n->as_array();
        if (!a) {
            problem(join(path, key), fmt::format("expected an array of strings, found {}", found(*n)));
            return;
        }
        for (std::size_t i = 0; i < a->size(); ++i) {
            const auto& e = *a->get(i);
            if (auto s = e.value<std::string>(); s && e.is_string() && !s->empty()) out.insert(*s);
            else problem(fmt::format("{}[{}]", join(path, key), i), fmt::format("expected a non-empty string, found {}", found(e)));
        }
    }

    // An http(s) URL; plain http only to a loopback host (tests, local proxies).
    void url(const toml::table& t, std::string_view path, std::string_view key, std::string& out) {
        std::string v;
        auto before = problems.size();
        string(t, path, key, v);
        if (problems.size() != before || !t.get(key)) return;
        std::string_view rest = v;
        bool https = rest.rfind("https://", 0) == 0;
        bool http = rest.rfind("http://", 0) == 0;
        if (https) rest.remove_prefix(8);
        else if (http) rest.remove_prefix(7);
        auto host = rest.substr(0, rest.find_first_of("/:"));
        if (host.rfind('[', 0) == 0) host = rest.substr(0, rest.find(']') + 1);
        bool bad_chars = v.find_first_of(" \t\r\n\"<>\\") != std::string::npos;
        if ((!https && !http) || host.empty() || bad_chars) {
            problem(join(path, key), fmt::format("expected an https:// URL, found {}", found(*t.get(key))));
            return;
        }
        if (http && !is_loopback_host(host)) {
            problem(join(path, key),
                    fmt::format("expected https:// (plain http only to a loopback address), found {}", found(*t.get(key))));
            return;
        }
        while (v.size() > 1 && v.back() == '/') v.pop_back();
        out = v;
    }

    // A secret named by `<base>_env` (an environment variable) or `<base>_file`.
    void secret_of(const toml::table& t, std::string_view path, std::string_view base, bool required, secret& out) {
        std::string env_key = std::string(base) + "_env", file_key = std::string(base) + "_file";
        std::string var, file;
        string(t, path, env_key, var);
        string(t, path, file_key, file);
        if (!var.empty() && !file.empty()) {
            problem(join(path, base), fmt::format("give either {} or {}, not both", env_key, file_key));
            return;
        }
        if (!var.empty()) {
            auto v = env_(var);
            if (!v || v->empty()) {
                if (required)
                    problem(join(path, env_key), fmt::format("environment variable {} is not set", var));
                return;
            }
            out = secret{*v, "environment variable " + var};
        } else if (!file.empty()) {
            // Tokens are short; a mounted secret larger than this is the wrong file (and
            // /dev/zero must not keep the loader reading forever).
            constexpr std::size_t most = 64 * 1024;
            std::string v;
            auto read = read_at_most(file, most, v);
            if (read == read_result::too_large) {
                problem(join(path, file_key), fmt::format("{} is larger than {} KiB: not a token file", file, most / 1024));
                return;
            }
            while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
            if (read == read_result::failed || v.empty()) {
                if (required) problem(join(path, file_key), fmt::format("cannot read a secret from file {}", file));
                return;
            }
            out = secret{v, "file " + file};
        } else if (required) {
            problem(join(path, base), fmt::format("missing: set {} (an environment variable name) or {}", env_key, file_key));
        }
    }

private:
    const env_lookup& env_;
};

const std::initializer_list<std::string_view> nudge_keys = {
    "update_every",       "update_overdue_escalation", "no_commander_after", "no_commander_repeat",
    "no_commander_room_nudges", "no_scribe_after",     "rotation_after",     "rotation_repeat",
    "hypothesis_timebox", "what_changed_after",        "close_after"};

void read_timing(reader& r, const toml::table& t, std::string_view path, nudge_timing& n) {
    r.span(t, path, "update_every", n.update_every);
    r.span(t, path, "update_overdue_escalation", n.update_overdue_escalation);
    r.span(t, path, "no_commander_after", n.no_commander_after);
    r.span(t, path, "no_commander_repeat", n.no_commander_repeat);
    std::int64_t room_nudges = n.no_commander_room_nudges;
    r.integer(t, path, "no_commander_room_nudges", 0, 100, room_nudges);
    n.no_commander_room_nudges = int(room_nudges);
    r.span(t, path, "no_scribe_after", n.no_scribe_after);
    r.span(t, path, "rotation_after", n.rotation_after);
    r.span(t, path, "rotation_repeat", n.rotation_repeat);
    r.span(t, path, "hypothesis_timebox", n.hypothesis_timebox);
    r.span(t, path, "what_changed_after", n.what_changed_after);
    r.span(t, path, "close_after", n.close_after);
}

void check_listen(reader& r, const std::string& v, const std::string& key = "ops.listen") {
    auto colon = v.rfind(':');
    bool ok = colon != std::string::npos && colon > 0 && colon + 1 < v.size() && colon + 6 >= v.size();
    if (ok) {
        for (std::size_t i = colon + 1; i < v.size(); ++i) ok = ok && v[i] >= '0' && v[i] <= '9';
        ok = ok && std::stoul(v.substr(colon + 1)) <= 65535;
    }
    if (!ok) r.problem(key, fmt::format("expected host:port such as \"127.0.0.1:9108\", found \"{}\"", v.substr(0, 40)));
}

// "slack:C0123", "matrix:!abc:example.org", "console:#ops": a room on a platform.
std::optional<room_ref> room_of(reader& r, const std::string& key, const std::string& v) {
    auto colon = v.find(':');
    auto platform = v.substr(0, colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos || colon + 1 >= v.size() ||
        (platform != "slack" && platform != "matrix" && platform != "console")) {
        r.problem(key, fmt::format("expected a room as platform:id (\"slack:C0123\", \"matrix:!abc:example.org\"), "
                                   "found \"{}\"",
                                   v.substr(0, 40)));
        return std::nullopt;
    }
    return room_ref{platform, v.substr(colon + 1)};
}

bool source_name_ok(std::string_view n) {
    return !n.empty() && n.size() <= 40 && std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

void read_source(reader& r, const toml::table& t, const std::string& path, bool enabled, alert_source_config& src) {
    r.only(t, path, {"kind", "token_env", "token_file", "hmac_secret_env", "hmac_secret_file", "signature_header",
                     "group_by", "fields", "resolved_values"});
    r.choice(t, path, "kind", {"alertmanager", "grafana", "generic"}, src.kind);
    if (!t.get("kind")) r.problem(path + ".kind", "missing: alertmanager, grafana or generic");
    r.secret_of(t, path, "token", false, src.token);
    r.secret_of(t, path, "hmac_secret", false, src.hmac_secret);
    const bool token_named = t.get("token_env") || t.get("token_file");
    const bool hmac_named = t.get("hmac_secret_env") || t.get("hmac_secret_file");
    if (token_named && hmac_named)
        r.problem(path, "give a token or an hmac_secret, not both");
    else if (!token_named && !hmac_named)
        r.problem(path, "missing: every sender authenticates; set token_env or token_file (a bearer token), or "
                        "hmac_secret_env or hmac_secret_file (a signature of the body)");
    else if (enabled && src.token.empty() && src.hmac_secret.empty())
        r.problem(path + (token_named ? ".token" : ".hmac_secret"),
                  "the secret is empty or cannot be read (check the environment variable or the file)");
    r.string(t, path, "signature_header", src.signature_header);
    if (src.signature_header.empty() || src.signature_header.find_first_of(" \t:\r\n") != std::string::npos)
        r.problem(path + ".signature_header", "expected a header name such as \"X-Signature\"");
    std::set<std::string> group_by;
    r.strings(t, path, "group_by", group_by);
    src.group_by.assign(group_by.begin(), group_by.end());
    if (src.kind == "alertmanager" && !group_by.empty())
        r.problem(path + ".group_by", "Alertmanager groups alerts itself (its groupKey); set group_by in its route");
    auto* fields = r.table(t, path, "fields");
    if (src.kind != "generic") {
        if (fields || t.get("resolved_values")) r.problem(path + ".fields", "only a generic source has a field mapping");
        return;
    }
    if (!fields) {
        r.problem(path + ".fields", "missing: a generic source says where its title and fingerprint are");
        return;
    }
    const std::string fp = path + ".fields";
    r.only(*fields, fp, {"items", "title", "fingerprint", "status", "severity", "link", "starts_at", "labels"});
    auto& m = src.fields;
    r.string(*fields, fp, "items", m.items);
    r.string(*fields, fp, "title", m.title);
    r.string(*fields, fp, "fingerprint", m.fingerprint);
    r.string(*fields, fp, "status", m.status);
    r.string(*fields, fp, "severity", m.severity);
    r.string(*fields, fp, "link", m.link);
    r.string(*fields, fp, "starts_at", m.starts_at);
    r.string(*fields, fp, "labels", m.labels);
    if (m.title.empty()) r.problem(fp + ".title", "missing: the path of the alert's title, such as \"name\"");
    if (m.fingerprint.empty())
        r.problem(fp + ".fingerprint", "missing: the path of the sender's stable id of the alert, such as \"id\"");
    if (t.get("resolved_values")) {
        std::set<std::string> values;
        r.strings(t, path, "resolved_values", values);
        m.resolved_values.assign(values.begin(), values.end());
    }
}

void read_rule(reader& r, const toml::table& t, const std::string& path, const alerts_config& a,
               alerts::routing_rule& rule) {
    r.only(t, path, {"name", "sources", "match", "match_regex", "room", "action", "severity", "default_severity", "title"});
    rule.name = path;
    r.string(t, path, "name", rule.name);
    std::set<std::string> sources;
    r.strings(t, path, "sources", sources);
    for (const auto& s : sources) {
        bool known = std::any_of(a.sources.begin(), a.sources.end(), [&](const auto& src) { return src.name == s; });
        if (!known) r.problem(path + ".sources", fmt::format("no source \"{}\" in [alerts.sources]", s.substr(0, 40)));
    }
    rule.sources.assign(sources.begin(), sources.end());
    for (const char* key : {"match", "match_regex"}) {
        const bool is_regex = std::string_view(key) == "match_regex";
        auto* m = r.table(t, path, key);
        if (!m) continue;
        for (auto&& [label, v] : *m) {
            const std::string where = fmt::format("{}.{}.{}", path, key, label.str());
            auto value = v.value<std::string>();
            if (!value || !v.is_string()) {
                r.problem(where, fmt::format("expected a string, found {}", found(v)));
                continue;
            }
            if (!is_regex) {
                rule.matchers.push_back(alerts::label_matcher::equals(std::string(label.str()), *value));
                continue;
            }
            std::string error;
            if (auto lm = alerts::label_matcher::matches(std::string(label.str()), *value, error))
                rule.matchers.push_back(std::move(*lm));
            else
                r.problem(where, error);
        }
    }
    std::string room;
    r.string(t, path, "room", room);
    if (!room.empty())
        if (auto rr = room_of(r, path + ".room", room)) rule.room = *rr;
    std::string action = "card";
    r.choice(t, path, "action", {"card", "declare", "ignore"}, action);
    rule.action = action == "declare" ? alerts::alert_action::declare
                  : action == "ignore" ? alerts::alert_action::ignore
                                       : alerts::alert_action::card;
    if (auto* sev = r.table(t, path, "severity")) {
        for (auto&& [name, v] : *sev) {
            auto n = v.value<std::int64_t>();
            if (!v.is_integer() || !n || *n < 1 || *n > 4) {
                r.problem(fmt::format("{}.severity.{}", path, name.str()),
                          fmt::format("expected an incident severity from 1 to 4, found {}", found(v)));
                continue;
            }
            rule.severity_map[ascii_lower(name.str())] = int(*n);
        }
    }
    std::int64_t def = rule.default_severity;
    r.integer(t, path, "default_severity", 1, 4, def);
    rule.default_severity = int(def);
    r.string(t, path, "title", rule.title_template);
    if (auto e = alerts::check_template(rule.title_template); !e.empty()) r.problem(path + ".title", e);
}

void read_web(reader& r, const toml::table& t, web_config& w) {
    r.only(t, "web", {"enabled", "listen", "secure_cookie", "session_ttl", "trusted_header", "trusted_proxies", "viewers"});
    r.boolean(t, "web", "enabled", w.enabled);
    r.string(t, "web", "listen", w.listen);
    check_listen(r, w.listen, "web.listen");
    r.boolean(t, "web", "secure_cookie", w.secure_cookie);
    r.span(t, "web", "session_ttl", w.session_ttl);
    if (w.session_ttl.count() <= 0) r.problem("web.session_ttl", "expected a span such as \"12h\"");
    r.string(t, "web", "trusted_header", w.trusted_header);
    r.strings(t, "web", "trusted_proxies", w.trusted_proxies);
    if (!w.trusted_header.empty() && w.trusted_proxies.empty())
        r.problem("web.trusted_proxies", "missing: the addresses of the proxies that set trusted_header (anyone else could)");
    if (auto* viewers = r.table(t, "web", "viewers")) {
        for (auto&& [name, node] : *viewers) {
            const std::string path = "web.viewers." + std::string(name.str());
            auto* vt = node.as_table();
            if (!vt) {
                r.problem(path, "expected a table [web.viewers.NAME]");
                continue;
            }
            web_viewer_config v;
            v.name = std::string(name.str());
            r.only(*vt, path, {"token_env", "token_file", "people", "every_incident", "proxy_users"});
            r.secret_of(*vt, path, "token", w.enabled && !vt->get("proxy_users"), v.token);
            r.strings(*vt, path, "people", v.people);
            std::set<std::string> plain;
            for (const auto& p : v.people) plain.insert(p.size() > 1 && p[0] == '@' ? p.substr(1) : p);
            v.people = std::move(plain);
            r.boolean(*vt, path, "every_incident", v.every_incident);
            r.strings(*vt, path, "proxy_users", v.proxy_users);
            if (!v.token.empty() && v.token.value.size() < 16)
                r.problem(path + ".token", fmt::format("the token from {} is shorter than 16 characters: too easy to guess",
                                                       v.token.origin));
            w.viewers.push_back(std::move(v));
        }
    }
    if (w.enabled && w.viewers.empty() && w.trusted_header.empty())
        r.problem("web.viewers", "missing: at least one [web.viewers.NAME] with a token, or trusted_header");
}

void read_alerts(reader& r, const toml::table& t, alerts_config& a) {
    r.only(t, "alerts", {"enabled", "listen", "room", "group_window", "sources", "rules"});
    r.boolean(t, "alerts", "enabled", a.enabled);
    r.string(t, "alerts", "listen", a.listen);
    check_listen(r, a.listen, "alerts.listen");
    std::string room;
    r.string(t, "alerts", "room", room);
    if (!room.empty()) {
        if (auto rr = room_of(r, "alerts.room", room)) a.room = *rr;
    } else if (a.enabled) {
        r.problem("alerts.room", "missing: the room where triage cards go when no rule names one, such as \"slack:C0123\"");
    }
    r.span(t, "alerts", "group_window", a.group_window);
    if (a.group_window.count() <= 0) r.problem("alerts.group_window", "expected a window such as \"1h\"");
    if (auto* sources = r.table(t, "alerts", "sources")) {
        for (auto&& [name, v] : *sources) {
            const std::string path = "alerts.sources." + std::string(name.str());
            if (!source_name_ok(name.str())) {
                r.problem(path, "a source's name is its URL path: lower-case letters, digits, '-' and '_', at most 40");
                continue;
            }
            auto* st = v.as_table();
            if (!st) {
                r.problem(path, fmt::format("expected a table, found {}", found(v)));
                continue;
            }
            alert_source_config src;
            src.name = std::string(name.str());
            read_source(r, *st, path, a.enabled, src);
            a.sources.push_back(std::move(src));
        }
    }
    if (a.enabled && a.sources.empty()) r.problem("alerts.sources", "missing: at least one sender in [alerts.sources.NAME]");
    if (auto* n = t.get("rules")) {
        auto* arr = n->as_array();
        if (!arr) {
            r.problem("alerts.rules", fmt::format("expected [[alerts.rules]] tables, found {}", found(*n)));
            return;
        }
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const std::string path = fmt::format("alerts.rules[{}]", i);
            auto* rt = arr->get(i)->as_table();
            if (!rt) {
                r.problem(path, fmt::format("expected a table, found {}", found(*arr->get(i))));
                continue;
            }
            alerts::routing_rule rule;
            read_rule(r, *rt, path, a, rule);
            a.rules.push_back(std::move(rule));
        }
    }
}

}  // namespace

std::vector<std::string> firebreak_config::secrets() const {
    std::vector<std::string> out;
    for (const auto* s : {&slack.bot_token, &slack.app_token, &matrix.access_token})
        if (!s->empty()) out.push_back(s->value);
    for (const auto& src : alerts.sources)
        for (const auto* s : {&src.token, &src.hmac_secret})
            if (!s->empty()) out.push_back(s->value);
    for (const auto& v : web.viewers)
        if (!v.token.empty()) out.push_back(v.token.value);
    return out;
}

config_error::config_error(std::string source, std::vector<config_problem> problems)
    : std::runtime_error([&] {
          std::string m = fmt::format("{}: {} problem{}", source, problems.size(), problems.size() == 1 ? "" : "s");
          for (const auto& p : problems) m += fmt::format("\n  {}{}{}", p.key, p.key.empty() ? "" : ": ", p.message);
          return m;
      }()),
      problems_(std::move(problems)) {}

env_lookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

firebreak_config parse_config(std::string_view text, const std::string& source, const env_lookup& env) {
    toml::table doc;
    try {
        doc = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw config_error(source, {{fmt::format("line {}", e.source().begin.line),
                                     fmt::format("not valid TOML: {}", e.description())}});
    }
    reader r(env);
    firebreak_config c;
    r.only(doc, "", {"storage", "ops", "log", "incidents", "nudges", "slack", "matrix", "alerts", "web"});

    if (auto* t = r.table(doc, "", "storage")) {
        r.only(*t, "storage", {"path", "documents_dir"});
        r.string(*t, "storage", "path", c.database);
        r.string(*t, "storage", "documents_dir", c.documents_dir);
        if (c.database.empty()) r.problem("storage.path", "expected a file path, found an empty string");
    }
    if (c.documents_dir.empty())
        c.documents_dir = (std::filesystem::path(c.database).parent_path() / "documents").string();

    if (auto* t = r.table(doc, "", "ops")) {
        r.only(*t, "ops", {"listen"});
        r.string(*t, "ops", "listen", c.ops_listen);
    }
    check_listen(r, c.ops_listen);

    if (auto* t = r.table(doc, "", "log")) {
        r.only(*t, "log", {"level", "format"});
        r.choice(*t, "log", "level", {"trace", "debug", "info", "warn", "error", "critical", "off"}, c.log_level);
        r.choice(*t, "log", "format", {"text", "json"}, c.log_format);
    }

    auto& s = c.settings;
    if (auto* t = r.table(doc, "", "incidents")) {
        r.only(*t, "incidents", {"room_name_template", "default_severity", "admins", "command_prefix"});
        r.string(*t, "incidents", "room_name_template", s.room_name_template);
        if (s.room_name_template.find("{n}") == std::string::npos)
            r.problem("incidents.room_name_template",
                      fmt::format("expected a template containing {{n}}, found \"{}\"", s.room_name_template.substr(0, 40)));
        std::int64_t sev = int(s.default_severity);
        r.integer(*t, "incidents", "default_severity", 1, 4, sev);
        s.default_severity = static_cast<severity>(sev);
        r.strings(*t, "incidents", "admins", s.admins);
        // The core keeps user ids without a leading '@' (the command parser reads
        // "@alice:example.org" as "alice:example.org"), so admins are written either way.
        std::set<std::string> plain;
        for (const auto& a : s.admins) plain.insert(a.size() > 1 && a[0] == '@' ? a.substr(1) : a);
        s.admins = std::move(plain);
        r.string(*t, "incidents", "command_prefix", s.command_prefix);
        if (s.command_prefix.empty() || s.command_prefix.find_first_of(" \t") != std::string::npos)
            r.problem("incidents.command_prefix", "expected one word such as \"!incident\"");
    }

    if (auto* t = r.table(doc, "", "nudges")) {
        std::vector<std::string_view> keys(nudge_keys);
        for (auto k : {"sev1", "sev2", "sev3", "sev4"}) keys.push_back(k);
        for (auto&& [k, v] : *t) {
            if (std::find(keys.begin(), keys.end(), k.str()) == keys.end())
                r.problem("nudges." + std::string(k.str()),
                          "unknown key (expected a nudge timing such as update_every, or sev1 … sev4)");
        }
        // Keys directly under [nudges] apply to every severity; [nudges.sevN] overrides.
        for (auto& timing : s.nudges) read_timing(r, *t, "nudges", timing);
        // Report a bad shared value once, not four times.
        std::set<std::pair<std::string, std::string>> seen;
        std::vector<config_problem> unique;
        for (auto& p : r.problems)
            if (seen.insert({p.key, p.message}).second) unique.push_back(p);
        r.problems = std::move(unique);
        for (int i = 1; i <= 4; ++i) {
            auto name = fmt::format("sev{}", i);
            auto path = "nudges." + name;
            if (auto* st = r.table(*t, "nudges", name)) {
                r.only(*st, path, nudge_keys);
                read_timing(r, *st, path, s.nudges[std::size_t(i - 1)]);
            }
        }
    }

    if (auto* t = r.table(doc, "", "slack")) {
        r.only(*t, "slack", {"enabled", "bot_token_env", "bot_token_file", "app_token_env", "app_token_file",
                             "api_base_url", "announcement_channel", "ca_file", "slash_command"});
        r.boolean(*t, "slack", "enabled", c.slack.enabled);
        r.secret_of(*t, "slack", "bot_token", c.slack.enabled, c.slack.bot_token);
        r.secret_of(*t, "slack", "app_token", c.slack.enabled, c.slack.app_token);
        // Token kinds are checked by prefix only; the value never reaches a message.
        if (!c.slack.bot_token.empty() && c.slack.bot_token.value.rfind("xoxb-", 0) != 0)
            r.problem("slack.bot_token", fmt::format("expected a bot token (xoxb-…) in {}", c.slack.bot_token.origin));
        if (!c.slack.app_token.empty() && c.slack.app_token.value.rfind("xapp-", 0) != 0)
            r.problem("slack.app_token", fmt::format("expected an app-level token (xapp-…) in {}", c.slack.app_token.origin));
        r.url(*t, "slack", "api_base_url", c.slack.api_base_url);
        r.string(*t, "slack", "announcement_channel", c.slack.announcement_channel);
        r.string(*t, "slack", "ca_file", c.slack.ca_file);
        if (!c.slack.announcement_channel.empty())
            s.announcement_rooms["slack"] = room_ref{"slack", c.slack.announcement_channel};
        r.string(*t, "slack", "slash_command", c.slack.slash_command);
        if (c.slack.slash_command.size() < 2 || c.slack.slash_command[0] != '/' ||
            c.slack.slash_command.find_first_of(" \t") != std::string::npos)
            r.problem("slack.slash_command", "expected the app's slash command, such as \"/incident\"");
    }
    // Hints on Slack name the slash command people type there.
    s.command_forms["slack"] = c.slack.slash_command;

    if (auto* t = r.table(doc, "", "matrix")) {
        r.only(*t, "matrix", {"enabled", "homeserver", "user_id", "access_token_env", "access_token_file",
                              "announcement_room", "ca_file"});
        r.boolean(*t, "matrix", "enabled", c.matrix.enabled);
        r.url(*t, "matrix", "homeserver", c.matrix.homeserver);
        r.string(*t, "matrix", "user_id", c.matrix.user_id);
        r.secret_of(*t, "matrix", "access_token", c.matrix.enabled, c.matrix.access_token);
        r.string(*t, "matrix", "announcement_room", c.matrix.announcement_room);
        r.string(*t, "matrix", "ca_file", c.matrix.ca_file);
        if (c.matrix.enabled) {
            if (c.matrix.homeserver.empty() && !t->get("homeserver"))
                r.problem("matrix.homeserver", "missing: the homeserver's base URL, e.g. \"https://matrix.example.org\"");
            auto& u = c.matrix.user_id;
            if (u.size() < 4 || u[0] != '@' || u.find(':') == std::string::npos)
                r.problem("matrix.user_id", fmt::format("expected a user id like \"@firebreak:example.org\", found \"{}\"",
                                                        u.substr(0, 40)));
        }
        if (!c.matrix.announcement_room.empty())
            s.announcement_rooms["matrix"] = room_ref{"matrix", c.matrix.announcement_room};
    }
    for (const auto* ca : {&c.slack.ca_file, &c.matrix.ca_file}) {
        // The error_code form: a name the system cannot even look up (too long, say) is
        // one more problem of the file, not an exception.
        std::error_code ec;
        if (!ca->empty() && !std::filesystem::exists(*ca, ec))
            r.problem(ca == &c.slack.ca_file ? "slack.ca_file" : "matrix.ca_file", fmt::format("no file at {}", *ca));
    }

    if (!c.slack.enabled && !c.matrix.enabled)
        r.problem("", "no platform enabled: set enabled = true in [slack] or [matrix]");

    if (auto* t = r.table(doc, "", "alerts")) read_alerts(r, *t, c.alerts);
    c.settings.alert_group_window = c.alerts.group_window;
    if (auto* t = r.table(doc, "", "web")) read_web(r, *t, c.web);

    if (!r.problems.empty()) throw config_error(source, std::move(r.problems));
    return c;
}

firebreak_config load_config_file(const std::string& path, const env_lookup& env) {
    constexpr std::size_t most = 1024 * 1024;  // the example with every key is 9 KiB
    std::string text;
    switch (read_at_most(path, most, text)) {
        case read_result::failed: throw config_error(path, {{"", "cannot read the file"}});
        case read_result::too_large:
            throw config_error(path, {{"", fmt::format("larger than {} KiB: not a firebreak config", most / 1024)}});
        case read_result::ok: break;
    }
    return parse_config(text, path, env);
}

}  // namespace firebreak
