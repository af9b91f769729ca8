#include "broker/auth/byte_rate_quota.h"

#include <algorithm>

namespace wharf::auth {

std::chrono::milliseconds ByteRateQuota::record(std::string_view user, std::uint64_t bytes, Clock::time_point now) {
  if (rate_ == 0) return std::chrono::milliseconds(0);
  const double rate = static_cast<double>(rate_);
  MutexLock lock(mu_);
  auto [it, added] = buckets_.try_emplace(std::string(user));
  Bucket& b = it->second;
  if (added) {
    b.tokens = rate;  // a full second of burst to start with
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(rate, b.tokens + elapsed * rate);
  }
  b.updated = now;
  b.tokens -= static_cast<double>(bytes);
  if (b.tokens >= 0) return std::chrono::milliseconds(0);
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(-b.tokens / rate * 1000.0) + 1);
  return std::min(wait, kMaxThrottle);
}

}  // namespace wharf::auth
