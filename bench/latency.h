// Collects latencies (microseconds) and reports percentiles. Samples are
// kept exactly (one 4-byte slot each) so percentiles are not approximated.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace wharf::bench {

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

class Latencies {
 public:
  void reserve(std::size_t n) { samples_.reserve(n); }
  void add(double us) { samples_.push_back(static_cast<float>(us)); }
  std::size_t size() const { return samples_.size(); }
  void merge(const Latencies& other) { samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end()); }
  Percentiles percentiles() {
    Percentiles p;
    if (samples_.empty()) return p;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) {
      const auto i = static_cast<std::size_t>(q * static_cast<double>(samples_.size() - 1));
      return static_cast<double>(samples_[i]);
    };
    p.p50 = at(0.50);
    p.p90 = at(0.90);
    p.p99 = at(0.99);
    p.p999 = at(0.999);
    p.max = static_cast<double>(samples_.back());
    return p;
  }

 private:
  std::vector<float> samples_;
};

}  // namespace wharf::bench
