#include "adapters/slack/slack_adapter.hpp"
#include "adapters/slack/slack_api.hpp"

#include "adapters/slack/slack_errors.hpp"
#include "adapters/slack/slack_events.hpp"
#include "adapters/slack/slack_forms.hpp"
#include "adapters/slack/slack_render.hpp"
#include "bot/core/text.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdexcept>

namespace firebreak::slack {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t max_frame_bytes = 4 * 1024 * 1024;
constexpr std::size_t recent_ids_kept = 10000;
constexpr int max_channel_attempts = 10;
constexpr std::size_t topic_limit = 250;
constexpr int reply_url_uses = 5;
constexpr std::size_t reply_urls_kept = 500;

// Slack's answer when the bot cannot post in a channel it is not a member of (public) or
// cannot see (private): a slash command typed there is answered through its response_url.
bool not_in_channel(const std::string& error) { return error == "not_in_channel" || error == "channel_not_found"; }

net::url api_url(const std::string& base) {
    auto u = net::url::parse(base);
    if (!u) throw std::runtime_error("slack: the API base URL is not http(s)://host[:port][/path]: " + base);
    return *u;
}

// Form encoding is what every Web API method takes; structured values travel as JSON text.
std::string form_body(const json::object& args) {
    std::vector<std::pair<std::string, std::string>> fields;
    fields.reserve(args.size());
    for (const auto& [k, v] : args) {
        if (v.is_string()) fields.emplace_back(k, v.get_string());
        else if (v.is_bool()) fields.emplace_back(k, v.get_bool() ? "true" : "false");
        else fields.emplace_back(k, json::serialize(v));
    }
    return net::form_encode(fields);
}

std::string str(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string{};
}

}  // namespace

slack_adapter::slack_adapter(asio::any_io_executor ex, slack_options o, const clock& clk,
                             std::unique_ptr<delay_timer> retry_timer)
    : ex_(ex),
      opt_(std::move(o)),
      clk_(clk),
      api_http_(ex, api_url(opt_.api_base_url), net::tls_options{opt_.ca_file}),
      control_http_(ex, api_url(opt_.api_base_url), net::tls_options{opt_.ca_file}),
      retry_timer_(std::move(retry_timer)),
      backoff_(opt_.backoff),
      tasks_(ex) {}

slack_adapter::~slack_adapter() {
    tasks_.cancel();
    retry_timer_->cancel();
    // The readers hold their connections: ended here, their reads end and the tasks with them.
    for (auto& [id, c] : connections_) c.ws->abort();
}

capabilities slack_adapter::caps() const {
    capabilities c;
    c.ephemeral = true;
    c.threads = true;
    c.files = true;
    c.topics = true;
    c.rich_text = true;
    c.reactions = true;
    c.create_rooms = true;
    // Slack: channel names are at most 80 characters.
    c.room_name_limit = 80;
    c.forms = true;
    return c;
}

net::http_request slack_adapter::api_request(const std::string& method, const json::object& args,
                                             const std::string& token) const {
    net::http_request req;
    // The read methods are GETs in Slack's method definitions; everything else is a POST.
    if (method == "users.info" || method == "conversations.info") {
        req.method = "GET";
        req.target = "/" + method + (args.empty() ? "" : "?" + form_body(args));
    } else {
        req.method = "POST";
        req.target = "/" + method;
        req.content_type = "application/x-www-form-urlencoded";
        req.body = form_body(args);
    }
    req.timeout = opt_.api_timeout;
    req.headers.emplace_back("Authorization", "Bearer " + token);
    return req;
}

slack_adapter::api_result slack_adapter::api_answer(const net::http_response& r) {
    api_result out;
    out.status = r.status;
    if (r.failed()) {
        out.error = r.failure;
        return out;
    }
    if (r.status == 429) {
        out.error = "ratelimited";
        auto wait = net::retry_after_of(r.header("retry-after"), std::chrono::hours{1});
        out.retry_after = duration{wait && wait->count() > 0 ? wait->count() : 1000};
        return out;
    }
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (ec || !v.is_object()) {
        out.error = r.status >= 500 ? "service_unavailable" : fmt::format("unreadable answer (HTTP {})", r.status);
        return out;
    }
    out.body = std::move(v.get_object());
    auto ok = out.body.find("ok");
    out.ok = ok != out.body.end() && ok->value().is_bool() && ok->value().get_bool();
    out.error = str(out.body, "error");
    if (!out.ok && out.error.empty()) out.error = r.status >= 500 ? "service_unavailable" : "unknown_error";
    return out;
}

