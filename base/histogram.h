// A fixed-bucket histogram that any thread may observe into without a lock
// (one relaxed atomic add per bucket hit): cheap enough for the writer's
// per-commit path. Readers take a snapshot; counts are per bucket, not
// cumulative, so a snapshot taken during an observe is off by at most one.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace wharf {

class Histogram {
 public:
  // Upper bounds, ascending; values above the last go to an overflow bucket.
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

  void observe(double v) noexcept {
    std::size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    // The sum in micro-units keeps it an integer atomic.
    sum_micros_.fetch_add(static_cast<std::uint64_t>(v * 1e6), std::memory_order_relaxed);
  }

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;  // bounds.size() + 1 buckets
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const {
    Snapshot s{bounds_, std::vector<std::uint64_t>(counts_.size()), 0, 0};
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      s.counts[i] = counts_[i].load(std::memory_order_relaxed);
      s.count += s.counts[i];
    }
    s.sum = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
    return s;
  }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<std::uint64_t> sum_micros_{0};
};

}  // namespace wharf
