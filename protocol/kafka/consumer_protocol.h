// The payloads of Kafka's "consumer" group protocol, which JoinGroup and
// SyncGroup carry as opaque bytes: a member's subscription (its topics)
// and its assignment (topic partitions). The broker reads assignments to
// show them and to tell Wharf's own members theirs, and writes both for
// Wharf's own members, so they can share a group with Kafka clients.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wharf::protocol::kafka {

struct TopicPartitions {
  std::string topic;
  std::vector<std::int32_t> partitions;
};

// Version 0 of each: what every Kafka client reads.
std::vector<std::uint8_t> encode_subscription(const std::vector<std::string>& topics);
std::vector<std::uint8_t> encode_assignment(const std::vector<TopicPartitions>& assignment);

// Any version (later ones only add fields); nullopt when malformed.
std::optional<std::vector<std::string>> decode_subscription(std::span<const std::uint8_t> bytes);
std::optional<std::vector<TopicPartitions>> decode_assignment(std::span<const std::uint8_t> bytes);

}  // namespace wharf::protocol::kafka