void slack_adapter::api(net::http_client& c, const std::string& method, const json::object& args,
                        const std::string& token, std::function<void(api_result)> cb) {
    c.request(api_request(method, args, token), [cb = std::move(cb)](net::http_response r) { cb(api_answer(r)); });
}

asio::awaitable<slack_adapter::api_result> slack_adapter::call(net::http_client& c, const std::string& method,
                                                                const std::string& token) {
    co_return api_answer(co_await c.send(api_request(method, {}, token)));
}

delivery slack_adapter::to_delivery(const api_result& r, std::string_view operation) {
    delivery d;
    if (r.ok) return d;
    d.detail = fmt::format("{}: {}", operation, clean_line(r.error, 200));
    if (r.status == 0) {
        d.error = error_kind::transient;
        return d;
    }
    d.error = classify(r.error);
    if (d.error == error_kind::retry_after) d.retry_after = r.retry_after;
    if (fatal_auth_error(r.error)) {
        fatal(fmt::format("the Web API refused the bot token ({})", r.error));
        // Kept in the outbox for the next start with a good token.
        d.error = error_kind::transient;
        d.retry_after = milliseconds{60000};
    }
    return d;
}

// ---- Socket Mode --------------------------------------------------------------------

void slack_adapter::start(event_sink sink) {
    sink_ = std::move(sink);
    state_ = link_state::connecting;
    tasks_.spawn(run_link());
}

// Ends the link's tasks and connections; envelopes not yet acknowledged stay so (Slack
// hands them over again).
void slack_adapter::end_link() {
    receiving_ = false;
    tasks_.cancel();
    retry_timer_->cancel();
    owed_.clear();
}

void slack_adapter::stop_receiving() {
    end_link();
    state_ = link_state::stopped;
    for (auto& [id, c] : connections_) c.ws->close();
    connections_.clear();
}

void slack_adapter::stop() {
    stop_receiving();
    api_http_.close();
    control_http_.close();
}

void slack_adapter::fatal(const std::string& why) {
    if (state_ == link_state::failed || state_ == link_state::stopped) return;
    state_ = link_state::failed;
    last_error_ = why;
    spdlog::error("slack: {}; the adapter stops", why);
    end_link();
    for (auto& [id, c] : connections_) c.ws->abort();
    connections_.clear();
    report_fatal(why);
}

void slack_adapter::check_credentials(std::function<void(credential_check)> cb) {
    api(control_http_, "auth.test", {}, opt_.bot_token, [cb = std::move(cb), base = opt_.api_base_url](api_result r) {
        credential_check c;
        if (r.status == 0) {
            c.detail = "cannot reach " + base + ": " + r.error;
        } else if (!r.ok) {
            c.detail = "auth.test: " + clean_line(r.error, 200) + ": the bot token is refused";
        } else {
            c.ok = true;
            auto me = api::read<api::auth_test_response>(r.body);
            c.who = me.user_id + " in " + me.team;
        }
        cb(std::move(c));
    });
}

// The link, top to bottom: open a Socket Mode connection and read it. When it announces its
// end (a refresh, a warning), the next one opens at once while a task of its own reads the
// rest of the old; when it is lost, or cannot be opened, the next try waits out a backoff.
// A refused token or Socket Mode turned off ends the link for good (fatal).
asio::awaitable<void> slack_adapter::run_link() {
    for (;;) {
        auto next = co_await open_connection();
        if (state_ == link_state::failed) co_return;
        if (!next.ws) {
            co_await back_off(next.failure);
            continue;
        }
        auto end = co_await read_connection(next.id, next.ws, true);
        if (state_ == link_state::failed) co_return;
        if (end.replaced) {
            tasks_.spawn(read_rest(next.id, next.ws));
            continue;
        }
        // An older connection still open (retiring, it said hello) keeps the link up: the
        // next one opens at once, as after a refresh.
        if (end.another_open) continue;
        co_await back_off("socket mode connection lost: " + end.why);
    }
}

