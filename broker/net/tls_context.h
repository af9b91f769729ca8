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

namespace wharf::net {

struct TlsFiles {
  std::string cert_file;       // PEM chain; empty: no TLS
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM; non-empty: clients must present a certificate it signed
  bool enabled() const noexcept { return !cert_file.empty(); }
};

// invalid_argument naming the file and OpenSSL's reason when a file is
// missing, unreadable, or the key does not match the certificate.
result<std::shared_ptr<asio::ssl::context>> make_server_tls_context(const TlsFiles& files);

}  // namespace wharf::net
