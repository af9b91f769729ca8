// Wall-clock time in milliseconds since the epoch: what timestamps, ack
// deadlines and retention are measured in.
#pragma once

#include <chrono>
#include <cstdint>

namespace wharf {

inline std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace wharf
