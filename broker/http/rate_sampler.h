// Rates for the console: every interval, the engines' traffic counters are
// read and turned into per-second rates (broker in/out, per topic and
// partition, per queue), and the broker's in/out rates are kept for the
// last kHistory intervals for the overview's chart. A thread of its own,
// so the chart has history before anyone opens the page.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/mutex.h"

namespace wharf::http {

// One reading of the counters (totals since the broker started).
struct TrafficTotals {
  std::uint64_t in = 0;   // records appended + messages published
  std::uint64_t out = 0;  // records fetched + messages delivered
  std::map<std::pair<std::string, std::uint32_t>, std::uint64_t> partition_records_in;
  struct Queue {
    std::uint64_t published = 0;
    std::uint64_t acked = 0;
  };
  std::map<std::string, Queue> queues;
};

struct RateSample {
  std::int64_t time_ms = 0;
  double in_per_s = 0;
  double out_per_s = 0;
};

class RateSampler {
 public:
  static constexpr std::size_t kHistory = 120;

  RateSampler(std::function<TrafficTotals()> read, std::chrono::milliseconds interval);
  ~RateSampler();
  RateSampler(const RateSampler&) = delete;
  RateSampler& operator=(const RateSampler&) = delete;

  std::chrono::milliseconds interval() const { return interval_; }
  std::vector<RateSample> history() const;
  // Per second over the last interval; 0 for what was not seen twice.
  double partition_rate(const std::string& topic, std::uint32_t partition) const;
  double topic_rate(const std::string& topic) const;
  std::pair<double, double> queue_rates(const std::string& queue) const;  // publish, ack

  // Takes a reading now (the thread calls it every interval).
  void sample();

 private:
  void loop();

  const std::function<TrafficTotals()> read_;
  const std::chrono::milliseconds interval_;
  mutable Mutex mu_;
  CondVar wake_;
  bool stopping_ WHARF_GUARDED_BY(mu_) = false;
  std::deque<RateSample> history_ WHARF_GUARDED_BY(mu_);
  TrafficTotals last_ WHARF_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_time_ WHARF_GUARDED_BY(mu_);
  bool have_last_ WHARF_GUARDED_BY(mu_) = false;
  std::map<std::pair<std::string, std::uint32_t>, double> partition_rates_ WHARF_GUARDED_BY(mu_);
  std::map<std::string, double> topic_rates_ WHARF_GUARDED_BY(mu_);
  std::map<std::string, std::pair<double, double>> queue_rates_ WHARF_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace wharf::http
