// Typed access to the log tables: topics, partitions, batches, the time
// index and consumer-group offsets. The only code that knows their keys and
// value layouts (log_format.h). Write methods run on the writer thread with
// the group's WriteTxn; read methods take any Txn.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/storage/txn.h"
#include "wharf/errors.h"

namespace wharf::storage {

class LmdbEnv;

struct TopicRecord {
  std::string name;
  std::uint32_t id = 0;
  std::uint32_t partitions = 0;
  std::int64_t retention_ms = -1;     // -1: keep forever
  std::int64_t retention_bytes = -1;  // -1: no size limit (per partition)
  std::int64_t created_ms = 0;
};

struct PartitionRecord {
  std::uint64_t next_offset = 0;  // offset the next record gets; never goes back
  std::uint64_t log_start = 0;    // first offset still stored (== next_offset when empty)
  std::uint64_t bytes = 0;        // stored batch bytes
  std::uint64_t batches = 0;
  std::int64_t max_timestamp = INT64_MIN;  // largest record timestamp ever appended
};

// The oldest batches of a partition, for retention.
struct BatchSummary {
  std::uint64_t base_offset = 0;
  std::uint32_t records = 0;
  std::uint64_t bytes = 0;
  std::int64_t append_ms = 0;
};

struct GroupOffsetRecord {
  std::string topic;
  std::uint32_t partition = 0;
  std::uint64_t offset = 0;
  std::int64_t commit_time_ms = 0;
};

class LogStore {
 public:
  explicit LogStore(LmdbEnv& env) : env_(env) {}

  // Writes the format version into a new data dir, or checks an old one's.
  status init_format(WriteTxn& txn);
  result<std::uint32_t> allocate_topic_id(WriteTxn& txn);

  // --- topics and partitions ---
  status put_topic(WriteTxn& txn, const TopicRecord& topic);
  // Removes the name and queues the topic's data for deletion by id.
  status erase_topic(WriteTxn& txn, const TopicRecord& topic);
  result<std::vector<TopicRecord>> load_topics(Txn& txn);
  // (topic id, partitions) of deleted topics whose data is still stored.
  result<std::vector<std::pair<std::uint32_t, std::uint32_t>>> load_deleting(Txn& txn);
  // Deletes up to `limit` keys of a deleted topic's data; *done when none is left.
  status purge_deleted_topic(WriteTxn& txn, std::uint32_t topic_id, std::uint32_t partitions,
                             std::size_t limit, bool* done);

  status put_partition(WriteTxn& txn, std::uint32_t topic_id, std::uint32_t partition,
                       const PartitionRecord& record);
  result<std::optional<PartitionRecord>> get_partition(Txn& txn, std::uint32_t topic_id,
                                                       std::uint32_t partition);

  // --- batches ---
  // Stores `batch` (validated) with its base offset set to `base_offset`.
  status append_batch(WriteTxn& txn, std::uint32_t topic_id, std::uint32_t partition,
                      std::uint64_t base_offset, std::int64_t append_ms,
                      std::span<const std::uint8_t> batch);
  // Records that records up to `max_timestamp` first appear at `base_offset`.
  status put_time_index(WriteTxn& txn, std::uint32_t topic_id, std::uint32_t partition,
                        std::int64_t max_timestamp, std::uint64_t base_offset);
  // Appends to *out the stored batches from the one holding `offset` on,
  // until `max_bytes` (at least one batch). Spans live as long as `txn`.
  // The caller checked log_start <= offset < next_offset.
  status read_batches(Txn& txn, std::uint32_t topic_id, std::uint32_t partition,
                      std::uint64_t offset, std::size_t max_bytes,
                      std::vector<std::span<const std::uint8_t>>* out);
  // First offset in [log_start, end) whose record timestamp is >= ts (and
  // that record's timestamp in *found_timestamp), or end.
  result<std::uint64_t> offset_for_time(Txn& txn, std::uint32_t topic_id, std::uint32_t partition,
                                        std::int64_t ts, std::uint64_t log_start,
                                        std::uint64_t end, std::int64_t* found_timestamp = nullptr);
  // The `limit` oldest batches of a partition.
  status oldest_batches(Txn& txn, std::uint32_t topic_id, std::uint32_t partition,
                        std::size_t limit, std::vector<BatchSummary>* out);
  // Deletes the batches wholly below `new_log_start` and trims the time index.
  status delete_batches_before(WriteTxn& txn, std::uint32_t topic_id, std::uint32_t partition,
                               std::uint64_t new_log_start, std::uint64_t* deleted_bytes,
                               std::uint64_t* deleted_batches);

  // --- consumer groups ---
  status put_group_offset(WriteTxn& txn, std::string_view group, std::string_view topic,
                          std::uint32_t partition, std::uint64_t offset, std::int64_t commit_ms);
  // All of a group's offsets, or one topic's when `topic` is not empty.
  result<std::vector<GroupOffsetRecord>> group_offsets(Txn& txn, std::string_view group,
                                                       std::string_view topic);
  // Drops every group's offsets for a topic (on topic deletion).
  status delete_group_offsets_for_topic(WriteTxn& txn, std::string_view topic);
  // Drops all of a group's offsets; *deleted tells how many there were.
  status delete_group_offsets(WriteTxn& txn, std::string_view group, std::size_t* deleted);
  // The names of the groups that have committed offsets, in order.
  result<std::vector<std::string>> groups_with_offsets(Txn& txn);

 private:
  LmdbEnv& env_;
};

}  // namespace wharf::storage
