// A seam every commit goes through, so tests can make the Nth commit fail
// with a chosen errno (EIO, ENOSPC, ...). Thread-safe; costs one relaxed
// atomic load per commit when unarmed.
#pragma once

#include <atomic>
#include <cstdint>

namespace wharf::storage {

class FaultInjector {
 public:
  // The `nth` commit from now (1 = the next one) fails with `error`; every
  // later commit fails too when `sticky` is set.
  void fail_commit(std::uint64_t nth, int error, bool sticky = false) {
    error_.store(error, std::memory_order_relaxed);
    sticky_.store(sticky, std::memory_order_relaxed);
    countdown_.store(nth, std::memory_order_release);
  }
  void clear() { countdown_.store(0, std::memory_order_release); }

  // Called before each commit: 0 to proceed, or the errno to fail with.
  int before_commit() {
    std::uint64_t n = countdown_.load(std::memory_order_acquire);
    if (n == 0) return 0;
    if (n > 1) {
      countdown_.store(n - 1, std::memory_order_relaxed);
      return 0;
    }
    if (!sticky_.load(std::memory_order_relaxed)) countdown_.store(0, std::memory_order_relaxed);
    return error_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> countdown_{0};
  std::atomic<int> error_{0};
  std::atomic<bool> sticky_{false};
};

}  // namespace wharf::storage
