#include "broker/http/http_listener.h"

#include <httplib.h>

#include <fmt/format.h>

namespace wharf::http {
namespace {
// cpp-httplib gives each keep-alive connection a thread until it idles
// out: a browser opens up to six at once, so room for a few browsers, and
// a short idle timeout so a connection over the limit waits little.
constexpr std::size_t kThreads = 16;
constexpr std::chrono::seconds kKeepAlive{1};
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

HttpListener::HttpListener(HttpRoutes routes) : routes_(std::move(routes)) {}

HttpListener::~HttpListener() { stop(); }

status HttpListener::start(const std::string& host, std::uint16_t port, const net::TlsFiles& tls) {
  if (tls.enabled()) {
    // The same context rules as the other listeners (TLS 1.2+, mTLS with a
    // client CA), checked before binding.
    auto context = net::make_server_tls_context(tls);
    if (!context) return context.error();
    server_ = std::make_unique<httplib::SSLServer>([tls](SSL_CTX& ctx) {
      SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
      if (!net::set_tls12_ciphers(&ctx, tls)) return false;
      if (SSL_CTX_use_certificate_chain_file(&ctx, tls.cert_file.c_str()) != 1) return false;
      if (SSL_CTX_use_PrivateKey_file(&ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) return false;
      if (!tls.client_ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(&ctx, tls.client_ca_file.c_str(), nullptr) != 1) return false;
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      }
      return true;
    });
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  s.set_payload_max_length(kMaxRequestBytes);
  // Headers and body go out in separate writes: without this, Nagle holds
  // the body back for the client's delayed ack (40 ms a keep-alive call).
  s.set_tcp_nodelay(true);
  s.set_keep_alive_timeout(kKeepAlive.count());
  // cpp-httplib compresses with Brotli at its slowest quality (25-35 ms
  // for a 20 KB script, measured); gzip takes 1 ms and is nearly as small.
  // The request is httplib's own non-const object, seen here through const.
  s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    auto& headers = const_cast<httplib::Headers&>(req.headers);
    auto [first, last] = headers.equal_range("Accept-Encoding");
    for (auto it = first; it != last; ++it) it->second = without_brotli(it->second);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_read_timeout(std::chrono::seconds(10));
  s.set_write_timeout(std::chrono::seconds(10));
  s.Get("/livez", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const status st = routes_.ready();
    res.status = st.ok() ? 200 : 503;
    res.set_content(st.ok() ? std::string("ready\n") : st.to_string() + "\n", "text/plain");
  });
  const bool over_tls = tls.enabled();
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
  const int bound = port == 0 ? s.bind_to_any_port(host) : (s.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    server_.reset();
    return status(errc::io_error, fmt::format("cannot listen for HTTP on {}:{}", host, port));
  }
  port_ = static_cast<std::uint16_t>(bound);
  thread_ = std::thread([&s] { s.listen_after_bind(); });
  // stop() only stops a server that is running: wait until it is.
  for (int i = 0; i < 5000 && !s.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return {};
}

void HttpListener::stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace wharf::http
