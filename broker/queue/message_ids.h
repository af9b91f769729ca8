// Message ids: unique across queues and restarts, never reused. The stored
// counter is a reservation: ids are handed out below it, and it is raised a
// block at a time, so a commit seldom writes it and a restart skips the
// unused rest of a block. Writer thread only.
#pragma once

#include <cstdint>

#include "broker/storage/queue_store.h"

namespace wharf::queue {

class MessageIds {
 public:
  // From storage at start: ids below `reserved_until` may have been used.
  void load(std::uint64_t reserved_until) { next_ = reserved_until_ = reserved_until; }
  std::uint64_t next() { return next_++; }
  // The id next() will give.
  std::uint64_t peek() const { return next_; }
  // Group hook: writes a new reservation when few ids are left.
  status reserve(storage::WriteTxn& txn, storage::QueueStore& store);
  void after_commit();
  void after_abort() { pending_ = 0; }

 private:
  std::uint64_t next_ = 1;
  std::uint64_t reserved_until_ = 1;  // ids below this are covered by a committed reservation
  std::uint64_t pending_ = 0;         // reservation written by the current group
};

}  // namespace wharf::queue
