#pragma once
// The Client-Server API bodies firebreak sends and reads, as structs with their Boost.JSON
// conversions: requests are described (Boost.Describe) and written whole; responses are
// read leniently, a missing or mistyped field reading as empty, so the adapter decides
// what an unusable answer means.
#include <boost/describe/class.hpp>
#include <boost/json/conversion.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::matrix::api {

// ---- requests ----------------------------------------------------------------------

/// POST /createRoom.
struct create_room_request {
    std::string name;
    std::string topic;
    std::string room_alias_name;
    std::string preset;       ///< "private_chat" or "public_chat"
    std::string visibility;   ///< in the room directory: always "private"
    std::vector<std::string> invite;
    boost::json::object creation_content;
    boost::json::object power_level_content_override;
};
BOOST_DESCRIBE_STRUCT(create_room_request, (),
                      (name, topic, room_alias_name, preset, visibility, invite, creation_content,
                       power_level_content_override))

/// POST /rooms/{roomId}/invite.
struct invite_request {
    std::string user_id;
};
BOOST_DESCRIBE_STRUCT(invite_request, (), (user_id))

/// PUT /rooms/{roomId}/state/m.room.topic/.
struct topic_content {
    std::string topic;
};
BOOST_DESCRIBE_STRUCT(topic_content, (), (topic))

/// A request body as the JSON object it is sent as.
template <class T>
boost::json::object to_object(const T& request) {
    return boost::json::value_from(request).as_object();
}

// ---- responses ---------------------------------------------------------------------

/// GET /account/whoami.
struct whoami_response {
    std::string user_id;
};
/// POST /user/{userId}/filter.
struct filter_response {
    std::string filter_id;
};
/// PUT …/send/…, PUT …/state/…: the event made.
struct event_response {
    std::string event_id;
};
/// POST /createRoom, GET /directory/room/{alias}: the room.
struct room_response {
    std::string room_id;
};
/// POST /_matrix/media/v3/upload.
struct upload_response {
    std::string content_uri;
};
/// GET /profile/{userId}/displayname: absent when the user has none.
struct profile_response {
    std::optional<std::string> displayname;
};
/// GET /rooms/{roomId}/messages: a page of events, newest first with dir=b.
struct messages_response {
    std::vector<boost::json::object> chunk;  ///< the events that are objects, in order
    std::string end;                         ///< where the next page starts; "" at the end
};
/// Any error answer.
struct error_response {
    std::string errcode;
    std::string error;
    std::optional<std::int64_t> retry_after_ms;
};

whoami_response tag_invoke(boost::json::value_to_tag<whoami_response>, const boost::json::value& v);
filter_response tag_invoke(boost::json::value_to_tag<filter_response>, const boost::json::value& v);
event_response tag_invoke(boost::json::value_to_tag<event_response>, const boost::json::value& v);
room_response tag_invoke(boost::json::value_to_tag<room_response>, const boost::json::value& v);
upload_response tag_invoke(boost::json::value_to_tag<upload_response>, const boost::json::value& v);
profile_response tag_invoke(boost::json::value_to_tag<profile_response>, const boost::json::value& v);
messages_response tag_invoke(boost::json::value_to_tag<messages_response>, const boost::json::value& v);
error_response tag_invoke(boost::json::value_to_tag<error_response>, const boost::json::value& v);

/// A response body read as T; nullopt when the body is not a JSON object.
template <class T>
std::optional<T> read(std::string_view body);

/// The JSON object of a body, or nullopt.
std::optional<boost::json::object> object_of(std::string_view body);

template <class T>
std::optional<T> read(std::string_view body) {
    auto o = object_of(body);
    if (!o) return std::nullopt;
    return boost::json::value_to<T>(boost::json::value(std::move(*o)));
}

}  // namespace firebreak::matrix::api
