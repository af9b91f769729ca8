// Kafka's consumer-group APIs: FindCoordinator v0-2, JoinGroup v0-5,
// SyncGroup v0-3, Heartbeat v0-3, LeaveGroup v0-1, OffsetCommit v0-7,
// OffsetFetch v0-5, ListGroups v0-2, DescribeGroups v0-4 and DeleteGroups
// v0-1. Requests decode into these structs (false: malformed); responses
// encode from them. Field order and versions follow Kafka's message specs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/kafka/api.h"
#include "protocol/kafka/codec.h"

namespace wharf::protocol::kafka {

using Bytes = std::vector<std::uint8_t>;

// --- FindCoordinator ----------------------------------------------------------
struct FindCoordinatorRequest {
  std::string key;
  std::int8_t key_type = 0;  // 0 group, 1 transaction
};
bool decode(Reader& r, std::int16_t version, FindCoordinatorRequest* out);
struct FindCoordinatorResponse {
  Error error = Error::none;
  std::optional<std::string> message;
  std::int32_t node_id = 0;
  std::string host;
  std::int32_t port = 0;
};
void encode(Writer& w, std::int16_t version, const FindCoordinatorResponse& in);

// --- JoinGroup ----------------------------------------------------------------
struct JoinProtocol {
  std::string name;
  Bytes metadata;
};
struct JoinGroupRequest {
  std::string group;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = -1;  // v0: the session timeout
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string protocol_type;
  std::vector<JoinProtocol> protocols;
};
bool decode(Reader& r, std::int16_t version, JoinGroupRequest* out);
struct JoinMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  Bytes metadata;
};
struct JoinGroupResponse {
  Error error = Error::none;
  std::int32_t generation = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinMember> members;  // the leader's only
};
void encode(Writer& w, std::int16_t version, const JoinGroupResponse& in);

// --- SyncGroup ----------------------------------------------------------------
struct SyncAssignment {
  std::string member_id;
  Bytes assignment;
};
struct SyncGroupRequest {
  std::string group;
  std::int32_t generation = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<SyncAssignment> assignments;  // from the leader
};
bool decode(Reader& r, std::int16_t version, SyncGroupRequest* out);
struct SyncGroupResponse {
  Error error = Error::none;
  Bytes assignment;
};
void encode(Writer& w, std::int16_t version, const SyncGroupResponse& in);

// --- Heartbeat ----------------------------------------------------------------
struct HeartbeatRequest {
  std::string group;
  std::int32_t generation = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};
bool decode(Reader& r, std::int16_t version, HeartbeatRequest* out);
// Its response, as LeaveGroup's and every other one with just an error.
void encode_error_only(Writer& w, std::int16_t version, Error error);

// --- LeaveGroup ---------------------------------------------------------------
struct LeaveGroupRequest {
  std::string group;
  std::string member_id;
};
bool decode(Reader& r, std::int16_t version, LeaveGroupRequest* out);

// --- OffsetCommit -------------------------------------------------------------
struct CommitPartition {
  std::int32_t index = 0;
  std::int64_t offset = 0;
  std::optional<std::string> metadata;
};
struct CommitTopic {
  std::string name;
  std::vector<CommitPartition> partitions;
};
struct OffsetCommitRequest {
  std::string group;
  std::int32_t generation = -1;  // -1: a commit from outside the group's membership
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<CommitTopic> topics;
};
bool decode(Reader& r, std::int16_t version, OffsetCommitRequest* out);
struct PartitionError {
  std::int32_t index = 0;
  Error error = Error::none;
};
struct TopicPartitionErrors {
  std::string name;
  std::vector<PartitionError> partitions;
};
struct OffsetCommitResponse {
  std::vector<TopicPartitionErrors> topics;
};
void encode(Writer& w, std::int16_t version, const OffsetCommitResponse& in);

// --- OffsetFetch --------------------------------------------------------------
struct OffsetFetchTopic {
  std::string name;
  std::vector<std::int32_t> partitions;
};
struct OffsetFetchRequest {
  std::string group;
  std::optional<std::vector<OffsetFetchTopic>> topics;  // nullopt (v2+): every topic
};
bool decode(Reader& r, std::int16_t version, OffsetFetchRequest* out);
struct FetchedOffset {
  std::int32_t index = 0;
  std::int64_t offset = -1;  // -1: none committed
  Error error = Error::none;
};
struct FetchedTopicOffsets {
  std::string name;
  std::vector<FetchedOffset> partitions;
};
struct OffsetFetchResponse {
  std::vector<FetchedTopicOffsets> topics;
  Error error = Error::none;  // v2+
};
void encode(Writer& w, std::int16_t version, const OffsetFetchResponse& in);

// --- ListGroups ---------------------------------------------------------------
// The request has no fields up to v2.
struct ListedGroup {
  std::string group;
  std::string protocol_type;
};
struct ListGroupsResponse {
  Error error = Error::none;
  std::vector<ListedGroup> groups;
};
void encode(Writer& w, std::int16_t version, const ListGroupsResponse& in);

// --- DescribeGroups -----------------------------------------------------------
struct DescribeGroupsRequest {
  std::vector<std::string> groups;
};
bool decode(Reader& r, std::int16_t version, DescribeGroupsRequest* out);
struct DescribedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;
  Bytes assignment;
};
struct DescribedGroup {
  Error error = Error::none;
  std::string group;
  std::string state;
  std::string protocol_type;
  std::string protocol;
  std::vector<DescribedMember> members;
};
struct DescribeGroupsResponse {
  std::vector<DescribedGroup> groups;
};
void encode(Writer& w, std::int16_t version, const DescribeGroupsResponse& in);

// --- DeleteGroups -------------------------------------------------------------
struct DeleteGroupsRequest {
  std::vector<std::string> groups;
};
bool decode(Reader& r, std::int16_t version, DeleteGroupsRequest* out);
struct GroupError {
  std::string group;
  Error error = Error::none;
};
struct DeleteGroupsResponse {
  std::vector<GroupError> results;
};
void encode(Writer& w, std::int16_t version, const DeleteGroupsResponse& in);

}  // namespace wharf::protocol::kafka