// auth.test (once: it says who the bot is), apps.connections.open, the WebSocket handshake.
asio::awaitable<slack_adapter::opened> slack_adapter::open_connection() {
    opened out;
    if (bot_user_.empty()) {
        auto r = co_await call(control_http_, "auth.test", opt_.bot_token);
        if (!r.ok) {
            if (fatal_auth_error(r.error)) fatal(fmt::format("auth.test: the bot token is refused ({})", r.error));
            out.failure = "auth.test: " + r.error;
            co_return out;
        }
        auto me = api::read<api::auth_test_response>(r.body);
        bot_user_ = me.user_id;
        spdlog::info("slack: signed in as {} in {}", bot_user_, me.team);
    }
    auto r = co_await call(control_http_, "apps.connections.open", opt_.app_token);
    if (!r.ok) {
        if (fatal_auth_error(r.error))
            fatal(fmt::format("apps.connections.open: the app-level token is refused ({})", r.error));
        out.failure = "apps.connections.open: " + r.error;
        co_return out;
    }
    const std::string address = api::read<api::connections_open_response>(r.body).url;
    auto id = next_conn_++;
    auto ws = std::make_shared<net::ws_client>(ex_, net::tls_options{opt_.ca_file}, opt_.ws);
    connections_[id].ws = ws;
    auto error = co_await ws->open(address);
    if (!error.empty()) {
        connections_.erase(id);
        out.failure = "socket mode: " + error;
        co_return out;
    }
    out.id = id;
    out.ws = std::move(ws);
    co_return out;
}

// Reads frames until the connection ends (or, when `replaceable`, until it announces its end).
asio::awaitable<slack_adapter::read_end> slack_adapter::read_connection(std::uint64_t conn,
                                                                         std::shared_ptr<net::ws_client> ws,
                                                                         bool replaceable) {
    read_end end;
    for (;;) {
        auto text = co_await ws->read();
        if (!text) break;
        switch (on_frame(conn, *text)) {
            case frame_outcome::next: break;
            case frame_outcome::fatal: co_return end;
            case frame_outcome::replace:
                if (!replaceable) break;  // its successor is already on its way
                end.replaced = true;
                co_return end;
        }
    }
    end.why = ws->end_reason();
    if (auto it = connections_.find(conn); it != connections_.end()) {
        connections_.erase(it);
        end.another_open = std::any_of(connections_.begin(), connections_.end(),
                                       [](const auto& kv) { return kv.second.hello && kv.second.ws->is_open(); });
        if (receiving_)
            spdlog::info("slack: connection {} ended ({}){}", conn, end.why, end.another_open ? "; another is open" : "");
    }
    co_return end;
}

// A replaced connection still delivers what it brings until it closes or is retired.
asio::awaitable<void> slack_adapter::read_rest(std::uint64_t conn, std::shared_ptr<net::ws_client> ws) {
    co_await read_connection(conn, std::move(ws), false);
}

asio::awaitable<void> slack_adapter::back_off(std::string why) {
    last_error_ = why;
    state_ = link_state::retrying;
    retrying_ = true;
    const auto wait = backoff_.next();
    spdlog::warn("slack: {}; retrying in {} ms", why, wait.count());
    co_await net::until_called([&](auto done) { retry_timer_->wait(wait, std::move(done)); });
}

slack_adapter::frame_outcome slack_adapter::on_frame(std::uint64_t conn, const std::string& text) {
    if (!receiving_) return frame_outcome::next;
    if (text.size() > max_frame_bytes) {
        ++skipped_frames_;
        spdlog::warn("slack: a frame of {} bytes was skipped (over {} bytes)", text.size(), max_frame_bytes);
        return frame_outcome::next;
    }
    std::string error;
    auto f = decode_frame(text, error);
    if (!f) {
        ++skipped_frames_;
        spdlog::warn("slack: malformed frame skipped ({}, {} bytes)", error, text.size());
        return frame_outcome::next;
    }
    switch (f->type) {
        case frame::kind::hello: on_hello(conn); return frame_outcome::next;
        case frame::kind::disconnect:
            if (f->reason == "link_disabled") {
                fatal("Socket Mode is turned off for this app (link_disabled)");
                return frame_outcome::fatal;
            }
            // warning or refresh_requested: the new connection opens while this one still delivers.
            spdlog::info("slack: disconnect ({}) announced on connection {}; opening the next", f->reason, conn);
            return frame_outcome::replace;
        case frame::kind::events_api:
        case frame::kind::slash_commands:
        case frame::kind::interactive:
            if (f->envelope_id.empty()) {
                ++skipped_frames_;
                spdlog::warn("slack: {} frame without envelope_id skipped", f->type_name);
                return frame_outcome::next;
            }
            on_envelope(conn, std::move(*f));
            return frame_outcome::next;
        case frame::kind::unknown:
            ++skipped_frames_;
            spdlog::warn("slack: frame of unknown type '{}' skipped", clean_line(f->type_name, 60));
            if (!f->envelope_id.empty()) ack(conn, f->envelope_id);
            return frame_outcome::next;
    }
    return frame_outcome::next;
}

