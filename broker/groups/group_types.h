// What the group coordinator takes and gives: Kafka's classic consumer
// group protocol in protocol-neutral terms. A member joins with the
// protocols (assignors) it supports, each with its metadata (the consumer
// protocol's subscription); the group picks one protocol and a leader per
// generation; the leader's assignment reaches every member through sync.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wharf/errors.h"

namespace wharf::groups {

using Bytes = std::vector<std::uint8_t>;

struct GroupOptions {
  // A new group waits this long for more members before its first
  // generation (Kafka's group.initial.rebalance.delay.ms).
  std::chrono::milliseconds initial_rebalance_delay{3000};
  // Session timeouts a member may ask for (Kafka's group.min/max.session.timeout.ms).
  std::chrono::milliseconds min_session_timeout{6000};
  std::chrono::milliseconds max_session_timeout{1800000};
};

struct Protocol {
  std::string name;
  Bytes metadata;
};

struct JoinRequest {
  std::string group;
  std::string member_id;  // empty: a new member
  std::optional<std::string> instance_id;  // static membership
  std::string client_id;
  std::string client_host;
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds rebalance_timeout{10000};
  std::string protocol_type;
  std::vector<Protocol> protocols;
  // Wharf's own members: the broker computes their assignment unless a
  // Kafka client of the group leads.
  bool broker_assigned = false;
};

struct JoinedMember {
  std::string member_id;
  std::optional<std::string> instance_id;
  Bytes metadata;  // for the chosen protocol
};

struct JoinResult {
  status error;
  std::int32_t generation = -1;
  std::string protocol;
  std::string leader;
  std::string member_id;
  std::vector<JoinedMember> members;  // to the leader only
};

struct SyncRequest {
  std::string group;
  std::int32_t generation = 0;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::vector<std::pair<std::string, Bytes>> assignments;  // from the leader
};

using JoinDone = std::function<void(JoinResult)>;
using SyncDone = std::function<void(result<Bytes>)>;

struct MemberDescription {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;
  Bytes assignment;
};

struct GroupDescription {
  std::string group;
  std::string state;  // Empty, PreparingRebalance, CompletingRebalance, Stable, Dead
  std::string protocol_type;
  std::string protocol;
  std::int32_t generation = 0;
  std::string leader;
  std::vector<MemberDescription> members;
};

struct GroupSummary {
  std::string group;
  std::string state;
  std::string protocol_type;
  std::size_t members = 0;
};

}  // namespace wharf::groups
