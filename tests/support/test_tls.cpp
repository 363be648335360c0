#include "tests/support/test_tls.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>

namespace firebreak::testing {

namespace {

// Owning handles so that every early throw frees what was made so far.
struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_free { void operator()(X509* p) const { X509_free(p); } };
struct bio_free { void operator()(BIO* p) const { BIO_free(p); } };
struct bn_free { void operator()(BIGNUM* p) const { BN_free(p); } };
struct ext_free { void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using bio_ptr = std::unique_ptr<BIO, bio_free>;
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, ext_free>;

constexpr long one_day_seconds = 24L * 60 * 60;
// Back-dating notBefore a little tolerates clock skew between the test and OpenSSL's check.
constexpr long backdate_seconds = 5L * 60;

// Throws with the failed step and OpenSSL's own reason, then clears its error queue so a
// later, unrelated check does not report this failure again.
[[noreturn]] void fail(const char* step) {
    std::string message = std::string("make_test_pki: ") + step + " failed";
    if (unsigned long code = ERR_get_error(); code != 0) {
        char reason[256];
        ERR_error_string_n(code, reason, sizeof reason);
        message += std::string(": ") + reason;
    }
    ERR_clear_error();
    throw std::runtime_error(message);
}

pkey_ptr make_p256_key() {
    pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) fail("EC P-256 key generation");
    return key;
}

// A positive random 63-bit serial: unique enough that two test CAs never collide in one run.
void set_random_serial(X509* cert) {
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1) fail("RAND_bytes");
    bytes[0] &= 0x7f;
    bn_ptr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) fail("serial number");
}

void set_common_name(X509_NAME* name, const char* cn) {
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1,
                                    0))
        fail("X509_NAME_add_entry_by_txt");
}

// Adds one v3 extension written in openssl.cnf syntax; `issuer` supplies the key id for
// authorityKeyIdentifier.
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext) fail("X509V3_EXT_conf_nid");
    if (!X509_add_ext(cert, ext.get(), -1)) fail("X509_add_ext");
}

// The fields common to both certificates: version 3, serial, validity, subject, key.
x509_ptr new_certificate(EVP_PKEY* subject_key, const char* cn, long valid_seconds) {
    x509_ptr cert(X509_new());
    if (!cert) fail("X509_new");
    if (!X509_set_version(cert.get(), 2)) fail("X509_set_version");  // 2 means v3
    set_random_serial(cert.get());
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -backdate_seconds) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_seconds))
        fail("validity period");
    set_common_name(X509_get_subject_name(cert.get()), cn);
    if (!X509_set_pubkey(cert.get(), subject_key)) fail("X509_set_pubkey");
    return cert;
}

std::string drain(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string cert_pem(X509* cert) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_X509(bio.get(), cert)) fail("PEM_write_bio_X509");
    return drain(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
        fail("PEM_write_bio_PrivateKey");
    return drain(bio.get());
}

}  // namespace

test_pki make_test_pki() {
    // The CA: self-signed, allowed to sign certificates and nothing else. It outlives the
    // server certificate by a day so chain checks never trip over the CA first.
    pkey_ptr ca_key = make_p256_key();
    x509_ptr ca = new_certificate(ca_key.get(), "firebreak test CA", 2 * one_day_seconds);
    if (!X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()))) fail("X509_set_issuer_name (CA)");
    add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    // The subject key id must exist before the authority key id can be derived from it.
    add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    add_extension(ca.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) <= 0) fail("X509_sign (CA)");

    // The server: a leaf for TLS server auth, named both ways clients reach the fake.
    pkey_ptr server_key = make_p256_key();
    x509_ptr server = new_certificate(server_key.get(), "localhost", one_day_seconds);
    if (!X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get())))
        fail("X509_set_issuer_name (server)");
    add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_extension(server.get(), ca.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_extension(server.get(), ca.get(), NID_subject_key_identifier, "hash");
    add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    if (X509_sign(server.get(), ca_key.get(), EVP_sha256()) <= 0) fail("X509_sign (server)");

    return test_pki{cert_pem(ca.get()), cert_pem(server.get()), key_pem(server_key.get())};
}

std::string write_temp_file(const std::string& name_hint, const std::string& text) {
    // Keep only filename-safe characters of the hint: it is for humans reading /tmp.
    std::string hint;
    for (char c : name_hint)
        hint += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (hint.empty()) hint = "file";

    std::random_device rd;
    const auto dir = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 16; ++attempt) {
        const auto path =
            dir / ("firebreak-" + std::to_string(rd()) + std::to_string(rd()) + "-" + hint);
        std::error_code ec;
        if (std::filesystem::exists(path, ec)) continue;  // never overwrite another test's file
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out) break;
        out << text;
        out.close();
        if (!out) break;
        return path.string();
    }
    throw std::runtime_error("write_temp_file: cannot write a file for '" + name_hint + "' under " + dir.string());
}

}  // namespace firebreak::testing
