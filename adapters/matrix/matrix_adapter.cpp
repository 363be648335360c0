#include "adapters/matrix/matrix_adapter.hpp"
#include "adapters/matrix/matrix_api.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <functional>
#include <random>
#include <spdlog/spdlog.h>
#include <stdexcept>

namespace firebreak::matrix {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view client_v3 = "/_matrix/client/v3";
constexpr int max_alias_attempts = 10;
constexpr int max_gap_pages = 50;

// An answer's body as the response struct T; all fields empty when it is not JSON.
template <class T>
T answer(const net::http_response& r) {
    return api::read<T>(r.body).value_or(T{});
}

// Where a room's m.room.create content keeps the idempotency key of the request that made it.
constexpr std::string_view creation_key_field = "firebreak.key";

std::string creation_key(std::string_view create_content) {
    auto o = api::object_of(create_content);
    if (!o) return {};
    auto it = o->find(creation_key_field);
    return it != o->end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string{};
}

net::url base_url(const std::string& homeserver) {
    auto u = net::url::parse(homeserver);
    if (!u) throw std::runtime_error("matrix: the homeserver URL is not http(s)://host[:port]: " + homeserver);
    return *u;
}

// A short, stable tag of some bytes for transaction ids (FNV-1a; not a security hash).
std::string tag_of(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return fmt::format("{:016x}", h);
}

bool ok_status(const net::http_response& r) { return r.status >= 200 && r.status < 300; }

}  // namespace

std::string direct_rooms_value(const std::set<std::string>& rooms) {
    json::array a;
    for (const auto& r : rooms) a.emplace_back(r);
    return json::serialize(a);
}

std::set<std::string> parse_direct_rooms(std::string_view value) {
    std::set<std::string> out;
    boost::system::error_code ec;
    auto v = json::parse(value, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& r : v.get_array())
        if (r.is_string() && !r.get_string().empty()) out.emplace(r.get_string());
    return out;
}

matrix_adapter::matrix_adapter(asio::any_io_executor ex, matrix_options o, adapter_memory& memory,
                               std::unique_ptr<delay_timer> retry_timer)
    : ex_(ex),
      opt_(std::move(o)),
      sync_http_(ex, base_url(opt_.homeserver), net::tls_options{opt_.ca_file}),
      api_http_(ex, base_url(opt_.homeserver), net::tls_options{opt_.ca_file}),
      retry_timer_(std::move(retry_timer)),
      backoff_(opt_.backoff),
      tasks_(ex),
      since_(memory.recall(opt_.cursor_key)) {
    if (auto d = memory.recall(opt_.direct_rooms_key)) direct_rooms_ = parse_direct_rooms(*d);
    if (auto p = memory.recall(opt_.txn_prefix_key)) {
        txn_prefix_ = *p;
    } else {
        std::random_device rd;
        txn_prefix_ = fmt::format("{:08x}{:08x}", rd(), rd());
        memory.keep(opt_.txn_prefix_key, txn_prefix_);
    }
}

matrix_adapter::~matrix_adapter() {
    tasks_.cancel();
    retry_timer_->cancel();
}

capabilities matrix_adapter::caps() const {
    capabilities c;
    c.threads = true;
    c.files = true;
    c.topics = true;
    c.rich_text = true;
    c.reactions = true;
    c.create_rooms = true;
    // Matrix names have no limit, but the room alias is made from the name: kept short.
    c.room_name_limit = 80;
    return c;
}

net::http_request matrix_adapter::request(std::string method, std::string target, const json::object* body,
                                          milliseconds timeout) const {
    net::http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.timeout = timeout;
    req.headers.emplace_back("Authorization", "Bearer " + opt_.access_token);
    if (body) {
        req.content_type = "application/json";
        req.body = json::serialize(*body);
    }
    return req;
}

