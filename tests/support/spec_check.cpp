// The schema evaluator walks the definitions as parsed by Boost.JSON instead of
// compiling them into its own tree: the files are read once per test process,
// most requests touch a handful of small schemas, and keeping the JSON means a
// problem can always be traced back to the file. What does need preparing is
// prepared once: path templates are split into segments and grouped by length,
// and every `pattern` is compiled on first use and cached.
#include "tests/support/spec_check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#ifndef FIREBREAK_SPECS_DIR
#error "FIREBREAK_SPECS_DIR must name tests/fixtures/specs (set by the fb_test_support target)"
#endif

namespace firebreak::testing {

namespace json = boost::json;

namespace detail {
// Internal linkage: other files of the support library may well have their own split() or percent_decode().
namespace {

// ---- small text helpers ----------------------------------------------------

std::string read_whole_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("spec_check: cannot read " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

json::value parse_file(const std::filesystem::path& file) {
    boost::system::error_code ec;
    json::value doc = json::parse(read_whole_file(file), ec);
    if (ec) throw std::runtime_error("spec_check: " + file.string() + " is not valid JSON: " + ec.message());
    return doc;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Empty optional on a broken escape ("%zz", a lone "%"), which a client must never send.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 1 < s.size() ? hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        std::size_t at = s.find(sep, start);
        if (at == std::string_view::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, at - start));
        start = at + 1;
    }
}

// One query/form pair, both halves decoded; a key without '=' has an empty value.
struct form_pair {
    std::string key;
    std::string value;
    bool malformed = false;
    std::string raw;
};

std::vector<form_pair> parse_pairs(std::string_view text) {
    std::vector<form_pair> pairs;
    if (text.empty()) return pairs;
    for (std::string_view piece : split(text, '&')) {
        if (piece.empty()) continue;
        std::size_t eq = piece.find('=');
        std::string_view k = piece.substr(0, eq);
        std::string_view v = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
        form_pair p;
        p.raw = std::string(piece);
        auto dk = percent_decode(k, true);
        auto dv = percent_decode(v, true);
        if (!dk || !dv) {
            p.malformed = true;
            p.key = std::string(k);
        } else {
            p.key = std::move(*dk);
            p.value = std::move(*dv);
        }
        pairs.push_back(std::move(p));
    }
    return pairs;
}

// JSONPath-ish child: dotted for plain names, bracketed for Matrix-style keys
// such as "m.relates_to" whose dots would otherwise read as nesting.
std::string child_path(const std::string& parent, std::string_view key) {
    bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key.front()));
    for (char c : key) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) plain = false;
    }
    if (plain) return parent + "." + std::string(key);
    std::string out = parent + "['";
    for (char c : key) {
        if (c == '\'' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "']";
}

std::string index_path(const std::string& parent, std::size_t i) { return parent + "[" + std::to_string(i) + "]"; }

std::string quoted(std::string_view s) {
    constexpr std::size_t shown = 40;
    std::string out = "\"";
    out += s.substr(0, shown);
    if (s.size() > shown) out += "...";
    return out + "\"";
}

// The JSON kind of a value; strings also show (the start of) their text, the
// most useful clue when a query or form value fails to convert.
std::string describe(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string " + quoted(v.get_string());
    case json::kind::array: return "array";
    case json::kind::object: return "object";
    }
    return "value";
}

std::size_t utf8_length(std::string_view s) {
    // Continuation bytes (10xxxxxx) do not start a code point.
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool is_integral(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) return true;
    if (v.is_double()) {
        double d = v.get_double();
        return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
}

bool has_type(const json::value& v, std::string_view type) {
    if (type == "string") return v.is_string();
    if (type == "integer") return is_integral(v);
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_bool();
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "null") return v.is_null();
    return true;  // a type name this subset does not know is not a reason to fail a request
}

// ---- patterns --------------------------------------------------------------

// Compiling a std::regex costs far more than matching one, and the same dozen
// patterns ("^!", "^@", ...) recur thousands of times; nodes of an
// unordered_map never move, so handing out pointers after unlocking is safe.
const std::regex* compiled_pattern(const std::string& pattern) {
    static std::mutex lock;
    static std::unordered_map<std::string, std::unique_ptr<std::regex>> cache;
    std::lock_guard guard(lock);
    auto it = cache.find(pattern);
    if (it == cache.end()) {
        std::unique_ptr<std::regex> re;
        try {
            re = std::make_unique<std::regex>(pattern, std::regex::ECMAScript);
        } catch (const std::regex_error&) {
            // A pattern std::regex cannot compile (a feature it lacks) is skipped, not fatal.
        }
        it = cache.emplace(pattern, std::move(re)).first;
    }
    return it->second.get();
}

// libstdc++'s regex matcher recurses per character under a quantifier, so a
// huge string could exhaust the stack; patterns in these specs guard ids and
// key names, never long text.
constexpr std::size_t max_pattern_subject = 16 * 1024;

// ---- formats ---------------------------------------------------------------

