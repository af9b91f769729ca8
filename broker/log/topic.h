// In-memory state of a topic and its partitions.
//
// Each partition has two copies of its counters: `pending` is the writer
// thread's working copy (includes the group being written), `committed` the
// last durable one. Readers on other threads see only the atomics, which are
// published after each commit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "broker/log/wait_list.h"
#include "broker/storage/log_store.h"

namespace wharf::log {

struct Partition {
  std::uint32_t topic_id = 0;
  std::uint32_t index = 0;
  // Writer thread only.
  storage::PartitionRecord pending;
  storage::PartitionRecord committed;
  bool dirty = false;
  // Published after commit; any thread.
  std::atomic<std::uint64_t> high_watermark{0};
  std::atomic<std::uint64_t> log_start{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> batches{0};
  WaitList waiters;
  // A retention delete for this partition is queued (retention thread).
  std::atomic<bool> retention_busy{false};

  void publish() {
    log_start.store(committed.log_start, std::memory_order_relaxed);
    bytes.store(committed.bytes, std::memory_order_relaxed);
    batches.store(committed.batches, std::memory_order_relaxed);
    high_watermark.store(committed.next_offset, std::memory_order_release);
  }
};

struct Topic {
  storage::TopicRecord record;  // immutable once created
  std::vector<std::unique_ptr<Partition>> partitions;
  // Set after the deleting commit; a produce racing with it gets unknown_topic.
  std::atomic<bool> deleted{false};
  // Writer thread only: deleted by an op of the group being written.
  bool delete_pending = false;
};

}  // namespace wharf::log
