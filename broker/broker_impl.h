// What a Broker is made of. In-tree code (tests, the benchmark) may include
// this to reach internals such as the fault injector; users may not.
#pragma once

#include <memory>

#include "base/mutex.h"

#include "broker/background_jobs.h"
#include "broker/groups/group_coordinator.h"
#include "broker/in_process_door.h"
#include "broker/kafka/kafka_context.h"
#include "broker/log/log_engine.h"
#include "broker/log_appender_adapter.h"
#include "broker/auth/security_engine.h"
#include "broker/http/admin_api.h"
#include "broker/http/http_listener.h"
#include "broker/net/dispatcher.h"
#include "broker/net/server.h"
#include "broker/queue/queue_engine.h"
#include "broker/storage/fault_injector.h"
#include "broker/storage/storage.h"
#include "wharf/broker.h"

namespace wharf {

struct Broker::Impl {
  BrokerOptions options;
  storage::FaultInjector faults;
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<log::LogEngine> logs;
  std::unique_ptr<LogAppenderAdapter> appender;
  std::unique_ptr<queue::QueueEngine> queues;
  std::unique_ptr<auth::SecurityEngine> security;
  std::unique_ptr<BackgroundJobs> background;
  std::unique_ptr<groups::GroupCoordinator> groups;
  net::NetOptions net_options;
  std::unique_ptr<net::IoPool> io;  // shared by every listener
  std::unique_ptr<net::Dispatcher> dispatcher;
  std::unique_ptr<net::Server> server;  // the native protocol
  std::unique_ptr<kafka::KafkaContext> kafka_context;
  std::unique_ptr<net::Server> kafka_server;  // null when the Kafka listener is off
  std::uint16_t kafka_port = 0;
  std::unique_ptr<http::AdminApi> admin;     // the console's API; null when HTTP is off
  std::unique_ptr<http::HttpListener> http;  // null when off
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  std::shared_ptr<InProcessDoor> door;
  std::uint16_t port = 0;
  Mutex stop_mu;
  bool stopped WHARF_GUARDED_BY(stop_mu) = false;

  void log(LogLevel level, std::string_view line) const;
};

}  // namespace wharf
