#include "tests/support/fake_homeserver.hpp"

#include "tests/support/fake_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>

namespace firebreak::testing {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

// Limits: generous for tests, but bounded so a broken client cannot exhaust memory.
constexpr std::int64_t max_sync_timeout_ms = 30'000;
constexpr std::size_t max_sync_batch = 5'000;
constexpr std::size_t initial_sync_window = 20;
constexpr std::int64_t default_fake_time_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// ----- small helpers -----

std::string to_std(json::string_view s) { return std::string(s.data(), s.size()); }

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// RFC 3986 percent-decoding. A malformed escape is kept literally rather than rejected: the
// fake must answer whatever a client sends, and routing then fails with a clear 404/403.
std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

// The whole of `s` as a decimal integer; out-of-range counts as malformed, not as zero.
template <class Int>
bool parse_whole(std::string_view s, Int& out) {
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

void erase_value(std::vector<std::string>& v, const std::string& x) { v.erase(std::remove(v.begin(), v.end(), x), v.end()); }

// ----- replies -----

struct reply {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

reply error_reply(int status, std::string_view errcode, std::string_view error) {
    json::object o;
    o["errcode"] = errcode;
    o["error"] = error;
    return reply{status, json::serialize(o), {}};
}

reply json_reply(const json::object& o) { return reply{200, json::serialize(o), {}}; }

// ----- requests -----

// A request's target split for routing: path segments percent-decoded one by one (so an
// encoded '/' inside a room id never splits it), and the query decoded into a map.
struct request_view {
    std::string raw_path;
    std::string decoded_path;
    std::vector<std::string> segments;
    std::map<std::string, std::string> query;
};

request_view parse_target(std::string_view target) {
    request_view v;
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    v.raw_path = std::string(path);
    v.decoded_path = percent_decode(path);
    if (!path.empty() && path.front() == '/') {
        std::size_t start = 1;
        for (;;) {
            const auto slash = path.find('/', start);
            v.segments.push_back(percent_decode(path.substr(start, slash - start)));
            if (slash == std::string_view::npos) break;
            start = slash + 1;
        }
    }
    if (q != std::string_view::npos) {
        std::string_view rest = target.substr(q + 1);
        while (!rest.empty()) {
            const auto amp = rest.find('&');
            const std::string_view pair = rest.substr(0, amp);
            const auto eq = pair.find('=');
            const std::string key = percent_decode(pair.substr(0, eq));
            const std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
            if (!key.empty()) v.query.emplace(key, value);  // the first occurrence wins
            if (amp == std::string_view::npos) break;
            rest = rest.substr(amp + 1);
        }
    }
    return v;
}

bool matches(const std::vector<std::string>& segments, std::initializer_list<std::string_view> pattern) {
    if (segments.size() != pattern.size()) return false;
    std::size_t i = 0;
    for (auto p : pattern) {
        if (p != "*" && segments[i] != p) return false;
        ++i;
    }
    return true;
}

// A body that must be a JSON object; nullopt means "answer M_NOT_JSON". Boost.JSON bounds
// nesting depth itself, so hostile input yields an error code, not a stack overflow.
std::optional<json::object> parse_object(const std::string& body, bool empty_is_empty_object) {
    if (body.empty()) return empty_is_empty_object ? std::optional<json::object>(json::object{}) : std::nullopt;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

reply not_json() { return error_reply(400, "M_NOT_JSON", "Content not JSON."); }

// ----- the world: rooms, events, and the API over them (always used under the mutex) -----

struct stored_event {
    json::object event;       // a full ClientEvent, room_id included
    std::size_t stream_pos;   // 1-based position in the server-wide stream
};

struct room_data {
    std::vector<stored_event> events;
    std::vector<std::string> joined, invited;  // insertion order, no duplicates
    std::map<std::pair<std::string, std::string>, std::size_t> state;  // (type, state_key) -> index in events
};

struct fault_rule {
    enum class kind { rate_limit, fail, drop };
    kind what;
    std::string method, path_part;
    int remaining = 0;
    int status = 0;
    std::string body;
    int retry_after_ms = 0;
};

// An incremental /sync with nothing new for the bot: the session parks it until an event
// arrives or the client's timeout passes.
struct sync_query {
    bool initial = true;
    std::size_t since = 0;
    std::int64_t timeout_ms = 0;
};

// What the world made of one request.
struct verdict {
    verdict() = default;
    verdict(reply r) : answer(std::move(r)) {}  // NOLINT: replies convert implicitly on purpose
    reply answer;
    std::optional<sync_query> park;
    bool drop = false;
};

class world {
public:
    explicit world(fake_homeserver_options o) : opts_(std::move(o)) {}

    const fake_homeserver_options& options() const { return opts_; }

    // --- scripting ---

    room_data& room(const std::string& id) {
        auto it = rooms_.find(id);
        if (it == rooms_.end()) throw std::invalid_argument("fake_homeserver: no room " + id);
        return it->second;
    }
    const room_data* find_room(const std::string& id) const {
        auto it = rooms_.find(id);
        return it == rooms_.end() ? nullptr : &it->second;
    }

    std::string new_room_id(char kind) {
        const int n = kind == 'r' ? ++test_rooms_ : ++bot_rooms_;
        std::string id = std::string("!") + kind + std::to_string(n) + ":" + opts_.server_name;
        rooms_[id];
        room_order_.push_back(id);
        return id;
    }

    // Appends one event to a room's timeline and the server-wide stream, and applies it to the
    // room's state and membership.
    std::string append(const std::string& room_id, const std::string& sender, const std::string& type,
                       json::object content, std::optional<std::string> state_key = std::nullopt,
                       json::object unsigned_data = {}) {
        room_data& r = room(room_id);
        const std::size_t pos = log_.size() + 1;
        std::string id = "$e" + std::to_string(pos);
        std::string membership;
        if (type == "m.room.member" && state_key) {
            if (const auto* m = content.if_contains("membership"); m && m->is_string()) membership = to_std(m->as_string());
        }
        json::object ev;
        ev["event_id"] = id;
        ev["room_id"] = room_id;
        ev["sender"] = sender;
        ev["type"] = type;
        ev["origin_server_ts"] = now_ms_++;
        ev["content"] = std::move(content);
        if (state_key) {
            ev["state_key"] = *state_key;
            // As homeservers do: a state event that replaces another carries the content it
            // replaced (how a client tells a name change from a join).
            auto before = r.state.find({type, *state_key});
            if (before != r.state.end() && !unsigned_data.contains("prev_content"))
                unsigned_data["prev_content"] = r.events[before->second].event.at("content");
        }
        ev["unsigned"] = std::move(unsigned_data);
        r.events.push_back({std::move(ev), pos});
        log_.emplace_back(room_id, r.events.size() - 1);
        if (state_key) {
            r.state[{type, *state_key}] = r.events.size() - 1;
            if (type == "m.room.member") {
                erase_value(r.joined, *state_key);
                erase_value(r.invited, *state_key);
                if (membership == "join") r.joined.push_back(*state_key);
                if (membership == "invite") r.invited.push_back(*state_key);
            }
        }
        return id;
    }

    std::string create_test_room(const std::string& creator, const std::string& name) {
        const std::string id = new_room_id('r');
        append(id, creator, "m.room.create", json::object{{"creator", creator}, {"room_version", "10"}}, "");
        append(id, creator, "m.room.member", json::object{{"membership", "join"}}, creator);
        json::object pl = default_power_levels(creator);
        append(id, creator, "m.room.power_levels", std::move(pl), "");
        // Public, so the bot may join test rooms with or without an invite.
        append(id, creator, "m.room.join_rules", json::object{{"join_rule", "public"}}, "");
        if (!name.empty()) append(id, creator, "m.room.name", json::object{{"name", name}}, "");
        return id;
    }

    std::string push_event(const std::string& room_id, const std::string& sender, json::object event) {
        room(room_id);  // throws for an unknown room before anything changes
        const auto* type = event.if_contains("type");
        if (!type || !type->is_string()) throw std::invalid_argument("fake_homeserver::push_event: no \"type\"");
        json::object content;
        if (const auto* c = event.if_contains("content")) {
            if (!c->is_object()) throw std::invalid_argument("fake_homeserver::push_event: \"content\" is not an object");
            content = c->as_object();
        }
        std::optional<std::string> state_key;
        if (const auto* k = event.if_contains("state_key")) {
            if (!k->is_string()) throw std::invalid_argument("fake_homeserver::push_event: \"state_key\" is not a string");
            state_key = to_std(k->as_string());
        }
        return append(room_id, sender, to_std(type->as_string()), std::move(content), state_key);
    }

    // --- reading ---

    std::size_t stream_position() const { return log_.size(); }
    std::size_t timeline_limit_ = 0;  // 0: every event of a batch in the timeline
    const std::vector<std::string>& room_order() const { return room_order_; }
    std::int64_t& now_ms() { return now_ms_; }

    // --- faults and canned answers ---

    std::deque<std::string> raw_syncs;
    std::vector<fault_rule> rules;
    std::map<std::string, std::string> display_names;
    std::map<std::string, std::string> aliases;
    std::map<std::string, std::pair<std::string, std::string>> media;
    std::map<std::string, json::object> filters;

    // --- the API ---

    verdict handle(const recorded_request& rec) {
        const request_view v = parse_target(rec.target);
        const std::string method = upper(rec.method);
        auto applies = [&](const fault_rule& r) {
            return r.remaining > 0 && r.method == method &&
                   (v.raw_path.find(r.path_part) != std::string::npos ||
                    v.decoded_path.find(r.path_part) != std::string::npos);
        };
        // Injected faults come before everything else, as a proxy or rate limiter would.
        for (auto& r : rules) {
            if (r.what == fault_rule::kind::drop || !applies(r)) continue;
            --r.remaining;
            if (r.what == fault_rule::kind::fail) return reply{r.status, r.body, {}};
            json::object o{{"errcode", "M_LIMIT_EXCEEDED"},
                           {"error", "Too many requests"},
                           {"retry_after_ms", r.retry_after_ms}};
            const int seconds = r.retry_after_ms <= 0 ? 0 : (r.retry_after_ms + 999) / 1000;
            return reply{429, json::serialize(o), {{"Retry-After", std::to_string(seconds)}}};
        }
        bool drop = false;
        for (auto& r : rules) {
            if (r.what != fault_rule::kind::drop || !applies(r)) continue;
            --r.remaining;
            drop = true;
            break;
        }
        std::erase_if(rules, [](const fault_rule& r) { return r.remaining <= 0; });

        verdict out = dispatch(method, rec, v);
        out.drop = drop;
        return out;
    }

    // A parked sync looks again: nullopt means keep waiting.
    std::optional<reply> resume_sync(const sync_query& q, bool deadline_passed) {
        if (!raw_syncs.empty()) return take_raw_sync();
        bool has_content = false;
        json::object body = build_sync(q, has_content);
        if (!has_content && !deadline_passed) return std::nullopt;
        return json_reply(body);
    }

private:
    using handler = verdict (world::*)(const recorded_request&, const request_view&);

    handler route(const std::string& m, const std::vector<std::string>& s) const {
        const bool get = m == "GET", put = m == "PUT", post = m == "POST";
        if (get && matches(s, {"_matrix", "client", "versions"})) return &world::versions;
        if (get && matches(s, {"_matrix", "client", "v3", "account", "whoami"})) return &world::whoami;
        if (post && matches(s, {"_matrix", "client", "v3", "user", "*", "filter"})) return &world::post_filter;
        if (get && matches(s, {"_matrix", "client", "v3", "sync"})) return &world::sync;
        if (post && matches(s, {"_matrix", "client", "v3", "join", "*"})) return &world::join_room;
        if (post && matches(s, {"_matrix", "client", "v3", "createRoom"})) return &world::create_room;
        if (get && matches(s, {"_matrix", "client", "v3", "directory", "room", "*"})) return &world::directory;
        if (get && matches(s, {"_matrix", "client", "v3", "rooms", "*", "joined_members"})) return &world::joined_members;
        if (put && matches(s, {"_matrix", "client", "v3", "rooms", "*", "send", "*", "*"})) return &world::send;
        if ((put || get) && (matches(s, {"_matrix", "client", "v3", "rooms", "*", "state", "*"}) ||
                             matches(s, {"_matrix", "client", "v3", "rooms", "*", "state", "*", "*"})))
            return put ? &world::put_state : &world::get_state;
        if (post && matches(s, {"_matrix", "client", "v3", "rooms", "*", "invite"})) return &world::invite;
        if (get && matches(s, {"_matrix", "client", "v3", "profile", "*", "*"})) return &world::profile;
        if (post && matches(s, {"_matrix", "media", "v3", "upload"})) return &world::upload;
        if (put && matches(s, {"_matrix", "client", "v3", "rooms", "*", "redact", "*", "*"})) return &world::redact;
        if (get && matches(s, {"_matrix", "client", "v3", "rooms", "*", "messages"})) return &world::messages;
        return nullptr;
    }

    verdict dispatch(const std::string& method, const recorded_request& rec, const request_view& v) {
        const handler h = route(method, v.segments);
        if (!h) return error_reply(404, "M_UNRECOGNIZED", "Unrecognized request");
        if (h != &world::versions && !authorized(rec.authorization))
            return error_reply(401, "M_UNKNOWN_TOKEN", "Unrecognised access token.");
        return (this->*h)(rec, v);
    }

    bool authorized(const std::string& header) const {
        // "Bearer" is case-insensitive (RFC 6750 uses the RFC 7235 auth-scheme rules).
        constexpr std::string_view scheme = "bearer ";
        if (header.size() <= scheme.size()) return false;
        for (std::size_t i = 0; i < scheme.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
        std::string_view token(header);
        token.remove_prefix(scheme.size());
        while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
        while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
        return token == opts_.access_token;
    }

    bool bot_joined(const room_data* r) const { return r && contains(r->joined, opts_.bot_user); }

    reply not_in_room(const std::string& room_id) const {
        return error_reply(403, "M_FORBIDDEN", "User " + opts_.bot_user + " not in room " + room_id);
    }

    std::optional<json::object> current_power_levels(const std::string& room_id) const {
        const room_data* r = find_room(room_id);
        if (!r) return std::nullopt;
        auto it = r->state.find({"m.room.power_levels", ""});
        if (it == r->state.end()) return std::nullopt;
        return r->events[it->second].event.at("content").as_object();
    }
    // A level from the room's power levels: `table`[`key`], else `fallback_key`, else
    // `absent` (0 for a room without power levels, as the spec's defaults have it).
    std::int64_t level(const std::string& room_id, const char* table, const std::string& key, const char* fallback_key,
                       std::int64_t absent) const {
        auto pl = current_power_levels(room_id);
        if (!pl) return 0;
        if (const auto* t = pl->if_contains(table); t && t->is_object())
            if (const auto* v = t->as_object().if_contains(key); v && v->is_int64()) return v->as_int64();
        if (const auto* d = pl->if_contains(fallback_key); d && d->is_int64()) return d->as_int64();
        return absent;
    }
    std::int64_t user_level(const std::string& room_id, const std::string& user) const {
        return level(room_id, "users", user, "users_default", 0);
    }
    std::int64_t required_level(const std::string& room_id, const std::string& type) const {
        return level(room_id, "events", type, "state_default", 50);
    }

    json::object default_power_levels(const std::string& owner) const {
        return json::object{
            {"users", json::object{{owner, 100}}},
            {"users_default", 0},
            {"events", json::object{{"m.room.name", 50},
                                    {"m.room.power_levels", 100},
                                    {"m.room.history_visibility", 100},
                                    {"m.room.canonical_alias", 50},
                                    {"m.room.avatar", 50},
                                    {"m.room.tombstone", 100},
                                    {"m.room.server_acl", 100},
                                    {"m.room.encryption", 100}}},
            {"events_default", 0},
            {"state_default", 50},
            {"ban", 50},
            {"kick", 50},
            {"redact", 50},
            {"invite", 0},
            {"notifications", json::object{{"room", 50}}},
        };
    }

    reply take_raw_sync() {
        reply r{200, std::move(raw_syncs.front()), {}};
        raw_syncs.pop_front();
        return r;
    }

    // A room event as /sync carries it: a ClientEventWithoutRoomID.
    static json::object for_sync(const json::object& ev) {
        json::object copy = ev;
        copy.erase("room_id");
        return copy;
    }

    static json::object stripped(const json::object& ev) {
        json::object s;
        for (const char* k : {"type", "state_key", "sender", "content"})
            if (const auto* f = ev.if_contains(k)) s[k] = *f;
        return s;
    }

    // The stripped state an invitee sees (the spec's recommended set plus its own invite).
    json::array invite_state(const room_data& r) const {
        json::array out;
        for (const char* type : {"m.room.create", "m.room.name", "m.room.topic", "m.room.avatar", "m.room.join_rules",
                                 "m.room.canonical_alias", "m.room.encryption"}) {
            if (auto it = r.state.find({type, ""}); it != r.state.end())
                out.push_back(stripped(r.events[it->second].event));
        }
        if (auto it = r.state.find({"m.room.member", opts_.bot_user}); it != r.state.end())
            out.push_back(stripped(r.events[it->second].event));
        return out;
    }

    json::object build_sync(const sync_query& q, bool& has_content) const {
        json::object join, invite;
        std::size_t next = log_.size();
        if (q.initial) {
            // The current state: each joined room's last events, each pending invite.
            for (const auto& id : room_order_) {
                const room_data& r = rooms_.at(id);
                if (contains(r.joined, opts_.bot_user)) {
                    const std::size_t start =
                        r.events.size() > initial_sync_window ? r.events.size() - initial_sync_window : 0;
                    json::array events, state;
                    for (std::size_t i = start; i < r.events.size(); ++i) events.push_back(for_sync(r.events[i].event));
                    // State from before the window, so a client still learns names and power levels.
                    for (const auto& [key, idx] : r.state)
                        if (idx < start) state.push_back(for_sync(r.events[idx].event));
                    const std::size_t prev = r.events.empty() ? 0 : r.events[start].stream_pos - 1;
                    join[id] = json::object{
                        {"timeline", json::object{{"events", std::move(events)},
                                                  {"limited", start > 0},
                                                  {"prev_batch", "s" + std::to_string(prev)}}},
                        {"state", json::object{{"events", std::move(state)}}},
                    };
                } else if (contains(r.invited, opts_.bot_user)) {
                    invite[id] = json::object{{"invite_state", json::object{{"events", invite_state(r)}}}};
                }
            }
            has_content = true;
        } else {
            // Everything after `since`, grouped by room in first-seen order; a room the bot is only
            // invited to appears once, when its invite is in the batch.
            const std::size_t since = std::min(q.since, log_.size());
            const std::size_t end = std::min(log_.size(), since + max_sync_batch);
            next = end;
            std::vector<std::string> order;
            std::map<std::string, std::pair<json::array, std::vector<std::size_t>>> timelines;  // events, positions
            for (std::size_t i = since; i < end; ++i) {
                const auto& [room_id, idx] = log_[i];
                const room_data& r = rooms_.at(room_id);
                const json::object& ev = r.events[idx].event;
                if (contains(r.joined, opts_.bot_user)) {
                    auto [it, fresh] = timelines.try_emplace(room_id, json::array{}, std::vector<std::size_t>{});
                    if (fresh) order.push_back(room_id);
                    it->second.first.push_back(for_sync(ev));
                    it->second.second.push_back(i);
                } else if (contains(r.invited, opts_.bot_user)) {
                    const auto* type = ev.if_contains("type");
                    const auto* key = ev.if_contains("state_key");
                    if (type && type->is_string() && type->as_string() == "m.room.member" && key && key->is_string() &&
                        key->as_string() == opts_.bot_user)
                        invite[room_id] = json::object{{"invite_state", json::object{{"events", invite_state(r)}}}};
                }
            }
            for (const auto& id : order) {
                auto& [events, positions] = timelines.at(id);
                // Like a server honouring a filter's timeline limit: only the newest events,
                // flagged limited, with prev_batch marking where the gap ends.
                bool limited = timeline_limit_ > 0 && events.size() > timeline_limit_;
                std::size_t first = limited ? events.size() - timeline_limit_ : 0;
                json::array kept;
                for (std::size_t k = first; k < events.size(); ++k) kept.push_back(std::move(events[k]));
                join[id] = json::object{
                    {"timeline", json::object{{"events", std::move(kept)},
                                              {"limited", limited},
                                              {"prev_batch", "s" + std::to_string(positions[first])}}},
                    {"state", json::object{{"events", json::array{}}}},
                };
            }
            has_content = !join.empty() || !invite.empty();
        }
        return json::object{
            {"next_batch", "s" + std::to_string(next)},
            {"rooms", json::object{{"join", std::move(join)}, {"invite", std::move(invite)}, {"leave", json::object{}}}},
            {"account_data", json::object{{"events", json::array{}}}},
            {"presence", json::object{{"events", json::array{}}}},
        };
    }

    // --- endpoints ---

    verdict versions(const recorded_request&, const request_view&) {
        return json_reply(json::object{{"versions", json::array{"v1.1", "v1.11", "v1.19"}}});
    }

    verdict whoami(const recorded_request&, const request_view&) {
        return json_reply(json::object{{"user_id", opts_.bot_user}, {"device_id", "FAKEDEV"}, {"is_guest", false}});
    }

    verdict post_filter(const recorded_request& rec, const request_view& v) {
        if (v.segments[4] != opts_.bot_user)
            return error_reply(403, "M_FORBIDDEN", "Cannot create filters for other users");
        auto body = parse_object(rec.body, false);
        if (!body) return not_json();
        std::string id = "f" + std::to_string(filters.size() + 1);
        filters[id] = std::move(*body);
        return json_reply(json::object{{"filter_id", id}});
    }

    verdict sync(const recorded_request&, const request_view& v) {
        sync_query q;
        if (auto it = v.query.find("since"); it != v.query.end() && !it->second.empty()) {
            const std::string& s = it->second;
            std::size_t n = 0;
            if (s.size() < 2 || s[0] != 's' || !parse_whole(std::string_view(s).substr(1), n))
                return error_reply(400, "M_INVALID_PARAM", "Invalid since token: " + s);
            q.initial = false;
            q.since = n;
        }
        if (auto it = v.query.find("timeout"); it != v.query.end() && !it->second.empty()) {
            const std::string& s = it->second;
            std::int64_t ms = 0;
            if (!parse_whole(s, ms))
                return error_reply(400, "M_INVALID_PARAM", "timeout must be an integer: " + s);
            q.timeout_ms = std::clamp<std::int64_t>(ms, 0, max_sync_timeout_ms);
        }
        if (!raw_syncs.empty()) return take_raw_sync();
        bool has_content = false;
        json::object body = build_sync(q, has_content);
        if (q.initial || has_content || q.timeout_ms == 0) return json_reply(body);
        verdict out;
        out.park = q;
        return out;
    }

    verdict join_room(const recorded_request& rec, const request_view& v) {
        if (!parse_object(rec.body, true)) return not_json();
        std::string id = v.segments[4];
        if (!id.empty() && id.front() == '#') {
            auto it = aliases.find(id);
            if (it == aliases.end()) return error_reply(404, "M_NOT_FOUND", "Room alias " + id + " not found");
            id = it->second;
        }
        const room_data* r = find_room(id);
        if (!r) return error_reply(404, "M_NOT_FOUND", "No known room " + id);
        if (!contains(r->joined, opts_.bot_user)) {
            json::object content{{"membership", "join"}};
            if (auto dn = display_names.find(opts_.bot_user); dn != display_names.end()) content["displayname"] = dn->second;
            append(id, opts_.bot_user, "m.room.member", std::move(content), opts_.bot_user);
        }
        return json_reply(json::object{{"room_id", id}});
    }

    verdict create_room(const recorded_request& rec, const request_view&) {
        auto parsed = parse_object(rec.body, false);
        if (!parsed) return not_json();
        const json::object& b = *parsed;
        auto optional_string = [&](const char* key, std::string& out) {
            const auto* f = b.if_contains(key);
            if (!f) return true;
            if (!f->is_string()) return false;
            out = to_std(f->as_string());
            return true;
        };
        std::string name, topic, alias_name, preset, visibility;
        if (!optional_string("name", name) || !optional_string("topic", topic) ||
            !optional_string("room_alias_name", alias_name) || !optional_string("preset", preset) ||
            !optional_string("visibility", visibility))
            return error_reply(400, "M_BAD_JSON", "name, topic, room_alias_name, preset and visibility must be strings");
        std::vector<std::string> invitees;
        if (const auto* inv = b.if_contains("invite")) {
            if (!inv->is_array()) return error_reply(400, "M_BAD_JSON", "invite must be an array of user ids");
            for (const auto& u : inv->as_array()) {
                if (!u.is_string()) return error_reply(400, "M_BAD_JSON", "invite must be an array of user ids");
                invitees.push_back(to_std(u.as_string()));
            }
        }
        const json::object* pl_override = nullptr;
        if (const auto* o = b.if_contains("power_level_content_override")) {
            if (!o->is_object()) return error_reply(400, "M_BAD_JSON", "power_level_content_override must be an object");
            pl_override = &o->as_object();
        }
        std::optional<bool> is_direct;
        if (const auto* d = b.if_contains("is_direct")) {
            if (!d->is_bool()) return error_reply(400, "M_BAD_JSON", "is_direct must be a boolean");
            is_direct = d->as_bool();
        }
        const json::array* initial_state = nullptr;
        if (const auto* s = b.if_contains("initial_state")) {
            if (!s->is_array()) return error_reply(400, "M_BAD_JSON", "initial_state must be an array");
            for (const auto& e : s->as_array()) {
                const auto* o = e.if_object();
                if (!o || !o->contains("type") || !(*o).at("type").is_string() ||
                    (o->contains("content") && !o->at("content").is_object()) ||
                    (o->contains("state_key") && !o->at("state_key").is_string()))
                    return error_reply(400, "M_BAD_JSON", "initial_state entries need a type and object content");
            }
            initial_state = &s->as_array();
        }
        if (preset.empty()) preset = visibility == "public" ? "public_chat" : "private_chat";
        if (preset != "public_chat" && preset != "private_chat" && preset != "trusted_private_chat")
            return error_reply(400, "M_INVALID_PARAM", "Unknown preset " + preset);

        std::string alias;
        if (b.contains("room_alias_name")) {
            if (alias_name.empty() || alias_name.find_first_of(": \t\r\n") != std::string::npos)
                return error_reply(400, "M_INVALID_PARAM", "Invalid characters in room alias");
            alias = "#" + alias_name + ":" + opts_.server_name;
            if (aliases.count(alias)) return error_reply(400, "M_ROOM_IN_USE", "Room alias already taken");
        }

        // The spec's order: create, creator joins, power levels, alias, preset, initial
        // state, name and topic, invites.
        const std::string& bot = opts_.bot_user;
        const std::string id = new_room_id('c');
        json::object create{{"creator", bot}, {"room_version", "10"}};
        if (const auto* cc = b.if_contains("creation_content"); cc && cc->is_object())
            for (const auto& [k, val] : cc->as_object()) create[k] = val;
        append(id, bot, "m.room.create", std::move(create), "");
        append(id, bot, "m.room.member", json::object{{"membership", "join"}}, bot);

        json::object pl = default_power_levels(bot);
        if (preset == "trusted_private_chat")
            for (const auto& u : invitees) pl["users"].as_object()[u] = 100;
        if (pl_override) {
            // Maps merge key by key (so the bot keeps 100 unless overridden); the rest replaces.
            for (const auto& [k, val] : *pl_override) {
                auto* mine = pl.if_contains(k);
                if (mine && mine->is_object() && val.is_object())
                    for (const auto& [kk, vv] : val.as_object()) mine->as_object()[kk] = vv;
                else
                    pl[k] = val;
            }
        }
        append(id, bot, "m.room.power_levels", std::move(pl), "");
        if (!alias.empty()) {
            aliases[alias] = id;
            append(id, bot, "m.room.canonical_alias", json::object{{"alias", alias}}, "");
        }
        const bool is_public = preset == "public_chat";
        append(id, bot, "m.room.join_rules", json::object{{"join_rule", is_public ? "public" : "invite"}}, "");
        append(id, bot, "m.room.history_visibility", json::object{{"history_visibility", "shared"}}, "");
        append(id, bot, "m.room.guest_access", json::object{{"guest_access", is_public ? "forbidden" : "can_join"}}, "");
        if (initial_state) {
            for (const auto& e : *initial_state) {
                const auto& o = e.as_object();
                json::object content = o.contains("content") ? o.at("content").as_object() : json::object{};
                std::string key = o.contains("state_key") ? to_std(o.at("state_key").as_string()) : "";
                append(id, bot, to_std(o.at("type").as_string()), std::move(content), key);
            }
        }
        if (!name.empty()) append(id, bot, "m.room.name", json::object{{"name", name}}, "");
        if (!topic.empty()) append(id, bot, "m.room.topic", json::object{{"topic", topic}}, "");
        for (const auto& u : invitees) {
            if (u == bot) continue;
            json::object content{{"membership", "invite"}};
            if (is_direct) content["is_direct"] = *is_direct;
            append(id, bot, "m.room.member", std::move(content), u);
        }
        return json_reply(json::object{{"room_id", id}});
    }

    verdict directory(const recorded_request&, const request_view& v) {
        const std::string& alias = v.segments[5];
        auto it = aliases.find(alias);
        if (it == aliases.end()) return error_reply(404, "M_NOT_FOUND", "Room alias " + alias + " not found.");
        return json_reply(json::object{{"room_id", it->second}, {"servers", json::array{json::string(opts_.server_name)}}});
    }

    verdict joined_members(const recorded_request&, const request_view& v) {
        const std::string& id = v.segments[4];
        const room_data* r = find_room(id);
        if (!bot_joined(r)) return not_in_room(id);
        json::object joined;
        for (const auto& u : r->joined) {
            json::object member;
            if (auto dn = display_names.find(u); dn != display_names.end()) member["display_name"] = dn->second;
            joined[u] = std::move(member);
        }
        return json_reply(json::object{{"joined", std::move(joined)}});
    }

    // Transactions are scoped to the access token and the endpoint (Synapse keys them the
    // same way), so a retry with the same txnId returns the first answer and appends nothing.
    std::string txn_key(const request_view& v) const { return opts_.access_token + "\n" + v.decoded_path; }

    verdict send(const recorded_request& rec, const request_view& v) {
        const std::string& id = v.segments[4];
        const std::string& type = v.segments[6];
        const std::string& txn = v.segments[7];
        if (!bot_joined(find_room(id))) return not_in_room(id);
        if (auto it = txns_.find(txn_key(v)); it != txns_.end()) return json_reply(json::object{{"event_id", it->second}});
        auto content = parse_object(rec.body, false);
        if (!content) return not_json();
        std::string event_id =
            append(id, opts_.bot_user, type, std::move(*content), std::nullopt, json::object{{"transaction_id", txn}});
        txns_[txn_key(v)] = event_id;
        return json_reply(json::object{{"event_id", event_id}});
    }

    verdict put_state(const recorded_request& rec, const request_view& v) {
        const std::string& id = v.segments[4];
        const std::string& type = v.segments[6];
        const std::string key = v.segments.size() > 7 ? v.segments[7] : "";
        if (!bot_joined(find_room(id))) return not_in_room(id);
        auto content = parse_object(rec.body, false);
        if (!content) return not_json();
        // The authorisation rules, as far as the bot meets them: its level must reach the
        // event's (or state_default); in power levels it may neither raise anyone above its
        // own level nor change someone at or above it (other than itself).
        const auto mine = user_level(id, opts_.bot_user);
        if (mine < required_level(id, type)) return error_reply(403, "M_FORBIDDEN", "not allowed to send " + type);
        if (type == "m.room.power_levels") {
            json::object before;
            if (auto pl = current_power_levels(id)) before = *pl;
            auto users_of = [](const json::object& o) {
                std::map<std::string, std::int64_t> m;
                if (const auto* u = o.if_contains("users"); u && u->is_object())
                    for (const auto& [k, v] : u->as_object())
                        if (v.is_int64()) m[std::string(k)] = v.as_int64();
                return m;
            };
            auto was = users_of(before), now = users_of(*content);
            std::set<std::string> all;
            for (auto& [k, v] : was) all.insert(k);
            for (auto& [k, v] : now) all.insert(k);
            for (const auto& u : all) {
                auto a = was.count(u) ? was[u] : 0, b = now.count(u) ? now[u] : 0;
                if (a == b) continue;
                if (b > mine || (u != opts_.bot_user && a >= mine))
                    return error_reply(403, "M_FORBIDDEN", "cannot change the power level of " + u);
            }
        }
        return json_reply(json::object{{"event_id", append(id, opts_.bot_user, type, std::move(*content), key)}});
    }

    verdict get_state(const recorded_request&, const request_view& v) {
        const std::string& id = v.segments[4];
        const std::string key = v.segments.size() > 7 ? v.segments[7] : "";
        const room_data* r = find_room(id);
        if (!bot_joined(r)) return not_in_room(id);
        auto it = r->state.find({v.segments[6], key});
        if (it == r->state.end()) return error_reply(404, "M_NOT_FOUND", "Event not found.");
        return json_reply(r->events[it->second].event.at("content").as_object());
    }

    // Backwards pagination only (dir=b), which is what fills a limited timeline's gap:
    // events with from >= position > to, newest first.
    verdict messages(const recorded_request&, const request_view& v) {
        const std::string& id = v.segments[4];
        const room_data* r = find_room(id);
        if (!bot_joined(r)) return not_in_room(id);
        auto token = [&](const char* key, std::size_t fallback) -> std::optional<std::size_t> {
            auto it = v.query.find(key);
            if (it == v.query.end()) return fallback;
            if (it->second.size() < 2 || it->second[0] != 's') return std::nullopt;
            try {
                return std::stoull(it->second.substr(1));
            } catch (...) {
                return std::nullopt;
            }
        };
        auto dir = v.query.find("dir");
        if (dir == v.query.end() || dir->second != "b") return error_reply(400, "M_INVALID_PARAM", "only dir=b is faked");
        auto from = token("from", log_.size());
        auto to = token("to", 0);
        std::size_t limit = 10;
        if (auto l = v.query.find("limit"); l != v.query.end()) limit = std::max<std::size_t>(1, std::strtoul(l->second.c_str(), nullptr, 10));
        if (!from || !to) return error_reply(400, "M_INVALID_PARAM", "bad pagination token");
        json::array chunk;
        std::size_t last = *from;
        for (auto it = r->events.rbegin(); it != r->events.rend() && chunk.size() < limit; ++it) {
            if (it->stream_pos > *from) continue;
            if (it->stream_pos <= *to) break;
            json::object ev = it->event;
            ev["room_id"] = id;
            chunk.push_back(std::move(ev));
            last = it->stream_pos - 1;
        }
        json::object out{{"chunk", std::move(chunk)}, {"start", "s" + std::to_string(*from)}};
        if (out["chunk"].as_array().size() == limit) out["end"] = "s" + std::to_string(last);
        return json_reply(std::move(out));
    }

    verdict invite(const recorded_request& rec, const request_view& v) {
        const std::string& id = v.segments[4];
        const room_data* r = find_room(id);
        if (!bot_joined(r)) return not_in_room(id);
        auto body = parse_object(rec.body, false);
        if (!body) return not_json();
        const auto* user = body->if_contains("user_id");
        if (!user || !user->is_string()) return error_reply(400, "M_BAD_JSON", "user_id must be a string");
        const std::string u = to_std(user->as_string());
        if (contains(r->joined, u)) return error_reply(403, "M_FORBIDDEN", u + " is already in the room.");
        if (!contains(r->invited, u)) {
            json::object content{{"membership", "invite"}};
            if (const auto* reason = body->if_contains("reason"); reason && reason->is_string()) content["reason"] = *reason;
            append(id, opts_.bot_user, "m.room.member", std::move(content), u);
        }
        return json_reply(json::object{});
    }

    verdict profile(const recorded_request&, const request_view& v) {
        const std::string& user = v.segments[4];
        if (v.segments[5] == "displayname") {
            if (auto it = display_names.find(user); it != display_names.end())
                return json_reply(json::object{{"displayname", it->second}});
        }
        return error_reply(404, "M_NOT_FOUND", "Profile was not found.");
    }

    verdict upload(const recorded_request& rec, const request_view&) {
        const std::string uri = "mxc://" + opts_.server_name + "/m" + std::to_string(media.size() + 1);
        media[uri] = {rec.content_type.empty() ? "application/octet-stream" : rec.content_type, rec.body};
        return json_reply(json::object{{"content_uri", uri}});
    }

    verdict redact(const recorded_request& rec, const request_view& v) {
        const std::string& id = v.segments[4];
        const std::string& target = v.segments[6];
        const std::string& txn = v.segments[7];
        if (!bot_joined(find_room(id))) return not_in_room(id);
        if (auto it = txns_.find(txn_key(v)); it != txns_.end()) return json_reply(json::object{{"event_id", it->second}});
        auto body = parse_object(rec.body, true);
        if (!body) return not_json();
        room_data& r = room(id);
        auto victim = std::find_if(r.events.begin(), r.events.end(),
                                   [&](const stored_event& e) { return e.event.at("event_id").as_string() == target; });
        if (victim == r.events.end()) return error_reply(404, "M_NOT_FOUND", "Event not found.");
        const std::size_t victim_index = static_cast<std::size_t>(victim - r.events.begin());

        json::object content{{"redacts", target}};
        if (const auto* reason = body->if_contains("reason"); reason && reason->is_string()) content["reason"] = *reason;
        std::string event_id =
            append(id, opts_.bot_user, "m.room.redaction", std::move(content), std::nullopt, json::object{{"transaction_id", txn}});
        // Room versions before 11 carry "redacts" at the top level; clients read either.
        r.events.back().event["redacts"] = target;
        // Strip the original as a server does; membership survives redaction.
        json::object& original = r.events[victim_index].event;
        json::object kept;
        if (auto* m = original["content"].as_object().if_contains("membership")) kept["membership"] = *m;
        original["content"] = std::move(kept);
        original["unsigned"].as_object()["redacted_because"] = r.events.back().event;
        txns_[txn_key(v)] = event_id;
        return json_reply(json::object{{"event_id", event_id}});
    }

    fake_homeserver_options opts_;
    std::map<std::string, room_data> rooms_;
    std::vector<std::string> room_order_;
    std::vector<std::pair<std::string, std::size_t>> log_;  // the stream: (room, index in its events)
    std::map<std::string, std::string> txns_;
    std::int64_t now_ms_ = default_fake_time_ms;
    int test_rooms_ = 0, bot_rooms_ = 0;
};

// ----- connections -----

// What the server needs from a connection, whatever its stream type.
class session_base : public fake_net::http_connection {
public:
    /// A parked sync should look again; io thread only.
    virtual void wake() = 0;
};

}  // namespace

// The server: the world behind a mutex, and the listener with its thread. Members are in
// destruction order: the server (and with it every session) goes before the world.
struct fake_homeserver::impl {
    explicit impl(fake_homeserver_options o) : w(o), opts(std::move(o)), net(opts.tls, "fake_homeserver") {}

    mutable std::mutex mu;
    world w;  // guarded by mu
    fake_net::call_log<recorded_request> log{mu, [](const recorded_request& r) { return r.method + " " + r.target; }};
    std::atomic<std::size_t> parked_count{0};

    fake_homeserver_options opts;
    fake_net::server net;

    // Touched only on the server thread.
    std::vector<std::weak_ptr<session_base>> parked;

    verdict handle(const recorded_request& rec) {
        try {
            std::lock_guard lock(mu);
            return w.handle(rec);
        } catch (const std::exception& e) {
            return error_reply(500, "M_UNKNOWN", std::string("fake_homeserver: ") + e.what());
        }
    }

    std::optional<reply> resume_sync(const sync_query& q, bool deadline_passed) {
        try {
            std::lock_guard lock(mu);
            return w.resume_sync(q, deadline_passed);
        } catch (const std::exception& e) {
            return error_reply(500, "M_UNKNOWN", std::string("fake_homeserver: ") + e.what());
        }
    }

    // Any thread: parked syncs look again on the server thread.
    void notify() {
        asio::post(net.ioc(), [this] {
            if (net.stopping()) return;
            auto waiting = parked;  // wake() never re-enters, but copy in case a session unparks
            for (auto& p : waiting)
                if (auto s = p.lock()) s->wake();
        });
    }

    void unpark(const session_base* s) {
        std::erase_if(parked, [s](const std::weak_ptr<session_base>& p) {
            auto locked = p.lock();
            return !locked || locked.get() == s;
        });
        --parked_count;
    }

    // Server thread, as shutdown begins: parked syncs are dropped unanswered.
    void forget_parked() {
        parked.clear();
        parked_count = 0;
    }
};

namespace {

// One connection: fake_net's request loop, plus parking a /sync until an event or its timeout.
template <class Stream>
class session final : public fake_net::http_session<session<Stream>, Stream, session_base> {
    using base = fake_net::http_session<session<Stream>, Stream, session_base>;
    friend base;

public:
    template <class... Args>
    explicit session(fake_homeserver::impl& server, Args&&... args)
        : base(server.net, "firebreak-fake-homeserver", std::forward<Args>(args)...),
          server_(server),
          park_timer_(this->stream_.get_executor()) {}

    void close() override {
        this->close_stream();
        park_timer_.cancel();
    }

    void wake() override {
        if (parked_) park_timer_.cancel();
    }

private:
    static fake_net::http_reply wire(reply r) {
        // Beast rejects codes outside 100..999; a test scripting a nonsense status gets a 500.
        const unsigned status = r.status >= 100 && r.status <= 999 ? static_cast<unsigned>(r.status) : 500u;
        return fake_net::http_reply{status, "application/json", std::move(r.body), std::move(r.headers)};
    }

    fake_net::http_reply too_large() { return wire(error_reply(413, "M_TOO_LARGE", "Request body too large")); }
    fake_net::http_reply malformed() { return wire(error_reply(400, "M_UNRECOGNIZED", "Malformed HTTP request")); }

    void on_request(http::request<http::string_body> req) {
        rec_ = recorded_request{};
        rec_.method = std::string(req.method_string());
        rec_.target = std::string(req.target());
        rec_.content_type = std::string(req[http::field::content_type]);
        rec_.authorization = std::string(req[http::field::authorization]);
        rec_.body = std::move(req.body());

        verdict v = server_.handle(rec_);
        drop_ = v.drop;
        if (v.park) return park(*v.park);
        answer(std::move(v.answer));
    }

    void park(const sync_query& q) {
        parked_query_ = q;
        park_deadline_ = steady::now() + std::chrono::milliseconds(q.timeout_ms);
        parked_ = true;
        server_.parked.push_back(this->self());
        ++server_.parked_count;
        wait();
    }

    void wait() {
        park_timer_.expires_at(park_deadline_);
        park_timer_.async_wait([self = this->self()](beast::error_code) { self->on_wake(); });
    }

    // Woken (an event, or the timeout): answer if there is something or time is up, else wait on.
    void on_wake() {
        if (this->net_.stopping() || !parked_) return;
        auto r = server_.resume_sync(parked_query_, steady::now() >= park_deadline_);
        if (!r) return wait();
        parked_ = false;
        server_.unpark(this);
        answer(std::move(*r));
    }

    void answer(reply r) {
        rec_.status = r.status;
        rec_.dropped = drop_;
        server_.log.record(rec_);
        if (this->net_.stopping()) return;
        // The request was performed; now vanish without a word, like a crash mid-response.
        if (drop_) return close();
        this->write(wire(std::move(r)), this->version_);
    }

    fake_homeserver::impl& server_;
    asio::steady_timer park_timer_;
    recorded_request rec_;
    bool drop_ = false;
    bool parked_ = false;
    sync_query parked_query_;
    steady::time_point park_deadline_;
};

}  // namespace

fake_homeserver::fake_homeserver(fake_homeserver_options o) : impl_(std::make_unique<impl>(std::move(o))) {
    impl& s = *impl_;
    s.net.run_sessions<session>(s, [&s](const std::string& failure) { s.log.note_failure(failure); });
}

fake_homeserver::~fake_homeserver() {
    impl& s = *impl_;
    s.net.stop([&s] { s.forget_parked(); });
}

std::string fake_homeserver::base_url() const {
    return impl_->opts.tls ? "https://localhost:" + std::to_string(impl_->net.port())
                           : "http://127.0.0.1:" + std::to_string(impl_->net.port());
}

unsigned short fake_homeserver::port() const { return impl_->net.port(); }

std::string fake_homeserver::ca_pem() const { return impl_->net.ca_pem(); }

std::string fake_homeserver::create_room(const std::string& creator, const std::string& name) {
    std::string id;
    {
        std::lock_guard lock(impl_->mu);
        id = impl_->w.create_test_room(creator, name);
    }
    impl_->notify();
    return id;
}

void fake_homeserver::invite_bot(const std::string& room_id, const std::string& inviter) {
    {
        std::lock_guard lock(impl_->mu);
        const auto& bot = impl_->w.options().bot_user;
        impl_->w.append(room_id, inviter, "m.room.member", json::object{{"membership", "invite"}}, bot);
    }
    impl_->notify();
}

void fake_homeserver::join(const std::string& room_id, const std::string& user) {
    {
        std::lock_guard lock(impl_->mu);
        impl_->w.append(room_id, user, "m.room.member", json::object{{"membership", "join"}}, user);
    }
    impl_->notify();
}

std::string fake_homeserver::push_event(const std::string& room_id, const std::string& sender,
                                        boost::json::object event) {
    std::string id;
    {
        std::lock_guard lock(impl_->mu);
        id = impl_->w.push_event(room_id, sender, std::move(event));
    }
    impl_->notify();
    return id;
}

std::string fake_homeserver::say(const std::string& room_id, const std::string& sender, const std::string& body,
                                 const std::string& formatted_body) {
    json::object content{{"msgtype", "m.text"}, {"body", body}};
    if (!formatted_body.empty()) {
        content["format"] = "org.matrix.custom.html";
        content["formatted_body"] = formatted_body;
    }
    return push_event(room_id, sender, json::object{{"type", "m.room.message"}, {"content", std::move(content)}});
}

void fake_homeserver::inject_raw_sync(std::string body) {
    {
        std::lock_guard lock(impl_->mu);
        impl_->w.raw_syncs.push_back(std::move(body));
    }
    impl_->notify();
}

void fake_homeserver::rate_limit(const std::string& method, const std::string& path_part, int count,
                                 int retry_after_ms) {
    std::lock_guard lock(impl_->mu);
    impl_->w.rules.push_back({fault_rule::kind::rate_limit, upper(method), path_part, count, 429, "", retry_after_ms});
}

void fake_homeserver::fail(const std::string& method, const std::string& path_part, int count, int status,
                           std::string body) {
    std::lock_guard lock(impl_->mu);
    impl_->w.rules.push_back({fault_rule::kind::fail, upper(method), path_part, count, status, std::move(body), 0});
}

void fake_homeserver::drop_after_handling(const std::string& method, const std::string& path_part, int count) {
    std::lock_guard lock(impl_->mu);
    impl_->w.rules.push_back({fault_rule::kind::drop, upper(method), path_part, count, 0, "", 0});
}

void fake_homeserver::set_display_name(const std::string& user, const std::string& name) {
    std::lock_guard lock(impl_->mu);
    impl_->w.display_names[user] = name;
}

void fake_homeserver::set_alias(const std::string& alias, const std::string& room_id) {
    std::lock_guard lock(impl_->mu);
    impl_->w.room(room_id);  // throws for an unknown room
    impl_->w.aliases[alias] = room_id;
}

void fake_homeserver::set_time_ms(std::int64_t ms) {
    std::lock_guard lock(impl_->mu);
    impl_->w.now_ms() = ms;
}

std::vector<recorded_request> fake_homeserver::requests() const { return impl_->log.calls(); }

std::vector<boost::json::object> fake_homeserver::timeline(const std::string& room_id) const {
    std::lock_guard lock(impl_->mu);
    std::vector<json::object> out;
    if (const room_data* r = impl_->w.find_room(room_id))
        for (const auto& e : r->events) out.push_back(e.event);
    return out;
}

std::vector<std::string> fake_homeserver::rooms() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.room_order();
}

std::optional<boost::json::object> fake_homeserver::state(const std::string& room_id, const std::string& type,
                                                          const std::string& state_key) const {
    std::lock_guard lock(impl_->mu);
    const room_data* r = impl_->w.find_room(room_id);
    if (!r) return std::nullopt;
    auto it = r->state.find({type, state_key});
    if (it == r->state.end()) return std::nullopt;
    return r->events[it->second].event.at("content").as_object();
}

std::vector<std::string> fake_homeserver::members(const std::string& room_id) const {
    std::lock_guard lock(impl_->mu);
    const room_data* r = impl_->w.find_room(room_id);
    return r ? r->joined : std::vector<std::string>{};
}

std::vector<std::string> fake_homeserver::invited(const std::string& room_id) const {
    std::lock_guard lock(impl_->mu);
    const room_data* r = impl_->w.find_room(room_id);
    return r ? r->invited : std::vector<std::string>{};
}

std::map<std::string, std::pair<std::string, std::string>> fake_homeserver::media() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.media;
}

std::map<std::string, boost::json::object> fake_homeserver::filters() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.filters;
}

void fake_homeserver::set_timeline_limit(std::size_t n) {
    std::lock_guard lock(impl_->mu);
    impl_->w.timeline_limit_ = n;
}

std::string fake_homeserver::stream_position() const {
    std::lock_guard lock(impl_->mu);
    return "s" + std::to_string(impl_->w.stream_position());
}

std::size_t fake_homeserver::parked_syncs() const { return impl_->parked_count.load(); }

void fake_homeserver::on_request(std::function<void(const recorded_request&)> f) { impl_->log.set_hook(std::move(f)); }

std::vector<std::string> fake_homeserver::hook_failures() const { return impl_->log.failures(); }

}  // namespace firebreak::testing
