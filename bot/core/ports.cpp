#include "bot/core/ports.hpp"

namespace firebreak {

std::string to_string(error_kind k) {
    switch (k) {
        case error_kind::none: return "none";
        case error_kind::retry_after: return "retry-after";
        case error_kind::auth: return "auth";
        case error_kind::not_found: return "not-found";
        case error_kind::invalid: return "invalid";
        case error_kind::transient: return "transient";
    }
    return "transient";
}

std::string to_string(link_state s) {
    switch (s) {
        case link_state::idle: return "idle";
        case link_state::connecting: return "connecting";
        case link_state::connected: return "connected";
        case link_state::retrying: return "retrying";
        case link_state::failed: return "failed";
        case link_state::stopped: return "stopped";
    }
    return "idle";
}

}  // namespace firebreak