void matrix_adapter::call(net::http_client& c, std::string method, std::string target, const json::object* body,
                          reply_fn cb, milliseconds timeout) {
    c.request(request(std::move(method), std::move(target), body, timeout), std::move(cb));
}

asio::awaitable<net::http_response> matrix_adapter::fetch(net::http_client& c, std::string method, std::string target,
                                                          const json::object* body, milliseconds timeout) {
    co_return co_await c.send(request(std::move(method), std::move(target), body, timeout));
}

// ---- the sync loop ------------------------------------------------------------------

void matrix_adapter::start(event_sink sink) {
    sink_ = std::move(sink);
    state_ = link_state::connecting;
    tasks_.spawn(run_sync());
}

void matrix_adapter::stop() {
    stop_receiving();
    api_http_.close();
}

void matrix_adapter::stop_receiving() {
    state_ = link_state::stopped;
    tasks_.cancel();
    retry_timer_->cancel();
    sync_http_.close();
}

void matrix_adapter::fatal(const std::string& why) {
    if (state_ == link_state::failed || state_ == link_state::stopped) return;
    state_ = link_state::failed;
    last_error_ = why;
    spdlog::error("matrix: {}; the adapter stops", why);
    tasks_.cancel();
    retry_timer_->cancel();
    sync_http_.close();
    report_fatal(why);
}

bool matrix_adapter::auth_failure(const net::http_response& r, std::string_view operation) {
    if (r.failed()) return false;
    auto code = errcode_of(r.body);
    if (r.status == 401 || code == "M_UNKNOWN_TOKEN" || code == "M_MISSING_TOKEN") {
        fatal(fmt::format("{}: the access token was refused (HTTP {} {}); check the token and restart",
                          operation, r.status, code.empty() ? "" : code));
        return true;
    }
    return false;
}

delivery matrix_adapter::not_signed_in(const std::string& op) {
    delivery d;
    d.error = error_kind::transient;
    d.detail = op + ": not signed in yet";
    d.retry_after = milliseconds{1000};
    return d;
}

std::optional<delivery> matrix_adapter::refused(const net::http_response& r, const std::string& op) {
    delivery d;
    if (r.failed()) {
        d.error = error_kind::transient;
        d.detail = op + ": " + r.failure;
        return d;
    }
    if (auth_failure(r, op)) {
        // The row stays in the outbox for the next start with a good token.
        d.error = error_kind::transient;
        d.detail = op + ": the access token was refused";
        d.retry_after = milliseconds{60000};
        return d;
    }
    if (!ok_status(r)) return failure(r.status, r.body, r.header("retry-after"), op);
    return std::nullopt;
}

void matrix_adapter::check_credentials(std::function<void(credential_check)> cb) {
    call(api_http_, "GET", std::string(client_v3) + "/account/whoami", nullptr,
         [this, cb = std::move(cb)](const net::http_response& r) {
             credential_check c;
             if (r.failed()) {
                 c.detail = "cannot reach " + opt_.homeserver + ": " + r.failure;
                 return cb(std::move(c));
             }
             if (r.status != 200) {
                 auto d = failure(r.status, r.body, std::nullopt, "whoami");
                 c.detail = d.detail + (d.error == error_kind::auth ? ": the token is refused" : "");
                 return cb(std::move(c));
             }
             c.who = answer<api::whoami_response>(r).user_id;
             if (!opt_.user_id.empty() && c.who != opt_.user_id) {
                 c.detail = fmt::format("the token belongs to {}, not {}", c.who.empty() ? "nobody it names" : c.who,
                                        opt_.user_id);
                 return cb(std::move(c));
             }
             c.ok = true;
             cb(std::move(c));
         },
         milliseconds{15000});
}

