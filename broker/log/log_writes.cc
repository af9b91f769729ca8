// The log engine's writer-thread side: the bodies of its write ops and its
// group hooks. Everything here runs on the storage writer thread, inside
// the group being written; effects on shared state wait for after_commit.
#include <fmt/format.h>

#include <algorithm>
#include <cassert>

#include "base/clock.h"
#include "broker/log/log_engine.h"
#include "broker/log/producer_sequence.h"
#include "broker/log/log_errors.h"

namespace wharf::log {

void LogEngine::assert_writer_thread() const { assert(storage_.writer().on_writer_thread()); }

std::shared_ptr<Topic> LogEngine::current_topic(std::string_view name) const {
  assert_writer_thread();
  for (auto it = altered_pending_.rbegin(); it != altered_pending_.rend(); ++it)
    if ((*it)->record.name == name && !(*it)->gone()) return *it;
  for (const auto& t : created_pending_)
    if (t->record.name == name && !t->gone()) return t;
  // topics_ changes only in after_commit, on this thread.
  ReaderLock lock(mu_);
  auto it = topics_.find(name);
  if (it != topics_.end() && !it->second->gone()) return it->second;
  return nullptr;
}

status LogEngine::create_in(storage::WriteTxn& txn, const TopicConfig& config) {
  assert_writer_thread();
  if (current_topic(config.name))
    return {errc::topic_exists, fmt::format("topic '{}' already exists", config.name)};
  auto& logs = storage_.logs();
  auto id = logs.allocate_topic_id(txn);
  if (!id) return id.error();
  storage::TopicRecord record{config.name, *id, config.partitions, config.retention_ms, config.retention_bytes,
                              wall_clock_ms()};
  if (status st = logs.put_topic(txn, record); !st.ok()) return st;
  storage::PartitionRecord empty;
  for (std::uint32_t p = 0; p < record.partitions; ++p)
    if (status st = logs.put_partition(txn, record.id, p, empty); !st.ok()) return st;
  created_pending_.push_back(make_topic(record));
  return {};
}

status LogEngine::delete_in(storage::WriteTxn& txn, const std::string& name) {
  assert_writer_thread();
  std::shared_ptr<Topic> topic = current_topic(name);
  if (!topic) return unknown_topic(name);
  if (status st = storage_.logs().erase_topic(txn, topic->record); !st.ok()) return st;
  if (status st = storage_.logs().delete_group_offsets_for_topic(txn, name); !st.ok()) return st;
  topic->life->delete_pending = true;
  deleted_pending_.push_back(std::move(topic));
  return {};
}

status LogEngine::alter_in(storage::WriteTxn& txn, const TopicChange& change) {
  assert_writer_thread();
  auto current = current_topic(change.name);
  if (!current) return unknown_topic(change.name);
  storage::TopicRecord record = current->record;
  if (change.partitions) {
    if (*change.partitions < record.partitions)
      return {errc::invalid_argument, fmt::format("topic '{}' has {} partitions; their number can only grow",
                                                  record.name, record.partitions)};
    record.partitions = *change.partitions;
  }
  if (change.retention_ms) record.retention_ms = *change.retention_ms;
  if (change.retention_bytes) record.retention_bytes = *change.retention_bytes;
  auto& logs = storage_.logs();
  if (status st = logs.put_topic(txn, record); !st.ok()) return st;
  // A new version shares the partitions it keeps and the topic's life.
  auto altered = std::make_shared<Topic>();
  altered->record = record;
  altered->partitions = current->partitions;
  altered->life = current->life;
  storage::PartitionRecord empty;
  for (std::uint32_t p = current->record.partitions; p < record.partitions; ++p) {
    if (status st = logs.put_partition(txn, record.id, p, empty); !st.ok()) {
      txn.request_rollback();
      return st;
    }
    altered->partitions.push_back(make_partition(record.id, p));
  }
  altered_pending_.push_back(std::move(altered));
  return {};
}

result<std::uint64_t> LogEngine::delete_records_in(storage::WriteTxn& txn, const std::string& topic_name,
                                                   std::uint32_t partition, std::uint64_t before) {
  auto topic = current_topic(topic_name);
  if (!topic) return unknown_topic(topic_name);
  if (partition >= topic->partitions.size())
    return unknown_partition(topic_name, partition, topic->partitions.size());
  const auto& p = topic->partitions[partition];
  if (before > p->pending.next_offset)
    return status(errc::offset_out_of_range, fmt::format("offset {} is past the end of {}/{} ({})", before, topic_name,
                                                         partition, p->pending.next_offset));
  if (status st = advance_log_start(txn, p, before); !st.ok()) return st;
  return p->pending.log_start;
}

status LogEngine::commit_offsets_in(storage::WriteTxn& txn, const std::string& group, const std::string& topic_name,
                                    const std::vector<std::pair<std::uint32_t, std::uint64_t>>& offsets) {
  auto topic = current_topic(topic_name);
  if (!topic) return unknown_topic(topic_name);
  const auto count = topic->partitions.size();
  for (const auto& [partition, offset] : offsets) {
    if (partition >= count) return unknown_partition(topic_name, partition, count);
    // No consumer can have read past the end; such an offset is a bug.
    const std::uint64_t end = topic->partitions[partition]->pending.next_offset;
    if (offset > end)
      return {errc::offset_out_of_range,
              fmt::format("offset {} is past the end of partition {} ({})", offset, partition, end)};
  }
  const std::int64_t now = wall_clock_ms();
  for (const auto& [partition, offset] : offsets)
    if (status st = storage_.logs().put_group_offset(txn, group, topic_name, partition, offset, now); !st.ok())
      return st;
  return {};
}

status LogEngine::append(storage::WriteTxn& txn, const PreparedAppend& a, std::span<const std::uint8_t> batch,
                         std::uint64_t* base_offset) {
  if (a.topic->gone()) return unknown_topic(a.topic->record.name);
  Partition& p = *a.partition;
  const std::uint64_t base = p.pending.next_offset;
  auto& logs = storage_.logs();
  // An idempotent producer's retry is answered with where the batch went.
  const auto stamp = protocol::batch::producer_stamp(batch.data());
  std::optional<storage::ProducerStateRecord> producer;
  if (stamp.producer_id >= 0) {
    auto stored = storage_.producers().get(txn, a.topic->record.id, p.index, stamp.producer_id);
    if (!stored) return stored.error();
    producer = std::move(*stored);
    auto verdict = check_sequence(producer, stamp);
    if (!verdict.error.ok()) return verdict.error;
    if (verdict.duplicate_of) {
      *base_offset = *verdict.duplicate_of;
      return {};
    }
  }
  // reserve_space inside append_batch refuses before anything is written.
  if (status st = logs.append_batch(txn, a.topic->record.id, p.index, base, wall_clock_ms(), batch); !st.ok())
    return st;
  if (stamp.producer_id >= 0) {
    if (status st = storage_.producers().put(txn, a.topic->record.id, p.index, stamp.producer_id,
                                             next_state(std::move(producer), stamp, base, wall_clock_ms()));
        !st.ok()) {
      txn.request_rollback();
      return st;
    }
  }
  mark_dirty(a.partition);
  if (a.info.max_timestamp > p.pending.max_timestamp) {
    if (status st = logs.put_time_index(txn, a.topic->record.id, p.index, a.info.max_timestamp, base); !st.ok())
      return st;
    p.pending.max_timestamp = a.info.max_timestamp;
  }
  p.pending.next_offset = base + a.info.record_count;
  p.pending.bytes += batch.size();
  p.pending.batches += 1;
  p.pending_bytes_in += batch.size();
  *base_offset = base;
  return {};
}

status LogEngine::advance_log_start(storage::WriteTxn& txn, const std::shared_ptr<Partition>& p,
                                    std::uint64_t new_log_start) {
  if (new_log_start <= p->pending.log_start) return {};
  mark_dirty(p);
  std::uint64_t bytes = 0;
  std::uint64_t batches = 0;
  if (status st = storage_.logs().delete_batches_before(txn, p->topic_id, p->index, new_log_start, &bytes, &batches);
      !st.ok())
    return st;
  p->pending.bytes -= std::min(bytes, p->pending.bytes);
  p->pending.batches -= std::min(batches, p->pending.batches);
  p->pending.log_start = std::min(new_log_start, p->pending.next_offset);
  return {};
}

void LogEngine::mark_dirty(const std::shared_ptr<Partition>& p) {
  assert_writer_thread();
  if (!p->dirty) {
    p->dirty = true;
    dirty_.push_back(p);
  }
}

status LogEngine::before_commit(storage::WriteTxn& txn) {
  assert_writer_thread();
  for (const auto& p : dirty_)
    if (status st = storage_.logs().put_partition(txn, p->topic_id, p->index, p->pending); !st.ok()) return st;
  return {};
}

void LogEngine::after_commit(std::uint64_t seq) {
  assert_writer_thread();
  {
    MutexLock lock(publish_mu_);
    for (const auto& p : dirty_) {
      p->records_in.fetch_add(p->pending.next_offset - p->committed.next_offset, std::memory_order_relaxed);
      p->bytes_in.fetch_add(p->pending_bytes_in, std::memory_order_relaxed);
      p->pending_bytes_in = 0;
      p->committed = p->pending;
      p->dirty = false;
      unpublished_.push_back({seq, p, p->committed});
    }
  }
  dirty_.clear();
  if (!created_pending_.empty() || !altered_pending_.empty() || !deleted_pending_.empty()) {
    WriterLock lock(mu_);
    for (auto& t : created_pending_) topics_[t->record.name] = t;
    for (auto& t : altered_pending_)
      if (!t->gone()) topics_[t->record.name] = t;
    for (auto& t : deleted_pending_) {
      auto it = topics_.find(t->record.name);
      if (it != topics_.end() && it->second->life == t->life) topics_.erase(it);
      t->life->deleted.store(true, std::memory_order_release);
    }
  }
  for (auto& t : deleted_pending_)
    for (auto& p : t->partitions) p->waiters.wake_all();
  created_pending_.clear();
  altered_pending_.clear();
  deleted_pending_.clear();
}

bool LogEngine::wants_sync() const {
  MutexLock lock(publish_mu_);
  return !unpublished_.empty();
}

void LogEngine::after_sync(std::uint64_t seq) {
  std::vector<std::shared_ptr<Partition>> appended;
  {
    MutexLock lock(publish_mu_);
    while (!unpublished_.empty() && unpublished_.front().seq <= seq) {
      auto& u = unpublished_.front();
      if (u.state.next_offset != u.partition->high_watermark.load(std::memory_order_relaxed))
        appended.push_back(u.partition);
      u.partition->publish(u.state);
      unpublished_.pop_front();
    }
  }
  for (const auto& p : appended) p->waiters.wake_all();
}

void LogEngine::after_abort() {
  assert_writer_thread();
  for (const auto& p : dirty_) {
    p->pending = p->committed;
    p->pending_bytes_in = 0;
    p->dirty = false;
  }
  dirty_.clear();
  for (auto& t : deleted_pending_) t->life->delete_pending = false;
  created_pending_.clear();
  altered_pending_.clear();
  deleted_pending_.clear();
}

}  // namespace wharf::log
