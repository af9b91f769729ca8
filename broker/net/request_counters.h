// Requests a listener received, by request type, and the typed errors it
// answered, by error code: relaxed atomic adds, read by /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace wharf::net {

class RequestCounters {
 public:
  static constexpr std::size_t kTypes = 128;  // native body types and Kafka API keys fit
  static constexpr std::size_t kErrors = 256;

  void request(std::size_t type) noexcept {
    if (type < kTypes) requests_[type].fetch_add(1, std::memory_order_relaxed);
  }
  void error(std::size_t code) noexcept {
    if (code < kErrors) errors_[code].fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t requests(std::size_t type) const noexcept {
    return type < kTypes ? requests_[type].load(std::memory_order_relaxed) : 0;
  }
  std::uint64_t errors(std::size_t code) const noexcept {
    return code < kErrors ? errors_[code].load(std::memory_order_relaxed) : 0;
  }

 private:
  std::atomic<std::uint64_t> requests_[kTypes] = {};
  std::atomic<std::uint64_t> errors_[kErrors] = {};
};

}  // namespace wharf::net