// The sync loop, top to bottom: sign in, upload the filter, then long-poll /sync; each
// batch has its gaps filled and is handed over, and the next sync starts once its last
// event (which carries the cursor) is committed. A failed step waits out a backoff and is
// tried again; a refused token ends the loop for good (fatal).
asio::awaitable<void> matrix_adapter::run_sync() {
    while (!co_await sign_in())
        if (!running()) co_return;
    while (!co_await upload_filter())
        if (!running()) co_return;
    for (;;) {
        if (state_ != link_state::retrying) state_ = since_ ? link_state::connected : link_state::connecting;
        // The very first sync asks for no wait: it only learns where "now" is.
        auto timeout = since_ ? opt_.sync_timeout : milliseconds{0};
        std::string target =
            fmt::format("{}/sync?timeout={}&filter={}", client_v3, timeout.count(), net::url_encode(filter_));
        if (since_) target += "&since=" + net::url_encode(*since_);
        auto r = co_await fetch(sync_http_, "GET", std::move(target), nullptr, timeout + milliseconds{30000});
        if (auth_failure(r, "sync")) co_return;
        if (r.failed()) {
            co_await back_off("sync: " + r.failure);
            continue;
        }
        if (r.status != 200) {
            auto d = failure(r.status, r.body, r.header("retry-after"), "sync");
            if (d.error == error_kind::auth) co_return fatal(d.detail);
            co_await back_off(d.detail);
            continue;
        }
        std::string error;
        auto batch = decode_sync(r.body, bot_mxid_, reactions_, error);
        if (!batch) {
            // The cursor stays where it was: the same batch is asked for again.
            spdlog::warn("matrix: malformed sync response skipped ({}, {} bytes)", error, r.body.size());
            co_await back_off("sync: " + error);
            continue;
        }
        if (!take_batch_state(*batch)) co_return;
        std::vector<chat_event> events;
        if (!since_) {
            // First start: what was said before the bot existed is history, not news.
            spdlog::info("matrix: first sync; {} earlier events left as history", batch->events.size());
        } else {
            std::string why;
            auto filled = co_await fill_gaps(*batch, why);
            if (!running()) co_return;
            if (!filled) {
                co_await back_off("gap fill: " + why);
                continue;
            }
            events = std::move(*filled);
        }
        co_await hand_over(batch->next_batch, std::move(events));
        if (!running()) co_return;
        since_ = batch->next_batch;
    }
}

// whoami: the token is accepted, and belongs to the configured user when one is set.
asio::awaitable<bool> matrix_adapter::sign_in() {
    auto r = co_await fetch(api_http_, "GET", std::string(client_v3) + "/account/whoami");
    if (auth_failure(r, "whoami")) co_return false;
    auto me = answer<api::whoami_response>(r);
    if (r.status == 403) {
        fatal(failure(r.status, r.body, std::nullopt, "whoami").detail + ": the homeserver refuses the bot");
        co_return false;
    }
    if (!ok_status(r) || me.user_id.empty()) {
        std::string why = r.failed() ? "whoami: " + r.failure : fmt::format("whoami: HTTP {}", r.status);
        co_await back_off(std::move(why));
        co_return false;
    }
    bot_mxid_ = me.user_id;
    if (!opt_.user_id.empty() && opt_.user_id != bot_mxid_) {
        fatal(fmt::format("the token belongs to {}, not the configured {}", bot_mxid_, opt_.user_id));
        co_return false;
    }
    spdlog::info("matrix: signed in as {}", bot_mxid_);
    co_return true;
}

asio::awaitable<bool> matrix_adapter::upload_filter() {
    auto f = sync_filter();
    auto r = co_await fetch(api_http_, "POST", fmt::format("{}/user/{}/filter", client_v3, net::url_encode(bot_mxid_)), &f);
    if (auth_failure(r, "filter upload")) co_return false;
    if (r.failed() || r.status >= 500) {
        std::string why = "filter upload: " + (r.failed() ? r.failure : fmt::format("HTTP {}", r.status));
        co_await back_off(std::move(why));
        co_return false;
    }
    auto id = answer<api::filter_response>(r).filter_id;
    // A server that will not store filters still takes one inline.
    filter_ = !id.empty() && ok_status(r) ? id : json::serialize(f);
    co_return true;
}

