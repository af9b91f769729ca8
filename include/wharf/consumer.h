// wharf/consumer.h — reads log partitions you assign, or a consumer group
// assigns, from any offset.
//
// Assign partitions (or subscribe to topics as a member of a group),
// optionally seek, then poll(). The consumer keeps a
// fetch in flight per partition ahead of your polls (prefetch), so reading
// and processing overlap. Positions advance as poll() returns records;
// commit() stores them for the consumer's group. Not thread-safe: use one
// Consumer from one thread at a time. The Client must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wharf/errors.h"
#include "wharf/options.h"
#include "wharf/record.h"

namespace wharf {

class Client;

// The records of one poll. Records point into buffers this object owns:
// they are valid while it lives.
class Records {
 public:
  Records();
  ~Records();
  Records(Records&&) noexcept;
  Records& operator=(Records&&) noexcept;

  std::size_t size() const noexcept { return records_.size(); }
  bool empty() const noexcept { return records_.empty(); }
  const ConsumerRecord& operator[](std::size_t i) const { return records_[i]; }
  auto begin() const noexcept { return records_.begin(); }
  auto end() const noexcept { return records_.end(); }

  struct Storage;

 private:
  friend class Consumer;
  std::vector<ConsumerRecord> records_;
  std::unique_ptr<Storage> storage_;
};

class Consumer {
 public:
  explicit Consumer(Client& client, ConsumerOptions options = {});
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Joins options.group and lets the group decide which partitions of
  // `topics` this consumer reads: the broker splits them among the group's
  // members (Wharf's consumers and Kafka clients alike), and moves them
  // when members come, go, or stop heartbeating. poll() does the joining
  // and calls options.on_assigned / on_revoked; assigned partitions start
  // at the group's committed offsets (else per options.start). Errors:
  // invalid_argument (no group, no topics).
  status subscribe(const std::vector<std::string>& topics);
  // Leaves the group (its partitions go to the others) and forgets the
  // assignment. The destructor leaves too, without waiting.
  status unsubscribe();

  // Replaces the assignment. Each partition starts per options.start.
  // Errors: unknown_topic, unknown_partition, invalid_name,
  // invalid_argument (subscribed: the group assigns).
  status assign(const std::vector<TopicPartition>& partitions);
  // Assigns every partition of a topic.
  status assign_topic(std::string_view topic);
  std::vector<TopicPartition> assignment() const;

  // Moves the next poll of a partition. Errors: unknown_partition (not
  // assigned), offset_out_of_range (outside [log start, end]).
  status seek(const TopicPartition& tp, std::int64_t offset);
  status seek_to_beginning(const TopicPartition& tp);
  status seek_to_end(const TopicPartition& tp);
  // First record with timestamp >= timestamp_ms (the end if none).
  status seek_to_time(const TopicPartition& tp, std::int64_t timestamp_ms);
  // The offset the next poll will return for the partition.
  result<std::int64_t> position(const TopicPartition& tp) const;

  // Returns records from any assigned partition, waiting up to `timeout`
  // for some. An empty result means none arrived in time. Errors:
  // offset_out_of_range (with OffsetReset::none), corrupt_batch (a fetched
  // batch failed its CRC), disconnected, and the fetch errors of assign.
  result<Records> poll(std::chrono::milliseconds timeout);

  // Commits the current positions of all assigned partitions for the
  // group (as its member when subscribed). Errors: invalid_argument (no
  // group set), rebalance_in_progress / illegal_generation /
  // unknown_member (subscribed, and the group moved on: the next poll
  // rejoins), and those of Client::commit_offsets.
  status commit();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace wharf
