// Turns verified request frames into engine calls and engine results into
// reply frames. Every request gets exactly one reply: its result or a typed
// Error with the same correlation id.
#pragma once

#include <string>

#include "broker/net/net_options.h"

namespace wharf::log {
class LogEngine;
}
namespace wharf::wire {
struct Frame;
struct Fetch;
}  // namespace wharf::wire

namespace wharf::net {

class Connection;

class Dispatcher {
 public:
  Dispatcher(log::LogEngine& logs, const NetOptions& options, std::string broker_version)
      : logs_(logs), options_(options), broker_version_(std::move(broker_version)) {}

  // Answers a Hello; false if the connection must close.
  bool hello(Connection& conn, const wire::Frame& frame);
  void handle(Connection& conn, const wire::Frame& frame);

 private:
  void create_topic(Connection& conn, const wire::Frame& frame);
  void delete_topic(Connection& conn, const wire::Frame& frame);
  void list_topics(Connection& conn, const wire::Frame& frame);
  void describe_topic(Connection& conn, const wire::Frame& frame);
  void produce(Connection& conn, const wire::Frame& frame);
  void fetch(Connection& conn, const wire::Frame& frame);
  void list_offsets(Connection& conn, const wire::Frame& frame);
  void commit_offsets(Connection& conn, const wire::Frame& frame);
  void fetch_offsets(Connection& conn, const wire::Frame& frame);

  log::LogEngine& logs_;
  const NetOptions& options_;
  std::string broker_version_;
};

}  // namespace wharf::net