// Only formats whose rule is short and certain are checked; the rest (and any
// unknown name) pass, as JSON Schema treats format as an annotation by default.
std::optional<std::string> format_problem(std::string_view format, const json::value& v) {
    auto has_server_part = [](std::string_view id) {
        std::size_t colon = id.find(':');
        return colon != std::string_view::npos && colon > 1 && colon + 1 < id.size();
    };
    if (format == "int64") {
        if (v.is_uint64() && v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return "does not fit in int64";
        return std::nullopt;
    }
    if (!v.is_string()) return std::nullopt;
    std::string_view s = v.get_string();
    if (format == "mx-user-id") {
        if (s.size() < 2 || s.front() != '@' || !has_server_part(s)) return "is not a Matrix user id (@local:server)";
    } else if (format == "mx-room-alias") {
        if (s.size() < 2 || s.front() != '#' || !has_server_part(s)) return "is not a Matrix room alias (#alias:server)";
    } else if (format == "mx-room-id") {
        // Room ids of room version 12 carry no server part, so only the sigil is certain.
        if (s.size() < 2 || s.front() != '!') return "is not a Matrix room id";
    } else if (format == "mx-event-id") {
        if (s.size() < 2 || s.front() != '$') return "is not a Matrix event id";
    } else if (format == "mx-mxc-uri") {
        constexpr std::string_view scheme = "mxc://";
        if (s.substr(0, scheme.size()) != scheme || s.find('/', scheme.size()) == std::string_view::npos)
            return "is not an mxc:// URI";
    } else if (format == "mx-server-name") {
        if (s.empty() || s.find_first_of("/ \t") != std::string_view::npos) return "is not a server name";
    } else if (format == "uri") {
        std::size_t colon = s.find(':');
        bool ok = colon != std::string_view::npos && colon > 0 && std::isalpha(static_cast<unsigned char>(s[0]));
        for (std::size_t i = 0; ok && i < colon; ++i) {
            char c = s[i];
            ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
        }
        if (!ok) return "is not a URI";
    } else if (format == "email") {
        std::size_t at = s.find('@');
        if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return "is not an email address";
    }
    return std::nullopt;
}

// ---- the evaluator ---------------------------------------------------------

struct validate_options {
    // Query strings and form bodies carry only text: "30000" may stand for an
    // integer, "true" for a boolean, "[...]" for an array.
    bool coerce_strings = false;
    // Slack also accepts 1 and 0 for booleans.
    bool numeric_booleans = false;
    // Slack also takes an array argument in a form body as "a,b,c" (its docs'
    // example for chat.update file_ids shows both spellings).
    bool comma_lists = false;
};

std::optional<json::value> coerce(std::string_view s, std::string_view type, const validate_options& opts) {
    if (type == "integer") {
        std::int64_t i = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
        if (!s.empty() && ec == std::errc{} && end == s.data() + s.size()) return json::value(i);
        std::uint64_t u = 0;
        auto [uend, uec] = std::from_chars(s.data(), s.data() + s.size(), u);
        if (!s.empty() && uec == std::errc{} && uend == s.data() + s.size()) return json::value(u);
        return std::nullopt;
    }
    if (type == "number") {
        double d = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (!s.empty() && ec == std::errc{} && end == s.data() + s.size()) return json::value(d);
        return std::nullopt;
    }
    if (type == "boolean") {
        if (s == "true" || (opts.numeric_booleans && s == "1")) return json::value(true);
        if (s == "false" || (opts.numeric_booleans && s == "0")) return json::value(false);
        return std::nullopt;
    }
    if (type == "object" || type == "array") {
        boost::system::error_code ec;
        json::value parsed = json::parse(s, ec);
        if (!ec && ((type == "object" && parsed.is_object()) || (type == "array" && parsed.is_array()))) return parsed;
        if (type == "array" && opts.comma_lists && !s.empty()) {
            json::array items;
            for (std::string_view item : split(s, ',')) items.emplace_back(item);
            return json::value(std::move(items));
        }
    }
    return std::nullopt;
}

class validator {
public:
    explicit validator(validate_options opts = {}) : opts_(opts) {}

    void run(const json::value& schema, const json::value& inst, const std::string& path,
             std::vector<std::string>& out) const {
        if (schema.is_bool()) {
            if (!schema.get_bool()) out.push_back(path + ": no value is allowed here");
            return;
        }
        if (!schema.is_object()) return;
        const json::object& s = schema.get_object();

        std::vector<std::string_view> types;
        if (const json::value* t = s.if_contains("type")) {
            if (t->is_string()) types.push_back(t->get_string());
            if (t->is_array())
                for (const json::value& each : t->get_array())
                    if (each.is_string()) types.push_back(each.get_string());
        }
        // OpenAPI 3.0 spelled "or null" as a flag rather than a type.
        if (const json::value* n = s.if_contains("nullable"); n && n->is_bool() && n->get_bool() && !types.empty())
            types.push_back("null");

        if (!types.empty() &&
            std::none_of(types.begin(), types.end(), [&](std::string_view t) { return has_type(inst, t); })) {
            if (opts_.coerce_strings && inst.is_string()) {
                for (std::string_view t : types) {
                    if (auto converted = coerce(inst.get_string(), t, opts_)) {
                        keywords(s, *converted, path, out);
                        return;
                    }
                }
            }
            std::string expected;
            for (std::string_view t : types) expected += (expected.empty() ? "" : " or ") + std::string(t);
            // A wrong type makes every other keyword's complaint noise, so stop here.
            out.push_back(path + ": expected " + expected + ", found " + describe(inst));
            return;
        }
        keywords(s, inst, path, out);
    }

private:
    void keywords(const json::object& s, const json::value& inst, const std::string& path,
                  std::vector<std::string>& out) const {
        if (const json::value* e = s.if_contains("enum"); e && e->is_array()) {
            const json::array& options = e->get_array();
            if (std::find(options.begin(), options.end(), inst) == options.end())
                out.push_back(path + ": " + json::serialize(inst) + " is not one of " + json::serialize(*e));
        }
        if (const json::value* c = s.if_contains("const"); c && *c != inst)
            out.push_back(path + ": expected the constant " + json::serialize(*c) + ", found " + json::serialize(inst));

        if (inst.is_string()) string_keywords(s, inst, path, out);
        if (inst.is_number()) number_keywords(s, inst, path, out);
        if (inst.is_object()) object_keywords(s, inst.get_object(), path, out);
        if (inst.is_array()) array_keywords(s, inst.get_array(), path, out);
        if (const json::value* f = s.if_contains("format"); f && f->is_string()) {
            if (auto problem = format_problem(f->get_string(), inst)) out.push_back(path + ": " + *problem);
        }
        combinators(s, inst, path, out);
    }

    void string_keywords(const json::object& s, const json::value& inst, const std::string& path,
                         std::vector<std::string>& out) const {
        std::string_view text = inst.get_string();
        if (auto n = count(s, "minLength"); n && utf8_length(text) < *n)
            out.push_back(path + ": shorter than " + std::to_string(*n) + " characters");
        if (auto n = count(s, "maxLength"); n && utf8_length(text) > *n)
            out.push_back(path + ": longer than " + std::to_string(*n) + " characters");
        if (const json::value* p = s.if_contains("pattern"); p && p->is_string() && text.size() <= max_pattern_subject) {
            std::string pattern(p->get_string());
            if (const std::regex* re = compiled_pattern(pattern); re && !std::regex_search(text.begin(), text.end(), *re))
                out.push_back(path + ": " + quoted(text) + " does not match pattern " + pattern);
        }
    }

    void number_keywords(const json::object& s, const json::value& inst, const std::string& path,
                         std::vector<std::string>& out) const {
        double x = inst.to_number<double>();
        auto bound = [&](const char* key) -> std::optional<double> {
            const json::value* b = s.if_contains(key);
            if (!b || !b->is_number()) return std::nullopt;
            return b->to_number<double>();
        };
        if (auto m = bound("minimum"); m && x < *m) out.push_back(path + ": below the minimum " + json::serialize(s.at("minimum")));
        if (auto m = bound("maximum"); m && x > *m) out.push_back(path + ": above the maximum " + json::serialize(s.at("maximum")));
        if (auto m = bound("exclusiveMinimum"); m && x <= *m)
            out.push_back(path + ": not above " + json::serialize(s.at("exclusiveMinimum")));
        if (auto m = bound("exclusiveMaximum"); m && x >= *m)
            out.push_back(path + ": not below " + json::serialize(s.at("exclusiveMaximum")));
    }

    void object_keywords(const json::object& s, const json::object& obj, const std::string& path,
                         std::vector<std::string>& out) const {
        if (const json::value* r = s.if_contains("required"); r && r->is_array()) {
            for (const json::value& name : r->get_array()) {
                if (name.is_string() && !obj.contains(name.get_string()))
                    out.push_back(path + ": missing required property \"" + std::string(name.get_string()) + "\"");
            }
        }
        if (auto n = count(s, "minProperties"); n && obj.size() < *n)
            out.push_back(path + ": fewer than " + std::to_string(*n) + " properties");
        if (auto n = count(s, "maxProperties"); n && obj.size() > *n)
            out.push_back(path + ": more than " + std::to_string(*n) + " properties");

        const json::object* properties = nullptr;
        if (const json::value* p = s.if_contains("properties"); p && p->is_object()) properties = &p->get_object();
        const json::object* patterns = nullptr;
        if (const json::value* p = s.if_contains("patternProperties"); p && p->is_object()) patterns = &p->get_object();
        const json::value* additional = s.if_contains("additionalProperties");
        const json::value* names = s.if_contains("propertyNames");

        for (const auto& [key, value] : obj) {
            std::string at = child_path(path, key);
            bool declared = false;
            if (properties) {
                if (const json::value* sub = properties->if_contains(key)) {
                    declared = true;
                    run(*sub, value, at, out);
                }
            }
            if (patterns) {
                for (const auto& [pattern, sub] : *patterns) {
                    const std::regex* re = compiled_pattern(std::string(pattern));
                    if (re && std::regex_search(key.begin(), key.end(), *re)) {
                        declared = true;
                        run(sub, value, at, out);
                    }
                }
            }
            if (!declared && additional) {
                if (additional->is_bool() && !additional->get_bool())
                    out.push_back(path + ": property \"" + std::string(key) + "\" is not allowed");
                else
                    run(*additional, value, at, out);
            }
            if (names) run(*names, json::value(key), path + " (property name \"" + std::string(key) + "\")", out);
        }
    }

    void array_keywords(const json::object& s, const json::array& arr, const std::string& path,
                        std::vector<std::string>& out) const {
        if (auto n = count(s, "minItems"); n && arr.size() < *n)
            out.push_back(path + ": fewer than " + std::to_string(*n) + " items");
        if (auto n = count(s, "maxItems"); n && arr.size() > *n)
            out.push_back(path + ": more than " + std::to_string(*n) + " items");

        std::size_t first_free = 0;  // items before this index are covered by a tuple form
        if (const json::value* prefix = s.if_contains("prefixItems"); prefix && prefix->is_array()) {
            const json::array& tuple = prefix->get_array();
            for (; first_free < tuple.size() && first_free < arr.size(); ++first_free)
                run(tuple[first_free], arr[first_free], index_path(path, first_free), out);
            first_free = tuple.size();
        }
        if (const json::value* items = s.if_contains("items")) {
            if (items->is_array()) {  // the older tuple spelling
                const json::array& tuple = items->get_array();
                for (std::size_t i = 0; i < tuple.size() && i < arr.size(); ++i)
                    run(tuple[i], arr[i], index_path(path, i), out);
            } else {
                for (std::size_t i = first_free; i < arr.size(); ++i) run(*items, arr[i], index_path(path, i), out);
            }
        }
        if (const json::value* u = s.if_contains("uniqueItems"); u && u->is_bool() && u->get_bool()) {
            for (std::size_t i = 0; i < arr.size(); ++i)
                for (std::size_t j = i + 1; j < arr.size(); ++j)
                    if (arr[i] == arr[j])
                        out.push_back(index_path(path, j) + ": repeats item " + std::to_string(i));
        }
    }

    void combinators(const json::object& s, const json::value& inst, const std::string& path,
                     std::vector<std::string>& out) const {
        if (const json::value* all = s.if_contains("allOf"); all && all->is_array())
            for (const json::value& sub : all->get_array()) run(sub, inst, path, out);

        // A text value cannot say whether "5" is the string or the number, so in
        // coercing mode oneOf is read as anyOf rather than reporting ambiguity.
        const json::value* any = s.if_contains("anyOf");
        const json::value* one = s.if_contains("oneOf");
        if (any && any->is_array()) alternatives(any->get_array(), "anyOf", false, inst, path, out);
        if (one && one->is_array()) alternatives(one->get_array(), "oneOf", !opts_.coerce_strings, inst, path, out);

        if (const json::value* n = s.if_contains("not")) {
            std::vector<std::string> sub;
            run(*n, inst, path, sub);
            if (sub.empty()) out.push_back(path + ": matches a schema it must not (\"not\")");
        }
        if (const json::value* cond = s.if_contains("if")) {
            std::vector<std::string> sub;
            run(*cond, inst, path, sub);
            const json::value* branch = s.if_contains(sub.empty() ? "then" : "else");
            if (branch) run(*branch, inst, path, out);
        }
    }

    void alternatives(const json::array& options, const char* keyword, bool exactly_one, const json::value& inst,
                      const std::string& path, std::vector<std::string>& out) const {
        std::vector<std::vector<std::string>> results(options.size());
        std::size_t matched = 0;
        for (std::size_t i = 0; i < options.size(); ++i) {
            run(options[i], inst, path, results[i]);
            if (results[i].empty()) ++matched;
        }
        if (matched == 0 && !options.empty()) {
            // Naming the nearest alternative's problems is what tells a reader what to fix.
            auto nearest = std::min_element(results.begin(), results.end(),
                                            [](const auto& a, const auto& b) { return a.size() < b.size(); });
            out.push_back(path + ": matches none of the " + std::to_string(options.size()) + " " + keyword +
                          " alternatives; nearest is #" + std::to_string(nearest - results.begin()) + ":");
            out.insert(out.end(), nearest->begin(), nearest->end());
        } else if (exactly_one && matched > 1) {
            out.push_back(path + ": matches " + std::to_string(matched) + " " + keyword +
                          " alternatives, expected exactly one");
        }
    }

    static std::optional<std::size_t> count(const json::object& s, const char* key) {
        const json::value* v = s.if_contains(key);
        if (!v || !is_integral(*v)) return std::nullopt;
        double d = v->to_number<double>();
        if (d < 0) return std::nullopt;
        return static_cast<std::size_t>(d);
    }

    validate_options opts_;
};

// Values that arrive as text: Matrix path segments and query strings.
constexpr validate_options text_values{true, false, false};
// Slack arguments: a form body is all text, 1/0 count as booleans, lists may be comma-separated.
constexpr validate_options slack_values{true, true, true};

}  // namespace
}  // namespace detail

