// Turns verified request frames into engine calls (logs, queues, consumer
// groups) and engine results into
// reply frames. Every request gets exactly one reply: its result or a typed
// Error with the same correlation id.
#pragma once

#include <string>

#include "broker/net/net_options.h"

namespace wharf::log {
class LogEngine;
}
namespace wharf::queue {
class QueueEngine;
}
namespace wharf::groups {
class GroupCoordinator;
}
namespace wharf::wire {
struct Frame;
struct Fetch;
}  // namespace wharf::wire

namespace wharf::net {

class Connection;

class Dispatcher {
 public:
  Dispatcher(log::LogEngine& logs, queue::QueueEngine& queues, groups::GroupCoordinator& groups,
             const NetOptions& options, std::string broker_version)
      : logs_(logs), queues_(queues), groups_(groups), options_(options), broker_version_(std::move(broker_version)) {}

  // Answers a Hello; false if the connection must close.
  bool hello(Connection& conn, const wire::Frame& frame);
  void handle(Connection& conn, const wire::Frame& frame);
  // The connection closed: its queue subscriptions end.
  void connection_closed(Connection& conn);

 private:
  void create_topic(Connection& conn, const wire::Frame& frame);
  void delete_topic(Connection& conn, const wire::Frame& frame);
  void alter_topic(Connection& conn, const wire::Frame& frame);
  void delete_records(Connection& conn, const wire::Frame& frame);
  void list_topics(Connection& conn, const wire::Frame& frame);
  void describe_topic(Connection& conn, const wire::Frame& frame);
  void produce(Connection& conn, const wire::Frame& frame);
  void init_producer(Connection& conn, const wire::Frame& frame);
  void fetch(Connection& conn, const wire::Frame& frame);
  void list_offsets(Connection& conn, const wire::Frame& frame);
  void commit_offsets(Connection& conn, const wire::Frame& frame);
  void fetch_offsets(Connection& conn, const wire::Frame& frame);
  // Consumer groups: group_requests.cc.
  void join_group(Connection& conn, const wire::Frame& frame);
  void group_heartbeat(Connection& conn, const wire::Frame& frame);
  void leave_group(Connection& conn, const wire::Frame& frame);
  void list_groups(Connection& conn, const wire::Frame& frame);
  void describe_group(Connection& conn, const wire::Frame& frame);
  void delete_group(Connection& conn, const wire::Frame& frame);
  // Queue requests: queue_dispatch.cc.
  void create_queue(Connection& conn, const wire::Frame& frame);
  void alter_queue(Connection& conn, const wire::Frame& frame);
  void delete_queue(Connection& conn, const wire::Frame& frame);
  void purge_queue(Connection& conn, const wire::Frame& frame);
  void list_queues(Connection& conn, const wire::Frame& frame);
  void describe_queue(Connection& conn, const wire::Frame& frame);
  void publish(Connection& conn, const wire::Frame& frame);
  void subscribe(Connection& conn, const wire::Frame& frame);
  void unsubscribe(Connection& conn, const wire::Frame& frame);
  void settle(Connection& conn, const wire::Frame& frame);
  void ack_publish(Connection& conn, const wire::Frame& frame);
  void peek_queue(Connection& conn, const wire::Frame& frame);
  void get_message(Connection& conn, const wire::Frame& frame);
  void redrive(Connection& conn, const wire::Frame& frame);

  log::LogEngine& logs_;
  queue::QueueEngine& queues_;
  groups::GroupCoordinator& groups_;
  const NetOptions& options_;
  std::string broker_version_;
};

}  // namespace wharf::net
