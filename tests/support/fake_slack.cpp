#include "tests/support/fake_slack.hpp"

#include "tests/support/spec_check.hpp"
#include "tests/support/fake_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace firebreak::testing {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

// Limits: generous for tests, but bounded so a broken client cannot exhaust memory.
constexpr std::size_t max_frame_bytes = 1024u * 1024;
constexpr std::size_t max_bad_frame_kept = 2000;  // bad_frames() keeps this much of each frame
constexpr auto ws_handshake_timeout = std::chrono::seconds{10};
constexpr std::int64_t fake_epoch_us = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z, the fake clock's start
constexpr std::int64_t ts_step_us = 100;                       // so ts run "….000100", "….000200", ...
constexpr std::size_t max_channel_name = 80;                   // Slack's limits, in characters
constexpr std::size_t max_topic = 250;
const char* const slash_command = "/incident";
const char* const verification_token = "fake-verification-token";

// ----- small helpers -----

std::string to_std(json::string_view s) { return std::string(s.data(), s.size()); }

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// Slack's ids are an upper-case letter and digits; a fixed width keeps them sortable.
std::string numbered(std::string_view prefix, std::uint64_t n, std::size_t width) {
    std::string digits = std::to_string(n);
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    return std::string(prefix) + digits;
}

// "1767225600.000100": seconds, a dot, six digits of microseconds.
std::string ts_string(std::int64_t us) {
    std::string frac = std::to_string(us % 1'000'000);
    frac.insert(0, 6 - frac.size(), '0');
    return std::to_string(us / 1'000'000) + "." + frac;
}

// Slack counts limits in characters, so count UTF-8 lead bytes, not bytes.
std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::vector<std::string> split_list(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        const auto comma = s.find(',');
        const auto piece = trim(s.substr(0, comma));
        if (!piece.empty()) out.emplace_back(piece);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

// The media type of a Content-Type header, lower case, parameters dropped.
std::string media_type(std::string_view content_type) {
    return lower(std::string(trim(content_type.substr(0, content_type.find(';')))));
}

// An argument as text: form bodies carry only strings, JSON bodies may carry numbers or booleans.
std::optional<std::string> text_arg(const json::object& args, std::string_view key) {
    const json::value* v = args.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_string()) return to_std(v->get_string());
    if (v->is_bool()) return std::string(v->get_bool() ? "true" : "false");
    if (v->is_number()) return json::serialize(*v);
    return std::nullopt;
}

bool flag_arg(const json::object& args, std::string_view key) {
    const json::value* v = args.if_contains(key);
    if (!v) return false;
    if (v->is_bool()) return v->get_bool();
    if (v->is_int64()) return v->get_int64() != 0;
    if (v->is_string()) return v->get_string() == "true" || v->get_string() == "1";
    return false;
}

// JSON that arrives either as the structure itself (a JSON body) or as a string holding it
// (a form body): blocks, view, files.
std::optional<json::value> structured_arg(const json::object& args, std::string_view key, bool& malformed) {
    malformed = false;
    const json::value* v = args.if_contains(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) return *v;
    boost::system::error_code ec;
    json::value parsed = json::parse(v->get_string(), ec);
    if (ec) {
        malformed = true;
        return std::nullopt;
    }
    return parsed;
}

// ----- replies -----

struct reply {
    int status = 200;
    std::optional<json::object> body;  // a JSON answer; serialized when written
    std::string text;                  // the answer when body is empty
    std::vector<std::pair<std::string, std::string>> headers;

    std::string content_type() const { return body ? "application/json; charset=utf-8" : "text/plain; charset=utf-8"; }
    std::string payload() const { return body ? json::serialize(*body) : text; }
    // The Slack error code, when the answer says ok:false.
    std::string error() const {
        if (!body) return "";
        const json::value* ok = body->if_contains("ok");
        const json::value* err = body->if_contains("error");
        if (ok && ok->is_bool() && !ok->get_bool() && err && err->is_string()) return to_std(err->get_string());
        return "";
    }
};

// {"ok":true, ...}: ok first, as Slack writes it.
reply ok_reply(json::object fields = {}) {
    json::object o{{"ok", true}};
    for (auto& [k, v] : fields) o[k] = std::move(v);
    return reply{200, std::move(o), "", {}};
}

reply slack_error(std::string_view error) { return reply{200, json::object{{"ok", false}, {"error", error}}, "", {}}; }

reply text_reply(int status, std::string text) { return reply{status, std::nullopt, std::move(text), {}}; }

// What the world made of one request.
struct verdict {
    reply answer;
    std::chrono::milliseconds delay{0};
};

// ----- the world: users, channels, files, Socket Mode deliveries (always used under the mutex) -----

struct user_rec {
    std::string id, name, display_name;
    bool is_bot = false;
};

struct channel_rec {
    std::string id, name;
    bool is_private = false;
    std::int64_t created = 0;
    std::string creator;
    std::string topic, topic_creator;
    std::int64_t topic_set = 0;
    std::vector<std::string> members;  // joining order, no duplicates
    std::vector<posted_message> history;
    std::vector<std::string> pins;
    std::map<std::string, std::vector<std::string>> reactions;  // ts -> names
};

struct file_rec {
    std::string id, filename, title;
    std::int64_t length = 0;
    std::string bytes;
    bool uploaded = false, completed = false;
};

struct fault_rule {
    enum class kind { rate_limit, fail };
    kind what;
    std::string method;  // "*" for every method
    int remaining = 0;
    int retry_after_s = 0;
    std::string error;
};

// One pushed envelope's life. It keeps its place (its index) through redeliveries; each
// delivery attempt gets a fresh envelope id.
enum class delivery_state {
    queued,    // waiting in the outbox for a connection
    assigned,  // handed to a connection, not written yet
    written,   // on the wire, waiting for the ack
    done,      // acked
    given_up,  // retries exhausted (events_api)
    lost,      // written on a connection that died; Slack does not redeliver these kinds
};

struct delivery {
    std::string kind;  // "events_api", "slash_commands", "interactive"
    json::object payload;
    bool accepts_response_payload = false;
    std::string event_id;  // events_api only
    int retry_attempt = 0;
    std::string retry_reason;
    std::string envelope_id;
    delivery_state state = delivery_state::queued;
    int conn = 0;
    steady::time_point deadline;
};

// A frame waiting for a connection: an envelope (by delivery index) or raw text.
struct outbound {
    std::optional<std::size_t> delivery;
    std::string raw;
};

// A frame bound for one connection.
struct frame_out {
    int conn = 0;
    std::string text;
    std::optional<std::size_t> delivery;
    bool last = false;  // drop_after_frames: the connection is cut once this one is written
};

struct open_conn {
    int id = 0;
    bool retiring = false;          // told to disconnect: new envelopes wait for a newer connection
    std::optional<int> drop_after;  // frames still to hand over before the fake drops it
};

class world {
public:
    explicit world(fake_slack_options o) : opts_(std::move(o)), rng_(std::random_device{}()) {
        users_[opts_.bot_user] = user_rec{opts_.bot_user, "firebreak", "Firebreak", true};
    }

    // Where this server can be reached; set once the port is known.
    void set_origins(std::string http_origin, std::string ws_origin) {
        http_origin_ = std::move(http_origin);
        ws_origin_ = std::move(ws_origin);
    }

    // --- scripting ---

    std::string create_channel(const std::string& name, const std::vector<std::string>& members, bool is_private,
                               const std::string& creator) {
        if (find_by_name(name)) throw std::invalid_argument("fake_slack: channel name taken: " + name);
        channel_rec c;
        c.id = numbered("C", ++channel_seq_, 8);
        c.name = name;
        c.is_private = is_private;
        c.created = now_s();
        c.creator = creator;
        for (const auto& m : members) {
            if (!users_.count(m)) users_[m] = user_rec{m, lower(m), m, false};
            if (!contains(c.members, m)) c.members.push_back(m);
        }
        channel_order_.push_back(c.id);
        std::string id = c.id;
        channels_.emplace(id, std::move(c));
        return id;
    }

    void add_user(const std::string& id, const std::string& name, const std::string& display_name) {
        users_[id] = user_rec{id, name, display_name, id == opts_.bot_user};
    }

    channel_rec& channel(const std::string& id) {
        auto it = channels_.find(id);
        if (it == channels_.end()) throw std::invalid_argument("fake_slack: no channel " + id);
        return it->second;
    }
    const channel_rec* find_channel(const std::string& id) const {
        auto it = channels_.find(id);
        return it == channels_.end() ? nullptr : &it->second;
    }
    const channel_rec* find_by_name(const std::string& name) const {
        for (const auto& [id, c] : channels_)
            if (c.name == name) return &c;
        return nullptr;
    }