void slack_adapter::on_hello(std::uint64_t conn) {
    auto it = connections_.find(conn);
    if (it == connections_.end()) return;
    it->second.hello = true;
    // A refresh is complete once the new connection says hello: the old ones go as soon as
    // every envelope they brought is acknowledged.
    for (auto& [id, c] : connections_)
        if (id < conn) c.retiring = true;
    retire_idle();
    state_ = link_state::connected;
    last_error_.clear();
    backoff_.reset();
    if (retrying_) {
        retrying_ = false;
        report_reconnect();
    }
    spdlog::info("slack: socket mode connection {} ready", conn);
}

void slack_adapter::retire_idle() {
    for (auto it = connections_.begin(); it != connections_.end();) {
        if (it->second.retiring && !owed_.count(it->first)) {
            it->second.ws->close();
            it = connections_.erase(it);
        } else {
            ++it;
        }
    }
}

void slack_adapter::ack(std::uint64_t conn, const std::string& envelope_id) {
    auto it = connections_.find(conn);
    // The connection it came on is gone: Slack sends the envelope again, and the store
    // recognises its event id then.
    if (it == connections_.end() || !it->second.ws->is_open()) return;
    it->second.ws->send(ack_frame(envelope_id));
}

void slack_adapter::remember(const std::string& id) {
    recent_.insert(id);
    recent_order_.push_back(id);
    if (recent_order_.size() > recent_ids_kept) {
        recent_.erase(recent_order_.front());
        recent_order_.pop_front();
    }
}

// "declare" or "update" typed alone: the form opens instead, and the envelope is acked at
// once (nothing changes in the store). The trigger id lives 3 s and opens one view, so
// views.open goes on the control client, never behind a slow or rate-limited send, and a
// redelivered envelope does not open a second form.
bool slack_adapter::open_form(std::uint64_t conn, const frame& f) {
    auto args = form_request(f.payload, opt_.form_default_severity);
    if (!args) return false;
    std::string trigger = str(*args, "trigger_id");
    std::string id = "slack:form:" + trigger;
    if (!recent_.count(id)) {
        remember(id);
        std::string form(args->at("view").as_object().at("callback_id").as_string());
        room_ref room{"slack", str(f.payload, "channel_id")};
        user_ref user{str(f.payload, "user_id")};
        // control_http_ is this adapter's: its callbacks never run once the adapter is gone.
        api(control_http_, "views.open", *args, opt_.bot_token, [this, form, room, user](api_result r) {
            if (r.ok) return;
            spdlog::warn("slack: views.open ({}) failed: {}", form, clean_line(r.error, 200));
            if (fatal_auth_error(r.error)) return;
            // The person typed a command and deserves an answer: how to type it in full.
            rich_text hint;
            hint.text("The form could not be opened (" + clean_line(r.error, 60) + "). Type it in full: ")
                .code(form == declare_form ? "/incident declare <title> [--sev N] [--private]"
                                           : "/incident update impact: … ; actions: … ; needs: … ; next: 30m");
            post_ephemeral(room, user, hint, [](delivery) {});
        });
    }
    ack(conn, f.envelope_id);
    return true;
}