std::vector<std::string> validate_schema(const json::value& schema, const json::value& instance,
                                         const std::string& path) {
    std::vector<std::string> problems;
    detail::validator{}.run(schema, instance, path, problems);
    return problems;
}

json::object decode_form(std::string_view form) {
    json::object out;
    for (auto& pair : detail::parse_pairs(form)) {
        if (pair.malformed) continue;
        out[pair.key] = pair.value;
    }
    return out;
}

// ---- Matrix ----------------------------------------------------------------

namespace {

std::filesystem::path specs_dir() { return std::filesystem::path(FIREBREAK_SPECS_DIR); }

// Any query param may be one of these without the operation declaring it: the
// (deprecated, still accepted) token in the query, and the application-service
// identity assertion from the Application Service API.
bool universally_allowed_query(std::string_view name) {
    return name == "access_token" || name == "user_id" || name == "device_id";
}

enum class param_shape { scalar, array, object };

struct query_param {
    std::string name;
    const json::value* schema = nullptr;
    bool required = false;
    param_shape shape = param_shape::scalar;
};

struct operation {
    std::string method;     // lower case, as OpenAPI keys it
    std::string id;         // operationId, for messages
    std::string path_key;   // the template, trimmed
    std::unordered_map<std::string, const json::value*> path_params;
    std::vector<query_param> query;
    bool open_query = false;  // an object-typed query param gathers undeclared names
    bool has_body = false;
    bool body_required = false;
    const json::value* json_body = nullptr;
    bool event_body = false;  // the body is the content of the event type in {eventType}
};

struct segment {
    bool is_param = false;
    std::string text;  // the literal, or the parameter name
};

struct route {
    std::string text;
    std::vector<segment> segments;
    std::vector<const operation*> ops;
    // The spec lets a trailing empty parameter (stateKey) be left off together with its slash.
    std::string omitted_param;
};

std::vector<segment> split_template(std::string_view path) {
    std::vector<segment> out;
    std::string_view rest = path;
    if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    for (std::string_view part : detail::split(rest, '/')) {
        segment seg;
        if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
            seg.is_param = true;
            seg.text = std::string(part.substr(1, part.size() - 2));
        } else {
            seg.text = std::string(part);
        }
        out.push_back(std::move(seg));
    }
    return out;
}

