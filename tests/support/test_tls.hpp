#pragma once
// A throw-away PKI for TLS tests: a CA and one server certificate made fresh at test
// time (no key material is checked into the repository, nothing expires in CI).
#include <string>

namespace firebreak::testing {

/// A throw-away certificate authority and one server certificate it signed, made at test time.
struct test_pki {
    std::string ca_cert_pem;      ///< trust this (the client adds it as its CA file)
    std::string server_cert_pem;  ///< for "localhost" and 127.0.0.1 (subjectAltName DNS and IP)
    std::string server_key_pem;   ///< the server certificate's private key (PKCS#8 PEM)
};

/// Makes a fresh CA (EC P-256 key, self-signed, basicConstraints CA:TRUE, keyCertSign) and a server
/// certificate valid for 1 day with SAN DNS:localhost, IP:127.0.0.1, signed by it. Uses the OpenSSL 3 C API.
/// Throws std::runtime_error naming the OpenSSL step that failed.
test_pki make_test_pki();

/// Writes `text` to a fresh file under the system temp dir and returns its path (for CA files).
/// The file is left behind for the caller (it is tiny and lives in the temp dir).
std::string write_temp_file(const std::string& name_hint, const std::string& text);

}  // namespace firebreak::testing
