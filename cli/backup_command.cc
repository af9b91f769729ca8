// `wharf backup DIR`: the broker writes an online backup of its data
// directory into DIR on its own machine.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>

#include "cli/commands.h"
#include "cli/json_output.h"

namespace wharf::cli {

int backup(const Context& ctx, const std::string& dir) {
  // Copying a large data file takes as long as the disk needs.
  Context patient = ctx;
  patient.request_timeout = std::chrono::hours(24);
  auto client = connect(patient);
  if (!client) return 1;
  auto b = client->backup(dir);
  if (!b) return fail(b.error());
  if (ctx.json) {
    nlohmann::json partitions = nlohmann::json::array();
    for (const auto& p : b->partitions)
      partitions.push_back({{"topic", p.topic},
                            {"partition", p.partition},
                            {"log_start", p.log_start},
                            {"next_offset", p.next_offset}});
    print_json({{"dir", b->dir},
                {"created_ms", b->created_ms},
                {"bytes", b->bytes},
                {"sha256", b->sha256},
                {"partitions", partitions},
                {"queues", b->queues}});
    return 0;
  }
  std::set<std::string> topics;
  for (const auto& p : b->partitions) topics.insert(p.topic);
  std::printf("backed up %llu bytes to %s\n  sha256 %s\n  %zu topic(s), %zu partition(s), %zu queue(s)\n",
              static_cast<unsigned long long>(b->bytes), b->dir.c_str(), b->sha256.c_str(), topics.size(),
              b->partitions.size(), b->queues.size());
  for (const auto& p : b->partitions)
    std::printf("  %s/%u offsets %llu-%llu\n", p.topic.c_str(), p.partition,
                static_cast<unsigned long long>(p.log_start), static_cast<unsigned long long>(p.next_offset));
  return 0;
}

}  // namespace wharf::cli
