// Login, logout, the session, and the overview.
#include <httplib.h>

#include <fmt/format.h>

#include "broker/http/api_router.h"
#include "broker/http/http_service.h"
#include "broker/log/log_engine.h"
#include "broker/net/server.h"
#include "broker/queue/queue_engine.h"
#include "broker/groups/group_coordinator.h"
#include "broker/storage/storage.h"

namespace wharf::http {
namespace {

nlohmann::json session_json(const ApiContext& ctx, const auth::Principal& who, const std::string& csrf) {
  nlohmann::json j{{"auth_required", ctx.src.security.required()}, {"admin", who.admin}, {"csrf_token", csrf}};
  j["user"] = who.authenticated() ? nlohmann::json(who.user) : nlohmann::json(nullptr);
  return j;
}

std::string cookie(const ApiContext& ctx, const std::string& value, std::chrono::seconds max_age) {
  return fmt::format("wharf_session={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}", value, max_age.count(),
                     ctx.tls ? "; Secure" : "");
}

ApiResult session(ApiContext& ctx, const Call& call) {
  if (!call.csrf)
    return ApiReply{401, {{"error", {{"code", "authentication_required"}, {"message", "log in first"}}}}};
  return ApiReply{200, session_json(ctx, call.who, *call.csrf)};
}

ApiResult login(ApiContext& ctx, const Call& call) {
  if (!ctx.src.security.required())
    return ApiReply{200, session_json(ctx, call.who, ctx.anonymous_csrf)};
  const std::string user = call.body.value("user", "");
  const std::string password = call.body.value("password", "");
  auto& security = ctx.src.security;
  const auto now = auth::LoginLimiter::Clock::now();
  // Counted and limited as the protocols' logins are.
  auto attempt = security.logins().begin(user, call.req.remote_addr, now);
  if (!attempt.allowed() || user.empty() || !security.check_password(user, password)) {
    security.count_failure();
    hold_answer_for(attempt.allowed() ? attempt.failed(now) : security.logins().max_delay());
    return status(errc::authentication_failed, "wrong user name or password");
  }
  attempt.succeeded();
  auto s = ctx.sessions.open(user, ConsoleSessions::Clock::now());
  ApiReply reply{200, session_json(ctx, security.principal_of(user), s.csrf)};
  reply.headers.emplace_back(
      "Set-Cookie",
      cookie(ctx, s.id, std::chrono::duration_cast<std::chrono::seconds>(ConsoleSessions::kLifetime)));
  return reply;
}

ApiResult logout(ApiContext& ctx, const Call& call) {
  ctx.sessions.close(session_cookie(call.req));
  ApiReply reply{204, nullptr};
  reply.headers.emplace_back("Set-Cookie", cookie(ctx, "", std::chrono::seconds(0)));
  return reply;
}

ApiResult overview(ApiContext& ctx, const Call& call) {
  if (status st = ctx.need(call.who, auth::ResourceType::cluster, "cluster", auth::Operation::describe); !st.ok())
    return st;
  const auto& src = ctx.src;
  const auto now = std::chrono::system_clock::now();
  const status health = src.storage.writer().health();
  nlohmann::json j{
      {"version", src.version},
      {"started_ms", std::chrono::duration_cast<std::chrono::milliseconds>(src.started.time_since_epoch()).count()},
      {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(now - src.started).count()},
      {"durability", src.durability},
      {"storage",
       {{"used_bytes", src.storage.used_bytes()},
        {"map_bytes", src.storage.map_size()},
        {"healthy", health.ok()},
        {"error", health.ok() ? std::string() : health.to_string()}}},
      {"connections",
       {{"native", src.native ? src.native->connection_count() : 0},
        {"kafka", src.kafka ? src.kafka->connection_count() : 0}}},
      {"topics", src.logs.list_topics().size()}};
  auto queues = await_result<std::vector<queue::QueueDescription>>(
      [&](auto done) { src.queues.list_queues(std::move(done)); });
  if (!queues) return queues.error();
  j["queues"] = queues->size();
  auto groups = src.groups.list();
  if (!groups) return groups.error();
  j["groups"] = groups->size();
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& s : ctx.rates->history())
    samples.push_back({{"time_ms", s.time_ms}, {"in_per_s", s.in_per_s}, {"out_per_s", s.out_per_s}});
  j["rates"] = {{"interval_s", std::chrono::duration<double>(ctx.rates->interval()).count()}, {"samples", samples}};
  return ApiReply{200, std::move(j)};
}

}  // namespace

void add_session_routes(Router& r) {
  r.open_get("/api/v1/session", session);
  r.open_post("/api/v1/login", login);
  r.post("/api/v1/logout", logout);
  r.get("/api/v1/overview", overview);
}

}  // namespace wharf::http