    std::string push_event(json::object event, std::optional<std::string> event_id) {
        if (!event.contains("event_ts")) event["event_ts"] = next_ts();
        delivery d;
        d.kind = "events_api";
        if (event_id) {
            d.event_id = *event_id;
            // The same event id again is Slack redelivering it, so the attempt counts on.
            if (auto it = event_attempts_.find(*event_id); it != event_attempts_.end()) {
                d.retry_attempt = it->second + 1;
                d.retry_reason = "timeout";
            }
        } else {
            d.event_id = numbered("Ev", ++event_seq_, 10);
        }
        event_attempts_[d.event_id] = std::max(event_attempts_[d.event_id], d.retry_attempt);
        const std::string type =
            event.contains("type") && event.at("type").is_string() ? to_std(event.at("type").get_string()) : "";
        const std::string channel = event.contains("channel") && event.at("channel").is_string()
                                        ? to_std(event.at("channel").get_string())
                                        : "";
        d.payload = json::object{
            {"token", verification_token},
            {"team_id", opts_.team},
            {"api_app_id", opts_.app_id},
            {"event", std::move(event)},
            {"type", "event_callback"},
            {"event_id", d.event_id},
            {"event_time", now_s()},
            {"authorizations", json::array{json::object{{"enterprise_id", nullptr},
                                                        {"team_id", opts_.team},
                                                        {"user_id", opts_.bot_user},
                                                        {"is_bot", true},
                                                        {"is_enterprise_install", false}}}},
            {"is_ext_shared_channel", false},
            {"event_context", "4-" + type + "-" + opts_.team + "-" + channel},
        };
        return enqueue(std::move(d));
    }

    std::string push_message(const std::string& channel_id, const std::string& user, const std::string& text,
                             const std::string& thread_ts) {
        channel_rec& c = channel(channel_id);
        posted_message m;
        m.channel = c.id;
        m.ts = next_ts();
        m.text = text;
        m.thread_ts = thread_ts;
        m.user = user;
        c.history.push_back(m);
        json::object event{
            {"client_msg_id", uuid()},
            {"type", "message"},
            {"text", text},
            {"user", user},
            {"ts", m.ts},
            {"team", opts_.team},
            {"channel", c.id},
            {"event_ts", m.ts},
            {"channel_type", c.is_private ? "group" : "channel"},
        };
        if (!thread_ts.empty()) event["thread_ts"] = thread_ts;
        push_event(std::move(event), std::nullopt);
        return m.ts;
    }

    std::string push_slash_command(const std::string& channel_id, const std::string& user, const std::string& text) {
        const channel_rec& c = channel(channel_id);
        const auto n = ++command_seq_;
        const std::string trigger = std::to_string(1'000'000 + n) + "." + std::to_string(n) + "." + hex(32);
        const std::string response_path = "/commands/" + opts_.team + "/" + std::to_string(n) + "/" + hex(24);
        triggers_[trigger] = false;
        response_urls_[response_path] = {c.id, user};
        response_url_uses_[response_path] = {0, std::chrono::steady_clock::now()};
        auto u = users_.find(user);
        delivery d;
        d.kind = "slash_commands";
        d.accepts_response_payload = true;
        d.payload = json::object{
            {"token", verification_token},
            {"team_id", opts_.team},
            {"team_domain", "fake"},
            {"channel_id", c.id},
            {"channel_name", c.name},
            {"user_id", user},
            {"user_name", u != users_.end() ? u->second.name : user},
            {"command", slash_command},
            {"text", text},
            {"api_app_id", opts_.app_id},
            {"is_enterprise_install", "false"},
            {"response_url", http_origin_ + response_path},
            {"trigger_id", trigger},
        };
        return enqueue(std::move(d));
    }

    std::string push_interactive(json::object payload) {
        if (const auto* t = payload.if_contains("trigger_id"); t && t->is_string())
            triggers_.emplace(to_std(t->get_string()), false);
        const auto* type = payload.if_contains("type");
        delivery d;
        d.kind = "interactive";
        // A view_submission may answer with a response_action in the ack payload.
        d.accepts_response_payload = type && type->is_string() && type->get_string() == "view_submission";
        d.payload = std::move(payload);
        return enqueue(std::move(d));
    }

    void push_raw(std::string text) { outbox_.push_back(outbound{std::nullopt, std::move(text)}); }

    // --- Socket Mode connections ---

    std::string new_ticket() {
        std::string t = std::to_string(++ticket_seq_);
        tickets_[t] = false;
        return t;
    }

    bool take_ticket(const std::string& t) {
        auto it = tickets_.find(t);
        if (it == tickets_.end() || it->second) return false;
        it->second = true;
        return true;
    }

    // A connection was accepted; returns true when a pending drop_after_frames(0) means it
    // must die at once, before its hello.
    bool opened(int id) {
        open_conn c;
        c.id = id;
        c.drop_after = std::exchange(pending_drop_, std::nullopt);
        const bool drop_now = c.drop_after && *c.drop_after <= 0;
        open_.push_back(c);
        ++opened_count_;
        return drop_now;
    }

    std::string hello(int id) const {
        return json::serialize(json::object{
            {"type", "hello"},
            {"num_connections", open_.size()},
            {"debug_info",
             json::object{{"host", host_name(id)}, {"build_number", 1}, {"approximate_connection_time", 18060}}},
            {"connection_info", json::object{{"app_id", opts_.app_id}}},
        });
    }

    std::string disconnect_frame(int id, const std::string& reason) const {
        return json::serialize(json::object{
            {"type", "disconnect"}, {"reason", reason}, {"debug_info", json::object{{"host", host_name(id)}}}});
    }

    // The newest open connection (0 when none).
    int newest() const { return open_.empty() ? 0 : open_.back().id; }

    void retire(int id) {
        if (open_conn* c = find_open(id)) c->retiring = true;
    }

    // drop_after_frames(n): frames are counted as they are handed to the connection (here,
    // under the lock), so the count is exact against pushes made before and after the call.
    // Returns true when the newest connection must be closed now (n <= 0).
    bool set_drop_after(int n) {
        if (open_.empty()) {
            pending_drop_ = n;
            return false;
        }
        if (n <= 0) {
            open_.back().retiring = true;  // about to be cut: nothing more goes to it
            return true;
        }
        open_.back().drop_after = n;
        return false;
    }

    // Counts one frame handed to `conn`; true when it is the last before the connection is cut.
    bool count_frame(int conn) {
        open_conn* c = find_open(conn);
        if (!c || !c->drop_after || --*c->drop_after > 0) return false;
        c->drop_after.reset();
        c->retiring = true;  // frames after the last one wait for the next connection
        return true;
    }

    // A frame went out on `conn`: an envelope now waits for its ack.
    void written(int conn, const std::optional<std::size_t>& key, const std::string& text, steady::time_point now) {
        sent_frames_.push_back(text);
        if (!key) return;
        delivery& d = deliveries_[*key];
        // Every envelope frame counts, even one whose delivery an ack of an earlier sending
        // settled while it waited to be written: the client still gets it (and acks it). Its
        // envelope id cannot have changed since it was handed over (only a written or
        // closed-over delivery gets a new one).
        timing_index_[d.envelope_id] = timings_.size();
        timings_.push_back(envelope_timing{d.envelope_id, now, std::nullopt, d.retry_attempt});
        if (d.state == delivery_state::assigned && d.conn == conn) {
            d.state = delivery_state::written;
            d.deadline = now + opts_.ack_timeout;
            if (d.kind == "events_api") deadlines_.emplace_back(d.deadline, *key);
        }
    }

    // A connection ended: what was handed to it but never written goes out again as it was; what
    // was written and not acked is redelivered (events_api) with the attempt counted.
    void closed(int id) {
        open_.erase(std::remove_if(open_.begin(), open_.end(), [id](const open_conn& c) { return c.id == id; }),
                    open_.end());
        std::vector<outbound> again;
        for (std::size_t key : std::vector<std::size_t>(live_.begin(), live_.end())) {
            delivery& d = deliveries_[key];
            if (d.conn != id) continue;
            if (d.state == delivery_state::assigned) {
                d.state = delivery_state::queued;
                d.conn = 0;
                again.push_back(outbound{key, ""});
            } else if (d.state == delivery_state::written) {
                if (d.kind != "events_api") {
                    d.state = delivery_state::lost;
                    live_.erase(key);
                } else if (retry(key)) {
                    again.push_back(outbound{key, ""});
                }
            }
        }
        outbox_.insert(outbox_.begin(), again.begin(), again.end());
    }

    // Everything the outbox can send now, bound to the newest connection, unless that one was
    // told to go away (then the outbox waits for a newer one).
    std::vector<frame_out> drain() {
        std::vector<frame_out> out;
        if (open_.empty()) return out;
        const int target = open_.back().id;
        // count_frame() may retire the target midway (drop_after_frames), hence the check each time.
        while (!outbox_.empty() && !open_.back().retiring) {
            outbound item = std::move(outbox_.front());
            outbox_.pop_front();
            if (!item.delivery) {
                out.push_back(frame_out{target, std::move(item.raw), std::nullopt, false});
                out.back().last = count_frame(target);
                continue;
            }
            delivery& d = deliveries_[*item.delivery];
            if (d.state != delivery_state::queued) continue;
            d.state = delivery_state::assigned;
            d.conn = target;
            out.push_back(frame_out{target, envelope_frame(d), item.delivery, false});
            out.back().last = count_frame(target);
        }
        return out;
    }

