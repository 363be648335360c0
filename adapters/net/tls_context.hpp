#pragma once
// The one TLS client setup both clients use: the system's trusted CAs plus an optional
// extra CA file, and the peer always verified.
#include "adapters/net/http_client.hpp"

#include <boost/asio/ssl/context.hpp>

namespace firebreak::net {

/// Prepares `ctx` for verified client connections; throws std::runtime_error when the
/// extra CA file cannot be read.
void prepare_client_tls(boost::asio::ssl::context& ctx, const tls_options& tls);

}  // namespace firebreak::net
