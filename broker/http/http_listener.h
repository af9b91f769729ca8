// The broker's HTTP listener (cpp-httplib, its own small thread pool, off
// the I/O threads): /livez, /readyz, /metrics, and whatever `extra` adds
// (the admin API and console). Probes, scrapes and console clicks are
// rare, so a thread per connection (16 at most) is the simple, right size.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "broker/net/tls_context.h"
#include "wharf/errors.h"

namespace httplib {
class Server;
}

namespace wharf::http {

struct HttpRoutes {
  // The body of /metrics.
  std::function<std::string()> metrics;
  // ok when ready to serve; otherwise why not (/readyz answers 503).
  std::function<status()> ready;
  // Whether a request with this Authorization header may read /metrics;
  // `tls`: the listener speaks TLS. Empty: everyone may.
  std::function<bool(const std::string& authorization, const std::string& peer, bool tls)> authorize;
  // Adds more routes before the server starts; `tls` as above.
  std::function<void(httplib::Server&, bool tls)> extra;
};

class HttpListener {
 public:
  explicit HttpListener(HttpRoutes routes);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds HOST:PORT (0: a free port) and serves on a thread, over TLS when
  // `tls` names a certificate; io_error if the address is unusable,
  // invalid_argument if the TLS files are.
  status start(const std::string& host, std::uint16_t port, const net::TlsFiles& tls = {});
  std::uint16_t port() const noexcept { return port_; }
  // Stops accepting and waits for requests in progress. Idempotent.
  void stop();

 private:
  HttpRoutes routes_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

}  // namespace wharf::http
