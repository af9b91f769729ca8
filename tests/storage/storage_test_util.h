// Helpers for storage tests: run a lambda as a write op and wait for it.
#pragma once

#include <functional>
#include <future>
#include <memory>

#include "broker/storage/function_op.h"
#include "broker/storage/storage.h"

namespace wharf::storage::test {

// Submits fn as a write op (the writer owns it); the future gets its outcome.
inline std::future<status> submit(Writer& w, std::function<status(WriteTxn&)> fn, std::size_t size = 64) {
  auto done = std::make_shared<std::promise<status>>();
  auto outcome = done->get_future();
  w.submit(make_op(
      [fn = std::move(fn)](WriteTxn& txn) -> result<bool> {
        if (status st = fn(txn); !st.ok()) return st;
        return true;
      },
      [done](result<bool> r) { done->set_value(r.error()); }, {size, true}));
  return outcome;
}

// Applies fn in its own group and waits for the outcome.
inline status write(Storage& s, std::function<status(WriteTxn&)> fn) { return submit(s.writer(), std::move(fn)).get(); }

}  // namespace wharf::storage::test
