// /metrics: the broker's state and counters in the Prometheus text format
// (prometheus-cpp's serializer). Gauges are read from the engines at scrape
// time; counters are the engines' own atomics, so serving a scrape costs
// the hot paths nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace wharf::log {
class LogEngine;
}
namespace wharf::queue {
class QueueEngine;
}
namespace wharf::groups {
class GroupCoordinator;
}
namespace wharf::storage {
class Storage;
}
namespace wharf::net {
class Server;
}

namespace wharf::http {

struct MetricsSources {
  log::LogEngine& logs;
  queue::QueueEngine& queues;
  groups::GroupCoordinator& groups;
  storage::Storage& storage;
  const net::Server* native = nullptr;  // null: not listening
  const net::Server* kafka = nullptr;
  std::string version;
  std::chrono::system_clock::time_point started;
  std::uint64_t auth_failures = 0;
  std::uint64_t auth_lockouts = 0;
};

// The scrape's text; a part whose engine does not answer within a few
// seconds (the writer is stuck) is left out rather than blocking.
std::string render_metrics(const MetricsSources& sources);

}  // namespace wharf::http
