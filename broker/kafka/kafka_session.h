// A connection speaking the Kafka wire protocol. Requests are size-prefixed
// (protocol/kafka/header.h); each is decoded and handed to its API's
// handler (request_handlers.h). Clients pipeline, so responses may be
// ready out of order (a produce waits for its commit, a fetch long-polls);
// each request takes a ticket in line and responses leave in ticket order.
// A request Kafka would close the connection for (an unknown API key or
// version, a malformed body) closes it here too.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "broker/kafka/kafka_context.h"
#include "broker/net/session.h"
#include "protocol/kafka/codec.h"
#include "protocol/kafka/header.h"
#include "protocol/sasl/scram.h"

namespace wharf::kafka {

class KafkaSession final : public net::Session {
 public:
  using Ticket = std::uint64_t;

  KafkaSession(net::Server& server, KafkaContext& context, Socket socket, std::uint64_t id);
  ~KafkaSession() override;

  std::shared_ptr<KafkaSession> self() { return std::static_pointer_cast<KafkaSession>(shared_from_this()); }
  KafkaContext& context() noexcept { return context_; }
  const net::NetOptions& options();

  // A place in line for a response to come; `bytes` count against the
  // connection's in-flight limit until it is sent.
  Ticket reserve(std::size_t bytes = 0);
  // The response of `ticket` is ready: it is sent once those before it are.
  void fulfil(Ticket ticket, std::vector<std::uint8_t> bytes);
  // Encodes a response (header, then encode(writer)) and fulfils `ticket`.
  template <typename Encode>
  void respond(Ticket ticket, std::int32_t correlation_id, Encode&& encode) {
    std::vector<std::uint8_t> buf = take_buffer();
    protocol::kafka::Writer w(buf);
    const std::size_t at = protocol::kafka::begin_response(w, correlation_id);
    encode(w);
    protocol::kafka::end_response(w, at);
    fulfil(ticket, std::move(buf));
  }
  // Where a response goes: its ticket, and what it answers.
  struct Reply {
    Ticket ticket = 0;
    std::int16_t version = 0;
    std::int32_t correlation_id = 0;
  };
  Reply reply_to(const protocol::kafka::RequestHeader& h, std::size_t bytes = 0) {
    return {reserve(bytes), h.api_version, h.correlation_id};
  }
  template <typename Encode>
  void respond(const Reply& reply, Encode&& encode) {
    respond(reply.ticket, reply.correlation_id, std::forward<Encode>(encode));
  }
  // A buffer for a response, recycled from sent ones.
  std::vector<std::uint8_t> take_buffer();

  // Kafka answers a connection's requests one at a time, so each sees the
  // effects of those before it. Here requests run side by side, except
  // that one whose effects come later (a topic being created, an offset
  // being committed) holds the next ones back until they are in place.
  using Session::hold_frames;
  using Session::resume_frames;

  // Authentication (sasl_handlers.cc): the SASL exchange in progress and,
  // once it succeeded, who the connection acts as.
  struct SaslState {
    enum class Mechanism { none, scram_sha_256, scram_sha_512, plain } mechanism = Mechanism::none;
    bool raw_tokens = false;  // SaslHandshake v0: tokens follow without a request header
    bool failed = false;      // answering a failed login, then closing
    std::unique_ptr<sasl::ScramServer> scram;
  };
  SaslState& sasl() noexcept { return sasl_; }
  const auth::Principal& principal() const noexcept { return principal_; }
  // Whether this connection's user may do `op` on the resource (always,
  // with auth off).
  bool may(auth::ResourceType type, std::string_view name, auth::Operation op) const {
    return context_.security.allowed(principal_, type, name, op);
  }
  void set_principal(auth::Principal p) { principal_ = std::move(p); }
  // Answers a failed login after `delay` (the login limiter's), then closes.
  void refuse_login(Ticket ticket, std::string why, std::chrono::milliseconds delay,
                    std::function<void(KafkaSession&, Ticket)> answer);

  // Logs why, then closes once queued responses are sent.
  void reject(std::string_view why);
  void log(std::string_view what);
  void refuse(const status& why) override;

 private:
  Cut cut_frame(std::span<const std::uint8_t> buffered) override;
  void on_frame(std::span<const std::uint8_t> payload) override;
  void on_bad_frame(const status& why) override;
  // Until the first request: a connection that never speaks is dropped.
  bool awaiting_handshake() const override { return !spoke_; }
  void flush_ready();

  struct Slot {
    bool ready = false;
    std::size_t in_flight_bytes = 0;
    std::vector<std::uint8_t> bytes;
  };

  KafkaContext& context_;
  bool spoke_ = false;
  SaslState sasl_;
  auth::Principal principal_;
  std::deque<Slot> line_;
  Ticket first_ticket_ = 0;  // the ticket of line_.front()
  std::vector<std::vector<std::uint8_t>> spare_;
};

}  // namespace wharf::kafka
