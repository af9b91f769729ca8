#include "broker/queue/message_ids.h"

namespace wharf::queue {
namespace {

// Reserved this many at a time, renewed when fewer than kLow are left: one
// counter write per many messages instead of one per commit (each table a
// commit touches costs flush time).
constexpr std::uint64_t kBlock = 65536;
constexpr std::uint64_t kLow = 16384;

}  // namespace

status MessageIds::reserve(storage::WriteTxn& txn, storage::QueueStore& store) {
  if (next_ <= reserved_until_ && reserved_until_ - next_ >= kLow) return {};
  const std::uint64_t until = next_ + kBlock;
  if (status st = store.put_next_message_id(txn, until); !st.ok()) return st;
  pending_ = until;
  return {};
}

void MessageIds::after_commit() {
  if (pending_ == 0) return;
  reserved_until_ = pending_;
  pending_ = 0;
}

}  // namespace wharf::queue
