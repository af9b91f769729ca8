// The broker's HTTP listener: /livez, /readyz, /metrics, and whatever
// `extra` adds (the admin API and console).
//
// Connections live on the broker's transport (net::Server on the shared
// I/O threads), with its TLS, connection limits per listener and per
// address, and deadlines: a TLS handshake or a request head not done in
// kRequestDeadline closes the connection, as does kIdleTimeout without a
// request. Only a whole request, framed and bounded by request_framing.h,
// reaches a handler, which runs on one of kWorkers threads (the handlers
// block on the engines): a slow or idle client holds no thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "broker/net/io_pool.h"
#include "broker/net/net_options.h"
#include "wharf/errors.h"
#include "wharf/log_level.h"

namespace httplib {
class Server;
}

namespace wharf::net {
class Server;
}

namespace wharf::http {

struct HttpRoutes {
  // The body of /metrics.
  std::function<std::string()> metrics;
  // ok when ready to serve; otherwise why not (/readyz answers 503).
  std::function<status()> ready;
  // Whether a request with this Authorization header from this address may
  // read /metrics; `tls`: the listener speaks TLS. Empty: everyone may.
  std::function<bool(const std::string& authorization, const std::string& peer, bool tls)> authorize;
  // Adds more routes before the server starts; `tls` as above.
  std::function<void(httplib::Server&, bool tls)> extra;
};

inline constexpr std::chrono::milliseconds kRequestDeadline{5000};
inline constexpr std::chrono::milliseconds kIdleTimeout{30000};
inline constexpr std::size_t kWorkers = 16;

class HttpService;

class HttpListener {
 public:
  using Logger = std::function<void(LogLevel, std::string_view)>;
  HttpListener(HttpRoutes routes, Logger logger);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Listens on options.host:port (0: a free port) on `pool`'s threads, over
  // TLS when options.tls names a certificate, with the connection limits
  // of `options`; io_error if the address is unusable, invalid_argument if
  // the TLS files are.
  status start(net::IoPool& pool, net::NetOptions options);
  std::uint16_t port() const noexcept { return port_; }
  std::size_t connection_count() const;
  // Stops accepting, answers the requests in progress, closes every
  // connection. Needs the pool's threads running. Idempotent.
  void stop();

 private:
  HttpRoutes routes_;
  Logger logger_;
  std::unique_ptr<HttpService> service_;
  std::unique_ptr<net::Server> server_;
  std::uint16_t port_ = 0;
};

}  // namespace wharf::http