asio::awaitable<void> matrix_adapter::back_off(std::string why) {
    last_error_ = why;
    state_ = link_state::retrying;
    retrying_ = true;
    const auto wait = backoff_.next();
    spdlog::warn("matrix: {}; retrying in {} ms", why, wait.count());
    co_await net::until_called([&](auto done) { retry_timer_->wait(wait, std::move(done)); });
}

bool matrix_adapter::take_batch_state(const sync_batch& b) {
    ++syncs_;
    if (retrying_) {
        retrying_ = false;
        report_reconnect();
    }
    backoff_.reset();
    state_ = link_state::connected;
    last_error_.clear();
    if (b.skipped > 0) spdlog::debug("matrix: {} events in the batch were not for the bot", b.skipped);
    for (auto& [id, entry] : b.reactions) reactions_[id] = entry;
    const auto known_direct = direct_rooms_.size();
    direct_rooms_.insert(b.direct_rooms.begin(), b.direct_rooms.end());
    join_invites(b.invites);
    if (direct_rooms_.size() != known_direct) {
        // Kept in the store before the batch's own events, so a restart still knows which
        // rooms are one-to-one (an invite says so only once).
        inbound in;
        in.event.kind = event_kind::sync_mark;
        in.cursor = std::pair{opt_.direct_rooms_key, direct_rooms_value(direct_rooms_)};
        sink_(in, [] {});
    }
    return running();
}

// Auto-join every invitation; joins are idempotent, so a repeated invite costs nothing.
void matrix_adapter::join_invites(const std::vector<std::string>& rooms) {
    const json::object no_options;
    for (const auto& room : rooms) {
        call(api_http_, "POST", fmt::format("{}/join/{}", client_v3, net::url_encode(room)), &no_options,
             [room](const net::http_response& jr) {
                 if (ok_status(jr)) spdlog::info("matrix: joined {}", room);
                 else spdlog::warn("matrix: could not join {}: {}", room, jr.failed() ? jr.failure : std::to_string(jr.status));
             });
    }
}

// A limited timeline left events out between our cursor and the batch: fetch them with
// /messages (backwards from prev_batch to the old cursor), oldest first. Gap events come
// before the batch's own; each room's order is kept.
asio::awaitable<std::optional<std::vector<chat_event>>> matrix_adapter::fill_gaps(sync_batch& b, std::string& why) {
    std::vector<chat_event> gathered;
    const std::string timeline_filter = json::serialize(sync_filter()["room"].as_object()["timeline"]);
    for (const auto& gap : b.gaps) {
        std::vector<chat_event> room_events;  // this room's missing events, oldest first
        std::string from = gap.prev_batch;
        for (int pages = 0; !from.empty(); ++pages) {
            if (pages >= max_gap_pages) {
                spdlog::warn("matrix: gap in {} too long; older events not fetched", gap.room_id);
                break;
            }
            std::string target = fmt::format("{}/rooms/{}/messages?dir=b&limit=100&from={}&to={}&filter={}", client_v3,
                                             net::url_encode(gap.room_id), net::url_encode(from),
                                             net::url_encode(*since_), net::url_encode(timeline_filter));
            auto r = co_await fetch(api_http_, "GET", std::move(target));
            if (!running() || auth_failure(r, "messages")) co_return std::nullopt;
            auto body = api::read<api::messages_response>(r.body);
            if (!ok_status(r) || !body) {
                why = r.failed() ? r.failure : fmt::format("HTTP {}", r.status);
                co_return std::nullopt;
            }
            std::vector<chat_event> page;
            for (const auto& e : body->chunk)
                if (auto ce = translate_event(gap.room_id, e, bot_mxid_, reactions_)) page.push_back(std::move(*ce));
            // The chunk runs newest first; earlier pages are newer still.
            std::reverse(page.begin(), page.end());
            room_events.insert(room_events.begin(), std::make_move_iterator(page.begin()),
                               std::make_move_iterator(page.end()));
            from = !body->end.empty() && !body->chunk.empty() ? body->end : std::string{};
        }
        gathered.insert(gathered.end(), std::make_move_iterator(room_events.begin()),
                        std::make_move_iterator(room_events.end()));
    }
    gathered.insert(gathered.end(), std::make_move_iterator(b.events.begin()), std::make_move_iterator(b.events.end()));
    co_return gathered;
}

