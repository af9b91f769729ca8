#include "protocol/kafka/api.h"

namespace wharf::protocol::kafka {
namespace {

constexpr ApiRange kApis[] = {
    {ApiKey::produce, 0, 7},          {ApiKey::fetch, 0, 11},         {ApiKey::list_offsets, 0, 2},
    {ApiKey::metadata, 0, 4},         {ApiKey::offset_commit, 0, 7},  {ApiKey::offset_fetch, 0, 5},
    {ApiKey::find_coordinator, 0, 2}, {ApiKey::join_group, 0, 5},     {ApiKey::heartbeat, 0, 3},
    {ApiKey::leave_group, 0, 1},      {ApiKey::sync_group, 0, 3},     {ApiKey::describe_groups, 0, 4},
    {ApiKey::list_groups, 0, 2},      {ApiKey::sasl_handshake, 0, 1}, {ApiKey::api_versions, 0, 2},
    {ApiKey::create_topics, 0, 4},
    {ApiKey::delete_topics, 0, 3},    {ApiKey::delete_records, 0, 1}, {ApiKey::delete_groups, 0, 1},
    {ApiKey::init_producer_id, 0, 1}, {ApiKey::sasl_authenticate, 0, 1},
};

}  // namespace

std::span<const ApiRange> supported_apis() noexcept { return kApis; }

std::optional<ApiRange> supported_api(std::int16_t key) noexcept {
  for (const auto& a : kApis)
    if (static_cast<std::int16_t>(a.key) == key) return a;
  return std::nullopt;
}

std::string_view api_name(std::int16_t key) noexcept {
  switch (static_cast<ApiKey>(key)) {
    case ApiKey::produce: return "Produce";
    case ApiKey::fetch: return "Fetch";
    case ApiKey::list_offsets: return "ListOffsets";
    case ApiKey::metadata: return "Metadata";
    case ApiKey::offset_commit: return "OffsetCommit";
    case ApiKey::offset_fetch: return "OffsetFetch";
    case ApiKey::find_coordinator: return "FindCoordinator";
    case ApiKey::join_group: return "JoinGroup";
    case ApiKey::heartbeat: return "Heartbeat";
    case ApiKey::leave_group: return "LeaveGroup";
    case ApiKey::sync_group: return "SyncGroup";
    case ApiKey::describe_groups: return "DescribeGroups";
    case ApiKey::list_groups: return "ListGroups";
    case ApiKey::api_versions: return "ApiVersions";
    case ApiKey::sasl_handshake: return "SaslHandshake";
    case ApiKey::sasl_authenticate: return "SaslAuthenticate";
    case ApiKey::create_topics: return "CreateTopics";
    case ApiKey::delete_topics: return "DeleteTopics";
    case ApiKey::delete_records: return "DeleteRecords";
    case ApiKey::init_producer_id: return "InitProducerId";
    case ApiKey::delete_groups: return "DeleteGroups";
  }
  return "unknown";
}

}  // namespace wharf::protocol::kafka
