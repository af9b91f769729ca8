// A byte-rate quota per user, as Kafka's produce and fetch quotas: each
// user has a bucket that refills at the rate and holds at most one second
// of it. A request that takes the bucket below zero is still served; the
// answer carries how long the client must wait to be within the rate again,
// and its connection reads nothing more for that long. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/mutex.h"

namespace wharf::auth {

class ByteRateQuota {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kMaxThrottle{30000};

  // 0: unlimited.
  explicit ByteRateQuota(std::uint64_t bytes_per_second = 0) : rate_(bytes_per_second) {}

  bool limited() const noexcept { return rate_ != 0; }
  // Counts `bytes` for `user` (anonymous: ""); the wait before the user is
  // within the rate again, 0 when it is.
  std::chrono::milliseconds record(std::string_view user, std::uint64_t bytes, Clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;  // bytes that may still pass; negative: over the rate
    Clock::time_point updated;
  };
  const std::uint64_t rate_;
  Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ WHARF_GUARDED_BY(mu_);
};

}  // namespace wharf::auth
