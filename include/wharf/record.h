// wharf/record.h — the records a producer sends and a consumer receives.
//
// Both are views: a ProducerRecord's bytes need to stay valid only for the
// duration of the send call (they are copied into a batch at once); a
// ConsumerRecord points into the poll result that produced it and is valid
// as long as that result lives.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wharf {

struct TopicPartition {
  std::string topic;
  std::uint32_t partition = 0;
  bool operator==(const TopicPartition&) const = default;
};

struct Header {
  std::string_view key;
  std::string_view value;
};

struct ProducerRecord {
  std::optional<std::string_view> key = std::nullopt;  // no key
  std::string_view value = {};
  std::span<const Header> headers = {};
  std::int64_t timestamp_ms = -1;  // -1: the time of the send call
};

// Where a produced record was stored.
struct RecordMetadata {
  std::uint32_t partition = 0;
  std::int64_t offset = 0;
};

struct ConsumerRecord {
  std::string_view topic;
  std::uint32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::optional<std::string_view> key;
  std::string_view value;
  // The headers, decoded on demand (their encoding is kept, not pre-split).
  std::vector<Header> headers() const;

  // Encoded header block and count; filled by the consumer.
  const std::uint8_t* header_bytes = nullptr;
  const std::uint8_t* header_bytes_end = nullptr;
  std::uint32_t header_count = 0;
};

}  // namespace wharf
