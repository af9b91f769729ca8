// Delivers queue messages to a connection: called on the writer thread after
// the commit, it hands the batch to the connection's thread, which frames it.
#pragma once

#include <memory>
#include <string>

#include "broker/queue/queue_types.h"

namespace wharf::net {

class Connection;

class ConnectionSink final : public queue::DeliverySink {
 public:
  ConnectionSink(std::weak_ptr<Connection> conn, std::uint64_t id) : conn_(std::move(conn)), id_(id) {}
  void deliver(queue::DeliveryBatch batch) override;
  std::string name() const override { return "connection " + std::to_string(id_); }

 private:
  std::weak_ptr<Connection> conn_;
  std::uint64_t id_;
};

}  // namespace wharf::net