    // The earliest deadline of an events_api envelope written and not acked yet.
    std::optional<steady::time_point> next_deadline() {
        while (!deadlines_.empty() && !awaits_ack(deadlines_.front())) deadlines_.pop_front();
        if (deadlines_.empty()) return std::nullopt;
        return deadlines_.front().first;
    }

    // Envelopes whose ack is overdue go out again with a new envelope id, as Slack retries,
    // in push order.
    void expire(steady::time_point now) {
        std::vector<std::size_t> due;
        while (!deadlines_.empty() && deadlines_.front().first <= now) {
            if (awaits_ack(deadlines_.front())) due.push_back(deadlines_.front().second);
            deadlines_.pop_front();
        }
        std::sort(due.begin(), due.end());
        due.erase(std::unique(due.begin(), due.end()), due.end());
        for (std::size_t key : due)
            if (retry(key)) outbox_.push_back(outbound{key, ""});
    }

    // A frame from the client: it should be an ack of an envelope not acked yet.
    void client_frame(const std::string& text, bool binary, steady::time_point now) {
        auto bad = [&] { bad_frames_.push_back(text.substr(0, max_bad_frame_kept)); };
        if (binary) return bad();
        boost::system::error_code ec;
        json::value v = json::parse(text, ec);
        if (ec || !v.is_object()) return bad();
        const json::value* id = v.as_object().if_contains("envelope_id");
        if (!id || !id->is_string()) return bad();
        const std::string envelope = to_std(id->get_string());
        auto it = envelope_index_.find(envelope);
        if (it == envelope_index_.end() || acked_set_.count(envelope)) return bad();
        acked_set_.insert(envelope);
        acked_.push_back(envelope);
        if (auto t = timing_index_.find(envelope); t != timing_index_.end()) timings_[t->second].acked = now;
        if (const json::value* p = v.as_object().if_contains("payload")) ack_payloads_[envelope] = *p;
        // Any of a delivery's envelope ids settles it: a client that got both the first send
        // and a retry acks both, and neither ack is a mistake.
        delivery& d = deliveries_[it->second];
        if (d.state == delivery_state::done) return;
        if (d.state == delivery_state::queued) {
            const std::size_t key = it->second;
            outbox_.erase(std::remove_if(outbox_.begin(), outbox_.end(),
                                         [key](const outbound& o) { return o.delivery && *o.delivery == key; }),
                          outbox_.end());
        }
        d.state = delivery_state::done;
        live_.erase(it->second);
    }

    // --- the Web API ---

    verdict handle(slack_call& c) {
        const auto q = c.target.find('?');
        const std::string path = c.target.substr(0, q);
        const std::string_view query =
            q == std::string::npos ? std::string_view{} : std::string_view(c.target).substr(q + 1);
        if (starts_with(path, "/api/")) return verdict{web_api(c, path.substr(5), query), delay_for(path.substr(5))};
        if (starts_with(path, "/upload/")) return verdict{upload(c, path.substr(8)), {}};
        if (response_urls_.count(path)) return verdict{respond(c, path), {}};
        return verdict{text_reply(404, "not found"), {}};
    }

    // --- faults ---

    void add_rule(fault_rule r) { rules_.push_back(std::move(r)); }
    void set_delay(const std::string& method, std::chrono::milliseconds d) {
        if (d.count() <= 0)
            delays_.erase(method);
        else
            delays_[method] = d;
    }

    // --- reading ---

    const std::vector<std::string>& channel_order() const { return channel_order_; }
    std::map<std::string, std::string> completed_files() const {
        std::map<std::string, std::string> out;
        for (const auto& [id, f] : files_)
            if (f.completed) out[id] = f.bytes;
        return out;
    }
    const std::vector<json::object>& views() const { return views_; }
    const std::vector<std::string>& acked() const { return acked_; }
    std::vector<std::string> unacked() const {
        std::vector<std::string> out;
        for (const auto& d : deliveries_)
            if (d.state != delivery_state::done) out.push_back(d.envelope_id);
        return out;
    }
    const std::map<std::string, json::value>& ack_payloads() const { return ack_payloads_; }
    const std::vector<envelope_timing>& timings() const { return timings_; }
    const std::vector<std::string>& sent_frames() const { return sent_frames_; }
    const std::vector<std::string>& bad_frames() const { return bad_frames_; }
    int opened_count() const { return opened_count_; }
    int open_count() const { return static_cast<int>(open_.size()); }

private:
    using handler = reply (world::*)(const json::object&);

    // --- Socket Mode internals ---

    std::string host_name(int conn) const { return "applink-fake-" + std::to_string(conn); }

    open_conn* find_open(int id) {
        for (auto& c : open_)
            if (c.id == id) return &c;
        return nullptr;
    }

    std::string hex(std::size_t n) {
        static const char* digits = "0123456789abcdef";
        std::uniform_int_distribution<int> nibble(0, 15);
        std::string s;
        for (std::size_t i = 0; i < n; ++i) s += digits[nibble(rng_)];
        return s;
    }

    // Version-4 shaped, like Slack's envelope ids; unique within this fake.
    std::string uuid() {
        for (;;) {
            std::string s = hex(8) + "-" + hex(4) + "-4" + hex(3) + "-" +
                            "89ab"[std::uniform_int_distribution<int>(0, 3)(rng_)] + hex(3) + "-" + hex(12);
            if (!envelope_index_.count(s)) return s;
        }
    }

    std::string enqueue(delivery d) {
        const std::size_t key = deliveries_.size();
        d.envelope_id = uuid();
        envelope_index_[d.envelope_id] = key;
        std::string id = d.envelope_id;
        deliveries_.push_back(std::move(d));
        live_.insert(key);
        outbox_.push_back(outbound{key, ""});
        return id;
    }

    // Whether a deadlines_ entry still stands: its delivery is written, unacked, and has not
    // been written again since (that would have given it a later deadline).
    bool awaits_ack(const std::pair<steady::time_point, std::size_t>& e) const {
        const delivery& d = deliveries_[e.second];
        return d.state == delivery_state::written && d.deadline == e.first;
    }

    // Makes the delivery ready to go out again; false when its retries are used up.
    bool retry(std::size_t key) {
        delivery& d = deliveries_[key];
        if (d.retry_attempt >= opts_.max_retries) {
            d.state = delivery_state::given_up;
            live_.erase(key);
            return false;
        }
        ++d.retry_attempt;
        d.retry_reason = "timeout";
        event_attempts_[d.event_id] = std::max(event_attempts_[d.event_id], d.retry_attempt);
        d.envelope_id = uuid();
        envelope_index_[d.envelope_id] = key;
        d.state = delivery_state::queued;
        d.conn = 0;
        return true;
    }

    std::string envelope_frame(const delivery& d) const {
        json::object o{{"envelope_id", d.envelope_id},
                       {"payload", d.payload},
                       {"type", d.kind},
                       {"accepts_response_payload", d.accepts_response_payload}};
        if (d.kind == "events_api") {
            o["retry_attempt"] = d.retry_attempt;
            o["retry_reason"] = d.retry_reason;
        }
        return json::serialize(o);
    }

    // --- the fake clock: every ts and event time comes from here, strictly increasing ---

    std::string next_ts() {
        clock_us_ += ts_step_us;
        return ts_string(clock_us_);
    }
    std::int64_t now_s() const { return clock_us_ / 1'000'000; }

    // --- Web API plumbing ---

    std::chrono::milliseconds delay_for(const std::string& method) const {
        if (auto it = delays_.find(method); it != delays_.end()) return it->second;
        if (auto it = delays_.find("*"); it != delays_.end()) return it->second;
        return {};
    }

    std::optional<reply> fault(const std::string& method) {
        for (auto& r : rules_) {
            if (r.remaining <= 0 || (r.method != "*" && r.method != method)) continue;
            --r.remaining;
            if (r.what == fault_rule::kind::fail) return slack_error(r.error);
            reply limited = slack_error("ratelimited");
            limited.status = 429;
            limited.headers.emplace_back("Retry-After", std::to_string(r.retry_after_s));
            return limited;
        }
        return std::nullopt;
    }

    static std::optional<std::string> bearer(const std::string& header) {
        // "Bearer" is case-insensitive (RFC 6750 uses the RFC 7235 auth-scheme rules).
        constexpr std::string_view scheme = "bearer ";
        if (header.size() <= scheme.size() || lower(header.substr(0, scheme.size())) != scheme) return std::nullopt;
        return std::string(trim(std::string_view(header).substr(scheme.size())));
    }

