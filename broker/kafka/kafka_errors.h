// Wharf's errors as Kafka error codes, so Kafka clients react as they
// would to Kafka itself (retry what is retriable, fail the rest).
#pragma once

#include "protocol/kafka/api.h"
#include "wharf/errors.h"

namespace wharf::kafka {

inline protocol::kafka::Error to_kafka_error(const status& st) {
  using E = protocol::kafka::Error;
  switch (st.code()) {
    case errc::ok: return E::none;
    case errc::unknown_topic:
    case errc::unknown_partition: return E::unknown_topic_or_partition;
    case errc::invalid_name: return E::invalid_topic_exception;
    case errc::topic_exists: return E::topic_already_exists;
    case errc::offset_out_of_range: return E::offset_out_of_range;
    case errc::corrupt_batch: return E::corrupt_message;
    case errc::frame_too_large:
    case errc::batch_too_large: return E::message_too_large;
    case errc::unsupported_compression: return E::unsupported_compression_type;
    // Retriable on both sides: the client retries after space is freed.
    case errc::storage_full:
    case errc::storage_failed:
    case errc::storage_corrupt: return E::kafka_storage_error;
    case errc::timeout: return E::request_timed_out;
    // The client looks for the leader again, and retries.
    case errc::shutting_down: return E::not_leader_or_follower;
    case errc::invalid_argument: return E::invalid_request;
    case errc::out_of_order_sequence: return E::out_of_order_sequence_number;
    case errc::invalid_producer_epoch: return E::invalid_producer_epoch;
    case errc::unknown_producer: return E::unknown_producer_id;
    case errc::not_authorized: return E::topic_authorization_failed;
    default: return E::unknown_server_error;
  }
}

// The same for group APIs, where some errors read differently.
inline protocol::kafka::Error to_kafka_group_error(const status& st) {
  using E = protocol::kafka::Error;
  switch (st.code()) {
    case errc::invalid_name: return E::invalid_group_id;
    case errc::unknown_member: return E::unknown_member_id;
    case errc::illegal_generation: return E::illegal_generation;
    case errc::rebalance_in_progress: return E::rebalance_in_progress;
    case errc::inconsistent_group_protocol: return E::inconsistent_group_protocol;
    case errc::fenced_instance: return E::fenced_instance_id;
    case errc::group_not_empty: return E::non_empty_group;
    case errc::unknown_group: return E::group_id_not_found;
    case errc::invalid_argument: return E::invalid_session_timeout;
    // The client looks for the coordinator again.
    case errc::shutting_down: return E::coordinator_not_available;
    case errc::not_authorized: return E::group_authorization_failed;
    default: return to_kafka_error(st);
  }
}

}  // namespace wharf::kafka
