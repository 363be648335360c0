#pragma once
// Socket Mode frames: a frame decoded from the WebSocket's text, and the acknowledgement
// of an envelope. Pure functions over Boost.JSON, no I/O.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace firebreak::slack {

/// One Socket Mode frame.
struct frame {
    enum class kind { hello, disconnect, events_api, slash_commands, interactive, unknown };
    kind type = kind::unknown;
    std::string type_name;        ///< as sent ("events_api", ...)
    std::string envelope_id;      ///< "" for hello and disconnect
    std::string reason;           ///< disconnect: warning, refresh_requested, link_disabled
    int retry_attempt = 0;
    boost::json::object payload;
};

/// Decodes a frame; nullopt (with `error`) when it is not a JSON object with a type.
std::optional<frame> decode_frame(std::string_view text, std::string& error);

/// The acknowledgement of an envelope.
std::string ack_frame(const std::string& envelope_id);

}  // namespace firebreak::slack