    reply web_api(slack_call& c, const std::string& method, std::string_view query) {
        c.method = method;
        // Arguments may come in the query string and in the body (the body wins), as Slack allows.
        c.args = decode_form(query);
        bool missing_charset = false;
        if (!c.body.empty()) {
            const std::string media = media_type(c.content_type);
            if (media == "application/json") {
                boost::system::error_code ec;
                json::value v = json::parse(c.body, ec);
                if (ec) return slack_error("invalid_json");
                if (!v.is_object()) return slack_error("json_not_object");
                for (auto& [k, val] : v.as_object()) c.args[k] = val;
                missing_charset = lower(c.content_type).find("charset=") == std::string::npos;
            } else if (media == "application/x-www-form-urlencoded" || media.empty()) {
                for (auto& [k, val] : decode_form(c.body)) c.args[k] = val;
            } else {
                return slack_error("invalid_form_data");  // multipart and others are not understood here
            }
        }
        if (auto r = fault(method)) return *r;

        // The token: the Authorization header, or (older clients) a "token" argument.
        std::optional<std::string> token = bearer(c.authorization);
        if (!token) token = text_arg(c.args, "token");
        if (!token || token->empty()) return slack_error("not_authed");
        const std::string& expected = method == "apps.connections.open" ? opts_.app_token : opts_.bot_token;
        if (*token != expected) return slack_error("invalid_auth");

        static const std::map<std::string, handler, std::less<>> routes{
            {"auth.test", &world::auth_test},
            {"apps.connections.open", &world::connections_open},
            {"chat.postMessage", &world::post_message},
            {"chat.postEphemeral", &world::post_ephemeral},
            {"chat.update", &world::update_message},
            {"chat.getPermalink", &world::get_permalink},
            {"conversations.create", &world::create},
            {"conversations.invite", &world::invite},
            {"conversations.join", &world::join},
            {"conversations.setTopic", &world::set_topic},
            {"conversations.info", &world::info},
            {"conversations.members", &world::list_members},
            {"pins.add", &world::pin},
            {"reactions.add", &world::react},
            {"users.info", &world::user_info},
            {"files.getUploadURLExternal", &world::upload_url},
            {"files.completeUploadExternal", &world::complete_upload},
            {"views.open", &world::open_view},
            {"views.update", &world::update_view},
        };
        auto route = routes.find(method);
        if (route == routes.end()) return slack_error("unknown_method");
        reply r = (this->*route->second)(c.args);
        // Slack accepts a JSON body without a charset but says so in a warning.
        if (missing_charset && r.body && r.error().empty()) {
            (*r.body)["warning"] = "missing_charset";
            (*r.body)["response_metadata"] = json::object{{"warnings", json::array{"missing_charset"}}};
        }
        return r;
    }

    channel_rec* channel_arg(const json::object& a, std::string_view key = "channel") {
        auto ref = text_arg(a, key);
        if (!ref) return nullptr;
        if (auto it = channels_.find(*ref); it != channels_.end()) return &it->second;
        // chat.postMessage and friends also take "#name".
        if (!ref->empty() && ref->front() == '#') {
            for (auto& [id, c] : channels_)
                if (c.name == ref->substr(1)) return &c;
        }
        return nullptr;
    }

    bool is_member(const channel_rec& c, const std::string& user) const { return contains(c.members, user); }
    // A private channel the bot is not in does not exist as far as the bot can tell.
    bool visible(const channel_rec* c) const { return c && (!c->is_private || is_member(*c, opts_.bot_user)); }

    posted_message* find_message(channel_rec& c, const std::string& ts) {
        for (auto& m : c.history)
            if (m.ts == ts && !m.ephemeral) return &m;
        return nullptr;
    }

    json::object channel_json(const channel_rec& c, bool with_count = false) const {
        json::object o{
            {"id", c.id},
            {"name", c.name},
            {"is_channel", !c.is_private},
            {"is_group", c.is_private},
            {"is_im", false},
            {"is_mpim", false},
            {"is_private", c.is_private},
            {"created", c.created},
            {"creator", c.creator},
            {"is_archived", false},
            {"is_general", false},
            {"unlinked", 0},
            {"name_normalized", c.name},
            {"is_shared", false},
            {"is_ext_shared", false},
            {"is_org_shared", false},
            {"pending_shared", json::array{}},
            {"is_pending_ext_shared", false},
            {"is_member", is_member(c, opts_.bot_user)},
            {"topic", json::object{{"value", c.topic}, {"creator", c.topic_creator}, {"last_set", c.topic_set}}},
            {"purpose", json::object{{"value", ""}, {"creator", ""}, {"last_set", 0}}},
            {"previous_names", json::array{}},
        };
        if (with_count) o["num_members"] = c.members.size();
        return o;
    }

    json::object user_json(const user_rec& u) const {
        json::object profile{{"real_name", u.display_name},
                             {"display_name", u.display_name},
                             {"real_name_normalized", u.display_name},
                             {"display_name_normalized", u.display_name},
                             {"team", opts_.team}};
        if (u.is_bot) profile["bot_id"] = bot_id();
        return json::object{
            {"id", u.id},           {"team_id", opts_.team},         {"name", u.name},
            {"deleted", false},     {"real_name", u.display_name},   {"is_bot", u.is_bot},
            {"is_app_user", false}, {"profile", std::move(profile)},
        };
    }

    json::object message_json(const posted_message& m) const {
        json::object o{{"type", "message"}, {"text", m.text}, {"user", m.user}, {"ts", m.ts}, {"team", opts_.team}};
        if (m.user == opts_.bot_user) {
            o["bot_id"] = bot_id();
            o["app_id"] = opts_.app_id;
        }
        if (!m.blocks.is_null()) o["blocks"] = m.blocks;
        if (!m.thread_ts.empty()) o["thread_ts"] = m.thread_ts;
        if (!m.files.empty()) {
            json::array files;
            for (const auto& f : m.files) files.push_back(json::object{{"id", f}});
            o["files"] = std::move(files);
        }
        return o;
    }

    std::string bot_id() const { return "B0FAKEBOT"; }

    // Text and blocks of a message; nullopt (with `error` set) when they are not acceptable.
    std::optional<std::pair<std::string, json::value>> message_content(const json::object& a, bool require,
                                                                       std::string& error) {
        bool malformed = false;
        auto blocks = structured_arg(a, "blocks", malformed);
        if (malformed || (blocks && !blocks->is_array())) {
            error = "invalid_blocks_format";
            return std::nullopt;
        }
        const std::string text = text_arg(a, "text").value_or("");
        const bool has_attachments = a.contains("attachments");
        if (require && text.empty() && !blocks && !has_attachments) {
            error = "no_text";
            return std::nullopt;
        }
        return std::make_pair(text, blocks ? *blocks : json::value(nullptr));
    }

    // --- methods ---

    reply auth_test(const json::object&) {
        return ok_reply(json::object{{"url", "https://fake-workspace.slack.com/"},
                                     {"team", "Fake Workspace"},
                                     {"user", users_.at(opts_.bot_user).name},
                                     {"team_id", opts_.team},
                                     {"user_id", opts_.bot_user},
                                     {"bot_id", bot_id()},
                                     {"is_enterprise_install", false}});
    }

    reply connections_open(const json::object&) {
        return ok_reply(
            json::object{{"url", ws_origin_ + "/link/?ticket=" + new_ticket() + "&app_id=" + opts_.app_id}});
    }

    reply post_message(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        if (!is_member(*c, opts_.bot_user)) return slack_error("not_in_channel");
        std::string error;
        auto content = message_content(a, true, error);
        if (!content) return slack_error(error);
        posted_message m;
        m.channel = c->id;
        m.ts = next_ts();
        m.text = content->first;
        m.blocks = content->second;
        m.thread_ts = text_arg(a, "thread_ts").value_or("");
        m.user = opts_.bot_user;
        c->history.push_back(m);
        return ok_reply(json::object{{"channel", c->id}, {"ts", m.ts}, {"message", message_json(m)}});
    }

    reply post_ephemeral(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        if (!is_member(*c, opts_.bot_user)) return slack_error("not_in_channel");
        const std::string user = text_arg(a, "user").value_or("");
        if (!is_member(*c, user)) return slack_error("user_not_in_channel");
        std::string error;
        auto content = message_content(a, true, error);
        if (!content) return slack_error(error);
        posted_message m;
        m.channel = c->id;
        m.ts = next_ts();
        m.text = content->first;
        m.blocks = content->second;
        m.thread_ts = text_arg(a, "thread_ts").value_or("");
        m.user = opts_.bot_user;
        m.ephemeral = true;
        m.ephemeral_user = user;
        c->history.push_back(m);
        return ok_reply(json::object{{"message_ts", m.ts}});
    }

