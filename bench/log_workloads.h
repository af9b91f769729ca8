// The log benchmarks: log-produce (confirmed appends) and log-replay
// (reading a topic back from offset 0).
#pragma once

#include <cstdint>
#include <string>

#include "bench/bench_target.h"

namespace wharf::bench {

struct LogBenchOptions {
  std::uint64_t messages = 1'000'000;
  std::size_t size = 128;
  std::uint32_t partitions = 1;
  std::size_t batch_bytes = 128u << 10;
  std::size_t max_in_flight = 16;
  // Producer buffer: bounds how long a record waits before it is sent.
  std::size_t buffer_bytes = 4u << 20;
  // Clients, each with its own connection and thread: log-produce splits
  // the messages among producers; log-replay splits the partitions among
  // consumers.
  std::uint32_t producers = 1;
  std::uint32_t consumers = 1;
  bool json = false;
};

int run_log_produce(const Target& target, const LogBenchOptions& options);
int run_log_replay(const Target& target, const LogBenchOptions& options);

}  // namespace wharf::bench
