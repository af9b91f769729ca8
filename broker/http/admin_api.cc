#include "broker/http/admin_api.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "broker/http/api_router.h"
#include "broker/http/console_pages.h"
#include "broker/log/log_engine.h"
#include "broker/queue/queue_engine.h"

namespace wharf::http {
namespace {

constexpr const char* kCsrfHeader = "X-CSRF-Token";
constexpr const char* kSessionCookie = "wharf_session";

bool same_secret(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// With auth off, a page of another site whose name an attacker points at
// 127.0.0.1 (DNS rebinding) would count as same-origin: the API then
// answers only requests addressed to an IP address, localhost or the
// listener's own host name.
bool host_allowed(std::string_view host_header, std::string_view listen_host) {
  std::string_view host = host_header;
  if (!host.empty() && host.front() == '[') return true;  // an IPv6 literal
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  auto lower_equal = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  };
  if (host.empty() || lower_equal(host, "localhost") || lower_equal(host, listen_host)) return true;
  return host.find_first_not_of("0123456789.") == std::string_view::npos;  // an IPv4 literal
}

// A change made without a session (the login) carries no CSRF token, so a
// page of another site could post one (login CSRF: the victim's browser
// logged in as the attacker). Browsers say where a request comes from
// (Sec-Fetch-Site, Origin); a body of JSON type cannot be sent across
// sites without a preflight this API never grants. So: JSON only, and
// where the browser names the origin, it must be this one.
bool same_origin(const httplib::Request& req, bool tls) {
  const std::string type = req.get_header_value("Content-Type");
  if (type.rfind("application/json", 0) != 0) return false;
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") return false;
  const std::string origin = req.get_header_value("Origin");
  return origin.empty() || origin == std::string(tls ? "https://" : "http://") + req.get_header_value("Host");
}

TrafficTotals read_totals(const AdminSources& src) {
  TrafficTotals t;
  for (const auto& topic : src.logs.list_topics())
    for (const auto& p : topic.partitions) {
      t.in += p.traffic.records_in;
      t.out += p.traffic.records_out;
      t.partition_records_in[{topic.config.name, p.partition}] = p.traffic.records_in;
    }
  auto queues = await_result<std::vector<queue::QueueDescription>>(
      [&](auto done) { src.queues.list_queues(std::move(done)); });
  if (queues)
    for (const auto& q : *queues) {
      t.in += q.traffic.published;
      t.out += q.traffic.delivered;
      t.queues[q.config.name] = {q.traffic.published, q.traffic.acked};
    }
  return t;
}

}  // namespace

// --- Call ---------------------------------------------------------------------

std::string Call::arg(std::size_t n) const { return n < req.matches.size() ? std::string(req.matches[n]) : ""; }

std::optional<std::string> Call::query(const std::string& name) const {
  if (!req.has_param(name.c_str())) return std::nullopt;
  return req.get_param_value(name.c_str());
}

result<std::uint64_t> parse_number(std::string_view text, std::string_view what, std::uint64_t max) {
  std::uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || n > (max - static_cast<std::uint64_t>(c - '0')) / 10)
      return status(errc::invalid_argument, fmt::format("{} must be a number from 0 to {}", what, max));
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (text.empty()) return status(errc::invalid_argument, fmt::format("{} must be a number", what));
  return n;
}

result<std::uint64_t> Call::query_number(const std::string& name, std::uint64_t fallback, std::uint64_t max) const {
  auto v = query(name);
  if (!v || v->empty()) return fallback;
  return parse_number(*v, name, max);
}

// --- ApiContext ------------------------------------------------------------------

status ApiContext::need(const auth::Principal& who, auth::ResourceType type, std::string_view name,
                        auth::Operation op) const {
  if (!src.security.required() || src.security.allowed(who, type, name, op)) return {};
  return status(errc::not_authorized, fmt::format("user '{}' may not {} {} '{}'", who.user, auth::operation_name(op),
                                                  auth::resource_type_name(type), name));
}

std::optional<ApiContext::Caller> ApiContext::caller(const httplib::Request& req) {
  if (!src.security.required()) return Caller{auth::Principal{}, anonymous_csrf};
  auto s = sessions.find(session_cookie(req), ConsoleSessions::Clock::now());
  if (!s) return std::nullopt;
  auth::Principal who = src.security.principal_of(s->user);
  if (!who.authenticated()) {
    sessions.close(s->id);  // the user was deleted
    return std::nullopt;
  }
  return Caller{std::move(who), s->csrf};
}

// --- answers ---------------------------------------------------------------------

