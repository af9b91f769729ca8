// Printing a benchmark result for people and, with --json, for scripts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/latency.h"

namespace wharf::bench {

// One client's share of a run with several (--producers, --consumers).
struct ClientReport {
  std::string role;  // producer, consumer
  std::uint32_t index = 0;
  std::uint64_t messages = 0;
  Percentiles latency;
  std::string latency_name;
};

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
  std::uint32_t producers = 1;
  std::uint32_t consumers = 1;
  std::vector<ClientReport> clients;  // per client, when there are several
};

// Machine, build, durability: printed before the run starts.
void print_header(const Report& r);
void print_result(const Report& r, bool json);

}  // namespace wharf::bench