bool is_http_method(std::string_view key) {
    return key == "get" || key == "put" || key == "post" || key == "delete" || key == "patch" || key == "head" ||
           key == "options";
}

std::string_view schema_type(const json::value* schema) {
    if (!schema || !schema->is_object()) return {};
    const json::value* t = schema->get_object().if_contains("type");
    return t && t->is_string() ? std::string_view(t->get_string()) : std::string_view{};
}

}  // namespace

struct matrix_api::impl {
    json::value client_server;
    json::value events;

    std::deque<operation> operations;  // deque: routes point into it
    std::deque<route> routes;
    std::unordered_map<std::size_t, std::vector<const route*>> routes_by_length;

    // Event content schemas, each the list of `content` schemas an event's allOf chain imposes.
    struct variant {
        std::string name;    // e.g. "m.room.message$m.notice"
        std::string key;     // the content property that selects it, e.g. "msgtype"
        std::string value;   // e.g. "m.notice"
        std::vector<const json::value*> content;
    };
    struct event_def {
        std::vector<const json::value*> content;
        std::vector<variant> variants;
        bool defined = false;
    };
    std::unordered_map<std::string, event_def> event_defs;

    impl() {
        client_server = detail::parse_file(specs_dir() / "matrix" / "client-server-v1.19.openapi.json");
        events = detail::parse_file(specs_dir() / "matrix" / "event-schemas-v1.19.resolved.json");
        index_paths();
        index_events();
    }

