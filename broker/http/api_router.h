// The admin API's plumbing: each route is a function from a call (the
// request, who makes it, its JSON body) to a reply or a broker error. The
// router resolves the caller (session cookie, or anonymous with auth off),
// checks the CSRF token of changes, parses bodies, and turns errors into
// typed JSON answers with the right HTTP status.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/auth/security_engine.h"
#include "broker/http/admin_api.h"
#include "broker/http/console_sessions.h"
#include "broker/http/rate_sampler.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace wharf::http {

struct ApiReply {
  ApiReply(int code, nlohmann::json json) : status(code), body(std::move(json)) {}
  int status = 200;
  nlohmann::json body;  // null with 204
  std::vector<std::pair<std::string, std::string>> headers;
};
using ApiResult = result<ApiReply>;

struct Call {
  const httplib::Request& req;
  auth::Principal who;
  nlohmann::json body;  // {} when the request has none
  std::optional<std::string> csrf;  // the caller's CSRF token; none without a session

  // The path's N-th capture (1-based), URL-decoded by the server.
  std::string arg(std::size_t n) const;
  // A query parameter, or nullopt.
  std::optional<std::string> query(const std::string& name) const;
  // An unsigned query parameter in [0, max]; `fallback` when absent.
  result<std::uint64_t> query_number(const std::string& name, std::uint64_t fallback, std::uint64_t max) const;
};

// What the routes share: the engines, sessions and rates.
struct ApiContext {
  explicit ApiContext(AdminSources sources) : src(std::move(sources)), anonymous_csrf(random_token()) {}

  AdminSources src;
  std::unique_ptr<RateSampler> rates;
  ConsoleSessions sessions;
  std::string anonymous_csrf;  // with auth off, the CSRF token of everyone
  bool tls = false;

  // Who makes a request and the CSRF token their changes must carry:
  // anonymous with auth off, else the user of a live session (a deleted
  // user's session ends here); nullopt without one.
  struct Caller {
    auth::Principal who;
    std::string csrf;
  };
  std::optional<Caller> caller(const httplib::Request& req);

  // ok, or not_authorized in the native protocol's words. Always ok with auth off.
  status need(const auth::Principal& who, auth::ResourceType type, std::string_view name, auth::Operation op) const;
  bool may(const auth::Principal& who, auth::ResourceType type, std::string_view name, auth::Operation op) const {
    return need(who, type, name, op).ok();
  }
};

using Handler = std::function<ApiResult(ApiContext&, const Call&)>;

class Router {
 public:
  Router(httplib::Server& server, ApiContext& ctx) : server_(server), ctx_(ctx) {}
  void get(const std::string& pattern, Handler h) { add("GET", pattern, std::move(h)); }
  void post(const std::string& pattern, Handler h) { add("POST", pattern, std::move(h)); }
  void patch(const std::string& pattern, Handler h) { add("PATCH", pattern, std::move(h)); }
  void del(const std::string& pattern, Handler h) { add("DELETE", pattern, std::move(h)); }
  // Routes that need no session (login, the session itself).
  void open_post(const std::string& pattern, Handler h) { add("POST", pattern, std::move(h), false); }
  void open_get(const std::string& pattern, Handler h) { add("GET", pattern, std::move(h), false); }

 private:
  void add(const std::string& method, const std::string& pattern, Handler h, bool needs_session = true);
  httplib::Server& server_;
  ApiContext& ctx_;
};

// A decimal number in [0, max]; invalid_argument naming `what` otherwise.
result<std::uint64_t> parse_number(std::string_view text, std::string_view what, std::uint64_t max);

// The HTTP status of a broker error.
int http_status_of(errc code);
void send_json(httplib::Response& res, int status, const nlohmann::json& body);
void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message);

// The cookie's value, or empty.
std::string session_cookie(const httplib::Request& req);

// Waits for an engine's callback (the writer answers within milliseconds;
// a stuck writer gives timeout rather than a hung request).
inline constexpr auto kEngineWait = std::chrono::seconds(10);
template <typename T, typename Start>
result<T> await_result(Start&& start) {
  auto done = std::make_shared<std::promise<result<T>>>();
  auto f = done->get_future();
  start([done](result<T> r) { done->set_value(std::move(r)); });
  if (f.wait_for(kEngineWait) != std::future_status::ready)
    return status(errc::timeout, "the broker did not answer in time");
  return f.get();
}
template <typename Start>
status await_status(Start&& start) {
  auto done = std::make_shared<std::promise<status>>();
  auto f = done->get_future();
  start([done](status st) { done->set_value(std::move(st)); });
  if (f.wait_for(kEngineWait) != std::future_status::ready)
    return status(errc::timeout, "the broker did not answer in time");
  return f.get();
}

// A page of a list sorted by name: the items `keep` accepts whose names
// start with ?prefix=, after ?after=, at most `limit`. Sets "total" and
// "next" in `out`.
template <typename T, typename NameOf, typename Keep>
std::vector<const T*> page_of(const std::vector<T>& sorted, NameOf name_of, Keep keep, const Call& call,
                              nlohmann::json& out, std::uint64_t limit) {
  const std::string prefix = call.query("prefix").value_or("");
  const std::string after = call.query("after").value_or("");
  std::vector<const T*> page;
  std::uint64_t total = 0;
  bool more = false;
  for (const T& item : sorted) {
    const std::string_view name = name_of(item);
    if (name.substr(0, prefix.size()) != prefix || !keep(item)) continue;
    ++total;
    if (!after.empty() && name <= after) continue;
    if (page.size() < limit) {
      page.push_back(&item);
    } else {
      more = true;
    }
  }
  out["total"] = total;
  if (more) out["next"] = std::string(name_of(*page.back()));
  return page;
}

// Route groups (one file each).
void add_session_routes(Router& r);
void add_topic_routes(Router& r);
void add_group_routes(Router& r);
void add_queue_routes(Router& r);
void add_backup_routes(Router& r);

}  // namespace wharf::http