// Every event of the batch is handed over at once, in order, so the runtime can commit them
// as one group. The batch's cursor rides on its last event, so it is committed with it;
// this returns once that last event is committed (a batch with no events hands over a
// sync_mark carrying the cursor).
asio::awaitable<void> matrix_adapter::hand_over(const std::string& next_batch, std::vector<chat_event> events) {
    if (events.empty()) {
        inbound in;
        in.event.kind = event_kind::sync_mark;
        in.cursor = std::pair{opt_.cursor_key, next_batch};
        co_await net::until_called([&](auto committed) { sink_(in, std::move(committed)); });
        co_return;
    }
    for (std::size_t k = 0; k < events.size(); ++k) {
        inbound in;
        in.event = std::move(events[k]);
        if (in.event.kind == event_kind::message && direct_rooms_.count(in.event.room.id)) in.event.direct = true;
        // A new display name replaces the one this adapter would answer with.
        if (in.event.kind == event_kind::name_changed) names_[to_mxid(in.event.user)] = in.event.text;
        if (k + 1 < events.size()) {
            sink_(in, [] {});
            // A sink that handles at once may have stopped the adapter (a fatal error).
            if (!running()) co_return;
            continue;
        }
        in.cursor = std::pair{opt_.cursor_key, next_batch};
        co_await net::until_called([&](auto committed) { sink_(in, std::move(committed)); });
    }
}

// ---- output --------------------------------------------------------------------------

std::string matrix_adapter::txn(const std::string& key) const {
    return txn_prefix_.empty() ? key : txn_prefix_ + "-" + key;
}

void matrix_adapter::send_event(const std::string& room_id, const std::string& type, const std::string& txn_id,
                                const json::object& content, std::string_view operation, done cb) {
    std::string target = fmt::format("{}/rooms/{}/send/{}/{}", client_v3, net::url_encode(room_id),
                                     net::url_encode(type), net::url_encode(txn_id));
    std::string op(operation);
    call(api_http_, "PUT", target, &content, [this, cb = std::move(cb), op](const net::http_response& r) {
        if (auto no = refused(r, op)) return cb(*no);
        delivery d;
        d.id = message_id{answer<api::event_response>(r).event_id};
        cb(d);
    });
}

void matrix_adapter::post(const room_ref& room, const rich_text& body, const message_id& thread,
                          const std::string& key, done cb) {
    send_event(room.id, "m.room.message", txn(key), notice_content(body, thread.id), "send", std::move(cb));
}

void matrix_adapter::react(const room_ref& room, const message_id& msg, const std::string& emoji, done cb) {
    // Matrix reactions are annotations keyed by the emoji itself.
    std::string key = emoji == "white_check_mark" ? "\u2705" : emoji;
    json::object rel{{"rel_type", "m.annotation"}, {"event_id", msg.id}, {"key", key}};
    json::object c{{"m.relates_to", std::move(rel)}};
    // The same acknowledgement of the same event keeps its transaction id, so a retry
    // is the same reaction.
    send_event(room.id, "m.reaction", txn("react-" + tag_of(msg.id + key)), c, "react", std::move(cb));
}

void matrix_adapter::post_ephemeral(const room_ref& room, const user_ref& user, const rich_text& body, done cb) {
    // Matrix has no ephemeral messages (caps() says so); the engine never calls this.
    rich_text t;
    t.mention(user.id).text(" ").append(body);
    post(room, t, message_id{}, "eph-" + tag_of(room.id + user.id + body.plain() + to_html(body)), std::move(cb));
}

