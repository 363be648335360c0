#include "alerts/auth.hpp"

#include "bot/core/text.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace firebreak::alerts {

namespace {

bool same(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool bearer_matches(std::string_view authorization, std::string_view token) {
    constexpr std::string_view scheme = "bearer ";
    if (token.empty() || authorization.size() < scheme.size()) return false;
    if (ascii_lower(authorization.substr(0, scheme.size())) != scheme) return false;
    return same(authorization.substr(scheme.size()), token);
}

std::string hmac_sha256_hex(std::string_view body, std::string_view secret) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), int(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
         body.size(), md, &len);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

bool hmac_matches(std::string_view body, std::string_view signature, std::string_view secret) {
    if (secret.empty()) return false;
    constexpr std::string_view prefix = "sha256=";
    if (signature.substr(0, prefix.size()) == prefix) signature.remove_prefix(prefix.size());
    return same(ascii_lower(signature), hmac_sha256_hex(body, secret));
}

}  // namespace firebreak::alerts