    void index_paths() {
        const json::object& paths = client_server.at("paths").as_object();
        std::unordered_map<std::string, route*> by_key;
        auto route_for = [&](const std::string& text, const std::string& omitted) -> route& {
            std::string key = text + (omitted.empty() ? "" : " -" + omitted);
            auto it = by_key.find(key);
            if (it != by_key.end()) return *it->second;
            route& r = routes.emplace_back();
            r.text = text;
            r.segments = split_template(text);
            if (!omitted.empty()) r.segments.pop_back();
            r.omitted_param = omitted;
            by_key.emplace(key, &r);
            return r;
        };

        for (const auto& [raw_key, item] : paths) {
            // "…/invite " and "…/invite" are the same path with different operations.
            std::string text(detail::trim(raw_key));
            if (!item.is_object()) continue;
            for (const auto& [method, op_value] : item.get_object()) {
                if (!is_http_method(method) || !op_value.is_object()) continue;
                const operation& op = operations.emplace_back(make_operation(text, method, op_value.get_object()));
                route_for(text, {}).ops.push_back(&op);
                if (std::string last = optional_trailing_param(text, op_value.get_object()); !last.empty())
                    route_for(text, last).ops.push_back(&op);
            }
        }
        for (const route& r : routes) routes_by_length[r.segments.size()].push_back(&r);
    }