    reply update_message(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        posted_message* m = find_message(*c, text_arg(a, "ts").value_or(""));
        if (!m) return slack_error("message_not_found");
        if (m->user != opts_.bot_user) return slack_error("cant_update_message");
        std::string error;
        auto content = message_content(a, false, error);
        if (!content) return slack_error(error);
        // Only what the call carries changes; text stays when only blocks are sent.
        if (a.contains("text")) m->text = content->first;
        if (!content->second.is_null()) m->blocks = content->second;
        m->edited = true;
        return ok_reply(
            json::object{{"channel", c->id}, {"ts", m->ts}, {"text", m->text}, {"message", message_json(*m)}});
    }

    reply get_permalink(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        const std::string ts = text_arg(a, "message_ts").value_or("");
        if (!find_message(*c, ts)) return slack_error("message_not_found");
        std::string digits = ts;
        digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
        return ok_reply(json::object{
            {"channel", c->id}, {"permalink", "https://fake-workspace.slack.com/archives/" + c->id + "/p" + digits}});
    }

    reply create(const json::object& a) {
        const std::string name = text_arg(a, "name").value_or("");
        // Slack's channel name rules, checked in the order Slack reports them.
        if (name.empty()) return slack_error("invalid_name_required");
        if (utf8_length(name) > max_channel_name) return slack_error("invalid_name_maxlength");
        const bool allowed = std::all_of(name.begin(), name.end(), [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        });
        if (!allowed) return slack_error("invalid_name_specials");
        if (name.find_first_not_of("-_") == std::string::npos) return slack_error("invalid_name_punctuation");
        if (find_by_name(name)) return slack_error("name_taken");
        const std::string id = create_channel(name, {opts_.bot_user}, flag_arg(a, "is_private"), opts_.bot_user);
        return ok_reply(json::object{{"channel", channel_json(channels_.at(id))}});
    }

    reply invite(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        if (!is_member(*c, opts_.bot_user)) return slack_error("not_in_channel");
        const auto wanted = split_list(text_arg(a, "users").value_or(""));
        if (wanted.empty()) return slack_error("no_user");
        json::array errors;
        std::vector<std::string> to_add;
        for (const auto& u : wanted) {
            std::string problem;
            if (u == opts_.bot_user)
                problem = "cant_invite_self";
            else if (!users_.count(u))
                problem = "user_not_found";
            if (!problem.empty())
                errors.push_back(json::object{{"user", u}, {"ok", false}, {"error", problem}});
            else if (!is_member(*c, u) && !contains(to_add, u))
                to_add.push_back(u);
        }
        // Without force, one bad user fails the whole call (Slack names the first, lists all).
        if (!errors.empty() && (!flag_arg(a, "force") || to_add.empty())) {
            reply r = slack_error(to_std(errors.front().as_object().at("error").get_string()));
            (*r.body)["errors"] = std::move(errors);
            return r;
        }
        if (to_add.empty()) return slack_error("already_in_channel");
        for (auto& u : to_add) c->members.push_back(u);
        json::object out{{"channel", channel_json(*c)}};
        if (!errors.empty()) out["errors"] = std::move(errors);
        return ok_reply(std::move(out));
    }