int http_status_of(errc code) {
  switch (code) {
    case errc::invalid_argument:
    case errc::invalid_name:
    case errc::corrupt_batch: return 400;
    case errc::authentication_failed: return 401;
    case errc::not_authorized: return 403;
    case errc::unknown_topic:
    case errc::unknown_partition:
    case errc::unknown_queue:
    case errc::unknown_group:
    case errc::unknown_message:
    case errc::unknown_user: return 404;
    case errc::topic_exists:
    case errc::queue_exists:
    case errc::group_not_empty:
    case errc::rebalance_in_progress: return 409;
    case errc::offset_out_of_range: return 416;
    case errc::queue_full:
    case errc::too_many_requests: return 429;
    case errc::storage_full:
    case errc::storage_failed:
    case errc::shutting_down:
    case errc::timeout: return 503;
    default: return 500;
  }
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message) {
  send_json(res, status, {{"error", {{"code", code}, {"message", message}}}});
}

std::string session_cookie(const httplib::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  const std::string key = std::string(kSessionCookie) + "=";
  std::size_t pos = 0;
  while (pos < cookies.size()) {
    while (pos < cookies.size() && (cookies[pos] == ' ' || cookies[pos] == ';')) ++pos;
    const std::size_t end = std::min(cookies.find(';', pos), cookies.size());
    if (cookies.compare(pos, key.size(), key) == 0) return cookies.substr(pos + key.size(), end - pos - key.size());
    pos = end;
  }
  return "";
}

// --- Router ------------------------------------------------------------------------

void Router::add(const std::string& method, const std::string& pattern, Handler h, bool needs_session) {
  auto serve = [&ctx = ctx_, h = std::move(h), needs_session, method](const httplib::Request& req,
                                                                        httplib::Response& res) {
    if (!ctx.src.security.required() && !host_allowed(req.get_header_value("Host"), ctx.src.http_host))
      return send_error(res, 403, "host_not_allowed",
                        "with auth off the API answers only requests to an IP address, localhost or its listen host");
    auto caller = ctx.caller(req);
    if (!caller && needs_session) return send_error(res, 401, "authentication_required", "log in first");
    if (method != "GET" && needs_session && !same_secret(req.get_header_value(kCsrfHeader), caller->csrf))
      return send_error(res, 403, "csrf_failed", "the request lacks the session's X-CSRF-Token header");
    if (method != "GET" && !needs_session && !same_origin(req, ctx.tls))
      return send_error(res, 403, "cross_origin",
                        "a login must be JSON (Content-Type: application/json) sent from this console's origin");
    try {
      Call call{req, caller ? caller->who : auth::Principal{}, nlohmann::json::object(), std::nullopt};
      if (caller) call.csrf = std::move(caller->csrf);
      if (!req.body.empty()) {
        call.body = nlohmann::json::parse(req.body, nullptr, false);
        if (!call.body.is_object()) return send_error(res, 400, "invalid_argument", "the body is not a JSON object");
      }
      ApiResult r = h(ctx, call);
      if (!r) return send_error(res, http_status_of(r.code()), errc_name(r.code()), r.error().message());
      for (const auto& [k, v] : r->headers) res.set_header(k.c_str(), v);
      if (r->status == 204) {
        res.status = 204;
        res.set_header("Cache-Control", "no-store");
        return;
      }
      send_json(res, r->status, r->body);
    } catch (const nlohmann::json::exception& e) {
      send_error(res, 400, "invalid_argument", fmt::format("a field has the wrong type: {}", e.what()));
    } catch (const std::exception& e) {
      send_error(res, 500, "internal", e.what());
    }
  };
  if (method == "GET") {
    server_.Get(pattern, std::move(serve));
  } else if (method == "POST") {
    server_.Post(pattern, std::move(serve));
  } else if (method == "PATCH") {
    server_.Patch(pattern, std::move(serve));
  } else {
    server_.Delete(pattern, std::move(serve));
  }
}

// --- AdminApi ----------------------------------------------------------------------

AdminApi::AdminApi(AdminSources sources, std::chrono::milliseconds rate_interval)
    : ctx_(std::make_unique<ApiContext>(std::move(sources))) {
  const AdminSources* src = &ctx_->src;
  ctx_->rates = std::make_unique<RateSampler>([src] { return read_totals(*src); }, rate_interval);
}

AdminApi::~AdminApi() = default;

void AdminApi::install(httplib::Server& server, bool tls) {
  ctx_->tls = tls;
  Router r(server, *ctx_);
  add_session_routes(r);
  add_backup_routes(r);
  add_topic_routes(r);
  add_group_routes(r);
  add_queue_routes(r);
  // Anything else under /api/ is a typed 404, not the console's page.
  server.Get("/api/.*", [](const httplib::Request& req, httplib::Response& res) {
    send_error(res, 404, "not_found", fmt::format("no API call GET {}", req.path));
  });
  add_console_pages(server, *ctx_);
}

}  // namespace wharf::http