    static operation make_operation(const std::string& text, std::string_view method, const json::object& op_json) {
        operation op;
        op.method = std::string(method);
        op.path_key = text;
        if (const json::value* id = op_json.if_contains("operationId"); id && id->is_string())
            op.id = std::string(id->get_string());
        if (const json::value* params = op_json.if_contains("parameters"); params && params->is_array()) {
            for (const json::value& p : params->get_array()) {
                if (!p.is_object()) continue;
                const json::object& po = p.get_object();
                const json::value* where = po.if_contains("in");
                const json::value* name = po.if_contains("name");
                if (!where || !name || !where->is_string() || !name->is_string()) continue;
                const json::value* schema = po.if_contains("schema");
                if (where->get_string() == "path") {
                    op.path_params[std::string(name->get_string())] = schema;
                } else if (where->get_string() == "query") {
                    query_param q;
                    q.name = std::string(name->get_string());
                    q.schema = schema;
                    const json::value* req = po.if_contains("required");
                    q.required = req && req->is_bool() && req->get_bool();
                    std::string_view t = schema_type(schema);
                    q.shape = t == "array" ? param_shape::array : t == "object" ? param_shape::object : param_shape::scalar;
                    if (q.shape == param_shape::object) op.open_query = true;
                    op.query.push_back(std::move(q));
                }
                // Header params (only Content-Type on uploads) are the HTTP layer's business.
            }
        }
        if (const json::value* rb = op_json.if_contains("requestBody"); rb && rb->is_object()) {
            op.has_body = true;
            const json::value* req = rb->get_object().if_contains("required");
            op.body_required = req && req->is_bool() && req->get_bool();
            if (const json::value* content = rb->get_object().if_contains("content"); content && content->is_object()) {
                if (const json::value* js = content->get_object().if_contains("application/json"); js && js->is_object())
                    op.json_body = js->get_object().if_contains("schema");
            }
        }
        // The send and state bodies are declared as a bare object: the real
        // schema is the event type's content, found in the event schemas.
        op.event_body = op.id == "sendMessage" || op.id == "setRoomStateWithKey";
        return op;
    }

    // The last segment's parameter when its description says the trailing slash may go.
    static std::string optional_trailing_param(const std::string& text, const json::object& op_json) {
        std::vector<segment> segs = split_template(text);
        if (segs.empty() || !segs.back().is_param) return {};
        const json::value* params = op_json.if_contains("parameters");
        if (!params || !params->is_array()) return {};
        for (const json::value& p : params->get_array()) {
            if (!p.is_object()) continue;
            const json::value* name = p.get_object().if_contains("name");
            const json::value* desc = p.get_object().if_contains("description");
            if (!name || !desc || !name->is_string() || !desc->is_string()) continue;
            std::string_view d = desc->get_string();
            if (name->get_string() == segs.back().text && d.find("trailing slash") != std::string_view::npos &&
                d.find("optional") != std::string_view::npos)
                return segs.back().text;
        }
        return {};
    }

    static void collect_content(const json::value& schema, std::vector<const json::value*>& out) {
        if (!schema.is_object()) return;
        const json::object& s = schema.get_object();
        if (const json::value* props = s.if_contains("properties"); props && props->is_object()) {
            if (const json::value* c = props->get_object().if_contains("content")) out.push_back(c);
        }
        if (const json::value* all = s.if_contains("allOf"); all && all->is_array())
            for (const json::value& sub : all->get_array()) collect_content(sub, out);
    }

    void index_events() {
        const json::object& schemas = events.at("schemas").as_object();
        for (const auto& [name, schema] : schemas) {
            std::string full(name);
            std::size_t dollar = full.find('$');
            std::vector<const json::value*> content;
            collect_content(schema, content);
            if (dollar == std::string::npos) {
                event_def& def = event_defs[full];
                def.content = std::move(content);
                def.defined = true;
                continue;
            }
            // "m.room.message$m.notice": find the content property pinned to
            // "m.notice" by a one-value enum; that is what selects the variant.
            variant v;
            v.name = full;
            v.value = full.substr(dollar + 1);
            for (const json::value* c : content) {
                if (!c->is_object()) continue;
                const json::value* props = c->get_object().if_contains("properties");
                if (!props || !props->is_object()) continue;
                for (const auto& [prop, prop_schema] : props->get_object()) {
                    const json::value* e = prop_schema.is_object() ? prop_schema.get_object().if_contains("enum") : nullptr;
                    if (e && e->is_array() && e->get_array().size() == 1 && e->get_array()[0] == json::value(v.value))
                        v.key = std::string(prop);
                }
            }
            // A variant nothing selects cannot be chosen safely; leave it to the base schema.
            if (v.key.empty()) continue;
            v.content = std::move(content);
            event_defs[full.substr(0, dollar)].variants.push_back(std::move(v));
        }
    }

    // Problems with `content` for event `type`; empty optional when the type is unknown.
    // `label` receives the schema used ("m.room.message$m.notice").
    std::optional<std::vector<std::string>> event_problems(std::string_view type, const json::value& content,
                                                           const std::string& root, std::string& label) const {
        auto it = event_defs.find(std::string(type));
        if (it == event_defs.end()) return std::nullopt;
        const event_def& def = it->second;
        const std::vector<const json::value*>* schemas = &def.content;
        label = std::string(type);
        if (content.is_object()) {
            for (const variant& v : def.variants) {
                const json::value* selector = content.get_object().if_contains(v.key);
                if (selector && selector->is_string() && selector->get_string() == v.value) {
                    schemas = &v.content;
                    label = v.name;
                    break;
                }
            }
        }
        if (!def.defined && schemas == &def.content) return std::nullopt;
        std::vector<std::string> problems;
        detail::validator check;
        for (const json::value* s : *schemas) check.run(*s, content, root, problems);
        return problems;
    }

