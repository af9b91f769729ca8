// The assignors the broker runs itself, for groups led by one of Wharf's
// own members: Kafka's "range" (per topic, consecutive partitions to each
// member in member-id order) and "roundrobin" (all partitions dealt out
// in turn). A member only gets partitions of topics it subscribes to.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "broker/groups/group_types.h"
#include "protocol/kafka/consumer_protocol.h"

namespace wharf::groups {

// member id -> the topics it subscribes to.
using Subscriptions = std::map<std::string, std::vector<std::string>>;
using Assignment = std::map<std::string, std::vector<protocol::kafka::TopicPartitions>>;
using TopicPartitionCount = std::function<std::uint32_t(const std::string& topic)>;

// Every member of `subs` is in the result, with no partitions if need be.
// An unknown protocol name assigns as "range".
Assignment assign(std::string_view protocol, const Subscriptions& subs, const TopicPartitionCount& partitions);

// Wharf's own members speak Kafka's "consumer" protocol inside a group
// (their subscription in its format, for both assignors), so that they can
// share a group with Kafka clients.
std::vector<Protocol> wharf_member_protocols(const std::vector<std::string>& topics);
// A member's assignment bytes as topic partitions; empty when malformed.
std::vector<protocol::kafka::TopicPartitions> assigned_partitions(const Bytes& assignment);

}  // namespace wharf::groups