    reply join(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!c) return slack_error("channel_not_found");
        const bool already = is_member(*c, opts_.bot_user);
        if (c->is_private && !already) return slack_error("method_not_supported_for_channel_type");
        if (!already) c->members.push_back(opts_.bot_user);
        json::object out{{"channel", channel_json(*c)}};
        if (already) {
            out["warning"] = "already_in_channel";
            out["response_metadata"] = json::object{{"warnings", json::array{"already_in_channel"}}};
        }
        return ok_reply(std::move(out));
    }

    reply set_topic(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        if (!is_member(*c, opts_.bot_user)) return slack_error("not_in_channel");
        auto topic = text_arg(a, "topic");
        if (!topic) return slack_error("invalid_arguments");
        if (utf8_length(*topic) > max_topic) return slack_error("too_long");
        c->topic = *topic;
        c->topic_creator = opts_.bot_user;
        c->topic_set = now_s();
        return ok_reply(json::object{{"channel", channel_json(*c)}});
    }

    reply info(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        return ok_reply(json::object{{"channel", channel_json(*c, flag_arg(a, "include_num_members"))}});
    }

    reply list_members(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        json::array members;
        for (const auto& m : c->members) members.push_back(json::value(m));
        return ok_reply(
            json::object{{"members", std::move(members)}, {"response_metadata", json::object{{"next_cursor", ""}}}});
    }

    reply pin(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        if (!is_member(*c, opts_.bot_user)) return slack_error("not_in_channel");
        auto ts = text_arg(a, "timestamp");
        if (!ts || ts->empty()) return slack_error("no_item_specified");
        if (!find_message(*c, *ts)) return slack_error("message_not_found");
        if (contains(c->pins, *ts)) return slack_error("already_pinned");
        c->pins.push_back(*ts);
        return ok_reply();
    }

    reply react(const json::object& a) {
        channel_rec* c = channel_arg(a);
        if (!visible(c)) return slack_error("channel_not_found");
        const std::string name = text_arg(a, "name").value_or("");
        // Slack wants the bare emoji name: no colons, no spaces.
        if (name.empty() || name.find_first_of(": \t") != std::string::npos) return slack_error("invalid_name");
        auto ts = text_arg(a, "timestamp");
        if (!ts || ts->empty()) return slack_error("no_item_specified");
        if (!find_message(*c, *ts)) return slack_error("message_not_found");
        auto& names = c->reactions[*ts];
        if (contains(names, name)) return slack_error("already_reacted");
        names.push_back(name);
        return ok_reply();
    }

    reply user_info(const json::object& a) {
        auto it = users_.find(text_arg(a, "user").value_or(""));
        if (it == users_.end()) return slack_error("user_not_found");
        return ok_reply(json::object{{"user", user_json(it->second)}});
    }

    reply upload_url(const json::object& a) {
        const std::string filename = text_arg(a, "filename").value_or("");
        const auto length_text = text_arg(a, "length");
        if (filename.empty() || !length_text) return slack_error("missing_argument");
        file_rec f;
        try {
            std::size_t used = 0;
            f.length = std::stoll(*length_text, &used);
            if (used != length_text->size() || f.length < 0) return slack_error("invalid_arguments");
        } catch (const std::exception&) {
            return slack_error("invalid_arguments");
        }
        f.id = numbered("F", ++file_seq_, 8);
        f.filename = filename;
        f.title = filename;
        const std::string id = f.id;
        files_.emplace(id, std::move(f));
        return ok_reply(json::object{{"upload_url", http_origin_ + "/upload/" + id}, {"file_id", id}});
    }

    // The upload URL takes the raw bytes in the body, whatever the content type.
    reply upload(slack_call& c, const std::string& file_id) {
        auto it = files_.find(file_id);
        if (it == files_.end() || it->second.completed || c.verb != "POST") return text_reply(404, "not found");
        it->second.bytes = c.body;
        it->second.uploaded = true;
        return text_reply(200, "OK - " + std::to_string(c.body.size()));
    }

    reply complete_upload(const json::object& a) {
        bool malformed = false;
        auto list = structured_arg(a, "files", malformed);
        if (malformed || !list || !list->is_array() || list->get_array().empty())
            return slack_error("invalid_arguments");
        std::vector<std::pair<std::string, std::string>> wanted;  // id, title
        for (const auto& item : list->get_array()) {
            if (!item.is_object()) return slack_error("invalid_arguments");
            const auto id = text_arg(item.get_object(), "id");
            if (!id) return slack_error("invalid_arguments");
            auto f = files_.find(*id);
            if (f == files_.end() || !f->second.uploaded) return slack_error("file_not_found");
            wanted.emplace_back(*id, text_arg(item.get_object(), "title").value_or(f->second.filename));
        }
        std::vector<std::string> targets;
        if (auto one = text_arg(a, "channel_id"); one && !one->empty()) targets.push_back(*one);
        for (auto& more : split_list(text_arg(a, "channels").value_or("")))
            if (!contains(targets, more)) targets.push_back(more);
        // Check every target before sharing anywhere, so a failed call changes nothing.
        for (const auto& t : targets) {
            const channel_rec* c = find_channel(t);
            if (!visible(c)) return slack_error("channel_not_found");
            if (!is_member(*c, opts_.bot_user)) return slack_error("not_in_channel");
        }
        json::array out;
        std::vector<std::string> ids;
        for (const auto& [id, title] : wanted) {
            file_rec& f = files_.at(id);
            f.completed = true;
            f.title = title;
            ids.push_back(id);
            out.push_back(json::object{{"id", id}, {"title", title}});
        }
        for (const auto& t : targets) {
            posted_message m;
            m.channel = t;
            m.ts = next_ts();
            m.text = text_arg(a, "initial_comment").value_or("");
            m.thread_ts = text_arg(a, "thread_ts").value_or("");
            m.user = opts_.bot_user;
            m.files = ids;
            channels_.at(t).history.push_back(std::move(m));
        }
        return ok_reply(json::object{{"files", std::move(out)}});
    }

    reply open_view(const json::object& a) {
        auto trigger = text_arg(a, "trigger_id");
        if (!trigger) trigger = text_arg(a, "interactivity_pointer");
        if (!trigger) return slack_error("invalid_arguments");
        auto t = triggers_.find(*trigger);
        if (t == triggers_.end()) return slack_error("invalid_trigger_id");
        if (t->second) return slack_error("exchanged_trigger_id");
        bool malformed = false;
        auto view = structured_arg(a, "view", malformed);
        if (malformed || !view || !view->is_object() || !view->get_object().contains("type"))
            return slack_error("invalid_arguments");
        t->second = true;
        json::object v = view->get_object();
        const std::string id = numbered("V", ++view_seq_, 8);
        v["id"] = id;
        v["team_id"] = opts_.team;
        v["app_id"] = opts_.app_id;
        v["bot_id"] = bot_id();
        v["root_view_id"] = id;
        v["previous_view_id"] = nullptr;
        v["state"] = json::object{{"values", json::object{}}};
        v["hash"] = ts_string(clock_us_) + "." + hex(8);
        views_.push_back(v);
        return ok_reply(json::object{{"view", std::move(v)}});
    }

    reply update_view(const json::object& a) {
        const std::string id = text_arg(a, "view_id").value_or("");
        const std::string external = text_arg(a, "external_id").value_or("");
        auto it = std::find_if(views_.begin(), views_.end(), [&](const json::object& v) {
            return (!id.empty() && v.at("id") == json::value(id)) ||
                   (!external.empty() && v.contains("external_id") && v.at("external_id") == json::value(external));
        });
        if (it == views_.end()) return slack_error("not_found");
        if (auto hash = text_arg(a, "hash"); hash && *hash != to_std(it->at("hash").get_string()))
            return slack_error("hash_conflict");
        bool malformed = false;
        auto view = structured_arg(a, "view", malformed);
        if (malformed || !view || !view->is_object()) return slack_error("invalid_arguments");
        json::object v = view->get_object();
        for (const char* kept : {"id", "team_id", "app_id", "bot_id", "root_view_id", "state"}) v[kept] = it->at(kept);
        v["previous_view_id"] = nullptr;
        v["hash"] = ts_string(clock_us_) + "." + hex(8);
        *it = v;
        return ok_reply(json::object{{"view", std::move(v)}});
    }

    // A slash command's response_url: JSON with text/blocks and response_type; it answers in the
    // command's channel, only to the invoking user unless response_type is "in_channel".
    reply respond(slack_call& c, const std::string& path) {
        boost::system::error_code ec;
        json::value v = json::parse(c.body, ec);
        if (ec || !v.is_object()) return text_reply(400, "invalid_payload");
        const auto& [channel_id, user] = response_urls_.at(path);
        // As Slack: five answers within the lifetime, then the URL is spent.
        auto& [uses, issued] = response_url_uses_[path];
        if (std::chrono::steady_clock::now() - issued > opts_.response_url_lifetime) return text_reply(404, "expired_url");
        if (uses >= 5) return text_reply(404, "used_url");
        ++uses;
        const json::object& o = v.get_object();
        std::string error;
        auto content = message_content(o, true, error);
        if (!content) return text_reply(400, error);
        posted_message m;
        m.channel = channel_id;
        m.ts = next_ts();
        m.text = content->first;
        m.blocks = content->second;
        m.thread_ts = text_arg(o, "thread_ts").value_or("");
        m.user = opts_.bot_user;
        m.ephemeral = text_arg(o, "response_type").value_or("ephemeral") != "in_channel";
        if (m.ephemeral) m.ephemeral_user = user;
        channels_.at(channel_id).history.push_back(std::move(m));
        return text_reply(200, "ok");
    }

    fake_slack_options opts_;
    std::mt19937_64 rng_;
    std::string http_origin_, ws_origin_;
    std::int64_t clock_us_ = fake_epoch_us;

    std::map<std::string, user_rec> users_;
    std::map<std::string, channel_rec> channels_;
    std::vector<std::string> channel_order_;
    std::map<std::string, file_rec> files_;
    std::vector<json::object> views_;
    std::map<std::string, bool> triggers_;                                      // trigger id -> used
    std::map<std::string, std::pair<std::string, std::string>> response_urls_;  // path -> (channel, user)
    std::map<std::string, std::pair<int, std::chrono::steady_clock::time_point>> response_url_uses_;  // path -> (posts, issued)
    std::vector<fault_rule> rules_;
    std::map<std::string, std::chrono::milliseconds> delays_;
    std::uint64_t channel_seq_ = 0, file_seq_ = 0, view_seq_ = 0, event_seq_ = 0, command_seq_ = 0, ticket_seq_ = 0;

    std::map<std::string, bool> tickets_;  // ticket -> used
    std::vector<open_conn> open_;          // open connections, oldest first
    std::optional<int> pending_drop_;      // drop_after_frames() with nothing open: for the next connection
    int opened_count_ = 0;
    std::vector<delivery> deliveries_;
    std::set<std::size_t> live_;  // deliveries queued, assigned or written (in push order)
    // (deadline, delivery) of each events_api envelope as it is written. Writes happen one
    // after another on the server thread, so deadlines come in order, and the earliest is
    // found at the front once entries no longer standing (acked, retried, written again)
    // are dropped: each write and ack costs O(1) however many envelopes are in flight,
    // where walking live_ made a burst of thousands quadratic.
    std::deque<std::pair<steady::time_point, std::size_t>> deadlines_;
    std::deque<outbound> outbox_;
    std::map<std::string, std::size_t> envelope_index_;  // every envelope id issued -> its delivery
    std::map<std::string, int> event_attempts_;          // event id -> highest retry_attempt used
    std::set<std::string> acked_set_;
    std::vector<std::string> acked_;
    std::map<std::string, json::value> ack_payloads_;
    std::vector<std::string> sent_frames_;
    std::vector<std::string> bad_frames_;
    // Benchmarks' view of Socket Mode: one entry per envelope frame written, found by its id.
    std::vector<envelope_timing> timings_;
    std::map<std::string, std::size_t> timing_index_;
};

// ----- connections -----

// A Socket Mode connection; io thread only.
class ws_base : public fake_net::connection {
public:
    /// Queues one text frame; `delivery` is reported back once it is written; `last` cuts the
    /// connection (no close frame) right after it.
    virtual void send(std::string text, std::optional<std::size_t> delivery, bool last) = 0;
    /// Queues a WebSocket close after the frames already queued.
    virtual void close_after_queue() = 0;
    /// Closes normally once `grace` passes, unless the client closes first.
    virtual void retire(std::chrono::milliseconds grace) = 0;
    int id = 0;
};

}  // namespace

// The server: the world behind a mutex, and the listener with its thread. Members are in
// destruction order: the ack timer, then the server (and with it every session), then the world.
struct fake_slack::impl {
    explicit impl(fake_slack_options o) : w(o), opts(std::move(o)), net(opts.tls, "fake_slack") {}

    mutable std::mutex mu;
    world w;  // guarded by mu
    fake_net::call_log<slack_call> log{mu, [](const slack_call& c) { return c.verb + " " + c.target; }};

    fake_slack_options opts;
    fake_net::server net;
    asio::steady_timer ack_timer{net.ioc()};

    // Touched only on the server thread.
    std::map<int, std::weak_ptr<ws_base>> conns;
    int conn_seq = 0;

    verdict handle(slack_call& c) {
        verdict v;
        try {
            std::lock_guard lock(mu);
            v = w.handle(c);
        } catch (const std::exception& e) {
            v.answer = text_reply(500, std::string("fake_slack: ") + e.what());
        }
        c.status = v.answer.status;
        c.error = v.answer.error();
        return v;
    }

    bool take_ticket(const std::string& t) {
        std::lock_guard lock(mu);
        return w.take_ticket(t);
    }

    // Any thread: the outbox is looked at again on the server thread.
    void kick() {
        asio::post(net.ioc(), [this] {
            if (!net.stopping()) pump();
        });
    }

    // Server thread: hands what the outbox can send to its connection.
    void pump() {
        std::vector<frame_out> out;
        {
            std::lock_guard lock(mu);
            out = w.drain();
        }
        std::set<int> gone;
        for (auto& f : out) {
            auto it = conns.find(f.conn);
            auto s = it == conns.end() ? nullptr : it->second.lock();
            if (s)
                s->send(std::move(f.text), f.delivery, f.last);
            else
                gone.insert(f.conn);
        }
        // A connection that vanished without reporting its end: take its envelopes back.
        for (int id : gone) on_ws_closed(id);
    }