    std::vector<std::string> check_operation(const operation& op,
                                             const std::unordered_map<std::string, std::string>& path_values,
                                             const std::vector<detail::form_pair>& query,
                                             std::string_view content_type, std::string_view body) const {
        std::vector<std::string> problems;
        detail::validator text_check(detail::text_values);

        for (const auto& [name, value] : path_values) {
            auto it = op.path_params.find(name);
            if (it != op.path_params.end() && it->second)
                text_check.run(*it->second, json::value(value), "{" + name + "}", problems);
        }

        for (const query_param& q : op.query) {
            std::vector<const std::string*> values;
            for (const auto& pair : query)
                if (pair.key == q.name) values.push_back(&pair.value);
            std::string label = "?" + q.name;
            if (values.empty()) {
                if (q.required) problems.push_back(label + ": required query parameter missing");
                continue;
            }
            if (!q.schema) continue;
            if (q.shape == param_shape::array) {
                json::array arr;
                for (const std::string* v : values) arr.emplace_back(*v);
                text_check.run(*q.schema, json::value(std::move(arr)), label, problems);
            } else if (q.shape == param_shape::scalar) {
                if (values.size() > 1) problems.push_back(label + ": given " + std::to_string(values.size()) + " times");
                text_check.run(*q.schema, json::value(*values.front()), label, problems);
            }
        }
        if (!op.open_query) {
            for (const auto& pair : query) {
                bool declared = std::any_of(op.query.begin(), op.query.end(),
                                            [&](const query_param& q) { return q.name == pair.key; });
                if (!declared && !universally_allowed_query(pair.key))
                    problems.push_back("?" + pair.key + ": query parameter not defined by " + op.id);
            }
        }

        std::string media = detail::lower(detail::trim(content_type.substr(0, content_type.find(';'))));
        if (op.json_body) {
            if (body.empty()) {
                if (op.body_required) problems.push_back("request body required (application/json)");
            } else {
                if (media != "application/json")
                    problems.push_back("body sent as \"" + media + "\", the operation takes application/json");
                boost::system::error_code ec;
                json::value parsed = json::parse(body, ec);
                if (ec) {
                    problems.push_back("body is not valid JSON: " + ec.message());
                } else {
                    detail::validator{}.run(*op.json_body, parsed, "$", problems);
                    if (op.event_body) {
                        auto type = path_values.find("eventType");
                        if (type != path_values.end()) {
                            // Custom event types are legal; only known ones have a schema to meet.
                            std::string label;
                            if (auto more = event_problems(type->second, parsed, "$", label))
                                for (std::string& p : *more) problems.push_back("[" + label + " content] " + p);
                        }
                    }
                }
            }
        } else if (!op.has_body) {
            // Clients commonly send "{}" to body-less POSTs such as /logout; that is harmless.
            std::string_view b = detail::trim(body);
            if (!b.empty() && b != "{}") problems.push_back("the operation takes no request body");
        }
        return problems;
    }
};

matrix_api::matrix_api() : impl_(std::make_unique<impl>()) {}
matrix_api::~matrix_api() = default;

const matrix_api& matrix_api::get() {
    static const matrix_api instance;
    return instance;
}

std::vector<std::string> matrix_api::check_request(std::string_view method, std::string_view target,
                                                   std::string_view content_type, std::string_view body) const {
    std::string verb = detail::upper(method);
    std::size_t q = target.find('?');
    std::string_view raw_path = target.substr(0, q);
    std::string_view raw_query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    std::string request = verb + " " + std::string(raw_path);

    if (raw_path.empty() || raw_path.front() != '/') return {request + ": the target must start with '/'"};

    std::vector<std::string> segments;
    for (std::string_view raw : detail::split(raw_path.substr(1), '/')) {
        auto decoded = detail::percent_decode(raw, false);
        if (!decoded) return {request + ": malformed percent-encoding in path segment \"" + std::string(raw) + "\""};
        segments.push_back(std::move(*decoded));
    }
    std::vector<detail::form_pair> query = detail::parse_pairs(raw_query);
    for (const auto& pair : query)
        if (pair.malformed) return {request + ": malformed percent-encoding in query \"" + pair.raw + "\""};

    // Every template of this length whose literal segments agree.
    struct match {
        const route* r;
        std::unordered_map<std::string, std::string> values;
    };
    std::vector<match> matches;
    if (auto it = impl_->routes_by_length.find(segments.size()); it != impl_->routes_by_length.end()) {
        for (const route* r : it->second) {
            match m{r, {}};
            bool ok = true;
            for (std::size_t i = 0; ok && i < segments.size(); ++i) {
                const segment& seg = r->segments[i];
                if (seg.is_param)
                    m.values[seg.text] = segments[i];
                else
                    ok = seg.text == segments[i];
            }
            if (!ok) continue;
            if (!r->omitted_param.empty()) m.values[r->omitted_param] = "";
            matches.push_back(std::move(m));
        }
    }
    if (matches.empty()) return {request + ": the operation is unknown (no path template matches)"};

    std::string lower_method = detail::lower(method);
    std::vector<std::vector<std::string>> results;
    std::vector<const operation*> tried;
    for (const match& m : matches) {
        for (const operation* op : m.r->ops) {
            if (op->method != lower_method) continue;
            auto problems = impl_->check_operation(*op, m.values, query, content_type, body);
            if (problems.empty()) return {};
            results.push_back(std::move(problems));
            tried.push_back(op);
        }
    }
    if (results.empty()) {
        std::string allowed;
        for (const match& m : matches)
            for (const operation* op : m.r->ops)
                if (allowed.find(detail::upper(op->method)) == std::string::npos)
                    allowed += (allowed.empty() ? "" : ", ") + detail::upper(op->method);
        return {request + ": the operation is unknown (" + matches.front().r->text + " has no " + verb +
                ", only " + allowed + ")"};
    }
    // Several operations may share a path (".../invite" and ".../invite "): report the closest.
    std::size_t best = 0;
    for (std::size_t i = 1; i < results.size(); ++i)
        if (results[i].size() < results[best].size()) best = i;
    std::vector<std::string> out;
    out.reserve(results[best].size());
    for (std::string& p : results[best]) out.push_back(request + " (" + tried[best]->id + "): " + p);
    return out;
}

