// The server side of TLS for every listener: TLS 1.2 or newer, the
// broker's certificate chain and key, and (with a client CA) client
// certificates required and checked against it (mTLS).
#pragma once

#include <memory>
#include <string>

#include "wharf/errors.h"

namespace asio::ssl {
class context;
}
struct ssl_ctx_st;

namespace wharf::net {

struct TlsFiles {
  std::string cert_file;       // PEM chain; empty: no TLS
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM; non-empty: clients must present a certificate it signed
  std::string ciphers;         // TLS 1.2 cipher list (OpenSSL syntax); empty: kDefaultTlsCiphers
  bool enabled() const noexcept { return !cert_file.empty(); }
};

// Mozilla's "intermediate" TLS 1.2 suites less its DHE ones: ECDHE key
// exchange (forward secrecy) with AEAD ciphers only. TLS 1.3's suites are
// all of that kind and stay OpenSSL's.
inline constexpr const char* kDefaultTlsCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// invalid_argument naming the file and OpenSSL's reason when a file is
// missing, unreadable, or the key does not match the certificate, or
// naming the cipher list when OpenSSL knows none of its ciphers.
result<std::shared_ptr<asio::ssl::context>> make_server_tls_context(const TlsFiles& files);
// Applies files.ciphers (or the default) to a context; false when OpenSSL
// knows none of them.
bool set_tls12_ciphers(ssl_ctx_st* ctx, const TlsFiles& files);

}  // namespace wharf::net