void matrix_adapter::edit(const room_ref& room, const message_id& id, const rich_text& body, done cb) {
    json::object fresh = notice_content(body);
    json::object c = fresh;
    c["body"] = "* " + body.plain();
    c["formatted_body"] = "* " + to_html(body);
    json::object rel;
    rel["rel_type"] = "m.replace";
    rel["event_id"] = id.id;
    c["m.new_content"] = std::move(fresh);
    c["m.relates_to"] = std::move(rel);
    send_event(room.id, "m.room.message", txn("edit-" + tag_of(id.id + body.plain() + to_html(body))), c, "edit", std::move(cb));
}

void matrix_adapter::set_topic(const room_ref& room, const std::string& topic, done cb) {
    auto c = api::to_object(api::topic_content{topic});
    call(api_http_, "PUT", fmt::format("{}/rooms/{}/state/m.room.topic/", client_v3, net::url_encode(room.id)), &c,
         [this, cb = std::move(cb)](const net::http_response& r) {
             if (auto no = refused(r, "topic")) return cb(*no);
             delivery d;
             d.id = message_id{answer<api::event_response>(r).event_id};
             cb(d);
         });
}

void matrix_adapter::set_moderator(const room_ref& room, const user_ref& promote, const user_ref& demote, done cb) {
    // The bot's own id ranks it and leaves it out: not known before the sync loop has signed in.
    if (bot_mxid_.empty()) return cb(not_signed_in("power levels"));
    const std::string url =
        fmt::format("{}/rooms/{}/state/m.room.power_levels/", client_v3, net::url_encode(room.id));
    // Only Matrix users other than the bot have a rank firebreak gives; "" for anyone else.
    auto ranked = [this](const user_ref& u) {
        std::string id = u.empty() ? std::string{} : to_mxid(u);
        return id == bot_mxid_ || server_of(id).empty() ? std::string{} : id;
    };
    call(api_http_, "GET", url, nullptr,
         [this, url, up = ranked(promote), down = ranked(demote), cb = std::move(cb)](const net::http_response& r) mutable {
             if (auto no = refused(r, "power levels")) return cb(*no);
             auto levels = api::object_of(r.body);
             if (!levels) return cb(delivery{error_kind::invalid, "power levels: not a JSON object", {}, {}, {}});
             json::object users;
             if (auto it = levels->find("users"); it != levels->end() && it->value().is_object())
                 users = it->value().get_object();
             auto level_of = [&users](const std::string& id) -> std::int64_t {
                 auto it = users.find(id);
                 return it != users.end() && it->value().is_int64() ? it->value().get_int64() : 0;
             };
             bool changed = false;
             // Only the rank firebreak gives: an admin (100) handing over stays an admin.
             if (!down.empty() && level_of(down) == 50) {
                 users.erase(down);
                 changed = true;
             }
             if (!up.empty() && level_of(up) < 50) {
                 users[up] = 50;
                 changed = true;
             }
             if (!changed) return cb(delivery{});
             (*levels)["users"] = std::move(users);
             call(api_http_, "PUT", url, &*levels, [this, cb = std::move(cb)](const net::http_response& pr) {
                 if (auto no = refused(pr, "power levels")) return cb(*no);
                 delivery d;
                 d.id = message_id{answer<api::event_response>(pr).event_id};
                 cb(d);
             });
         });
}

void matrix_adapter::invite(const room_ref& room, const std::vector<user_ref>& users, done cb) {
    // The bot's own id ranks it and leaves it out: not known before the sync loop has signed in.
    if (bot_mxid_.empty()) return cb(not_signed_in("invite"));
    invite_next(room.id, std::make_shared<std::vector<user_ref>>(users), 0, std::move(cb));
}

