// What the log and Kafka workloads share: clocks, a fresh topic per run,
// and the report skeleton.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bench/log_workloads.h"
#include "bench/report.h"
#include "wharf/client.h"

namespace wharf::bench {

std::int64_t now_ns();
// A topic of its own for one run; prints the error and returns nothing on failure.
std::optional<std::string> create_run_topic(Client& client, const char* workload, std::uint32_t partitions);
Report log_report(const char* workload, std::string target, Client& client, const LogBenchOptions& o);

}  // namespace wharf::bench
