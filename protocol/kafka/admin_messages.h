// Kafka's handshake and admin APIs: ApiVersions v0-2, CreateTopics v0-4,
// DeleteTopics v0-3, DeleteRecords v0-1 and InitProducerId v0-1. Requests
// decode into these structs (false: malformed); responses encode from
// them. Field order and versions follow Kafka's message specs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/kafka/api.h"
#include "protocol/kafka/codec.h"

namespace wharf::protocol::kafka {

// --- ApiVersions --------------------------------------------------------------
// The request has no fields up to v2. A request of a version past the
// supported ones gets this response in the v0 format with
// unsupported_version, which tells the client what to use instead.
void encode_api_versions(Writer& w, std::int16_t version, Error error);

// --- CreateTopics -------------------------------------------------------------
struct TopicConfigEntry {
  std::string name;
  std::optional<std::string> value;
};
struct CreatableTopic {
  std::string name;
  std::int32_t partitions = -1;       // -1: the broker's default
  std::int16_t replication_factor = -1;
  std::vector<std::vector<std::int32_t>> assignments;  // per partition: its broker ids
  std::vector<TopicConfigEntry> configs;
};
struct CreateTopicsRequest {
  std::vector<CreatableTopic> topics;
  bool validate_only = false;
};
bool decode(Reader& r, std::int16_t version, CreateTopicsRequest* out);
struct TopicResult {
  std::string name;
  Error error = Error::none;
  std::optional<std::string> message;
};
struct CreateTopicsResponse {
  std::vector<TopicResult> topics;
};
void encode(Writer& w, std::int16_t version, const CreateTopicsResponse& in);

// --- DeleteTopics -------------------------------------------------------------
struct DeleteTopicsRequest {
  std::vector<std::string> topics;
};
bool decode(Reader& r, std::int16_t version, DeleteTopicsRequest* out);
// Names and errors only (no messages in these versions).
void encode_delete_topics(Writer& w, std::int16_t version, const std::vector<TopicResult>& results);

// --- DeleteRecords ------------------------------------------------------------
constexpr std::int64_t kDeleteToHighWatermark = -1;
struct DeleteRecordsPartition {
  std::int32_t index = 0;
  std::int64_t offset = 0;  // or kDeleteToHighWatermark
};
struct DeleteRecordsTopic {
  std::string name;
  std::vector<DeleteRecordsPartition> partitions;
};
struct DeleteRecordsRequest {
  std::vector<DeleteRecordsTopic> topics;
};
bool decode(Reader& r, std::int16_t version, DeleteRecordsRequest* out);
struct DeleteRecordsPartitionResult {
  std::int32_t index = 0;
  std::int64_t low_watermark = -1;
  Error error = Error::none;
};
struct DeleteRecordsTopicResult {
  std::string name;
  std::vector<DeleteRecordsPartitionResult> partitions;
};
struct DeleteRecordsResponse {
  std::vector<DeleteRecordsTopicResult> topics;
};
void encode(Writer& w, std::int16_t version, const DeleteRecordsResponse& in);

// --- InitProducerId -----------------------------------------------------------
struct InitProducerIdRequest {
  std::optional<std::string> transactional_id;
  std::int32_t transaction_timeout_ms = 0;
};
bool decode(Reader& r, std::int16_t version, InitProducerIdRequest* out);
struct InitProducerIdResponse {
  Error error = Error::none;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
};
void encode(Writer& w, std::int16_t version, const InitProducerIdResponse& in);

}  // namespace wharf::protocol::kafka