// One envelope: a form to open, nothing for the engine, a redelivery (acked now), or an
// event handed to the runtime by a task of its own (deliver), in arrival order.
void slack_adapter::on_envelope(std::uint64_t conn, frame f) {
    if (f.type != frame::kind::events_api) remember_reply_url(f.payload);
    if (f.type == frame::kind::slash_commands && open_form(conn, f)) return retire_idle();
    std::optional<chat_event> ev;
    std::string why;
    switch (f.type) {
        case frame::kind::events_api: ev = translate_event(f.payload, bot_user_); break;
        case frame::kind::slash_commands: ev = translate_command(f.payload, clk_.now()); break;
        case frame::kind::interactive: ev = translate_interaction(f.payload, clk_.now(), &why); break;
        default: break;
    }
    // A form submission that cannot be read is logged; the plain ack below still closes it.
    if (!why.empty()) spdlog::warn("slack: interaction skipped: {}", clean_line(why, 200));
    if (!ev || recent_.count(ev->event_id)) {
        // Nothing for the engine, or a redelivery of what it already has: acknowledged now.
        ack(conn, f.envelope_id);
        return retire_idle();
    }
    // A new display name replaces the one this adapter would answer with.
    if (ev->kind == event_kind::name_changed) names_[ev->user.id] = ev->text;
    ++owed_[conn];
    inbound in;
    in.event = std::move(*ev);
    tasks_.spawn(deliver(conn, std::move(f.envelope_id), std::move(in)));
}

// One envelope from the socket to its ack: handed to the runtime, which commits the ones
// that arrive together as one group; acknowledged once that commit has returned.
asio::awaitable<void> slack_adapter::deliver(std::uint64_t conn, std::string envelope_id, inbound in) {
    const std::string id = in.event.event_id;
    co_await net::until_called([&](auto committed) { sink_(in, std::move(committed)); });
    ack(conn, envelope_id);
    remember(id);
    if (auto it = owed_.find(conn); it != owed_.end() && --it->second == 0) owed_.erase(it);
    retire_idle();
}

// ---- output --------------------------------------------------------------------------

void slack_adapter::post(const room_ref& room, const rich_text& body, const message_id& thread, const std::string&,
                         done cb) {
    // Slack has no idempotency key for posts; the outbox guarantees at-least-once, and a
    // crash between Slack's answer and the commit is the one window for a repeat.
    json::object args{{"channel", room.id}, {"text", message_text(body)}, {"blocks", blocks_for(body)}};
    if (!thread.empty()) args["thread_ts"] = thread.id;
    args["unfurl_links"] = false;
    api(api_http_, "chat.postMessage", args, opt_.bot_token, [this, room, body, cb = std::move(cb)](api_result r) mutable {
        if (!r.ok && not_in_channel(r.error) && answer_via_reply_url(room, {}, body, false, cb)) return;
        auto d = to_delivery(r, "chat.postMessage");
        if (d.ok()) d.id = message_id{api::read<api::message_response>(r.body).ts};
        cb(d);
    });
}

void slack_adapter::post_ephemeral(const room_ref& room, const user_ref& user, const rich_text& body, done cb) {
    json::object args{{"channel", room.id}, {"user", user.id}, {"text", message_text(body)}, {"blocks", blocks_for(body)}};
    api(api_http_, "chat.postEphemeral", args, opt_.bot_token,
        [this, room, user = user.id, body, cb = std::move(cb)](api_result r) mutable {
        if (!r.ok && not_in_channel(r.error) && answer_via_reply_url(room, user, body, true, cb)) return;
        auto d = to_delivery(r, "chat.postEphemeral");
        if (d.ok()) d.id = message_id{api::read<api::ephemeral_response>(r.body).message_ts};
        cb(d);
    });
}

void slack_adapter::remember_reply_url(const json::object& payload) {
    std::string url = str(payload, "response_url");
    if (url.empty()) return;
    reply_url r;
    r.url = std::move(url);
    r.user = str(payload, "user_id");
    r.channel = str(payload, "channel_id");
    // Buttons (block_actions) name the channel and the presser as objects.
    if (auto* ch = payload.if_contains("channel"); r.channel.empty() && ch && ch->is_object())
        r.channel = str(ch->get_object(), "id");
    if (auto* u = payload.if_contains("user"); r.user.empty() && u && u->is_object()) r.user = str(u->get_object(), "id");
    if (r.channel.empty()) return;
    r.at = clk_.now();
    reply_urls_.push_back(std::move(r));
    if (reply_urls_.size() > reply_urls_kept) reply_urls_.pop_front();
}

