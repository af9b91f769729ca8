// In-memory state of a topic and its partitions.
//
// Each partition has two copies of its counters: `pending` is the writer
// thread's working copy (includes the group being written), `committed` the
// last committed one. Readers on other threads see only the atomics, which
// are published once a commit is durable (after_sync): a consumer never
// reads a record that a power loss could still take back.
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
  // Since the broker started, for /metrics: appended at commit, served by
  // fetches (whole batches, as sent).
  std::atomic<std::uint64_t> records_in{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> records_out{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::uint64_t pending_bytes_in = 0;  // writer thread: appended in the group being written
  WaitList waiters;
  // A retention delete for this partition is queued (retention thread).
  std::atomic<bool> retention_busy{false};

  // Makes a durable state visible to readers (fetch, describe, long polls).
  void publish(const storage::PartitionRecord& r) {
    log_start.store(r.log_start, std::memory_order_relaxed);
    bytes.store(r.bytes, std::memory_order_relaxed);
    batches.store(r.batches, std::memory_order_relaxed);
    high_watermark.store(r.next_offset, std::memory_order_release);
  }
};

// What every version of one topic shares: altering a topic makes a new
// Topic (new record, more partitions) over the same partitions and life,
// so an op holding an older version still sees a deletion.
struct TopicLife {
  // Set after the deleting commit; a produce racing with it gets unknown_topic.
  std::atomic<bool> deleted{false};
  // Writer thread only: deleted by an op of the group being written.
  bool delete_pending = false;
};

struct Topic {
  storage::TopicRecord record;  // immutable: an alter makes a new Topic
  std::vector<std::shared_ptr<Partition>> partitions;
  std::shared_ptr<TopicLife> life = std::make_shared<TopicLife>();

  bool deleted() const { return life->deleted.load(std::memory_order_acquire); }
  // Writer thread: deleted, or deleted by the group being written.
  bool gone() const { return life->delete_pending || deleted(); }
};

}  // namespace wharf::log
