// The Kafka APIs Wharf answers, the versions of each, and Kafka's error
// codes. Every supported version is below the API's first flexible version,
// so one (non-flexible) encoding serves all of them. docs/KAFKA.md lists
// the same table.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace wharf::protocol::kafka {

enum class ApiKey : std::int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  describe_groups = 15,
  list_groups = 16,
  sasl_handshake = 17,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  delete_records = 21,
  init_producer_id = 22,
  sasl_authenticate = 36,
  delete_groups = 42,
};

struct ApiRange {
  ApiKey key;
  std::int16_t min;
  std::int16_t max;
};

// What ApiVersions advertises, in key order.
std::span<const ApiRange> supported_apis() noexcept;
// The range of one API; nullopt when Wharf does not answer it.
std::optional<ApiRange> supported_api(std::int16_t key) noexcept;
std::string_view api_name(std::int16_t key) noexcept;

// Kafka's error codes (org.apache.kafka.common.protocol.Errors), the ones
// Wharf sends.
enum class Error : std::int16_t {
  unknown_server_error = -1,
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  message_too_large = 10,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  invalid_required_acks = 21,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  topic_authorization_failed = 29,
  group_authorization_failed = 30,
  cluster_authorization_failed = 31,
  unsupported_sasl_mechanism = 33,
  illegal_sasl_state = 34,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_replica_assignment = 39,
  invalid_config = 40,
  invalid_request = 42,
  unsupported_for_message_format = 43,
  policy_violation = 44,
  sasl_authentication_failed = 58,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  kafka_storage_error = 56,
  unknown_producer_id = 59,
  non_empty_group = 68,
  group_id_not_found = 69,
  unsupported_compression_type = 76,
  member_id_required = 79,
  fenced_instance_id = 82,
};

}  // namespace wharf::protocol::kafka
