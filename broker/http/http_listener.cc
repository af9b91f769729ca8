#include "broker/http/http_listener.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>

#include "broker/http/http_service.h"
#include "broker/http/http_session.h"
#include "broker/net/server.h"

namespace wharf::http {
namespace {
constexpr std::size_t kMaxRequestBytes = 64u << 10;
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";
// An Accept-Encoding value without its "br" entries.
std::string without_brotli(const std::string& accepted) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= accepted.size()) {
    const std::size_t end = std::min(accepted.find(',', pos), accepted.size());
    std::string_view item = std::string_view(accepted).substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const std::string_view name = item.substr(0, item.find(';'));
    if (!item.empty() && name != "br") {
      if (!out.empty()) out += ", ";
      out += item;
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace

HttpListener::HttpListener(HttpRoutes routes, Logger logger)
    : routes_(std::move(routes)), logger_(std::move(logger)) {}

HttpListener::~HttpListener() { stop(); }

std::size_t HttpListener::connection_count() const { return server_ ? server_->connection_count() : 0; }

status HttpListener::start(net::IoPool& pool, net::NetOptions options) {
  service_ = std::make_unique<HttpService>(kWorkers);
  httplib::Server& s = service_->router();
  s.set_payload_max_length(kMaxRequestBytes);
  // cpp-httplib compresses with Brotli at its slowest quality (25-35 ms
  // for a 20 KB script, measured); gzip takes 1 ms and is nearly as small.
  // The request is httplib's own non-const object, seen here through const.
  s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    auto& headers = const_cast<httplib::Headers&>(req.headers);
    auto [first, last] = headers.equal_range("Accept-Encoding");
    for (auto it = first; it != last; ++it) it->second = without_brotli(it->second);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get("/livez", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const status st = routes_.ready();
    res.status = st.ok() ? 200 : 503;
    res.set_content(st.ok() ? std::string("ready\n") : st.to_string() + "\n", "text/plain");
  });
  const bool over_tls = options.tls.enabled();
  s.Get("/metrics", [this, over_tls](const httplib::Request& req, httplib::Response& res) {
    if (routes_.authorize && !routes_.authorize(req.get_header_value("Authorization"), req.remote_addr, over_tls)) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"wharf\"");
      res.set_content("authentication required: a user with cluster describe (basic auth over TLS) or the token\n",
                      "text/plain");
      return;
    }
    res.set_content(routes_.metrics(), kPrometheusText);
  });
  if (routes_.extra) routes_.extra(s, over_tls);

  // A request is framed and read within these, whatever the client does.
  options.handshake_timeout = std::min(options.handshake_timeout, kRequestDeadline);
  options.frame_timeout = std::min(options.frame_timeout, kRequestDeadline);
  HttpService* service = service_.get();
  server_ = std::make_unique<net::Server>(
      options, pool,
      [service](net::Server& server, net::Session::Socket socket, std::uint64_t id) {
        return std::make_shared<HttpSession>(server, std::move(socket), id, *service);
      },
      [logger = logger_](LogLevel level, std::string_view line) {
        if (logger) logger(level, fmt::format("http {}", line));
      });
  if (status st = server_->start(); !st.ok()) {
    server_.reset();
    service_.reset();
    return st;
  }
  port_ = server_->local_endpoint().port();
  return {};
}

void HttpListener::stop() {
  if (!server_) return;
  server_->stop_reading();
  service_->stop();  // requests in progress are answered
  server_->close_all();
  server_.reset();
  service_.reset();
}

}  // namespace wharf::http