bool slack_adapter::answer_via_reply_url(const room_ref& room, const std::string& user, const rich_text& body,
                                         bool ephemeral, done& cb) {
    const auto now = clk_.now();
    // The newest usable one: in this channel, for this person when the answer is theirs alone.
    auto it = std::find_if(reply_urls_.rbegin(), reply_urls_.rend(), [&](const reply_url& r) {
        return r.channel == room.id && (!ephemeral || r.user == user) && r.uses < reply_url_uses &&
               now - r.at < opt_.response_url_lifetime;
    });
    if (it == reply_urls_.rend()) return false;
    auto target = net::url::parse(it->url);
    if (!target) return false;
    ++it->uses;
    std::string path = target->path.empty() ? "/" : target->path;
    net::url origin = *target;
    origin.path.clear();
    auto key = origin.scheme + "://" + origin.host + ":" + origin.port;
    auto& client = hook_clients_[key];
    if (!client) client = std::make_unique<net::http_client>(ex_, origin, net::tls_options{opt_.ca_file});
    json::object msg{{"text", message_text(body)},
                     {"blocks", blocks_for(body)},
                     {"response_type", ephemeral ? "ephemeral" : "in_channel"},
                     {"replace_original", false}};
    net::http_request req;
    req.method = "POST";
    req.target = path;
    req.content_type = "application/json";
    req.body = json::serialize(msg);
    req.timeout = opt_.api_timeout;
    // The URL is a credential for the channel: it never appears in a log line or an error.
    client->request(std::move(req), [cb = std::move(cb)](net::http_response r) {
        delivery d;
        if (r.failed() || r.status >= 500) {
            d.error = error_kind::transient;
            d.detail = "response_url: " + (r.failed() ? std::string("no answer") : fmt::format("HTTP {}", r.status));
        } else if (r.status != 200) {
            // Used up or expired: Slack will not take it again, and the bot is not in the channel.
            d.error = error_kind::invalid;
            d.detail = fmt::format("response_url: HTTP {} ({}); firebreak is not in that channel", r.status,
                                   clean_line(r.body, 60));
        }
        cb(d);
    });
    return true;
}

void slack_adapter::edit(const room_ref& room, const message_id& id, const rich_text& body, done cb) {
    json::object args{{"channel", room.id}, {"ts", id.id}, {"text", message_text(body)}, {"blocks", blocks_for(body)}};
    api(api_http_, "chat.update", args, opt_.bot_token, [this, cb = std::move(cb)](api_result r) {
        auto d = to_delivery(r, "chat.update");
        if (d.ok()) d.id = message_id{api::read<api::message_response>(r.body).ts};
        cb(d);
    });
}

void slack_adapter::set_topic(const room_ref& room, const std::string& topic, done cb) {
    json::object args{{"channel", room.id}, {"topic", cut_utf8(topic, topic_limit)}};
    api(api_http_, "conversations.setTopic", args, opt_.bot_token,
        [this, cb = std::move(cb)](api_result r) { cb(to_delivery(r, "conversations.setTopic")); });
}

void slack_adapter::react(const room_ref& room, const message_id& msg, const std::string& emoji, done cb) {
    json::object args{{"channel", room.id}, {"timestamp", msg.id}, {"name", emoji}};
    api(api_http_, "reactions.add", args, opt_.bot_token, [this, cb = std::move(cb)](api_result r) {
        // A retried reaction that Slack already has is done.
        if (!r.ok && r.error == "already_reacted") return cb(delivery{});
        cb(to_delivery(r, "reactions.add"));
    });
}

void slack_adapter::invite(const room_ref& room, const std::vector<user_ref>& users, done cb) {
    std::string list;
    for (const auto& u : users) {
        if (!is_slack_id(u.id) || u.id == bot_user_) continue;
        if (list.find(u.id) != std::string::npos) continue;
        if (!list.empty()) list += ',';
        list += u.id;
    }
    if (list.empty()) return cb(delivery{});
    json::object args{{"channel", room.id}, {"users", list}};
    api(api_http_, "conversations.invite", args, opt_.bot_token, [this, cb = std::move(cb)](api_result r) {
        // Already there is what an invitation wants.
        if (!r.ok && (r.error == "already_in_channel" || r.error == "cant_invite_self")) return cb(delivery{});
        cb(to_delivery(r, "conversations.invite"));
    });
}

void slack_adapter::open_room(const room_request& req, done cb) {
    create_channel(std::make_shared<room_request>(req), 0, std::move(cb));
}

