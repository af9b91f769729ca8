// Kafka SASL: SaslHandshake 0-1 picks the mechanism (SCRAM-SHA-256,
// SCRAM-SHA-512, and PLAIN only over TLS); SaslAuthenticate 0-1 carries the
// tokens (after a v0 handshake they come raw, without a request header).
// A failed login is answered after the peer's delay, then the connection
// closes, as Kafka closes it.
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "broker/kafka/request_handlers.h"
#include "broker/net/server.h"
#include "protocol/kafka/api.h"
#include "protocol/sasl/sasl_plain.h"

namespace wharf::kafka {
namespace {

namespace pk = protocol::kafka;
using Mechanism = KafkaSession::SaslState::Mechanism;

std::vector<std::string_view> enabled_mechanisms(const KafkaSession& s) {
  std::vector<std::string_view> out{"SCRAM-SHA-256", "SCRAM-SHA-512"};
  // PLAIN sends the password itself: only inside TLS.
  if (s.tls()) out.push_back("PLAIN");
  return out;
}

std::optional<Mechanism> mechanism_of(std::string_view name, const KafkaSession& s) {
  if (name == "SCRAM-SHA-256") return Mechanism::scram_sha_256;
  if (name == "SCRAM-SHA-512") return Mechanism::scram_sha_512;
  if (name == "PLAIN" && s.tls()) return Mechanism::plain;
  return std::nullopt;
}

// One step of the exchange: the token to send back, or (failed) why not
// and how long to hold the answer back.
struct Step {
  enum Outcome { continue_, succeeded, failed } outcome = failed;
  std::string reply;
  std::string error;
  std::chrono::milliseconds delay{0};
};

// Sets the principal once the exchange succeeded; false if the user is gone.
bool log_in(KafkaSession& s, const std::string& user) {
  auto principal = s.context().security.principal_of(user);
  if (!principal.authenticated()) return false;
  s.set_principal(std::move(principal));
  s.sasl().scram.reset();
  s.sasl().raw_tokens = false;
  return true;
}

// The step that checks the password, counted by the login limiter: refused
// unchecked while the user or the address is locked out.
template <typename Check>
Step checked_step(KafkaSession& s, const std::string& user, Check check) {
  auth::LoginLimiter& logins = s.context().security.logins();
  const auto now = auth::LoginLimiter::Clock::now();
  auto attempt = logins.begin(user, s.peer_address(), now);
  if (!attempt.allowed()) return {Step::failed, {}, attempt.refusal(), logins.max_delay()};
  Step step = check();
  if (step.outcome == Step::succeeded && !log_in(s, user))
    step = {Step::failed, {}, fmt::format("user '{}' was deleted", user), {}};
  if (step.outcome == Step::failed) {
    step.delay = attempt.failed(now);
  } else {
    attempt.succeeded();
  }
  return step;
}

Step run_step(KafkaSession& s, std::string_view token) {
  auto& sasl = s.sasl();
  auth::SecurityEngine& security = s.context().security;
  const auto now = auth::LoginLimiter::Clock::now();
  if (sasl.mechanism == Mechanism::plain) {
    std::string error;
    auto creds = sasl::parse_sasl_plain(token, &error);
    if (!creds) return {Step::failed, {}, error, security.logins().record_failure({}, s.peer_address(), now)};
    return checked_step(s, creds->user, [&]() -> Step {
      if (!security.check_password(creds->user, creds->password))
        return {Step::failed, {}, "invalid user name or password", {}};
      return {Step::succeeded, {}, {}, {}};
    });
  }
  if (!sasl.scram) {
    const auto m = sasl.mechanism == Mechanism::scram_sha_512 ? sasl::ScramMechanism::sha512
                                                               : sasl::ScramMechanism::sha256;
    sasl.scram = std::make_unique<sasl::ScramServer>(
        m, [&security, m](std::string_view user) { return security.credential(user, m); });
    auto first = sasl.scram->step(token);
    if (first.outcome == sasl::ScramServer::Step::continue_) return {Step::continue_, std::move(first.reply), {}, {}};
    return {Step::failed, {}, std::move(first.error), security.logins().record_failure({}, s.peer_address(), now)};
  }
  const std::string claimed = sasl.scram->claimed_user();
  return checked_step(s, claimed, [&]() -> Step {
    auto step = sasl.scram->step(token);
    if (step.outcome != sasl::ScramServer::Step::succeeded) return {Step::failed, {}, std::move(step.error), {}};
    return {Step::succeeded, std::move(step.reply), {}, {}};
  });
}

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void encode_authenticate(pk::Writer& w, std::int16_t version, pk::Error error, std::optional<std::string_view> message,
                         const std::string& token) {
  w.i16(static_cast<std::int16_t>(error));
  w.nullable_string(message);
  w.bytes(as_bytes(token));
  if (version >= 1) w.i64(0);  // session lifetime: no re-authentication asked
}

}  // namespace

void KafkaSession::refuse_login(Ticket ticket, std::string why, std::chrono::milliseconds delay,
                                std::function<void(KafkaSession&, Ticket)> answer) {
  context_.security.count_failure();
  sasl_.failed = true;
  sasl_.scram.reset();
  log(fmt::format("authentication failed from {}: {}", peer_address(), why));
  auto timer = std::make_shared<asio::steady_timer>(executor(), delay);
  track_timer(timer);
  timer->async_wait([weak = std::weak_ptr<KafkaSession>(self()), ticket, timer, answer = std::move(answer)](
                        asio::error_code) {
    auto s = weak.lock();
    if (!s || s->closed()) return;
    answer(*s, ticket);
    s->close_after_flush();
  });
}

bool handle_sasl_handshake(KafkaSession& s, const RequestHeader& h, Reader& body) {
  const std::string mechanism(body.string());
  if (!body.ok()) return false;
  const auto reply = s.reply_to(h);
  const auto enabled = enabled_mechanisms(s);
  pk::Error error = pk::Error::none;
  if (s.principal().authenticated() || s.sasl().mechanism != Mechanism::none) {
    error = pk::Error::illegal_sasl_state;
  } else if (auto m = mechanism_of(mechanism, s)) {
    s.sasl().mechanism = *m;
    s.sasl().raw_tokens = h.api_version == 0;
  } else {
    error = pk::Error::unsupported_sasl_mechanism;
  }
  s.respond(reply, [&](pk::Writer& w) {
    w.i16(static_cast<std::int16_t>(error));
    w.array(enabled.size());
    for (auto m : enabled) w.string(m);
  });
  if (error != pk::Error::none) s.reject(fmt::format("SASL handshake for '{}' refused", mechanism));
  return true;
}

bool handle_sasl_authenticate(KafkaSession& s, const RequestHeader& h, Reader& body) {
  const auto token = body.bytes();
  if (!body.ok()) return false;
  const auto reply = s.reply_to(h);
  if (s.sasl().mechanism == Mechanism::none || s.principal().authenticated()) {
    s.respond(reply, [&](pk::Writer& w) {
      encode_authenticate(w, h.api_version, pk::Error::illegal_sasl_state, "SaslHandshake first", {});
    });
    s.reject("SaslAuthenticate out of order");
    return true;
  }
  Step step = run_step(s, {reinterpret_cast<const char*>(token.data()), token.size()});
  if (step.outcome == Step::failed) {
    const std::int16_t version = h.api_version;
    const std::int32_t correlation_id = reply.correlation_id;
    s.refuse_login(reply.ticket, step.error, step.delay, [version, correlation_id](KafkaSession& session, KafkaSession::Ticket t) {
      session.respond(t, correlation_id, [&](pk::Writer& w) {
        encode_authenticate(w, version, pk::Error::sasl_authentication_failed,
                            "Authentication failed: invalid user name or password", {});
      });
    });
    return true;
  }
  s.respond(reply, [&](pk::Writer& w) {
    encode_authenticate(w, h.api_version, pk::Error::none, std::nullopt, step.reply);
  });
  return true;
}

void handle_raw_sasl_token(KafkaSession& s, std::span<const std::uint8_t> token) {
  const auto ticket = s.reserve();
  Step step = run_step(s, {reinterpret_cast<const char*>(token.data()), token.size()});
  if (step.outcome == Step::failed) {
    // Kafka answers a failed raw exchange by closing the connection.
    s.refuse_login(ticket, step.error, step.delay, [](KafkaSession& session, KafkaSession::Ticket t) { session.fulfil(t, {}); });
    return;
  }
  std::vector<std::uint8_t> out = s.take_buffer();
  out.clear();
  pk::Writer w(out);
  w.bytes(as_bytes(step.reply));
  s.fulfil(ticket, std::move(out));
}

}  // namespace wharf::kafka
