// A connection speaking Wharf's native protocol: FlatBuffers frames
// (protocol/frame.h), a Hello first, then requests answered by the
// Dispatcher, and queue deliveries pushed through its sink.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <memory>
#include <string>

#include "broker/auth/security_engine.h"
#include "broker/net/session.h"
#include "protocol/sasl/scram.h"
#include "protocol/frame_builder.h"

namespace wharf::queue {
class DeliverySink;
}

namespace wharf::net {

class Dispatcher;

class Connection final : public Session {
 public:
  Connection(Server& server, Dispatcher& dispatcher, Socket socket, std::uint64_t id);
  ~Connection() override;

  std::shared_ptr<Connection> shared_from_this() {
    return std::static_pointer_cast<Connection>(Session::shared_from_this());
  }
  std::weak_ptr<Connection> weak_from_this() { return shared_from_this(); }

  // A builder for one reply; Clear()ed on each call.
  flatbuffers::FlatBufferBuilder& builder();
  // Queues the finished builder as a frame.
  void send(const flatbuffers::FlatBufferBuilder& fbb);
  // Finishes the reply built in builder() around `body` and queues it.
  template <typename T>
  void reply(std::uint64_t correlation_id, flatbuffers::Offset<T> body) {
    protocol::finish_frame(fbb_, correlation_id, body);
    send(fbb_);
  }
  void send_error(std::uint64_t correlation_id, const status& error, std::uint64_t log_start = 0,
                  std::uint64_t high_watermark = 0);
  void send_ok(std::uint64_t correlation_id);
  void refuse(const status& why) override;

  // Runs fn on this connection's thread, keeping the connection alive.
  template <typename Fn>
  void post(Fn&& fn) {
    post_to(shared_from_this(), std::forward<Fn>(fn));
  }

  // Who the connection acts as (set by the handshake).
  const auth::Principal& principal() const noexcept { return principal_; }
  void set_principal(auth::Principal p) { principal_ = std::move(p); }
  // The SCRAM exchange of a handshake in progress.
  std::unique_ptr<sasl::ScramServer>& scram() { return scram_; }

  // The client id the Hello named.
  const std::string& client_id() const noexcept { return client_id_; }
  void set_client_id(std::string id) { client_id_ = std::move(id); }

  // The queue-delivery sink of this connection, made on first use.
  std::shared_ptr<queue::DeliverySink> sink();
  bool has_sink() const noexcept { return sink_ != nullptr; }

 private:
  Cut cut_frame(std::span<const std::uint8_t> buffered) override;
  void on_frame(std::span<const std::uint8_t> payload) override;
  void on_bad_frame(const status& why) override;
  bool awaiting_handshake() const override { return handshake_ != HandshakeState::done; }
  void on_closed() override;

  Dispatcher& dispatcher_;
  bool big_builder_ = false;
  flatbuffers::FlatBufferBuilder fbb_{1024};
  std::shared_ptr<queue::DeliverySink> sink_;
  std::string client_id_;
  auth::Principal principal_;
  std::unique_ptr<sasl::ScramServer> scram_;
  enum class HandshakeState { hello, sasl, done, failed } handshake_ = HandshakeState::hello;
};

}  // namespace wharf::net
