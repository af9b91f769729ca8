// A WriteOp made of two functions, for engines that would otherwise write a
// class per request: `apply` runs inside the group on the writer thread and
// returns result<T> (an error fails the op, see WriteOp::apply); `done` gets
// that result, or the group's failure, once the op completes.
//
//   writer.submit(make_op(
//       [](WriteTxn& txn) -> result<std::uint64_t> { ...; return base; },
//       [](result<std::uint64_t> r) { ... }));
//
// make_read_op makes a read: `apply` takes a Txn and still runs once
// storage has failed.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "broker/storage/writer.h"

namespace wharf::storage {

struct OpTraits {
  std::size_t size = 64;  // WriteOp::size_hint
  bool sync = true;       // WriteOp::needs_sync
};

template <typename Apply, typename Done, bool ReadOnly>
class FunctionOp final : public WriteOp {
  using TxnType = std::conditional_t<ReadOnly, Txn, WriteTxn>;
  using Result = std::invoke_result_t<Apply&, TxnType&>;

 public:
  FunctionOp(Apply apply, Done done, OpTraits traits)
      : apply_(std::move(apply)), done_(std::move(done)), traits_(traits) {}

  status apply(WriteTxn& txn) override { return run(txn); }
  status read(Txn& txn) override {
    if constexpr (ReadOnly) {
      return run(txn);
    } else {
      return WriteOp::read(txn);
    }
  }
  bool reads_only() const override { return ReadOnly; }
  void complete(status outcome) override {
    if (!outcome.ok()) {
      done_(Result(std::move(outcome)));
    } else if (result_) {
      done_(std::move(*result_));
    } else {
      done_(Result(status(errc::internal, "the op completed without running")));
    }
  }
  std::size_t size_hint() const override { return traits_.size; }
  bool needs_sync() const override { return traits_.sync; }

 private:
  status run(TxnType& txn) {
    result_.emplace(apply_(txn));
    return result_->error();
  }

  Apply apply_;
  Done done_;
  OpTraits traits_;
  std::optional<Result> result_;
};

template <typename Apply, typename Done>
std::unique_ptr<WriteOp> make_op(Apply apply, Done done, OpTraits traits = {}) {
  return std::make_unique<FunctionOp<Apply, Done, false>>(std::move(apply), std::move(done), traits);
}

template <typename Apply, typename Done>
std::unique_ptr<WriteOp> make_read_op(Apply apply, Done done) {
  return std::make_unique<FunctionOp<Apply, Done, true>>(std::move(apply), std::move(done), OpTraits{64, false});
}

}  // namespace wharf::storage