void matrix_adapter::invite_next(std::string room_id, std::shared_ptr<std::vector<user_ref>> users, std::size_t i,
                                 done cb) {
    if (i >= users->size()) return cb(delivery{});
    // The bot itself is a member already; console-style ids without a server are not Matrix users.
    std::string mxid = to_mxid((*users)[i]);
    if (mxid == bot_mxid_ || server_of(mxid).empty()) return invite_next(std::move(room_id), users, i + 1, std::move(cb));
    auto body = api::to_object(api::invite_request{mxid});
    call(api_http_, "POST", fmt::format("{}/rooms/{}/invite", client_v3, net::url_encode(room_id)), &body,
         [this, room_id, users, i, cb = std::move(cb), mxid](const net::http_response& r) mutable {
             if (r.failed()) {
                 delivery d;
                 d.error = error_kind::transient;
                 d.detail = "invite: " + r.failure;
                 return cb(d);
             }
             if (!ok_status(r)) {
                 auto d = failure(r.status, r.body, r.header("retry-after"), "invite");
                 if (d.error == error_kind::retry_after || d.error == error_kind::transient) return cb(d);
                 // Already a member, or someone who cannot be invited: the others still are.
                 spdlog::info("matrix: invite of {} not done: {}", mxid, d.detail);
             }
             invite_next(std::move(room_id), users, i + 1, std::move(cb));
         });
}

std::string matrix_adapter::alias_for(const room_request& req, int attempt) const {
    auto local = alias_localpart(req.name);
    return attempt == 0 ? local : fmt::format("{}-{}", local, attempt + 1);
}

void matrix_adapter::open_room(const room_request& req, done cb) {
    // The bot's own id ranks it and leaves it out: not known before the sync loop has signed in.
    if (bot_mxid_.empty()) return cb(not_signed_in("createRoom"));
    create_room(std::make_shared<room_request>(req), 0, std::move(cb));
}

void matrix_adapter::create_room(std::shared_ptr<room_request> req, int attempt, done cb) {
    api::create_room_request create;
    create.name = req->name;
    create.topic = req->topic;
    create.room_alias_name = alias_for(*req, attempt);
    create.preset = req->is_private ? "private_chat" : "public_chat";
    create.visibility = "private";
    for (const auto& u : req->invite) {
        auto mxid = to_mxid(u);
        if (mxid != bot_mxid_ && !server_of(mxid).empty()) create.invite.push_back(mxid);
    }
    // The key lets a retry after a crash recognise the room it made the first time.
    create.creation_content[creation_key_field] = req->idempotency_key;
    json::object users;
    users[bot_mxid_] = 100;
    if (!req->moderator.empty() && !server_of(to_mxid(req->moderator)).empty()) users[to_mxid(req->moderator)] = 50;
    create.power_level_content_override["users"] = std::move(users);
    auto body = api::to_object(create);
    call(api_http_, "POST", std::string(client_v3) + "/createRoom", &body,
         [this, req, attempt, cb = std::move(cb)](const net::http_response& r) mutable {
             delivery d;
             if (r.failed()) {
                 d.error = error_kind::transient;
                 d.detail = "createRoom: " + r.failure;
                 return cb(d);
             }
             if (auth_failure(r, "createRoom")) {
                 d.error = error_kind::transient;
                 d.detail = "createRoom: the access token was refused";
                 d.retry_after = milliseconds{60000};
                 return cb(d);
             }
             if (ok_status(r)) {
                 auto id = answer<api::room_response>(r).room_id;
                 if (id.empty()) {
                     d.error = error_kind::transient;
                     d.detail = "createRoom: no room_id in the answer";
                     return cb(d);
                 }
                 d.room = room_ref{"matrix", id};
                 d.id = message_id{id};
                 return cb(d);
             }
             if (errcode_of(r.body) == "M_ROOM_IN_USE" && attempt + 1 < max_alias_attempts)
                 return adopt_or_retry(req, attempt, alias_for(*req, attempt), std::move(cb));
             cb(failure(r.status, r.body, r.header("retry-after"), "createRoom"));
         });
}

