// Holds an in-process broker's storage writer busy, so that no write
// completes until release(): what a client sees from a broker whose disk
// stalls. In-tree tests only (reaches into Broker::Impl).
#pragma once

#include <future>
#include <memory>

#include "broker/broker_impl.h"
#include "broker/storage/function_op.h"

namespace wharf::test {

class WriterStall {
 public:
  explicit WriterStall(Broker& broker) {
    auto gate = release_.get_future().share();
    auto entered = std::make_shared<std::promise<void>>();
    auto in = entered->get_future();
    broker.impl().storage->writer().submit(storage::make_op(
        [gate, entered](storage::WriteTxn&) -> result<bool> {
          entered->set_value();
          gate.wait();
          return true;
        },
        [](result<bool>) {}));
    in.wait();  // the writer is inside the op now
  }
  ~WriterStall() { release(); }
  void release() {
    if (!released_) release_.set_value();
    released_ = true;
  }

 private:
  std::promise<void> release_;
  bool released_ = false;
};

}  // namespace wharf::test
