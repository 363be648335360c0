#include "adapters/console/console_session.hpp"
#include "adapters/console/transcript.hpp"

#include <fmt/format.h>

namespace firebreak {

namespace {
std::string_view trim_ws(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Splits "word rest of line".
std::pair<std::string, std::string> head(std::string_view s) {
    s = trim_ws(s);
    auto sp = s.find(' ');
    if (sp == std::string_view::npos) return {std::string(s), {}};
    return {std::string(s.substr(0, sp)), std::string(trim_ws(s.substr(sp + 1)))};
}

bool valid_name(std::string_view s) {
    if (s.empty() || s.size() > 80) return false;
    for (unsigned char c : s)
        if (c <= ' ' || c == '@' || c == '#') return false;
    return true;
}
}  // namespace

console_session::console_session(console_adapter& adapter, const clock& clk, std::ostream& out, room_finder find_room,
                                 advancer advance, std::string session_tag, room_gate gate)
    : adapter_(adapter), clock_(clk), out_(out), find_room_(std::move(find_room)), advance_(std::move(advance)),
      tag_(std::move(session_tag)), gate_(std::move(gate)) {
    adapter_.ensure_room(room_);
}

std::string console_session::help() {
    return "Type a message to say it in the current room; `!incident help` (or `/incident help`) lists the bot's commands.\n"
           "  /incident ...       a firebreak command, as Slack's slash command (not kept as a message)\n"
           "  /user NAME          speak as NAME\n"
           "  /room NAME|INC-n    switch room (an incident's room by its id)\n"
           "  /rooms              list rooms and their topics\n"
           "  /leave              leave the current room (you are back in #general)\n"
           "  /react ID [emoji]   react to message ID (default 📌 pushpin, default ID the last message)\n"
           "  /unreact ID [emoji] take a reaction back\n"
           "  /edit ID TEXT       edit message ID\n"
           "  /delete ID          delete message ID\n"
           "  /reply ID TEXT      reply in the thread of message ID\n"
           "  /wait DURATION      move the clock forward (e.g. /wait 30m)\n"
           "  /quit               leave\n";
}

std::string console_session::full_id(const std::string& typed) const {
    // "m3" is this session's message 3; ids from other sessions are typed in full.
    if (typed.size() > 1 && typed[0] == 'm' && typed.find_first_not_of("0123456789", 1) == std::string::npos)
        return tag_ + "." + typed;
    return typed;
}

std::optional<std::string> console_session::message_room(const std::string& typed) {
    const std::string id = full_id(typed);
    if (auto it = said_.find(id); it != said_.end()) return it->second;
    if (id != typed || typed.find('.') == std::string::npos) {
        // A short id ("m99") is this session's own, and there is no such message.
        out_ << fmt::format("there is no message {} (ids are shown in brackets after each message, e.g. (m3))\n",
                            typed.substr(0, 30));
        return std::nullopt;
    }
    // An id from another session, typed in full: it belongs to the room it was said in,
    // which this session does not know; the current room is the best guess.
    return room_;
}

std::string console_session::shown_id(const std::string& id) const {
    return id.rfind(tag_ + ".", 0) == 0 ? id.substr(tag_.size() + 1) : id;
}

std::string console_session::prompt() const { return fmt::format("{}@#{}> ", user_, room_); }

chat_event console_session::event_with_id(event_kind kind, std::string event_id) {
    chat_event ev;
    ev.kind = kind;
    ev.event_id = std::move(event_id);
    ev.room = room_ref{"console", room_};
    ev.user = user_ref{user_};
    ev.at = clock_.now();
    return ev;
}

chat_event console_session::base_event(event_kind kind) {
    return event_with_id(kind, fmt::format("console:{}:{}", tag_, ++seq_));
}

// Joins and leaves count apart from messages, so message ids ("m3") stay as typed.
chat_event console_session::membership_event(event_kind kind) {
    return event_with_id(kind, fmt::format("console:{}:member{}", tag_, ++memberships_));
}

bool console_session::feed(const std::string& raw, const sink& deliver) {
    std::string_view line = trim_ws(raw);
    if (line.empty()) return true;
    if (line[0] != '/') {
        auto ev = base_event(event_kind::message);
        ev.text = std::string(line);
        ev.msg = message_id{full_id(fmt::format("m{}", seq_))};
        last_msg_ = ev.msg.id;
        said_[ev.msg.id] = room_;
        out_ << fmt::format("[{}] [#{}] {} (m{}): {}\n", format_hhmm(ev.at), room_, user_, seq_, ev.text);
        deliver(ev);
        return true;
    }
    auto [cmd, rest] = head(line);
    if (cmd == "/quit" || cmd == "/exit") return false;
    if (cmd == "/incident") {
        // The Slack habit, and what the docs show first: a slash command, not a message.
        auto ev = base_event(event_kind::command);
        ev.text = rest;
        out_ << fmt::format("[{}] [#{}] {}: /incident {}\n", format_hhmm(ev.at), room_, user_, rest);
        deliver(ev);
        return true;
    }
    if (cmd == "/help") {
        out_ << help();
    } else if (cmd == "/user") {
        auto name = rest.size() > 1 && rest[0] == '@' ? rest.substr(1) : rest;
        if (!valid_name(name)) {
            out_ << "usage: /user NAME (no spaces, @ or #)\n";
        } else {
            user_ = name;
        }
    } else if (cmd == "/room") {
        auto name = !rest.empty() && rest[0] == '#' ? rest.substr(1) : rest;
        std::optional<std::string> found;
        if ((name.rfind("INC-", 0) == 0 || name.rfind("inc-", 0) == 0) && name.size() > 4 &&
            name.find_first_not_of("0123456789", 4) == std::string::npos) {
            if (name.size() < 15) found = find_room_(std::stoll(name.substr(4)));
            if (!found) {
                out_ << fmt::format("{} has no room here.\n", name);
                return true;
            }
        }
        if (!found && !valid_name(name)) {
            out_ << "usage: /room NAME or /room INC-n\n";
            return true;
        }
        const std::string target = found ? *found : name;
        if (gate_ && !gate_(target, user_)) {
            // The same answer as for a room that does not exist: nothing is learned.
            out_ << fmt::format("{} has no room here.\n", found ? name : "#" + name);
            return true;
        }
        room_ = target;
        last_msg_.clear();  // "the last message" is per room
        adapter_.ensure_room(room_);
        out_ << fmt::format("* you are in #{}\n", room_);
        // Going into a room is joining it, as on a platform.
        deliver(membership_event(event_kind::member_joined));
    } else if (cmd == "/leave") {
        if (room_ == "general") {
            out_ << "* #general cannot be left\n";
            return true;
        }
        deliver(membership_event(event_kind::member_left));
        out_ << fmt::format("* you left #{}; you are in #general\n", room_);
        room_ = "general";
        last_msg_.clear();
    } else if (cmd == "/rooms") {
        for (const auto& [id, topic] : adapter_.rooms())
            out_ << fmt::format("  #{}{}\n", id, topic.empty() ? "" : " — " + topic);
    } else if (cmd == "/react" || cmd == "/unreact") {
        auto [typed, emoji] = head(rest);
        if (typed.empty() && last_msg_.empty()) {
            out_ << fmt::format("usage: {} ID [emoji] (nobody has said anything in #{} yet)\n", cmd, room_);
            return true;
        }
        auto where = message_room(typed.empty() ? last_msg_ : typed);
        if (!where) return true;
        auto ev = base_event(event_kind::reaction);
        ev.room.id = *where;
        ev.msg = message_id{typed.empty() ? last_msg_ : full_id(typed)};
        ev.reaction = emoji.empty() ? "pushpin" : (emoji.size() > 2 && emoji.front() == ':' && emoji.back() == ':'
                                                        ? emoji.substr(1, emoji.size() - 2)
                                                        : emoji);
        ev.reaction_added = cmd == "/react";
        ev.highlight = console_highlight(ev.reaction);
        out_ << fmt::format("* you {} :{}: {} {}\n", ev.reaction_added ? "reacted" : "took back", ev.reaction,
                            ev.reaction_added ? "to" : "from", shown_id(ev.msg.id));
        deliver(ev);
    } else if (cmd == "/edit" || cmd == "/reply") {
        auto [id, text] = head(rest);
        if (id.empty() || text.empty()) {
            out_ << fmt::format("usage: {} ID TEXT\n", cmd);
            return true;
        }
        auto where = message_room(id);
        if (!where) return true;
        if (cmd == "/edit") {
            auto ev = base_event(event_kind::edit);
            ev.room.id = *where;
            ev.msg = message_id{full_id(id)};
            ev.text = text;
            out_ << fmt::format("* you edited {}: {}\n", shown_id(ev.msg.id), ev.text);
            deliver(ev);
        } else {
            auto ev = base_event(event_kind::message);
            ev.room.id = *where;
            ev.msg = message_id{full_id(fmt::format("m{}", seq_))};
            ev.thread_parent = message_id{full_id(id)};
            ev.text = text;
            last_msg_ = ev.msg.id;
            said_[ev.msg.id] = *where;
            out_ << fmt::format("[{}] [#{}] {} (m{}, in thread {}): {}\n", format_hhmm(ev.at), *where, user_, seq_,
                                id, ev.text);
            deliver(ev);
        }
    } else if (cmd == "/delete") {
        if (rest.empty()) {
            out_ << "usage: /delete ID\n";
            return true;
        }
        auto where = message_room(rest);
        if (!where) return true;
        auto ev = base_event(event_kind::remove);
        ev.room.id = *where;
        ev.msg = message_id{full_id(rest)};
        out_ << fmt::format("* you deleted {}\n", shown_id(ev.msg.id));
        said_.erase(ev.msg.id);
        if (last_msg_ == ev.msg.id) last_msg_.clear();
        deliver(ev);
    } else if (cmd == "/wait") {
        auto d = parse_duration(rest);
        if (!d || *d > std::chrono::hours{48}) {
            out_ << "usage: /wait DURATION (e.g. 30m, 2h; at most 48h)\n";
        } else {
            advance_(*d);
            out_ << fmt::format("* the clock is now {}\n", format_utc(clock_.now()));
        }
    } else {
        out_ << fmt::format("unknown console command {}; /help lists them\n", cmd.substr(0, 30));
    }
    return true;
}

}  // namespace firebreak
