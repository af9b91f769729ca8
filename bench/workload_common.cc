#include "bench/workload_common.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace wharf::bench {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> create_run_topic(Client& client, const char* workload, std::uint32_t partitions) {
  std::string topic = fmt::format("bench-{}-{}-{}", workload, ::getpid(), now_ns() % 1000000007);
  if (status st = client.create_topic({topic, partitions}); !st.ok()) {
    std::fprintf(stderr, "wharf-bench: %s\n", st.to_string().c_str());
    return std::nullopt;
  }
  return topic;
}

Report log_report(const char* workload, std::string target, Client& client, const LogBenchOptions& o) {
  Report r;
  r.workload = workload;
  r.messages = o.messages;
  r.size = o.size;
  r.partitions = o.partitions;
  r.target = std::move(target);
  r.durability = client.broker_info().durability;
  return r;
}

}  // namespace wharf::bench
