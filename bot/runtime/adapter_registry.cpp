#include "bot/runtime/adapter_registry.hpp"

#include "adapters/matrix/matrix_adapter.hpp"
#include "adapters/slack/slack_adapter.hpp"
#include "bot/runtime/steady_delay.hpp"

#include <fmt/format.h>

namespace firebreak {

std::unique_ptr<delay_timer> adapter_context::delay() const { return delays ? delays() : steady_delay(ex); }

namespace {

std::unique_ptr<chat_adapter> make_matrix(const adapter_context& cx) {
    const auto& c = cx.cfg.matrix;
    matrix::matrix_options o;
    o.homeserver = c.homeserver;
    o.access_token = c.access_token.value;
    o.ca_file = c.ca_file;
    o.user_id = c.user_id;
    o.sync_timeout = c.sync_timeout;
    o.backoff.initial = c.retry_initial;
    o.backoff.jitter = c.retry_jitter;
    return std::make_unique<matrix::matrix_adapter>(cx.ex, std::move(o), cx.memory, cx.delay());
}

std::unique_ptr<chat_adapter> make_slack(const adapter_context& cx) {
    const auto& c = cx.cfg.slack;
    slack::slack_options o;
    o.api_base_url = c.api_base_url;
    o.bot_token = c.bot_token.value;
    o.app_token = c.app_token.value;
    o.ca_file = c.ca_file;
    o.backoff.initial = c.retry_initial;
    o.backoff.jitter = c.retry_jitter;
    o.ws.idle = c.idle_timeout;
    o.form_default_severity = int(cx.cfg.settings.default_severity);
    return std::make_unique<slack::slack_adapter>(cx.ex, std::move(o), cx.clk, cx.delay());
}

}  // namespace

const std::vector<platform_entry>& platforms() {
    static const std::vector<platform_entry> all = {
        {"matrix", [](const firebreak_config& c) { return c.matrix.enabled; },
         [](const firebreak_config& c) {
             return fmt::format("{} as {} · token from {}{}", c.matrix.homeserver, c.matrix.user_id,
                                c.matrix.access_token.origin,
                                c.matrix.announcement_room.empty() ? "" : " · announcements in " + c.matrix.announcement_room);
         },
         make_matrix},
        {"slack", [](const firebreak_config& c) { return c.slack.enabled; },
         [](const firebreak_config& c) {
             return fmt::format("{} · bot token from {} · app token from {}{}", c.slack.api_base_url,
                                c.slack.bot_token.origin, c.slack.app_token.origin,
                                c.slack.announcement_channel.empty() ? "" : " · announcements in " + c.slack.announcement_channel);
         },
         make_slack},
    };
    return all;
}

std::vector<std::unique_ptr<chat_adapter>> build_adapters(const adapter_context& cx) {
    std::vector<std::unique_ptr<chat_adapter>> out;
    for (const auto& p : platforms())
        if (p.enabled(cx.cfg)) out.push_back(p.make(cx));
    return out;
}

}  // namespace firebreak
