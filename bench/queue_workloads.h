// The queue benchmarks: `queue` (publish and consume at once, every message
// acked on its own) and `queue-latency` (publish at a fixed rate, measure
// publish-to-delivery time).
#pragma once

#include <cstdint>

#include "bench/bench_target.h"

namespace wharf::bench {

struct QueueBenchOptions {
  std::uint64_t messages = 200'000;
  std::size_t size = 128;
  std::uint32_t prefetch = 1000;
  std::uint64_t rate = 2000;  // queue-latency: messages per second
  std::uint64_t seconds = 10;  // queue-latency: how long
  // queue: clients, each with its own connection (and, for producers, its
  // own thread), and queues ("partitions"): producers spread messages over
  // the queues; consumer c reads queue c % partitions.
  std::uint32_t producers = 1;
  std::uint32_t consumers = 1;
  std::uint32_t partitions = 1;
  bool json = false;
};

int run_queue(const Target& target, const QueueBenchOptions& options);
int run_queue_latency(const Target& target, const QueueBenchOptions& options);

}  // namespace wharf::bench
