#include "bench/report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "bench/machine_info.h"

namespace wharf::bench {

void print_header(const Report& r) {
  if (!optimized())
    std::fprintf(stderr, "WARNING: wharf-bench was built without optimisation; figures are meaningless\n");
  std::fprintf(stderr, "%s: %llu messages x %zu B, %u partition(s), broker %s, durability %s\n",
               r.workload.c_str(), static_cast<unsigned long long>(r.messages), r.size, r.partitions,
               r.target.c_str(), r.durability.c_str());
  std::fprintf(stderr, "machine: %s, %u cores, %s; build: %s\n", cpu_model().c_str(), cores(),
               kernel().c_str(), build_type());
}

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
    j["latency_us"] = {{"p50", r.latency.p50}, {"p90", r.latency.p90}, {"p99", r.latency.p99},
                       {"p999", r.latency.p999}, {"max", r.latency.max}};
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
}

}  // namespace wharf::bench