    // Server thread: the timer wakes at the earliest ack deadline.
    void arm_ack_timer() {
        std::optional<steady::time_point> next;
        {
            std::lock_guard lock(mu);
            next = w.next_deadline();
        }
        if (!next) return;
        ack_timer.expires_at(*next);
        ack_timer.async_wait([this](beast::error_code ec) {
            if (ec || net.stopping()) return;  // re-armed, or shutting down
            {
                std::lock_guard lock(mu);
                w.expire(steady::now());
            }
            pump();
            arm_ack_timer();
        });
    }

    void on_ws_open(const std::shared_ptr<ws_base>& s) {
        s->id = ++conn_seq;
        conns[s->id] = s;
        std::string hello;
        bool drop_now = false, last = false;
        {
            std::lock_guard lock(mu);
            drop_now = w.opened(s->id);
            hello = w.hello(s->id);
            last = !drop_now && w.count_frame(s->id);
        }
        if (drop_now) return s->close();  // its read fails next and reports the end
        s->send(std::move(hello), std::nullopt, last);
        pump();
    }

    void on_ws_frame(const std::string& text, bool binary) {
        const auto now = steady::now();  // before the lock: the ack's arrival, not the wait for the mutex
        {
            std::lock_guard lock(mu);
            w.client_frame(text, binary, now);
        }
        pump();
        arm_ack_timer();
    }

    void on_ws_written(int id, const std::optional<std::size_t>& delivery, const std::string& text) {
        {
            std::lock_guard lock(mu);
            w.written(id, delivery, text, steady::now());
        }
        if (delivery) arm_ack_timer();
    }

    void on_ws_closed(int id) {
        conns.erase(id);
        {
            std::lock_guard lock(mu);
            w.closed(id);
        }
        pump();
        arm_ack_timer();
    }

    void disconnect(const std::string& reason, int id, const std::string& frame, bool last) {
        auto it = conns.find(id);
        auto s = it == conns.end() ? nullptr : it->second.lock();
        if (!s) return;
        s->send(frame, std::nullopt, last);
        if (reason == "link_disabled")
            s->close_after_queue();
        else
            s->retire(opts.refresh_grace);
    }

    void drop(int id) {
        auto it = conns.find(id);
        if (auto s = it == conns.end() ? nullptr : it->second.lock()) s->close();
    }

    // Server thread, as shutdown begins: no more redeliveries, no more Socket Mode links.
    void forget_links() {
        ack_timer.cancel();
        conns.clear();
    }
};

namespace {

// One Socket Mode connection: the WebSocket handshake, hello, then frames out (one write at a
// time, queued) and acks in, until either side closes or the fake drops it.
template <class Stream>
class ws_session final : public ws_base {
public:
    ws_session(fake_slack::impl& server, Stream&& stream)
        : server_(server), ws_(std::move(stream)), grace_timer_(ws_.get_executor()) {}

    void accept(http::request<http::string_body> req) {
        // The WebSocket keeps its own deadlines from here on; the TCP one would cut idle links.
        beast::get_lowest_layer(ws_).expires_never();
        websocket::stream_base::timeout t{};
        t.handshake_timeout = ws_handshake_timeout;
        if (server_.opts.ping_interval.count() > 0) {
            // Beast pings after half the idle timeout and closes when nothing comes back.
            t.idle_timeout = 2 * server_.opts.ping_interval;
            t.keep_alive_pings = true;
        } else {
            t.idle_timeout = websocket::stream_base::none();
            t.keep_alive_pings = false;
        }
        ws_.set_option(t);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "firebreak-fake-slack"); }));
        ws_.read_message_max(max_frame_bytes);
        req_ = std::move(req);
        ws_.async_accept(req_, [self = self()](beast::error_code ec) {
            if (ec || self->server_.net.stopping()) return self->close();
            self->read();
            self->server_.on_ws_open(self);
        });
    }

    void send(std::string text, std::optional<std::size_t> delivery, bool last) override {
        if (closed_) return;  // the close report gives its envelopes back
        queue_.push_back(item{std::move(text), delivery, false, last});
        if (!writing_) write_next();
    }

    void close_after_queue() override {
        if (closed_) return;
        queue_.push_back(item{"", std::nullopt, true, false});
        if (!writing_) write_next();
    }

    void retire(std::chrono::milliseconds grace) override {
        grace_timer_.expires_after(grace);
        grace_timer_.async_wait([self = self()](beast::error_code ec) {
            if (ec || self->server_.net.stopping() || self->closed_) return;
            self->close_after_queue();
        });
    }

    // Abrupt: no close frame, the socket just goes (a crash, a network cut).
    void close() override {
        closed_ = true;
        grace_timer_.cancel();
        beast::get_lowest_layer(ws_).close();
    }