void slack_adapter::create_channel(std::shared_ptr<room_request> req, int attempt, done cb) {
    json::object args{{"name", channel_name(req->name, attempt)}, {"is_private", req->is_private}};
    api(api_http_, "conversations.create", args, opt_.bot_token,
        [this, req, attempt, cb = std::move(cb)](api_result r) mutable {
            if (!r.ok && r.error == "name_taken" && attempt + 1 < max_channel_attempts)
                return create_channel(req, attempt + 1, std::move(cb));
            auto d = to_delivery(r, "conversations.create");
            if (!d.ok()) return cb(d);
            std::string id = api::read<api::conversation_response>(r.body).channel_id;
            if (id.empty()) {
                d.error = error_kind::transient;
                d.detail = "conversations.create: no channel id in the answer";
                return cb(d);
            }
            d.room = room_ref{"slack", id};
            d.id = message_id{id};
            // The declarer and role holders join at once; a failed invite does not undo the room.
            invite(d.room, req->invite, [d, cb = std::move(cb)](delivery inv) {
                if (!inv.ok()) spdlog::warn("slack: inviting to {} failed: {}", d.room.id, inv.detail);
                cb(d);
            });
        });
}

void slack_adapter::post_file(const room_ref& room, const std::string& filename, const std::string& content,
                              const rich_text& comment, done cb) {
    json::object args{{"filename", filename}, {"length", std::to_string(content.size())}};
    api(api_http_, "files.getUploadURLExternal", args, opt_.bot_token,
        [this, room, filename, content, comment, cb = std::move(cb)](api_result r) mutable {
            auto d = to_delivery(r, "files.getUploadURLExternal");
            if (!d.ok()) return cb(d);
            auto where = api::read<api::upload_url_response>(r.body);
            const std::string& upload = where.upload_url;
            const std::string& file_id = where.file_id;
            auto target = net::url::parse(upload);
            if (!target || file_id.empty()) {
                d.error = error_kind::transient;
                d.detail = "files.getUploadURLExternal: no usable upload_url";
                return cb(d);
            }
            // The upload URL may name another host: a client of its own, kept alive by the callback.
            net::url host = *target;
            std::string path = host.path.empty() ? "/" : host.path;
            host.path.clear();
            auto uploader = std::make_shared<net::http_client>(ex_, host, net::tls_options{opt_.ca_file});
            net::http_request up;
            up.method = "POST";
            up.target = path;
            up.content_type = "application/octet-stream";
            up.body = std::move(content);
            up.timeout = milliseconds{120000};
            uploader->request(std::move(up), [this, uploader, room, filename, file_id, comment,
                                              cb = std::move(cb)](net::http_response ur) mutable {
                asio::post(ex_, [uploader] {});  // released after this callback returns
                if (ur.failed() || ur.status != 200) {
                    delivery d;
                    d.error = ur.failed() || ur.status >= 500 ? error_kind::transient : error_kind::invalid;
                    d.detail = "file upload: " + (ur.failed() ? ur.failure : fmt::format("HTTP {}", ur.status));
                    return cb(d);
                }
                json::array files{json::object{{"id", file_id}, {"title", filename}}};
                json::object args{{"files", json::serialize(files)},
                                  {"channel_id", room.id},
                                  {"initial_comment", to_mrkdwn(comment)}};
                api(api_http_, "files.completeUploadExternal", args, opt_.bot_token,
                    [this, file_id, cb = std::move(cb)](api_result r) {
                        auto d = to_delivery(r, "files.completeUploadExternal");
                        if (d.ok()) d.id = message_id{file_id};
                        cb(d);
                    });
            });
        });
}

void slack_adapter::display_name(const user_ref& user, std::function<void(std::optional<std::string>)> cb) {
    if (auto it = names_.find(user.id); it != names_.end()) return cb(it->second);
    api(api_http_, "users.info", json::object{{"user", user.id}}, opt_.bot_token,
        [this, id = user.id, cb = std::move(cb)](api_result r) {
            std::optional<std::string> name;
            if (r.ok) {
                if (auto u = api::read<api::user_info_response>(r.body).user) name = name_of_user(*u);
            }
            // Answers are cached; a failed lookup is tried again next time.
            if (r.ok || r.error == "user_not_found") names_[id] = name;
            cb(name);
        });
}

}  // namespace firebreak::slack
