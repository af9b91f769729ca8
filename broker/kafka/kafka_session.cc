#include "broker/kafka/kafka_session.h"

#include <fmt/format.h>

#include "broker/kafka/request_handlers.h"
#include "broker/net/server.h"
#include "protocol/kafka/admin_messages.h"
#include "protocol/kafka/api.h"

namespace wharf::kafka {
namespace {
// Kafka bounds what an unauthenticated client may send (sasl.server.max.receive.size).
constexpr std::uint32_t kUnauthenticatedMaxBytes = 512u << 10;
}  // namespace

namespace pk = protocol::kafka;

namespace {
// Response buffers kept for reuse, and the largest kept.
constexpr std::size_t kSpareBuffers = 4;
constexpr std::size_t kMaxSpareCapacity = 1u << 20;
}  // namespace

KafkaSession::KafkaSession(net::Server& server, KafkaContext& context, Socket socket, std::uint64_t id)
    : Session(server, std::move(socket), id), context_(context) {
  pause_at_request_limit();
}

KafkaSession::~KafkaSession() = default;

const net::NetOptions& KafkaSession::options() { return server().options(); }

KafkaSession::Ticket KafkaSession::reserve(std::size_t bytes) {
  begin_async(bytes);
  line_.emplace_back().in_flight_bytes = bytes;
  return first_ticket_ + line_.size() - 1;
}

void KafkaSession::fulfil(Ticket ticket, std::vector<std::uint8_t> bytes) {
  if (ticket < first_ticket_ || ticket - first_ticket_ >= line_.size()) return;
  Slot& slot = line_[ticket - first_ticket_];
  slot.ready = true;
  slot.bytes = std::move(bytes);
  flush_ready();
}

void KafkaSession::flush_ready() {
  bool added = false;
  while (!line_.empty() && line_.front().ready) {
    auto& bytes = line_.front().bytes;
    if (!closed()) {
      auto& out = output();
      if (out.empty()) {
        out.swap(bytes);
      } else {
        out.insert(out.end(), bytes.begin(), bytes.end());
      }
      added = true;
    }
    if (spare_.size() < kSpareBuffers && bytes.capacity() <= kMaxSpareCapacity) {
      bytes.clear();
      spare_.push_back(std::move(bytes));
    }
    const std::size_t in_flight_bytes = line_.front().in_flight_bytes;
    line_.pop_front();
    ++first_ticket_;
    end_async(in_flight_bytes);
  }
  if (added) output_added();
}

std::vector<std::uint8_t> KafkaSession::take_buffer() {
  if (spare_.empty()) return {};
  auto b = std::move(spare_.back());
  spare_.pop_back();
  return b;
}

void KafkaSession::log(std::string_view what) { server().log_event(*this, what); }

void KafkaSession::reject(std::string_view why) {
  log(fmt::format("closing: {}", why));
  close_after_flush();
}

void KafkaSession::refuse(const status& why) {
  // Kafka has no way to say so: the client sees the connection close.
  log(why.to_string());
  close();
}

net::Session::Cut KafkaSession::cut_frame(std::span<const std::uint8_t> buffered) {
  Cut cut;
  if (buffered.size() < 4) return cut;
  const auto size = protocol::load_be<std::int32_t>(buffered.data());
  // Raw SASL tokens have no header; before a login, requests stay small.
  const std::int32_t min = sasl_.raw_tokens ? 1 : static_cast<std::int32_t>(pk::kMinRequestBytes);
  const bool unauthenticated = context_.security.required() && !principal_.authenticated();
  const std::uint32_t max = unauthenticated
                                ? std::min<std::uint32_t>(options().max_frame_bytes, kUnauthenticatedMaxBytes)
                                : options().max_frame_bytes;
  if (size < min || static_cast<std::uint32_t>(size) > max) {
    cut.state = Cut::bad;
    cut.error = status(size < 0 || static_cast<std::uint32_t>(size) > max ? errc::frame_too_large : errc::bad_frame,
                       fmt::format("request size {} is outside {}-{}", size, min, max));
    return cut;
  }
  const std::size_t total = 4 + static_cast<std::size_t>(size);
  if (buffered.size() < total) {
    cut.wanted = total;
    return cut;
  }
  cut.state = Cut::complete;
  cut.size = total;
  cut.payload = buffered.subspan(4, static_cast<std::size_t>(size));
  return cut;
}

void KafkaSession::on_bad_frame(const status& why) { log(fmt::format("closing: {}", why.to_string())); }

void KafkaSession::on_frame(std::span<const std::uint8_t> payload) {
  spoke_ = true;
  if (sasl_.failed) return;  // closing after a failed login
  if (sasl_.raw_tokens) return handle_raw_sasl_token(*this, payload);
  pk::Reader r(payload);
  pk::RequestHeader h;
  auto& counters = server().requests();
  if (!pk::read_request_header(r, &h)) {
    counters.error(static_cast<std::size_t>(pk::Error::invalid_request));
    return reject("malformed request header");
  }
  if (h.api_key >= 0) counters.request(static_cast<std::size_t>(h.api_key));
  if (context_.security.required() && !principal_.authenticated() &&
      h.api_key != static_cast<std::int16_t>(pk::ApiKey::api_versions) &&
      h.api_key != static_cast<std::int16_t>(pk::ApiKey::sasl_handshake) &&
      h.api_key != static_cast<std::int16_t>(pk::ApiKey::sasl_authenticate)) {
    // Kafka closes such a connection too; the client reports an auth error.
    counters.error(static_cast<std::size_t>(pk::Error::illegal_sasl_state));
    return reject(fmt::format("{} before authentication", pk::api_name(h.api_key)));
  }
  const auto range = pk::supported_api(h.api_key);
  if (!range) {
    counters.error(static_cast<std::size_t>(pk::Error::unsupported_version));
    return reject(fmt::format("unsupported API key {}", h.api_key));
  }
  if (h.api_version < range->min || h.api_version > range->max) {
    counters.error(static_cast<std::size_t>(pk::Error::unsupported_version));
    if (h.api_key == static_cast<std::int16_t>(pk::ApiKey::api_versions)) {
      // The v0 format, which every client reads, says which versions to use.
      respond(reserve(), h.correlation_id,
              [](pk::Writer& w) { pk::encode_api_versions(w, 0, pk::Error::unsupported_version); });
      return;
    }
    return reject(fmt::format("{} v{} is not supported (v{}-{})", pk::api_name(h.api_key), h.api_version,
                              range->min, range->max));
  }
  if (!handle_request(*this, h, r)) {
    counters.error(static_cast<std::size_t>(pk::Error::invalid_request));
    reject(fmt::format("malformed {} v{} request", pk::api_name(h.api_key), h.api_version));
  }
}

}  // namespace wharf::kafka
