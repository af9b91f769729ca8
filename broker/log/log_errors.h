// The errors a request naming a missing topic or partition gets.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

#include "protocol/names.h"
#include "wharf/errors.h"

namespace wharf::log {

// unknown_topic, or invalid_name for a name no topic can have.
inline status unknown_topic(std::string_view name) {
  if (status st = protocol::validate_name(name, "topic"); !st.ok()) return st;
  return {errc::unknown_topic, fmt::format("no topic named '{}'", name)};
}

inline status unknown_partition(std::string_view topic, std::uint32_t partition, std::size_t count) {
  return {errc::unknown_partition, fmt::format("topic '{}' has partitions 0-{}; there is no partition {}", topic,
                                               count == 0 ? 0 : count - 1, partition)};
}

}  // namespace wharf::log
