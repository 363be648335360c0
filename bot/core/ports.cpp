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

}  // namespace firebreak
