#include "adapters/slack/slack_errors.hpp"

namespace firebreak::slack {

bool fatal_auth_error(std::string_view e) {
    return e == "invalid_auth" || e == "not_authed" || e == "account_inactive" || e == "token_revoked" ||
           e == "token_expired" || e == "not_allowed_token_type" || e == "no_permission" || e == "team_access_not_granted";
}

error_kind classify(std::string_view e) {
    if (e == "ratelimited" || e == "rate_limited") return error_kind::retry_after;
    if (fatal_auth_error(e) || e == "missing_scope" || e == "restricted_action") return error_kind::auth;
    if (e == "channel_not_found" || e == "user_not_found" || e == "message_not_found" || e == "not_in_channel" ||
        e == "is_archived")
        return error_kind::not_found;
    if (e == "internal_error" || e == "fatal_error" || e == "service_unavailable" || e == "request_timeout" ||
        e == "timeout" || e.empty())
        return error_kind::transient;
    return error_kind::invalid;
}

}  // namespace firebreak::slack
