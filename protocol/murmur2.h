// Kafka's key partitioner hash (murmur2, seed 0x9747b28c), so that a key maps
// to the same partition in Wharf as under Kafka's default partitioner.
#pragma once

#include <cstdint>
#include <string_view>

namespace wharf::protocol {

std::int32_t murmur2(std::string_view data) noexcept;

// (murmur2(key) & 0x7fffffff) % partitions; partitions > 0.
std::uint32_t partition_for_key(std::string_view key, std::uint32_t partitions) noexcept;

}  // namespace wharf::protocol
