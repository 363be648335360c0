#pragma once
// The interactive side of the console platform: turns typed lines into chat
// events, with a few slash commands to switch user and room, react, edit,
// delete, reply in a thread and move the clock forward.
#include "adapters/console/console_adapter.hpp"
#include "bot/core/chat_event.hpp"

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>

namespace firebreak {

/// A local chat session for one terminal.
class console_session {
public:
    using sink = std::function<void(const chat_event&)>;
    /// Finds the console room of an incident number (for "/room INC-3").
    using room_finder = std::function<std::optional<std::string>(std::int64_t)>;
    /// Whether a user may enter a room: as on a real platform, a private incident's room
    /// takes only those invited to it. Empty: every room is open.
    using room_gate = std::function<bool(const std::string& room, const std::string& user)>;
    /// Moves the session's clock forward (for "/wait 30m").
    using advancer = std::function<void(duration)>;

    console_session(console_adapter& adapter, const clock& clk, std::ostream& out, room_finder find_room,
                    advancer advance, std::string session_tag, room_gate gate = {});

    /// Handles one typed line; events go to `deliver`. Returns false after "/quit".
    bool feed(const std::string& line, const sink& deliver);
    /// "maya@#general> ".
    std::string prompt() const;
    /// The current user.
    const std::string& user() const { return user_; }
    /// The current room.
    const std::string& room() const { return room_; }
    /// Usage of the session's own commands.
    static std::string help();

private:
    chat_event event_with_id(event_kind kind, std::string event_id);
    chat_event base_event(event_kind kind);
    chat_event membership_event(event_kind kind);
    /// The message id for what a person typed: "m3" is this session's message 3
    /// ("<tag>.m3"), so ids never repeat across sessions in one database.
    std::string full_id(const std::string& typed) const;
    /// The room of message `typed`, or nothing (and says so) when there is no such message.
    std::optional<std::string> message_room(const std::string& typed);
    /// "m3" for this session's own messages, else the id as it is.
    std::string shown_id(const std::string& id) const;

    console_adapter& adapter_;
    const clock& clock_;
    std::ostream& out_;
    room_finder find_room_;
    advancer advance_;
    std::string tag_;
    room_gate gate_;
    std::string user_ = "you";
    std::string room_ = "general";
    std::string last_msg_;
    std::map<std::string, std::string> said_;  // this session's messages -> their room
    std::int64_t seq_ = 0;
    std::int64_t memberships_ = 0;
};

}  // namespace firebreak