std::vector<std::string> matrix_api::check_event_content(std::string_view type, const json::value& content) const {
    std::string label;
    if (auto problems = impl_->event_problems(type, content, "$.content", label)) return std::move(*problems);
    return {"unknown event type \"" + std::string(type) + "\""};
}

// ---- Slack -----------------------------------------------------------------

slack_api::slack_api() {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(specs_dir() / "slack" / "methods"))
        if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    if (files.empty()) throw std::runtime_error("spec_check: no Slack method definitions under " + specs_dir().string());

    for (const auto& file : files) {
        json::value doc = detail::parse_file(file);
        method_def def;
        if (const json::value* verb = doc.as_object().if_contains("http_method"); verb && verb->is_string())
            def.http_method = detail::upper(verb->get_string());
        if (const json::value* args = doc.as_object().if_contains("args")) def.args = *args;
        // Arguments whose documentation says they carry JSON inside a string
        // (blocks, attachments, metadata, view): a JSON body may send the
        // structure itself, which the file's "string" type cannot describe.
        if (const json::value* props = def.args.is_object() ? def.args.get_object().if_contains("properties") : nullptr;
            props && props->is_object()) {
            for (const auto& [name, schema] : props->get_object()) {
                const json::value* desc = schema.is_object() ? schema.get_object().if_contains("desc") : nullptr;
                if (desc && desc->is_string() && std::string_view(desc->get_string()).find("JSON") != std::string_view::npos)
                    def.json_encoded.emplace_back(name);
            }
        }
        methods_.emplace(file.stem().string(), std::move(def));
    }
}

const slack_api& slack_api::get() {
    static const slack_api instance;
    return instance;
}

bool slack_api::knows(std::string_view method_name) const { return methods_.find(method_name) != methods_.end(); }

std::vector<std::string> slack_api::check_call(std::string_view method_name, std::string_view http_verb,
                                               const json::object& args) const {
    std::string name(method_name);
    auto it = methods_.find(method_name);
    if (it == methods_.end()) return {"unknown Slack method \"" + name + "\""};
    const method_def& def = it->second;

    std::vector<std::string> problems;
    std::string verb = detail::upper(http_verb);
    if (!def.http_method.empty() && verb != def.http_method)
        problems.push_back(name + ": called with " + verb + ", documented as " + def.http_method);

    const json::object* schema = def.args.is_object() ? &def.args.get_object() : nullptr;
    if (!schema) return problems;

    if (const json::value* required = schema->if_contains("required"); required && required->is_array()) {
        for (const json::value& arg : required->get_array()) {
            // The token travels in the Authorization header, never in the arguments.
            if (!arg.is_string() || arg.get_string() == "token") continue;
            if (!args.contains(arg.get_string()))
                problems.push_back(name + ": missing required argument \"" + std::string(arg.get_string()) + "\"");
        }
    }

    const json::value* props = schema->if_contains("properties");
    detail::validator check(detail::slack_values);
    for (const auto& [key, value] : args) {
        const json::value* arg_schema = props && props->is_object() ? props->get_object().if_contains(key) : nullptr;
        if (!arg_schema) {
            problems.push_back(name + ": argument \"" + std::string(key) + "\" is not declared by the method");
            continue;
        }
        bool structured = value.is_array() || value.is_object();
        if (structured && std::find(def.json_encoded.begin(), def.json_encoded.end(), key) != def.json_encoded.end())
            continue;  // the structure itself, in a JSON body; the file describes only its string form
        std::vector<std::string> arg_problems;
        check.run(*arg_schema, value, detail::child_path("$", key), arg_problems);
        for (std::string& p : arg_problems) problems.push_back(name + ": " + p);
    }
    return problems;
}

}  // namespace firebreak::testing
