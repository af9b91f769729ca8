#include "broker/net/tls_context.h"

#include <asio/ssl.hpp>
#include <fmt/format.h>

namespace wharf::net {
namespace {

status file_error(const char* what, const std::string& path, const asio::error_code& ec) {
  return status(errc::invalid_argument, fmt::format("TLS {} {}: {}", what, path, ec.message()));
}

}  // namespace

result<std::shared_ptr<asio::ssl::context>> make_server_tls_context(const TlsFiles& files) {
  if (files.key_file.empty()) return status(errc::invalid_argument, "a TLS certificate needs its key (tls-key)");
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (!set_tls12_ciphers(ctx->native_handle(), files))
    return status(errc::invalid_argument, fmt::format("TLS ciphers '{}': OpenSSL knows none of them", files.ciphers));
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                   asio::ssl::context::single_dh_use);
  asio::error_code ec;
  ctx->use_certificate_chain_file(files.cert_file, ec);
  if (ec) return file_error("certificate", files.cert_file, ec);
  ctx->use_private_key_file(files.key_file, asio::ssl::context::pem, ec);
  if (ec) return file_error("key", files.key_file, ec);
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return status(errc::invalid_argument,
                  fmt::format("TLS key {} does not match certificate {}", files.key_file, files.cert_file));
  if (!files.client_ca_file.empty()) {
    ctx->load_verify_file(files.client_ca_file, ec);
    if (ec) return file_error("client CA", files.client_ca_file, ec);
    ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none);
  }
  return ctx;
}

bool set_tls12_ciphers(SSL_CTX* ctx, const TlsFiles& files) {
  return SSL_CTX_set_cipher_list(ctx, files.ciphers.empty() ? kDefaultTlsCiphers : files.ciphers.c_str()) == 1;
}

}  // namespace wharf::net
