// A blocking Kafka-protocol connection for tests: sends requests with any
// key, version and body (valid or not) and reads responses as they come.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/kafka/codec.h"
#include "protocol/varint.h"
#include "support/raw_connection.h"

namespace wharf::test {

struct KafkaResponse {
  std::int32_t correlation_id = 0;
  std::vector<std::uint8_t> body;
  protocol::kafka::Reader reader() const { return protocol::kafka::Reader(body); }
};

class KafkaWire {
 public:
  explicit KafkaWire(std::uint16_t port) : raw_(port) {}

  bool connected() const { return raw_.connected(); }
  RawConnection& raw() { return raw_; }

  // Sends header v1 and the body that `write_body(Writer&)` writes.
  template <typename WriteBody>
  bool send(std::int16_t key, std::int16_t version, std::int32_t correlation_id, WriteBody&& write_body) {
    std::vector<std::uint8_t> out;
    protocol::kafka::Writer w(out);
    const std::size_t at = w.placeholder_i32();
    w.i16(key);
    w.i16(version);
    w.i32(correlation_id);
    w.string("kafka-wire-test");
    write_body(w);
    w.patch_i32(at, static_cast<std::int32_t>(out.size() - 4));
    return raw_.send_bytes(out);
  }
  bool send_empty(std::int16_t key, std::int16_t version, std::int32_t correlation_id) {
    return send(key, version, correlation_id, [](protocol::kafka::Writer&) {});
  }

  std::optional<KafkaResponse> read(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::uint8_t size[4];
    if (!raw_.read_exact(size, 4, timeout)) return std::nullopt;
    const auto n = protocol::load_be<std::int32_t>(size);
    if (n < 4 || n > (64 << 20)) return std::nullopt;
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n));
    if (!raw_.read_exact(bytes.data(), bytes.size(), timeout)) return std::nullopt;
    KafkaResponse r;
    r.correlation_id = protocol::load_be<std::int32_t>(bytes.data());
    r.body.assign(bytes.begin() + 4, bytes.end());
    return r;
  }

 private:
  RawConnection raw_;
};

}  // namespace wharf::test
