// Printing a benchmark result for people and, with --json, for scripts.
#pragma once

#include <cstdint>
#include <string>

#include "bench/latency.h"

namespace wharf::bench {

struct Report {
  std::string workload;
  std::uint64_t messages = 0;
  std::size_t size = 0;
  std::uint32_t partitions = 0;
  double seconds = 0;
  std::string latency_name = "confirm latency";
  Percentiles latency;
  std::string target;      // "embedded" or the broker address
  std::string durability;  // as the broker reported it
};

// Machine, build, durability: printed before the run starts.
void print_header(const Report& r);
void print_result(const Report& r, bool json);

}  // namespace wharf::bench
