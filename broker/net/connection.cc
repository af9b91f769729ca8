#include "broker/net/connection.h"

#include "broker/net/connection_sink.h"
#include "broker/net/dispatcher.h"
#include "broker/net/server.h"
#include "protocol/frame.h"
#include "protocol/varint.h"
#include "wharf_generated.h"

namespace wharf::net {

Connection::Connection(Server& server, Dispatcher& dispatcher, Socket socket, std::uint64_t id)
    : Session(server, std::move(socket), id), dispatcher_(dispatcher) {}

Connection::~Connection() = default;

void Connection::send(const flatbuffers::FlatBufferBuilder& fbb) {
  if (closed()) return;
  protocol::append_frame(output(), fbb);
  if (fbb.GetSize() > (1u << 20)) big_builder_ = true;
  output_added();
}

flatbuffers::FlatBufferBuilder& Connection::builder() {
  // A builder keeps its largest allocation; do not let one big reply pin
  // megabytes per idle connection.
  if (big_builder_) {
    fbb_ = flatbuffers::FlatBufferBuilder(1024);
    big_builder_ = false;
  }
  fbb_.Clear();
  return fbb_;
}

void Connection::send_error(std::uint64_t correlation_id, const status& error, std::uint64_t log_start,
                            std::uint64_t high_watermark) {
  server().requests().error(static_cast<std::size_t>(error.code()));
  auto& fbb = builder();
  auto message = fbb.CreateString(error.message().data(), error.message().size());
  reply(correlation_id,
        wire::CreateError(fbb, static_cast<std::uint16_t>(error.code()), message, log_start, high_watermark));
}

void Connection::send_ok(std::uint64_t correlation_id) {
  auto& fbb = builder();
  reply(correlation_id, wire::CreateOk(fbb));
}

void Connection::refuse(const status& why) {
  send_error(0, why);
  close_after_flush();
}

std::shared_ptr<queue::DeliverySink> Connection::sink() {
  if (!sink_)
    sink_ = std::make_shared<ConnectionSink>(weak_from_this(), id(), gauge(), server().options().max_pending_output);
  return sink_;
}

Session::Cut Connection::cut_frame(std::span<const std::uint8_t> buffered) {
  const std::uint32_t limit =
      handshake_ == HandshakeState::done ? server().options().max_frame_bytes : protocol::kHandshakeMaxFrameBytes;
  const auto d = protocol::decode_frame(buffered, limit);
  Cut cut;
  switch (d.state) {
    case protocol::DecodeState::complete:
      cut.state = Cut::complete;
      cut.payload = d.payload;
      cut.size = protocol::kFrameHeaderSize + d.payload.size();
      break;
    case protocol::DecodeState::need_more:
      cut.state = Cut::need_more;
      if (buffered.size() >= protocol::kFrameHeaderSize)
        cut.wanted = protocol::kFrameHeaderSize + protocol::load_le<std::uint32_t>(buffered.data());
      break;
    case protocol::DecodeState::bad:
      cut.state = Cut::bad;
      cut.error = d.error;
      break;
  }
  return cut;
}

void Connection::on_bad_frame(const status& why) { send_error(0, why); }

void Connection::on_frame(std::span<const std::uint8_t> payload) {
  const wire::Frame* frame = protocol::verify_frame(payload);
  if (frame == nullptr) {
    send_error(0, status(errc::bad_frame, "frame is not a valid FlatBuffers Frame"));
    close_after_flush();
    return;
  }
  if (frame->body() == nullptr) {
    // The verifier accepts a union type with no table; nothing can be read.
    send_error(frame->correlation_id(), status(errc::bad_frame, "frame has a body type but no body"));
    return;
  }
  if (handshake_ != HandshakeState::done) {
    using H = Dispatcher::Handshake;
    const wire::Body wanted = handshake_ == HandshakeState::hello ? wire::Body::Hello : wire::Body::SaslResponse;
    if (handshake_ == HandshakeState::failed) return;  // closing after a failed login
    if (frame->body_type() != wanted) {
      send_error(frame->correlation_id(),
                 status(errc::handshake_required, handshake_ == HandshakeState::hello
                                                      ? "the first request must be Hello"
                                                      : "the SASL exchange expects SaslResponse"));
      close_after_flush();
      return;
    }
    const H outcome = handshake_ == HandshakeState::hello ? dispatcher_.hello(*this, *frame)
                                                          : dispatcher_.sasl_response(*this, *frame);
    handshake_ = outcome == H::handshaken   ? HandshakeState::done
                 : outcome == H::continuing ? HandshakeState::sasl
                                            : HandshakeState::failed;
    return;
  }
  dispatcher_.handle(*this, *frame);
}

void Connection::on_closed() { dispatcher_.connection_closed(*this); }

}  // namespace wharf::net
