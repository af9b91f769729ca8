// Helpers for storage tests: run a lambda as a write op and wait for it.
#pragma once

#include <functional>
#include <future>

#include "broker/storage/storage.h"

namespace wharf::storage::test {

class LambdaOp final : public WriteOp {
 public:
  explicit LambdaOp(std::function<status(WriteTxn&)> fn, std::size_t size = 64)
      : fn_(std::move(fn)), size_(size) {}
  status apply(WriteTxn& txn) override { return fn_(txn); }
  void complete(status outcome) override { done_.set_value(std::move(outcome)); }
  std::size_t size_hint() const override { return size_; }
  std::future<status> future() { return done_.get_future(); }

 private:
  std::function<status(WriteTxn&)> fn_;
  std::size_t size_;
  std::promise<status> done_;
};

// Applies fn in its own group and waits for the outcome.
inline status write(Storage& s, std::function<status(WriteTxn&)> fn) {
  LambdaOp op(std::move(fn));
  auto f = op.future();
  s.writer().submit(&op);
  return f.get();
}

}  // namespace wharf::storage::test
