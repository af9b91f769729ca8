// Delivers queue messages to a connection: called on the writer thread after
// the commit, it hands the batch to the connection's thread, which frames it.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "broker/net/session.h"
#include "broker/queue/queue_types.h"

namespace wharf::net {

class Connection;

class ConnectionSink final : public queue::DeliverySink {
 public:
  ConnectionSink(std::weak_ptr<Connection> conn, std::uint64_t id, std::shared_ptr<OutputGauge> gauge,
                 std::size_t limit)
      : conn_(std::move(conn)), id_(id), gauge_(std::move(gauge)), limit_(limit) {}
  void deliver(queue::DeliveryBatch batch) override;
  // A client that does not read gets no more deliveries once its output
  // limit is reached: its memory stays bounded and the messages stay ready.
  bool accepting() const override {
    return gauge_->posted.load(std::memory_order_relaxed) + gauge_->buffered.load(std::memory_order_relaxed) <
           limit_;
  }
  std::string name() const override { return "connection " + std::to_string(id_); }

 private:
  std::weak_ptr<Connection> conn_;
  std::uint64_t id_;
  std::shared_ptr<OutputGauge> gauge_;
  std::size_t limit_;
};

}  // namespace wharf::net
