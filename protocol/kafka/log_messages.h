// Kafka's data APIs: Metadata v0-4, Produce v0-7, Fetch v0-11 and
// ListOffsets v0-2. Requests decode into these structs (false: malformed);
// responses encode from them, except Fetch's, which is written piece by
// piece so that records go from the store to the buffer in one copy.
// Field order and versions follow Kafka's message specs.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/kafka/api.h"
#include "protocol/kafka/codec.h"

namespace wharf::protocol::kafka {

// --- Metadata ---------------------------------------------------------------
struct MetadataRequest {
  std::optional<std::vector<std::string>> topics;  // nullopt: every topic
  bool allow_auto_topic_creation = true;
};
bool decode(Reader& r, std::int16_t version, MetadataRequest* out);

struct MetadataPartition {
  Error error = Error::none;
  std::int32_t index = 0;
};
struct MetadataTopic {
  Error error = Error::none;
  std::string name;
  std::vector<MetadataPartition> partitions;
};
// One broker, which leads (and is the only replica of) every partition.
struct MetadataResponse {
  std::int32_t node_id = 0;
  std::string host;
  std::int32_t port = 0;
  std::string cluster_id;
  std::vector<MetadataTopic> topics;
};
void encode(Writer& w, std::int16_t version, const MetadataResponse& in);

// --- Produce ----------------------------------------------------------------
struct ProducePartition {
  std::int32_t index = 0;
  std::optional<std::span<const std::uint8_t>> records;  // views into the request
};
struct ProduceTopic {
  std::string name;
  std::vector<ProducePartition> partitions;
};
struct ProduceRequest {
  std::optional<std::string> transactional_id;
  std::int16_t acks = -1;
  std::int32_t timeout_ms = 0;
  std::vector<ProduceTopic> topics;
};
bool decode(Reader& r, std::int16_t version, ProduceRequest* out);

struct ProducePartitionResult {
  std::int32_t index = 0;
  Error error = Error::none;
  std::int64_t base_offset = -1;
  std::int64_t log_start = -1;
};
struct ProduceTopicResult {
  std::string name;
  std::vector<ProducePartitionResult> partitions;
};
struct ProduceResponse {
  std::vector<ProduceTopicResult> topics;
  std::int32_t throttle_time_ms = 0;  // a quota was exceeded
};
void encode(Writer& w, std::int16_t version, const ProduceResponse& in);

// --- Fetch ------------------------------------------------------------------
struct FetchPartition {
  std::int32_t index = 0;
  std::int64_t fetch_offset = 0;
  std::int32_t max_bytes = 0;
};
struct FetchTopic {
  std::string name;
  std::vector<FetchPartition> partitions;
};
struct FetchRequest {
  std::int32_t max_wait_ms = 0;
  std::int32_t min_bytes = 0;
  std::int32_t max_bytes = std::numeric_limits<std::int32_t>::max();
  std::int8_t isolation_level = 0;
  std::vector<FetchTopic> topics;
};
bool decode(Reader& r, std::int16_t version, FetchRequest* out);

// The response, in order: begin, then per topic topic(), then per
// partition partition() followed by its records (records_begin, raw bytes,
// records_end).
class FetchResponseWriter {
 public:
  FetchResponseWriter(Writer& w, std::int16_t version) : w_(w), version_(version) {}
  void begin(std::size_t topics);
  void topic(std::string_view name, std::size_t partitions);
  void partition(std::int32_t index, Error error, std::int64_t high_watermark, std::int64_t log_start);
  std::size_t records_begin() { return w_.placeholder_i32(); }
  void records_end(std::size_t at) { w_.patch_i32(at, static_cast<std::int32_t>(w_.size() - at - 4)); }
  Writer& writer() { return w_; }

 private:
  Writer& w_;
  std::int16_t version_;
};

// --- ListOffsets ------------------------------------------------------------
constexpr std::int64_t kLatestTimestamp = -1;
constexpr std::int64_t kEarliestTimestamp = -2;

struct ListOffsetsPartition {
  std::int32_t index = 0;
  std::int64_t timestamp = 0;  // or kLatestTimestamp, kEarliestTimestamp
};
struct ListOffsetsTopic {
  std::string name;
  std::vector<ListOffsetsPartition> partitions;
};
struct ListOffsetsRequest {
  std::vector<ListOffsetsTopic> topics;
};
bool decode(Reader& r, std::int16_t version, ListOffsetsRequest* out);

struct ListOffsetsPartitionResult {
  std::int32_t index = 0;
  Error error = Error::none;
  std::int64_t timestamp = -1;
  std::int64_t offset = -1;
};
struct ListOffsetsTopicResult {
  std::string name;
  std::vector<ListOffsetsPartitionResult> partitions;
};
struct ListOffsetsResponse {
  std::vector<ListOffsetsTopicResult> topics;
};
void encode(Writer& w, std::int16_t version, const ListOffsetsResponse& in);

}  // namespace wharf::protocol::kafka
