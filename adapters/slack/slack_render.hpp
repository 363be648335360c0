#pragma once
// rich_text as Slack renders it: mrkdwn, a message's text, Block Kit sections and buttons;
// and a room name as a Slack channel name.
#include "bot/core/rich_text.hpp"

#include <boost/json/array.hpp>

#include <string>
#include <string_view>

namespace firebreak::slack {

/// mrkdwn for a rich text: *bold*, _italic_, `code`, <@U…> mentions, &<> escaped.
std::string to_mrkdwn(const rich_text& t);

/// The `text` of a message: its mrkdwn, cut with a note where Slack would cut it.
std::string message_text(const rich_text& t);

/// Block Kit for a rich text: mrkdwn sections of at most 3,000 characters, then an actions
/// block with one button per action (action_id "fb-<n>", value "incident <command>").
boost::json::array blocks_for(const rich_text& t);

/// A channel name from a room name, by Slack's rules (lower-case letters, digits, '-'
/// and '_', at most 80 characters, never empty); attempt > 0 adds "-2", "-3", ….
std::string channel_name(std::string_view name, int attempt = 0);

}  // namespace firebreak::slack