private:
    struct item {
        std::string text;
        std::optional<std::size_t> delivery;
        bool is_close = false;
        bool last = false;  // cut the connection once this is written
    };

    std::shared_ptr<ws_session> self() { return std::static_pointer_cast<ws_session>(shared_from_this()); }

    void read() {
        ws_.async_read(buffer_, [self = self()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (server_.net.stopping()) return;
        if (ec) return ended();
        std::string text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        const bool binary = !ws_.got_text();
        if (binary) text = "<binary frame of " + std::to_string(text.size()) + " bytes>";
        server_.on_ws_frame(text, binary);
        read();
    }

    void write_next() {
        if (closed_ || queue_.empty()) {
            writing_ = false;
            return;
        }
        writing_ = true;
        if (queue_.front().is_close) {
            ws_.async_close(websocket::close_code::normal, [self = self()](beast::error_code) {
                // Whatever the peer does next, this connection is finished.
                self->queue_.clear();
                self->writing_ = false;
                if (!self->server_.net.stopping()) self->close();
            });
            return;
        }
        ws_.text(true);
        ws_.async_write(asio::buffer(queue_.front().text),
                        [self = self()](beast::error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(beast::error_code ec) {
        if (server_.net.stopping()) return;
        if (ec) {
            writing_ = false;
            return close();  // the read fails next and reports the end
        }
        item done = std::move(queue_.front());
        queue_.pop_front();
        server_.on_ws_written(id, done.delivery, done.text);
        if (done.last) {
            writing_ = false;
            return close();
        }
        write_next();
    }

    // The connection is over (either side): report once, so its envelopes are redelivered.
    void ended() {
        if (reported_) return;
        reported_ = true;
        if (!closed_) close();
        server_.on_ws_closed(id);
    }

    fake_slack::impl& server_;
    websocket::stream<Stream> ws_;
    asio::steady_timer grace_timer_;
    http::request<http::string_body> req_;
    beast::flat_buffer buffer_;
    std::deque<item> queue_;  // front is being written while writing_
    bool writing_ = false;
    bool closed_ = false;
    bool reported_ = false;
};

// One HTTP connection: fake_net's request loop; a slow method answers late, and an upgrade to
// /link with a good ticket becomes a ws_session.
template <class Stream>
class http_session final : public fake_net::http_session<http_session<Stream>, Stream> {
    using base = fake_net::http_session<http_session<Stream>, Stream>;
    friend base;

public:
    template <class... Args>
    explicit http_session(fake_slack::impl& server, Args&&... args)
        : base(server.net, "firebreak-fake-slack", std::forward<Args>(args)...),
          server_(server),
          delay_timer_(this->stream_.get_executor()) {}

    void close() override {
        if (upgraded_) return;  // the stream belongs to the WebSocket now
        this->close_stream();
        delay_timer_.cancel();
    }

private:
    static fake_net::http_reply wire(const reply& r) {
        return fake_net::http_reply{static_cast<unsigned>(r.status), r.content_type(), r.payload(), r.headers};
    }

    fake_net::http_reply too_large() { return wire(text_reply(413, "request body too large")); }
    fake_net::http_reply malformed() { return wire(text_reply(400, "malformed HTTP request")); }

    void on_request(http::request<http::string_body> req) {
        if (websocket::is_upgrade(req)) return upgrade(std::move(req));

        call_ = slack_call{};
        call_.verb = std::string(req.method_string());
        call_.target = std::string(req.target());
        call_.content_type = std::string(req[http::field::content_type]);
        call_.authorization = std::string(req[http::field::authorization]);
        call_.body = std::move(req.body());

        verdict v = server_.handle(call_);
        if (v.delay.count() <= 0) return answer(std::move(v.answer));
        // A slow Slack: the call took effect, the answer comes later.
        pending_ = std::move(v.answer);
        delay_timer_.expires_after(v.delay);
        delay_timer_.async_wait([self = this->self()](beast::error_code) {
            if (self->server_.net.stopping()) return;
            self->answer(std::move(self->pending_));
        });
    }

    // Socket Mode: only /link with a ticket from apps.connections.open not used before.
    void upgrade(http::request<http::string_body> req) {
        const std::string target(req.target());
        const auto q = target.find('?');
        const std::string path = target.substr(0, q);
        const auto query =
            decode_form(q == std::string::npos ? std::string_view{} : std::string_view(target).substr(q + 1));
        const json::value* ticket = query.if_contains("ticket");
        const bool ok = (path == "/link" || path == "/link/") && ticket && ticket->is_string() &&
                        server_.take_ticket(to_std(ticket->get_string()));
        if (!ok) {
            this->keep_alive_ = false;
            return this->write(wire(text_reply(401, "invalid or used ticket")), this->version_);
        }
        upgraded_ = true;
        auto ws = std::make_shared<ws_session<Stream>>(server_, std::move(this->stream_));
        server_.net.track(ws);
        ws->accept(std::move(req));
    }

    void answer(reply r) {
        server_.log.record(call_);
        if (server_.net.stopping()) return;
        this->write(wire(r), this->version_);
    }

    fake_slack::impl& server_;
    asio::steady_timer delay_timer_;
    slack_call call_;
    reply pending_;
    bool upgraded_ = false;
};

}  // namespace

fake_slack::fake_slack(fake_slack_options o) : impl_(std::make_unique<impl>(std::move(o))) {
    impl& s = *impl_;
    {
        std::lock_guard lock(s.mu);
        const std::string port = std::to_string(s.net.port());
        s.w.set_origins(s.opts.tls ? "https://localhost:" + port : "http://127.0.0.1:" + port,
                        (s.opts.tls ? "wss://127.0.0.1:" : "ws://127.0.0.1:") + port);
    }
    s.net.run_sessions<http_session>(s, [&s](const std::string& failure) { s.log.note_failure(failure); });
}

fake_slack::~fake_slack() {
    impl& s = *impl_;
    s.net.stop([&s] { s.forget_links(); });
}

std::string fake_slack::api_base_url() const {
    return impl_->opts.tls ? "https://localhost:" + std::to_string(impl_->net.port()) + "/api"
                           : "http://127.0.0.1:" + std::to_string(impl_->net.port()) + "/api";
}

unsigned short fake_slack::port() const { return impl_->net.port(); }

std::string fake_slack::ca_pem() const { return impl_->net.ca_pem(); }

std::string fake_slack::create_channel(const std::string& name, const std::vector<std::string>& members) {
    std::lock_guard lock(impl_->mu);
    // Made by its first member, as if a person had created it.
    return impl_->w.create_channel(name, members, false, members.empty() ? impl_->opts.bot_user : members.front());
}

void fake_slack::add_user(const std::string& id, const std::string& name, const std::string& display_name) {
    std::lock_guard lock(impl_->mu);
    impl_->w.add_user(id, name, display_name);
}

std::string fake_slack::push_event(boost::json::object event) {
    std::string id;
    {
        std::lock_guard lock(impl_->mu);
        id = impl_->w.push_event(std::move(event), std::nullopt);
    }
    impl_->kick();
    return id;
}

std::string fake_slack::push_event_with_id(boost::json::object event, const std::string& event_id) {
    std::string id;
    {
        std::lock_guard lock(impl_->mu);
        id = impl_->w.push_event(std::move(event), event_id);
    }
    impl_->kick();
    return id;
}

std::string fake_slack::push_message(const std::string& channel, const std::string& user, const std::string& text,
                                     const std::string& thread_ts) {
    std::string ts;
    {
        std::lock_guard lock(impl_->mu);
        ts = impl_->w.push_message(channel, user, text, thread_ts);
    }
    impl_->kick();
    return ts;
}

std::string fake_slack::push_slash_command(const std::string& channel, const std::string& user,
                                           const std::string& text) {
    std::string id;
    {
        std::lock_guard lock(impl_->mu);
        id = impl_->w.push_slash_command(channel, user, text);
    }
    impl_->kick();
    return id;
}

std::string fake_slack::push_interactive(boost::json::object payload) {
    std::string id;
    {
        std::lock_guard lock(impl_->mu);
        id = impl_->w.push_interactive(std::move(payload));
    }
    impl_->kick();
    return id;
}

void fake_slack::push_raw_frame(std::string text) {
    {
        std::lock_guard lock(impl_->mu);
        impl_->w.push_raw(std::move(text));
    }
    impl_->kick();
}

void fake_slack::request_refresh() { send_disconnect("refresh_requested"); }

void fake_slack::send_disconnect(const std::string& reason) {
    // The connection is marked under the lock now, so an envelope pushed right after this call
    // can no longer go to it; the frame itself goes out on the server thread.
    int id = 0;
    std::string frame;
    bool last = false;
    {
        std::lock_guard lock(impl_->mu);
        id = impl_->w.newest();
        if (id == 0) return;
        last = impl_->w.count_frame(id);
        impl_->w.retire(id);
        frame = impl_->w.disconnect_frame(id, reason);
    }
    impl& s = *impl_;
    asio::post(s.net.ioc(), [&s, reason, id, frame, last] {
        if (!s.net.stopping()) s.disconnect(reason, id, frame, last);
    });
}

void fake_slack::drop_after_frames(int n) {
    int id = 0;
    {
        std::lock_guard lock(impl_->mu);
        if (!impl_->w.set_drop_after(n)) return;
        id = impl_->w.newest();
    }
    impl& s = *impl_;
    asio::post(s.net.ioc(), [&s, id] {
        if (!s.net.stopping()) s.drop(id);
    });
}

void fake_slack::rate_limit(const std::string& method, int count, int retry_after_s) {
    std::lock_guard lock(impl_->mu);
    impl_->w.add_rule({fault_rule::kind::rate_limit, method, count, retry_after_s, ""});
}

void fake_slack::fail(const std::string& method, int count, const std::string& error) {
    std::lock_guard lock(impl_->mu);
    impl_->w.add_rule({fault_rule::kind::fail, method, count, 0, error});
}

void fake_slack::delay(const std::string& method, std::chrono::milliseconds d) {
    std::lock_guard lock(impl_->mu);
    impl_->w.set_delay(method, d);
}

std::vector<slack_call> fake_slack::calls() const { return impl_->log.calls(); }

std::vector<posted_message> fake_slack::messages(const std::string& channel) const {
    std::lock_guard lock(impl_->mu);
    const channel_rec* c = impl_->w.find_channel(channel);
    return c ? c->history : std::vector<posted_message>{};
}

std::vector<std::string> fake_slack::channels() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.channel_order();
}

std::optional<std::string> fake_slack::channel_named(const std::string& name) const {
    std::lock_guard lock(impl_->mu);
    const channel_rec* c = impl_->w.find_by_name(name);
    return c ? std::optional<std::string>(c->id) : std::nullopt;
}

std::string fake_slack::topic(const std::string& channel) const {
    std::lock_guard lock(impl_->mu);
    const channel_rec* c = impl_->w.find_channel(channel);
    return c ? c->topic : "";
}

std::vector<std::string> fake_slack::members(const std::string& channel) const {
    std::lock_guard lock(impl_->mu);
    const channel_rec* c = impl_->w.find_channel(channel);
    return c ? c->members : std::vector<std::string>{};
}

std::vector<std::string> fake_slack::pins(const std::string& channel) const {
    std::lock_guard lock(impl_->mu);
    const channel_rec* c = impl_->w.find_channel(channel);
    return c ? c->pins : std::vector<std::string>{};
}

std::vector<std::string> fake_slack::reactions(const std::string& channel, const std::string& ts) const {
    std::lock_guard lock(impl_->mu);
    const channel_rec* c = impl_->w.find_channel(channel);
    if (!c) return {};
    auto it = c->reactions.find(ts);
    return it == c->reactions.end() ? std::vector<std::string>{} : it->second;
}

std::map<std::string, std::string> fake_slack::files() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.completed_files();
}

std::vector<boost::json::object> fake_slack::views() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.views();
}

std::vector<std::string> fake_slack::acked() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.acked();
}

std::vector<std::string> fake_slack::unacked() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.unacked();
}

std::size_t fake_slack::acked_count() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.acked().size();
}

std::vector<envelope_timing> fake_slack::envelope_timings(std::size_t from) const {
    std::lock_guard lock(impl_->mu);
    const auto& all = impl_->w.timings();
    return {all.begin() + std::ptrdiff_t(std::min(from, all.size())), all.end()};
}

std::map<std::string, boost::json::value> fake_slack::ack_payloads() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.ack_payloads();
}

std::vector<std::string> fake_slack::sent_frames() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.sent_frames();
}

int fake_slack::connections_opened() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.opened_count();
}

int fake_slack::open_connections() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.open_count();
}

std::vector<std::string> fake_slack::bad_frames() const {
    std::lock_guard lock(impl_->mu);
    return impl_->w.bad_frames();
}

void fake_slack::on_call(std::function<void(const slack_call&)> f) { impl_->log.set_hook(std::move(f)); }

std::vector<std::string> fake_slack::hook_failures() const { return impl_->log.failures(); }

}  // namespace firebreak::testing
