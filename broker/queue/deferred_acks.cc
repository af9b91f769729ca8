#include "broker/queue/deferred_acks.h"

#include <cstdint>

namespace wharf::queue {
namespace {

// Deferred deletes are written once this many wait, or the oldest has
// waited this long: one commit per many acks.
constexpr std::size_t kMaxWaiting = 4096;
constexpr std::int64_t kMaxWaitMs = 200;

}  // namespace

void DeferredAcks::add(const Ack& ack, std::int64_t now_ms) {
  if (acks_.empty()) since_ms_ = now_ms;
  acks_.push_back(ack);
}

status DeferredAcks::write(storage::WriteTxn& txn, storage::QueueStore& store, std::int64_t now_ms,
                           bool group_writes) {
  written_ = 0;
  if (acks_.empty()) {
    forced_ = false;
    return {};
  }
  if (!forced_ && !group_writes && acks_.size() < kMaxWaiting && now_ms - since_ms_ < kMaxWaitMs) return {};
  for (const Ack& a : acks_) {
    // Gone already if its queue was deleted or purged meanwhile.
    status st = store.delete_message(txn, a.queue, a.id);
    if (!st.ok() && st.code() != errc::storage_corrupt) return st;
    if (a.history)
      if (status h = store.delete_history(txn, a.id); !h.ok()) return h;
  }
  written_ = acks_.size();
  return {};
}

void DeferredAcks::after_commit(std::int64_t now_ms) {
  if (written_ == 0) return;
  acks_.erase(acks_.begin(), acks_.begin() + static_cast<std::ptrdiff_t>(written_));
  written_ = 0;
  since_ms_ = now_ms;
  forced_ = false;
}

std::int64_t DeferredAcks::due_ms() const { return acks_.empty() ? INT64_MAX : since_ms_ + kMaxWaitMs; }

}  // namespace wharf::queue
