#include "bench/report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "bench/machine_info.h"

namespace wharf::bench {

void print_header(const Report& r) {
  if (!optimized())
    std::fprintf(stderr, "WARNING: wharf-bench was built without optimisation; figures are meaningless\n");
  std::fprintf(stderr, "%s: %llu messages x %zu B, %u partition(s), %u producer(s), %u consumer(s), broker %s, "
               "durability %s\n",
               r.workload.c_str(), static_cast<unsigned long long>(r.messages), r.size, r.partitions, r.producers,
               r.consumers, r.target.c_str(), r.durability.c_str());
  std::fprintf(stderr, "machine: %s, %u cores, %s; build: %s\n", cpu_model().c_str(), cores(),
               kernel().c_str(), build_type());
}

namespace {

nlohmann::json latency_json(const Percentiles& p) {
  return {{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"p999", p.p999}, {"max", p.max}};
}

}  // namespace

void print_result(const Report& r, bool json) {
  const double rate = r.seconds > 0 ? static_cast<double>(r.messages) / r.seconds : 0;
  const double mb = r.seconds > 0 ? static_cast<double>(r.messages * r.size) / r.seconds / 1e6 : 0;
  if (json) {
    nlohmann::json j;
    j["workload"] = r.workload;
    j["messages"] = r.messages;
    j["size"] = r.size;
    j["partitions"] = r.partitions;
    j["seconds"] = r.seconds;
    j["msgs_per_sec"] = rate;
    j["mb_per_sec"] = mb;
    j["latency_us"] = latency_json(r.latency);
    j["producers"] = r.producers;
    j["consumers"] = r.consumers;
    nlohmann::json clients = nlohmann::json::array();
    for (const auto& c : r.clients)
      clients.push_back({{"role", c.role},
                         {"index", c.index},
                         {"messages", c.messages},
                         {"latency_us", latency_json(c.latency)},
                         {"latency_kind", c.latency_name}});
    j["clients"] = std::move(clients);
    j["latency_kind"] = r.latency_name;
    j["durability"] = r.durability;
    j["target"] = r.target;
    j["machine"] = {{"cpu", cpu_model()}, {"cores", cores()}, {"kernel", kernel()}, {"build", build_type()}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s: %.0f msgs/s, %.1f MB/s, %llu messages in %.3f s\n", r.workload.c_str(), rate, mb,
              static_cast<unsigned long long>(r.messages), r.seconds);
  std::printf("%s (us): p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n", r.latency_name.c_str(),
              r.latency.p50, r.latency.p90, r.latency.p99, r.latency.p999, r.latency.max);
  for (const auto& c : r.clients)
    std::printf("  %s %u: %llu messages, p50 %.0f  p99 %.0f  max %.0f us\n", c.role.c_str(), c.index,
                static_cast<unsigned long long>(c.messages), c.latency.p50, c.latency.p99, c.latency.max);
}

}  // namespace wharf::bench
