// A receiver's credentials: the bearer token and the HMAC-SHA256 signature of the body, and
// everything near them that must not pass.
#include "alerts/auth.hpp"

#include <catch2/catch.hpp>

using namespace firebreak::alerts;

TEST_CASE("a bearer token passes only exactly, in the Bearer scheme", "[alerts][auth]") {
    CHECK(bearer_matches("Bearer s3cret-token", "s3cret-token"));
    CHECK(bearer_matches("bearer s3cret-token", "s3cret-token"));
    CHECK_FALSE(bearer_matches("Bearer s3cret-toke", "s3cret-token"));
    CHECK_FALSE(bearer_matches("Bearer s3cret-token2", "s3cret-token"));
    CHECK_FALSE(bearer_matches("Basic s3cret-token", "s3cret-token"));
    CHECK_FALSE(bearer_matches("s3cret-token", "s3cret-token"));
    CHECK_FALSE(bearer_matches("", "s3cret-token"));
    CHECK_FALSE(bearer_matches("Bearer ", ""));  // no token configured: nothing passes
}

TEST_CASE("an HMAC-SHA256 signature of the body passes, of anything else it does not", "[alerts][auth]") {
    // RFC 4231, test case 2.
    CHECK(hmac_sha256_hex("what do ya want for nothing?", "Jefe") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const std::string body = R"({"alerts":[]})";
    const std::string sig = hmac_sha256_hex(body, "k3y");
    CHECK(hmac_matches(body, sig, "k3y"));
    CHECK(hmac_matches(body, "sha256=" + sig, "k3y"));
    std::string upper = sig;
    for (auto& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
    CHECK(hmac_matches(body, upper, "k3y"));
    CHECK_FALSE(hmac_matches(body + " ", sig, "k3y"));
    CHECK_FALSE(hmac_matches(body, sig, "k3y2"));
    CHECK_FALSE(hmac_matches(body, sig.substr(0, 63), "k3y"));
    CHECK_FALSE(hmac_matches(body, "", "k3y"));
    CHECK_FALSE(hmac_matches(body, hmac_sha256_hex(body, ""), ""));  // no secret configured
}
