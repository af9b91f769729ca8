// Acks whose storage delete waits: a plain ack removes the message from
// memory at once, and its delete rides on a commit that happens anyway, or
// is written once enough wait or the oldest has waited long enough. A
// crash before that commit only means a redelivery. Writer thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "broker/storage/queue_store.h"

namespace wharf::queue {

class DeferredAcks {
 public:
  struct Ack {
    std::uint32_t queue;
    std::uint64_t id;
    bool history;  // the message has history entries to delete too
  };

  void add(const Ack& ack, std::int64_t now_ms);
  // The next group writes every deferred delete.
  void force() { forced_ = true; }
  // Group hook: writes the deletes if forced, if the group writes anyway
  // (their pages are often dirty already), or past the thresholds.
  status write(storage::WriteTxn& txn, storage::QueueStore& store, std::int64_t now_ms, bool group_writes);
  void after_commit(std::int64_t now_ms);
  void after_abort() { written_ = 0; }

  // Acked messages not yet deleted in storage: after a rebuild from
  // storage they must be taken out of memory again.
  const std::vector<Ack>& waiting() const { return acks_; }
  bool forced() const { return forced_; }
  // When the thresholds will want a write; INT64_MAX when nothing waits.
  std::int64_t due_ms() const;

 private:
  std::vector<Ack> acks_;
  std::int64_t since_ms_ = 0;  // when the oldest waiting ack came
  std::size_t written_ = 0;    // written by the current group
  bool forced_ = false;
};

}  // namespace wharf::queue
