// Transactions as opaque tokens: engines hold them and pass them back to the
// store classes; only broker/storage/ can look inside.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wharf/errors.h"

struct MDB_txn;

namespace wharf::storage {

class LmdbEnv;

class Txn {
 public:
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

 protected:
  Txn(LmdbEnv* env, MDB_txn* txn) : env_(env), txn_(txn) {}
  ~Txn() = default;
  LmdbEnv* env_;
  MDB_txn* txn_;
  friend class LogStore;
  friend class ProducerStore;
  friend class QueueStore;
  friend class SecurityStore;
  friend class Writer;
};

// A read snapshot. Keep it short and never across a co_await: it pins pages.
class ReadTxn : public Txn {
 public:
  static result<ReadTxn> begin(LmdbEnv& env);
  ReadTxn(ReadTxn&& other) noexcept : Txn(other.env_, other.txn_) { other.txn_ = nullptr; }
  ReadTxn& operator=(ReadTxn&&) = delete;
  ~ReadTxn();

 private:
  ReadTxn(LmdbEnv* env, MDB_txn* txn) : Txn(env, txn) {}
};

// The group's write transaction; exists only on the writer thread.
class WriteTxn : public Txn {
 public:
  // Claims room for `bytes` of new data; storage_full when that would eat
  // into the headroom kept free so that deletes (acks, retention, topic
  // deletion) still work on a full map.
  status reserve_space(std::size_t bytes);
  // An op that failed after writing part of its changes calls this: the
  // writer then rolls the whole group back and retries the other ops alone.
  void request_rollback() noexcept { rollback_requested_ = true; }
  bool rollback_requested() const noexcept { return rollback_requested_; }
  // reserve_space refused the current op (it wrote nothing yet).
  bool space_refused() const noexcept { return space_refused_; }

 private:
  WriteTxn(LmdbEnv* env, MDB_txn* txn) : Txn(env, txn) {}
  bool space_known_ = false;
  bool limited_by_disk_ = false;
  bool rollback_requested_ = false;
  bool space_refused_ = false;
  std::uint64_t space_left_ = 0;
  friend class Writer;
};

}  // namespace wharf::storage
