// The native handshake: Hello, and with a SASL mechanism the SCRAM
// exchange (Hello -> SaslChallenge, SaslResponse -> HelloOk). A failed
// login is answered after a delay that grows with the peer's recent
// failures; nothing else is served before the handshake completes.
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "broker/auth/security_engine.h"
#include "broker/net/connection.h"
#include "broker/net/dispatcher.h"
#include "broker/net/server.h"
#include "protocol/frame.h"
#include "wharf_generated.h"

namespace wharf::net {
namespace {

std::string_view bytes_of(const flatbuffers::Vector<std::uint8_t>* v) {
  if (v == nullptr) return {};
  return {reinterpret_cast<const char*>(v->data()), v->size()};
}

}  // namespace

Dispatcher::Handshake Dispatcher::hello(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Hello();
  const std::uint64_t corr = frame.correlation_id();
  if (req->protocol_version() != protocol::kProtocolVersion) {
    conn.send_error(corr, status(errc::unsupported_version,
                                 fmt::format("client speaks protocol version {}, this broker speaks {}",
                                             req->protocol_version(), protocol::kProtocolVersion)));
    conn.close_after_flush();
    return Handshake::closing;
  }
  if (req->client_id() != nullptr) conn.set_client_id(req->client_id()->str());
  const std::string mechanism = req->sasl_mechanism() ? req->sasl_mechanism()->str() : std::string();
  if (mechanism.empty()) {
    if (security_.required()) {
      security_.count_failure();
      conn.send_error(corr, status(errc::authentication_failed,
                                   "this broker requires authentication: connect as a user (SCRAM-SHA-256 or "
                                   "SCRAM-SHA-512)"));
      conn.close_after_flush();
      return Handshake::closing;
    }
    hello_ok(conn, corr, {});
    return Handshake::handshaken;
  }
  const auto m = sasl::parse_scram_mechanism(mechanism);
  if (!m) {
    conn.send_error(corr, status(errc::authentication_failed,
                                 fmt::format("SASL mechanism '{}' is not offered (SCRAM-SHA-256, SCRAM-SHA-512)",
                                             mechanism)));
    conn.close_after_flush();
    return Handshake::closing;
  }
  auth::SecurityEngine* security = &security_;
  conn.scram() = std::make_unique<sasl::ScramServer>(
      *m, [security, m = *m](std::string_view user) { return security->credential(user, m); });
  auto step = conn.scram()->step(bytes_of(req->sasl_data()));
  if (step.outcome != sasl::ScramServer::Step::continue_)
    return refuse_login(conn, corr, step.error,
                        security_.logins().record_failure({}, conn.peer_address(), auth::LoginLimiter::Clock::now()));
  auto& fbb = conn.builder();
  auto data = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(step.reply.data()), step.reply.size());
  conn.reply(corr, wire::CreateSaslChallenge(fbb, data));
  return Handshake::continuing;
}

Dispatcher::Handshake Dispatcher::sasl_response(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_SaslResponse();
  // The step that checks the password, counted by the login limiter.
  const auto now = auth::LoginLimiter::Clock::now();
  auto attempt = security_.logins().begin(conn.scram()->claimed_user(), conn.peer_address(), now);
  if (!attempt.allowed())
    return refuse_login(conn, frame.correlation_id(), attempt.refusal(), security_.logins().max_delay());
  auto step = conn.scram()->step(bytes_of(req->data()));
  if (step.outcome != sasl::ScramServer::Step::succeeded)
    return refuse_login(conn, frame.correlation_id(), step.error, attempt.failed(now));
  const std::string user = conn.scram()->user();
  conn.scram().reset();
  auth::Principal principal = security_.principal_of(user);
  if (!principal.authenticated())  // deleted during the exchange
    return refuse_login(conn, frame.correlation_id(), fmt::format("user '{}' was deleted", user), attempt.failed(now));
  attempt.succeeded();
  conn.set_principal(std::move(principal));
  hello_ok(conn, frame.correlation_id(), step.reply);
  return Handshake::handshaken;
}

void Dispatcher::hello_ok(Connection& conn, std::uint64_t correlation_id, std::string_view sasl_data) {
  auto& fbb = conn.builder();
  auto version = fbb.CreateString(broker_version_);
  auto durability = fbb.CreateString(options_.durability);
  auto data = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(sasl_data.data()), sasl_data.size());
  auto user = fbb.CreateString(conn.principal().user);
  conn.reply(correlation_id, wire::CreateHelloOk(fbb, protocol::kProtocolVersion, version, options_.max_frame_bytes,
                                                 durability, data, user));
}

Dispatcher::Handshake Dispatcher::refuse_login(Connection& conn, std::uint64_t correlation_id, const std::string& why,
                                               std::chrono::milliseconds delay) {
  security_.count_failure();
  conn.scram().reset();
  conn.server().log_event(conn, fmt::format("authentication failed from {}: {}", conn.peer_address(), why));
  auto timer = std::make_shared<asio::steady_timer>(conn.executor(), delay);
  conn.track_timer(timer);
  timer->async_wait([weak = conn.weak_from_this(), correlation_id, timer](asio::error_code) {
    auto c = weak.lock();
    if (!c || c->closed()) return;
    c->send_error(correlation_id, status(errc::authentication_failed, "unknown user or wrong password"));
    c->close_after_flush();
  });
  return Handshake::closing;
}

}  // namespace wharf::net
