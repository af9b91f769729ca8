// What every Kafka connection shares: the engines it reaches (logs and
// consumer groups), the
// listener's settings, and what Metadata says about the one node.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "broker/auth/security_engine.h"
#include "broker/groups/group_coordinator.h"
#include "broker/log/log_engine.h"

namespace wharf::kafka {

struct KafkaConfig {
  // Where clients are told to connect (Metadata, FindCoordinator).
  std::string advertised_host = "127.0.0.1";
  std::int32_t advertised_port = 9092;
  // Unknown topics named by Metadata or Produce are created.
  bool auto_create_topics = true;
  std::uint32_t default_partitions = 1;
  // Longest long poll, whatever a Fetch asks for.
  std::chrono::milliseconds max_fetch_wait{60000};
  std::string cluster_id = "wharf";
};

constexpr std::int32_t kNodeId = 0;

struct KafkaContext {
  log::LogEngine& logs;
  groups::GroupCoordinator& groups;
  auth::SecurityEngine& security;
  KafkaConfig config;
};

}  // namespace wharf::kafka
