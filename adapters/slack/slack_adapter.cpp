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
      backoff_(opt_.backoff) {}

slack_adapter::~slack_adapter() {
    *alive_ = false;
    retry_timer_->cancel();
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

void slack_adapter::api(net::http_client& c, const std::string& method, const json::object& args,
                        const std::string& token, std::function<void(api_result)> cb) {
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
    c.request(std::move(req), [cb = std::move(cb)](net::http_response r) {
        api_result out;
        out.status = r.status;
        if (r.failed()) {
            out.error = r.failure;
            return cb(std::move(out));
        }
        if (r.status == 429) {
            out.error = "ratelimited";
            auto wait = net::retry_after_of(r.header("retry-after"), std::chrono::hours{1});
            out.retry_after = duration{wait && wait->count() > 0 ? wait->count() : 1000};
            return cb(std::move(out));
        }
        boost::system::error_code ec;
        auto v = json::parse(r.body, ec);
        if (ec || !v.is_object()) {
            out.error = r.status >= 500 ? "service_unavailable" : fmt::format("unreadable answer (HTTP {})", r.status);
            return cb(std::move(out));
        }
        out.body = std::move(v.get_object());
        auto ok = out.body.find("ok");
        out.ok = ok != out.body.end() && ok->value().is_bool() && ok->value().get_bool();
        out.error = str(out.body, "error");
        if (!out.ok && out.error.empty()) out.error = r.status >= 500 ? "service_unavailable" : "unknown_error";
        cb(std::move(out));
    });
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
    auth_test();
}

void slack_adapter::stop_receiving() {
    receiving_ = false;
    state_ = link_state::stopped;
    retry_timer_->cancel();
    queue_.clear();
    owed_.clear();
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
    retry_timer_->cancel();
    receiving_ = false;
    for (auto& [id, c] : connections_) c.ws->abort();
    connections_.clear();
    queue_.clear();
    owed_.clear();
    report_fatal(why);
}

void slack_adapter::retry_later(const std::string& why) {
    if (state_ == link_state::stopped || state_ == link_state::failed) return;
    last_error_ = why;
    state_ = link_state::retrying;
    retrying_ = true;
    opening_ = false;
    auto wait = backoff_.next();
    spdlog::warn("slack: {}; retrying in {} ms", why, wait.count());
    retry_timer_->wait(wait, [this, alive = std::weak_ptr<bool>(alive_)] {
        auto ok = alive.lock();
        if (!ok || !*ok) return;
        if (bot_user_.empty()) auth_test();
        else open_connection();
    });
}

void slack_adapter::check_credentials(std::function<void(credential_check)> cb) {
    api(control_http_, "auth.test", {}, opt_.bot_token, [this, cb = std::move(cb)](api_result r) {
        credential_check c;
        if (r.status == 0) {
            c.detail = "cannot reach " + opt_.api_base_url + ": " + r.error;
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

void slack_adapter::auth_test() {
    api(control_http_, "auth.test", {}, opt_.bot_token, [this](api_result r) {
        if (state_ == link_state::stopped || state_ == link_state::failed) return;
        if (!r.ok) {
            if (fatal_auth_error(r.error)) return fatal(fmt::format("auth.test: the bot token is refused ({})", r.error));
            return retry_later("auth.test: " + r.error);
        }
        auto me = api::read<api::auth_test_response>(r.body);
        bot_user_ = me.user_id;
        spdlog::info("slack: signed in as {} in {}", bot_user_, me.team);
        open_connection();
    });
}

void slack_adapter::open_connection() {
    if (opening_ || !receiving_ || state_ == link_state::failed) return;
    opening_ = true;
    api(control_http_, "apps.connections.open", {}, opt_.app_token, [this](api_result r) {
        if (state_ == link_state::stopped || state_ == link_state::failed) return;
        if (!r.ok) {
            if (fatal_auth_error(r.error))
                return fatal(fmt::format("apps.connections.open: the app-level token is refused ({})", r.error));
            return retry_later("apps.connections.open: " + r.error);
        }
        std::string address = api::read<api::connections_open_response>(r.body).url;
        auto id = next_conn_++;
        auto& c = connections_[id];
        c.id = id;
        c.ws = std::make_unique<net::ws_client>(ex_, net::tls_options{opt_.ca_file}, opt_.ws);
        c.ws->connect(
            address,
            [this, id](const std::string& error) {
                if (error.empty()) return;  // now wait for hello
                connections_.erase(id);
                retry_later("socket mode: " + error);
            },
            [this, id](std::string text) { on_frame(id, std::move(text)); },
            [this, id](const std::string& why) { on_closed(id, why); });
    });
}

void slack_adapter::on_closed(std::uint64_t conn, const std::string& why) {
    auto it = connections_.find(conn);
    if (it == connections_.end()) return;
    bool had_hello = it->second.hello;
    // The ws_client may be the caller: let it finish before it is destroyed.
    auto dead = std::make_shared<std::unique_ptr<net::ws_client>>(std::move(it->second.ws));
    connections_.erase(it);
    asio::post(ex_, [dead] {});
    if (!receiving_) return;
    bool another = std::any_of(connections_.begin(), connections_.end(), [](auto& kv) { return kv.second.hello; });
    spdlog::info("slack: connection {} ended ({}){}", conn, why, another ? "; another is open" : "");
    if (another || opening_) return;
    if (had_hello) retrying_ = true;
    retry_later("socket mode connection lost: " + why);
}

void slack_adapter::on_frame(std::uint64_t conn, std::string text) {
    if (!receiving_) return;
    if (text.size() > max_frame_bytes) {
        ++skipped_frames_;
        spdlog::warn("slack: a frame of {} bytes was skipped (over {} bytes)", text.size(), max_frame_bytes);
        return;
    }
    std::string error;
    auto f = decode_frame(text, error);
    if (!f) {
        ++skipped_frames_;
        spdlog::warn("slack: malformed frame skipped ({}, {} bytes)", error, text.size());
        return;
    }
    switch (f->type) {
        case frame::kind::hello: {
            auto it = connections_.find(conn);
            if (it == connections_.end()) return;
            it->second.hello = true;
            opening_ = false;
            // A refresh is complete once the new connection says hello: the old ones go as
            // soon as every envelope they brought is acknowledged.
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
            return;
        }
        case frame::kind::disconnect:
            if (f->reason == "link_disabled") return fatal("Socket Mode is turned off for this app (link_disabled)");
            // warning or refresh_requested: the new connection opens while this one still delivers.
            spdlog::info("slack: disconnect ({}) announced on connection {}; opening the next", f->reason, conn);
            return open_connection();
        case frame::kind::events_api:
        case frame::kind::slash_commands:
        case frame::kind::interactive:
            if (f->envelope_id.empty()) {
                ++skipped_frames_;
                spdlog::warn("slack: {} frame without envelope_id skipped", f->type_name);
                return;
            }
            queue_.push_back({conn, std::move(*f)});
            return process_next();
        case frame::kind::unknown:
            ++skipped_frames_;
            spdlog::warn("slack: frame of unknown type '{}' skipped", clean_line(f->type_name, 60));
            if (!f->envelope_id.empty()) ack(conn, f->envelope_id);
            return;
    }
}

void slack_adapter::retire_idle() {
    for (auto it = connections_.begin(); it != connections_.end();) {
        auto id = it->first;
        bool owed = owed_.count(id) ||
                    std::any_of(queue_.begin(), queue_.end(), [id](const pending& p) { return p.conn == id; });
        if (it->second.retiring && !owed) {
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
bool slack_adapter::open_form(const pending& p) {
    auto args = form_request(p.f.payload, opt_.form_default_severity);
    if (!args) return false;
    std::string trigger = str(*args, "trigger_id");
    std::string id = "slack:form:" + trigger;
    if (!recent_.count(id)) {
        remember(id);
        std::string form(args->at("view").as_object().at("callback_id").as_string());
        room_ref room{"slack", str(p.f.payload, "channel_id")};
        user_ref user{str(p.f.payload, "user_id")};
        api(control_http_, "views.open", *args, opt_.bot_token,
            [this, form, room, user, alive = std::weak_ptr<bool>(alive_)](api_result r) {
                auto ok = alive.lock();
                if (!ok || !*ok || r.ok) return;
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
    ack(p.conn, p.f.envelope_id);
    return true;
}

// Hands over every queued envelope at once, in order: the runtime commits those that
// arrive together as one group and acks each after it.
void slack_adapter::process_next() {
    while (!queue_.empty() && receiving_) {
        pending p = std::move(queue_.front());
        queue_.pop_front();
        if (p.f.type != frame::kind::events_api) remember_reply_url(p.f.payload);
        if (p.f.type == frame::kind::slash_commands && open_form(p)) {
            retire_idle();
            continue;
        }
        std::optional<chat_event> ev;
        std::string why;
        switch (p.f.type) {
            case frame::kind::events_api: ev = translate_event(p.f.payload, bot_user_); break;
            case frame::kind::slash_commands: ev = translate_command(p.f.payload, clk_.now()); break;
            case frame::kind::interactive: ev = translate_interaction(p.f.payload, clk_.now(), &why); break;
            default: break;
        }
        // A form submission that cannot be read is logged; the plain ack below still closes it.
        if (!why.empty()) spdlog::warn("slack: interaction skipped: {}", clean_line(why, 200));
        if (!ev || recent_.count(ev->event_id)) {
            // Nothing for the engine, or a redelivery of what it already has: acknowledged now.
            ack(p.conn, p.f.envelope_id);
            retire_idle();
            continue;
        }
        // A new display name replaces the one this adapter would answer with.
        if (ev->kind == event_kind::name_changed) names_[ev->user.id] = ev->text;
        ++owed_[p.conn];
        std::string id = ev->event_id;
        inbound in;
        in.event = std::move(*ev);
        sink_(in, [this, conn = p.conn, envelope = p.f.envelope_id, id, alive = std::weak_ptr<bool>(alive_)]() {
            auto ok = alive.lock();
            if (!ok || !*ok) return;
            ack(conn, envelope);
            remember(id);
            if (auto it = owed_.find(conn); it != owed_.end() && --it->second == 0) owed_.erase(it);
            retire_idle();
        });
    }
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