// The alias is taken: by the room this very request made before a crash (adopt it), or
// by someone else (try the next alias).
void matrix_adapter::adopt_or_retry(std::shared_ptr<room_request> req, int attempt, std::string alias, done cb) {
    std::string full = "#" + alias + ":" + server_of(bot_mxid_);
    call(api_http_, "GET", fmt::format("{}/directory/room/{}", client_v3, net::url_encode(full)), nullptr,
         [this, req, attempt, cb = std::move(cb)](const net::http_response& r) mutable {
             auto room_id = answer<api::room_response>(r).room_id;
             if (!ok_status(r) || room_id.empty()) return create_room(req, attempt + 1, std::move(cb));
             call(api_http_, "GET",
                  fmt::format("{}/rooms/{}/state/m.room.create/", client_v3, net::url_encode(room_id)), nullptr,
                  [this, req, attempt, room_id, cb = std::move(cb)](const net::http_response& sr) mutable {
                      if (ok_status(sr) && creation_key(sr.body) == req->idempotency_key) {
                          spdlog::info("matrix: {} was created by an earlier attempt; using it", room_id);
                          delivery d;
                          d.room = room_ref{"matrix", room_id};
                          d.id = message_id{room_id};
                          return cb(d);
                      }
                      create_room(req, attempt + 1, std::move(cb));
                  });
         });
}

void matrix_adapter::post_file(const room_ref& room, const std::string& filename, const std::string& content,
                               const rich_text& comment, done cb) {
    net::http_request req;
    req.method = "POST";
    req.target = "/_matrix/media/v3/upload?filename=" + net::url_encode(filename);
    req.content_type = filename.ends_with(".md") ? "text/markdown; charset=utf-8" : "application/octet-stream";
    req.body = content;
    req.timeout = milliseconds{120000};
    req.headers.emplace_back("Authorization", "Bearer " + opt_.access_token);
    // Transaction ids from the content: a retry of the same draft cannot post it twice.
    std::string tag = tag_of(room.id + filename + content);
    api_http_.request(std::move(req), [this, room, filename, size = content.size(), comment, tag,
                                        cb = std::move(cb)](const net::http_response& r) mutable {
        if (auto no = refused(r, "upload")) return cb(*no);
        auto uri = answer<api::upload_response>(r).content_uri;
        json::object c;
        c["msgtype"] = "m.file";
        c["body"] = filename;
        c["filename"] = filename;
        c["url"] = uri;
        json::object info;
        info["mimetype"] = "text/markdown";
        info["size"] = size;
        c["info"] = std::move(info);
        send_event(room.id, "m.room.message", txn("file-" + tag), c, "send file",
                   [this, room, comment, tag, cb = std::move(cb)](delivery d) mutable {
                       if (!d.ok()) return cb(d);
                       post(room, comment, message_id{}, "filenote-" + tag, std::move(cb));
                   });
    });
}

void matrix_adapter::display_name(const user_ref& user, std::function<void(std::optional<std::string>)> cb) {
    auto mxid = to_mxid(user);
    if (auto it = names_.find(mxid); it != names_.end()) return cb(it->second);
    call(api_http_, "GET", fmt::format("{}/profile/{}/displayname", client_v3, net::url_encode(mxid)), nullptr,
         [this, mxid, cb = std::move(cb)](const net::http_response& r) {
             std::optional<std::string> name;
             auto n = answer<api::profile_response>(r).displayname;
             if (ok_status(r) && n && !n->empty()) name = n;
             // Only answers are cached; a failed lookup is tried again next time.
             if (!r.failed() && (ok_status(r) || r.status == 404)) names_[mxid] = name;
             cb(name);
         });
}

}  // namespace firebreak::matrix
