#pragma once
// How a receiver knows a payload comes from its sender: a bearer token in the
// Authorization header, or an HMAC-SHA256 signature of the body in a header of the
// sender's choice. Both are compared in constant time; neither secret is ever echoed.
#include <string>
#include <string_view>

namespace firebreak::alerts {

/// Whether `authorization` is "Bearer <token>" (the scheme in any case) for this token.
/// An empty token matches nothing.
bool bearer_matches(std::string_view authorization, std::string_view token);

/// HMAC-SHA256 of `body` under `secret`, in lower-case hex.
std::string hmac_sha256_hex(std::string_view body, std::string_view secret);

/// Whether `signature` is the body's HMAC-SHA256 under `secret`, as hex (either case),
/// optionally after a "sha256=" prefix. An empty secret matches nothing.
bool hmac_matches(std::string_view body, std::string_view signature, std::string_view secret);

}  // namespace firebreak::alerts
