#pragma once
// The Web API answers firebreak reads, as structs with their Boost.JSON conversions. Read
// leniently: a field that is missing or of another type reads as empty, and the adapter
// decides what an unusable answer means. (Requests stay form fields: each method takes
// its own few, and Slack reads them as form text.)
#include <boost/json/conversion.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>

#include <optional>
#include <string>

namespace firebreak::slack::api {

/// auth.test.
struct auth_test_response {
    std::string user_id;
    std::string team;
};
/// apps.connections.open: where the Socket Mode connection goes.
struct connections_open_response {
    std::string url;
};
/// chat.postMessage, chat.update: the message's timestamp, its id.
struct message_response {
    std::string ts;
    std::string channel;
};
/// chat.postEphemeral.
struct ephemeral_response {
    std::string message_ts;
};
/// conversations.create: the channel made.
struct conversation_response {
    std::string channel_id;  ///< channel.id
};
/// files.getUploadURLExternal.
struct upload_url_response {
    std::string upload_url;
    std::string file_id;
};
/// users.info: the user object, when the answer had one.
struct user_info_response {
    std::optional<boost::json::object> user;
};

auth_test_response tag_invoke(boost::json::value_to_tag<auth_test_response>, const boost::json::value& v);
connections_open_response tag_invoke(boost::json::value_to_tag<connections_open_response>,
                                     const boost::json::value& v);
message_response tag_invoke(boost::json::value_to_tag<message_response>, const boost::json::value& v);
ephemeral_response tag_invoke(boost::json::value_to_tag<ephemeral_response>, const boost::json::value& v);
conversation_response tag_invoke(boost::json::value_to_tag<conversation_response>, const boost::json::value& v);
upload_url_response tag_invoke(boost::json::value_to_tag<upload_url_response>, const boost::json::value& v);
user_info_response tag_invoke(boost::json::value_to_tag<user_info_response>, const boost::json::value& v);

/// An answer's body (already parsed) read as T.
template <class T>
T read(const boost::json::object& body) {
    return boost::json::value_to<T>(boost::json::value(body));
}

}  // namespace firebreak::slack::api
