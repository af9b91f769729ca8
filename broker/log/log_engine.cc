#include "broker/log/log_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "protocol/names.h"
#include "protocol/record_batch.h"

namespace wharf::log {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

status unknown_topic(std::string_view name) {
  // A name no topic can have gets the error that says why.
  if (status st = protocol::validate_name(name, "topic"); !st.ok()) return st;
  return {errc::unknown_topic, fmt::format("no topic named '{}'", name)};
}

status unknown_partition(std::string_view topic, std::uint32_t partition, std::size_t count) {
  return {errc::unknown_partition,
          fmt::format("topic '{}' has partitions 0-{}; there is no partition {}", topic,
                      count == 0 ? 0 : count - 1, partition)};
}

PartitionState state_of(const Partition& p) {
  return {p.index, p.log_start.load(std::memory_order_relaxed),
          p.high_watermark.load(std::memory_order_acquire), p.bytes.load(std::memory_order_relaxed),
          p.batches.load(std::memory_order_relaxed)};
}

TopicDescription describe(const Topic& t) {
  TopicDescription d;
  d.config = {t.record.name, t.record.partitions, t.record.retention_ms, t.record.retention_bytes};
  d.created_ms = t.record.created_ms;
  d.partitions.reserve(t.partitions.size());
  for (const auto& p : t.partitions) d.partitions.push_back(state_of(*p));
  return d;
}

constexpr std::size_t kRetentionBatchesPerOp = 1024;
constexpr std::size_t kPurgeKeysPerOp = 4096;

}  // namespace

// ---------------------------------------------------------------------------
// Write ops

class LogEngine::CreateTopicOp final : public storage::WriteOp {
 public:
  CreateTopicOp(LogEngine& engine, TopicConfig config, Done done)
      : engine_(engine), config_(std::move(config)), done_(std::move(done)) {}

  status apply(storage::WriteTxn& txn) override {
    if (engine_.current_topic(config_.name)) return exists();
    auto id = engine_.storage_.logs().allocate_topic_id(txn);
    if (!id) return id.error();
    storage::TopicRecord record{config_.name, *id, config_.partitions, config_.retention_ms,
                                config_.retention_bytes, now_ms()};
    if (status st = engine_.storage_.logs().put_topic(txn, record); !st.ok()) return st;
    storage::PartitionRecord empty;
    for (std::uint32_t p = 0; p < record.partitions; ++p)
      if (status st = engine_.storage_.logs().put_partition(txn, record.id, p, empty); !st.ok())
        return st;
    engine_.created_pending_.push_back(engine_.make_topic(record));
    return {};
  }
  void complete(status outcome) override {
    done_(std::move(outcome));
    delete this;
  }

 private:
  status exists() const {
    return {errc::topic_exists, fmt::format("topic '{}' already exists", config_.name)};
  }
  LogEngine& engine_;
  TopicConfig config_;
  Done done_;
};

class LogEngine::DeleteTopicOp final : public storage::WriteOp {
 public:
  DeleteTopicOp(LogEngine& engine, std::string name, Done done)
      : engine_(engine), name_(std::move(name)), done_(std::move(done)) {}

  status apply(storage::WriteTxn& txn) override {
    std::shared_ptr<Topic> topic = engine_.current_topic(name_);
    if (!topic) return unknown_topic(name_);
    if (status st = engine_.storage_.logs().erase_topic(txn, topic->record); !st.ok()) return st;
    if (status st = engine_.storage_.logs().delete_group_offsets_for_topic(txn, name_); !st.ok())
      return st;
    topic->life->delete_pending = true;
    engine_.deleted_pending_.push_back(std::move(topic));
    return {};
  }
  void complete(status outcome) override {
    done_(std::move(outcome));
    delete this;
  }

 private:
  LogEngine& engine_;
  std::string name_;
  Done done_;
};

class LogEngine::ProduceOp final : public storage::WriteOp {
 public:
  ProduceOp(LogEngine& engine, std::shared_ptr<Topic> topic, Partition* partition,
            std::vector<std::uint8_t> batch, protocol::batch::BatchInfo info, ProduceDone done)
      : engine_(engine),
        topic_(std::move(topic)),
        partition_(partition),
        batch_(std::move(batch)),
        info_(info),
        done_(std::move(done)) {}

  status apply(storage::WriteTxn& txn) override {
    return engine_.append(txn, {topic_, partition_, info_}, batch_, &base_offset_);
  }
  void complete(status outcome) override {
    if (outcome.ok()) {
      done_(base_offset_);
    } else {
      done_(std::move(outcome));
    }
    delete this;
  }
  std::size_t size_hint() const override { return batch_.size(); }

 private:
  LogEngine& engine_;
  std::shared_ptr<Topic> topic_;
  Partition* partition_;
  std::vector<std::uint8_t> batch_;
  protocol::batch::BatchInfo info_;
  ProduceDone done_;
  std::uint64_t base_offset_ = 0;
};

class LogEngine::CommitOffsetsOp final : public storage::WriteOp {
 public:
  CommitOffsetsOp(LogEngine& engine, std::string group, std::string topic,
                  std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets, Done done)
      : engine_(engine),
        group_(std::move(group)),
        topic_(std::move(topic)),
        offsets_(std::move(offsets)),
        done_(std::move(done)) {}

  status apply(storage::WriteTxn& txn) override {
    auto topic = engine_.current_topic(topic_);
    if (!topic) return unknown_topic(topic_);
    const auto count = topic->partitions.size();
    for (const auto& [partition, offset] : offsets_) {
      if (partition >= count) return unknown_partition(topic_, partition, count);
      // No consumer can have read past the end; such an offset is a bug.
      const std::uint64_t end = topic->partitions[partition]->pending.next_offset;
      if (offset > end)
        return {errc::offset_out_of_range,
                fmt::format("offset {} is past the end of partition {} ({})", offset, partition, end)};
    }
    const std::int64_t now = now_ms();
    for (const auto& [partition, offset] : offsets_)
      if (status st = engine_.storage_.logs().put_group_offset(txn, group_, topic_, partition, offset, now);
          !st.ok())
        return st;
    return {};
  }
  void complete(status outcome) override {
    done_(std::move(outcome));
    delete this;
  }

 private:
  LogEngine& engine_;
  std::string group_;
  std::string topic_;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets_;
  Done done_;
};

class LogEngine::RetentionOp final : public storage::WriteOp {
 public:
  RetentionOp(LogEngine& engine, std::shared_ptr<Topic> topic, Partition* partition,
              std::uint64_t new_log_start)
      : engine_(engine), topic_(std::move(topic)), partition_(partition), new_log_start_(new_log_start) {}

  status apply(storage::WriteTxn& txn) override {
    if (topic_->gone()) return {};
    return engine_.advance_log_start(txn, *partition_, new_log_start_);
  }
  void complete(status) override {
    partition_->retention_busy.store(false, std::memory_order_release);
    delete this;
  }

 private:
  LogEngine& engine_;
  std::shared_ptr<Topic> topic_;
  Partition* partition_;
  std::uint64_t new_log_start_;
};

class LogEngine::PurgeOp final : public storage::WriteOp {
 public:
  PurgeOp(LogEngine& engine, std::uint32_t topic_id, std::uint32_t partitions)
      : engine_(engine), topic_id_(topic_id), partitions_(partitions) {}
  status apply(storage::WriteTxn& txn) override {
    bool done = false;
    return engine_.storage_.logs().purge_deleted_topic(txn, topic_id_, partitions_, kPurgeKeysPerOp, &done);
  }
  void complete(status) override {
    engine_.purge_busy_.store(false, std::memory_order_release);
    delete this;
  }

 private:
  LogEngine& engine_;
  std::uint32_t topic_id_;
  std::uint32_t partitions_;
};

class LogEngine::AlterTopicOp final : public storage::WriteOp {
 public:
  AlterTopicOp(LogEngine& engine, TopicChange change, Done done)
      : engine_(engine), change_(std::move(change)), done_(std::move(done)) {}

  status apply(storage::WriteTxn& txn) override {
    auto current = engine_.current_topic(change_.name);
    if (!current) return unknown_topic(change_.name);
    storage::TopicRecord record = current->record;
    if (change_.partitions) {
      if (*change_.partitions < record.partitions)
        return {errc::invalid_argument, fmt::format("topic '{}' has {} partitions; their number can only grow",
                                                    record.name, record.partitions)};
      record.partitions = *change_.partitions;
    }
    if (change_.retention_ms) record.retention_ms = *change_.retention_ms;
    if (change_.retention_bytes) record.retention_bytes = *change_.retention_bytes;
    auto& logs = engine_.storage_.logs();
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
    engine_.altered_pending_.push_back(std::move(altered));
    return {};
  }
  void complete(status outcome) override {
    done_(std::move(outcome));
    delete this;
  }

 private:
  LogEngine& engine_;
  TopicChange change_;
  Done done_;
};

class LogEngine::DeleteRecordsOp final : public storage::WriteOp {
 public:
  DeleteRecordsOp(LogEngine& engine, std::string topic, std::uint32_t partition, std::uint64_t before,
                  ProduceDone done)
      : engine_(engine), topic_(std::move(topic)), partition_(partition), before_(before), done_(std::move(done)) {}

  status apply(storage::WriteTxn& txn) override {
    auto topic = engine_.current_topic(topic_);
    if (!topic) return unknown_topic(topic_);
    if (partition_ >= topic->partitions.size())
      return unknown_partition(topic_, partition_, topic->partitions.size());
    Partition& p = *topic->partitions[partition_];
    if (before_ > p.pending.next_offset)
      return {errc::offset_out_of_range, fmt::format("offset {} is past the end of {}/{} ({})", before_, topic_,
                                                     partition_, p.pending.next_offset)};
    if (status st = engine_.advance_log_start(txn, p, before_); !st.ok()) return st;
    log_start_ = p.pending.log_start;
    return {};
  }
  void complete(status outcome) override {
    if (outcome.ok()) {
      done_(log_start_);
    } else {
      done_(std::move(outcome));
    }
    delete this;
  }

 private:
  LogEngine& engine_;
  std::string topic_;
  std::uint32_t partition_;
  std::uint64_t before_;
  ProduceDone done_;
  std::uint64_t log_start_ = 0;
};

// ---------------------------------------------------------------------------

result<std::unique_ptr<LogEngine>> LogEngine::open(storage::Storage& storage) {
  std::unique_ptr<LogEngine> engine(new LogEngine(storage));
  if (status st = engine->load(); !st.ok()) return st;
  storage.writer().add_listener(engine.get());
  return engine;
}

LogEngine::~LogEngine() = default;

status LogEngine::load() {
  auto txn = storage_.read();
  if (!txn) return txn.error();
  auto topics = storage_.logs().load_topics(*txn);
  if (!topics) return topics.error();
  for (const auto& record : *topics) {
    auto topic = make_topic(record);
    for (auto& p : topic->partitions) {
      auto rec = storage_.logs().get_partition(*txn, record.id, p->index);
      if (!rec) return rec.error();
      if (!rec->has_value())
        return {errc::storage_corrupt,
                fmt::format("topic '{}' has no state for partition {}", record.name, p->index)};
      p->pending = p->committed = **rec;
      p->publish(p->committed);
    }
    topics_.emplace(record.name, std::move(topic));
  }
  return {};
}

std::shared_ptr<Topic> LogEngine::make_topic(const storage::TopicRecord& record) {
  auto topic = std::make_shared<Topic>();
  topic->record = record;
  topic->partitions.reserve(record.partitions);
  for (std::uint32_t i = 0; i < record.partitions; ++i) topic->partitions.push_back(make_partition(record.id, i));
  return topic;
}

std::shared_ptr<Partition> LogEngine::make_partition(std::uint32_t topic_id, std::uint32_t index) {
  auto p = std::make_shared<Partition>();
  p->topic_id = topic_id;
  p->index = index;
  return p;
}

std::shared_ptr<Topic> LogEngine::current_topic(std::string_view name) const {
  for (auto it = altered_pending_.rbegin(); it != altered_pending_.rend(); ++it)
    if ((*it)->record.name == name && !(*it)->gone()) return *it;
  for (const auto& t : created_pending_)
    if (t->record.name == name && !t->gone()) return t;
  auto it = topics_.find(name);
  if (it != topics_.end() && !it->second->gone()) return it->second;
  return nullptr;
}

status LogEngine::advance_log_start(storage::WriteTxn& txn, Partition& p, std::uint64_t new_log_start) {
  if (new_log_start <= p.pending.log_start) return {};
  mark_dirty(&p);
  std::uint64_t bytes = 0;
  std::uint64_t batches = 0;
  if (status st = storage_.logs().delete_batches_before(txn, p.topic_id, p.index, new_log_start, &bytes, &batches);
      !st.ok())
    return st;
  p.pending.bytes -= std::min(bytes, p.pending.bytes);
  p.pending.batches -= std::min(batches, p.pending.batches);
  p.pending.log_start = std::min(new_log_start, p.pending.next_offset);
  return {};
}

void LogEngine::mark_dirty(Partition* p) {
  if (!p->dirty) {
    p->dirty = true;
    dirty_.push_back(p);
  }
}

status LogEngine::before_commit(storage::WriteTxn& txn) {
  for (Partition* p : dirty_)
    if (status st = storage_.logs().put_partition(txn, p->topic_id, p->index, p->pending); !st.ok())
      return st;
  return {};
}

void LogEngine::after_commit(std::uint64_t seq) {
  {
    std::lock_guard lock(publish_mu_);
    for (Partition* p : dirty_) {
      p->committed = p->pending;
      p->dirty = false;
      unpublished_.push_back({seq, p, p->committed});
    }
  }
  dirty_.clear();
  if (!created_pending_.empty() || !altered_pending_.empty() || !deleted_pending_.empty()) {
    std::unique_lock lock(mu_);
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
  std::lock_guard lock(publish_mu_);
  return !unpublished_.empty();
}

void LogEngine::after_sync(std::uint64_t seq) {
  std::vector<Partition*> appended;
  {
    std::lock_guard lock(publish_mu_);
    while (!unpublished_.empty() && unpublished_.front().seq <= seq) {
      const auto& u = unpublished_.front();
      if (u.state.next_offset != u.partition->high_watermark.load(std::memory_order_relaxed))
        appended.push_back(u.partition);
      u.partition->publish(u.state);
      unpublished_.pop_front();
    }
  }
  for (Partition* p : appended) p->waiters.wake_all();
}

void LogEngine::after_abort() {
  for (Partition* p : dirty_) {
    p->pending = p->committed;
    p->dirty = false;
  }
  dirty_.clear();
  for (auto& t : deleted_pending_) t->life->delete_pending = false;
  created_pending_.clear();
  altered_pending_.clear();
  deleted_pending_.clear();
}

// ---------------------------------------------------------------------------
// Public operations

void LogEngine::create_topic(TopicConfig config, Done done) {
  if (status st = protocol::validate_name(config.name, "topic"); !st.ok()) return done(st);
  if (config.partitions < 1 || config.partitions > protocol::kMaxPartitions)
    return done({errc::invalid_argument, fmt::format("partitions must be 1-{}, not {}",
                                                     protocol::kMaxPartitions, config.partitions)});
  if (config.retention_ms == 0 || config.retention_ms < -1)
    return done({errc::invalid_argument, "retention_ms must be positive, or -1 to keep forever"});
  if (config.retention_bytes == 0 || config.retention_bytes < -1)
    return done({errc::invalid_argument, "retention_bytes must be positive, or -1 for no limit"});
  storage_.writer().submit(new CreateTopicOp(*this, std::move(config), std::move(done)));
}

void LogEngine::alter_topic(TopicChange change, Done done) {
  if (status st = protocol::validate_name(change.name, "topic"); !st.ok()) return done(st);
  if (change.partitions && (*change.partitions < 1 || *change.partitions > protocol::kMaxPartitions))
    return done({errc::invalid_argument, fmt::format("partitions must be 1-{}, not {}", protocol::kMaxPartitions,
                                                     *change.partitions)});
  if (change.retention_ms && (*change.retention_ms == 0 || *change.retention_ms < -1))
    return done({errc::invalid_argument, "retention_ms must be positive, or -1 to keep forever"});
  if (change.retention_bytes && (*change.retention_bytes == 0 || *change.retention_bytes < -1))
    return done({errc::invalid_argument, "retention_bytes must be positive, or -1 for no limit"});
  storage_.writer().submit(new AlterTopicOp(*this, std::move(change), std::move(done)));
}

void LogEngine::delete_records(std::string topic, std::uint32_t partition, std::uint64_t before,
                               ProduceDone done) {
  if (status st = protocol::validate_name(topic, "topic"); !st.ok()) return done(st);
  storage_.writer().submit(new DeleteRecordsOp(*this, std::move(topic), partition, before, std::move(done)));
}

void LogEngine::delete_topic(std::string name, Done done) {
  if (status st = protocol::validate_name(name, "topic"); !st.ok()) return done(st);
  storage_.writer().submit(new DeleteTopicOp(*this, std::move(name), std::move(done)));
}

std::vector<TopicDescription> LogEngine::list_topics() const {
  std::vector<TopicDescription> out;
  std::shared_lock lock(mu_);
  out.reserve(topics_.size());
  for (const auto& [name, topic] : topics_) out.push_back(describe(*topic));
  return out;
}

result<TopicDescription> LogEngine::describe_topic(std::string_view name) const {
  auto topic = find_topic(name);
  if (!topic) return unknown_topic(name);
  return describe(*topic);
}

std::shared_ptr<Topic> LogEngine::find_topic(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

void LogEngine::produce(std::string_view topic_name, std::uint32_t partition,
                        std::vector<std::uint8_t> batch, ProduceDone done) {
  auto prepared = prepare_append(topic_name, partition, batch);
  if (!prepared) return done(prepared.error());
  storage_.writer().submit(new ProduceOp(*this, std::move(prepared->topic), prepared->partition, std::move(batch),
                                         prepared->info, std::move(done)));
}

result<LogEngine::PreparedAppend> LogEngine::prepare_append(std::string_view topic_name, std::uint32_t partition,
                                                            std::span<const std::uint8_t> batch) {
  auto topic = find_topic(topic_name);
  if (!topic) return unknown_topic(topic_name);
  if (partition >= topic->partitions.size())
    return unknown_partition(topic_name, partition, topic->partitions.size());
  PreparedAppend p;
  if (status st = protocol::batch::validate(batch, &p.info); !st.ok()) return st;
  p.partition = topic->partitions[partition].get();
  p.topic = std::move(topic);
  return p;
}

status LogEngine::append(storage::WriteTxn& txn, const PreparedAppend& a, std::span<const std::uint8_t> batch,
                         std::uint64_t* base_offset) {
  if (a.topic->gone()) return unknown_topic(a.topic->record.name);
  Partition& p = *a.partition;
  const std::uint64_t base = p.pending.next_offset;
  auto& logs = storage_.logs();
  // reserve_space inside append_batch refuses before anything is written.
  if (status st = logs.append_batch(txn, a.topic->record.id, p.index, base, now_ms(), batch); !st.ok()) return st;
  mark_dirty(&p);
  if (a.info.max_timestamp > p.pending.max_timestamp) {
    if (status st = logs.put_time_index(txn, a.topic->record.id, p.index, a.info.max_timestamp, base); !st.ok())
      return st;
    p.pending.max_timestamp = a.info.max_timestamp;
  }
  p.pending.next_offset = base + a.info.record_count;
  p.pending.bytes += batch.size();
  p.pending.batches += 1;
  *base_offset = base;
  return {};
}

std::uint64_t LogEngine::durable_end(const Partition& p, const storage::PartitionRecord& snapshot) {
  return std::min(snapshot.next_offset, p.high_watermark.load(std::memory_order_acquire));
}

FetchError LogEngine::fetch(std::string_view topic_name, std::uint32_t partition,
                            std::uint64_t offset, std::size_t max_bytes,
                            const std::function<void(const FetchView&)>& sink) {
  auto topic = find_topic(topic_name);
  if (!topic) return {unknown_topic(topic_name)};
  if (partition >= topic->partitions.size())
    return {unknown_partition(topic_name, partition, topic->partitions.size())};
  auto txn = storage_.read();
  if (!txn) return {txn.error()};
  // Range from the snapshot itself, so it agrees with the batches we read.
  auto rec = storage_.logs().get_partition(*txn, topic->record.id, partition);
  if (!rec) return {rec.error()};
  if (!rec->has_value()) return {unknown_topic(topic_name)};  // deleted meanwhile
  const storage::PartitionRecord& state = **rec;
  // Only durable records are served: the snapshot may hold newer ones whose
  // commit is not flushed yet.
  const std::uint64_t end = durable_end(*topic->partitions[partition], state);
  if (offset < state.log_start || offset > end)
    return {status(errc::offset_out_of_range,
                   fmt::format("offset {} is outside [{}, {}] of {}/{}", offset, state.log_start, end, topic_name,
                               partition)),
            state.log_start, end};
  thread_local std::vector<std::span<const std::uint8_t>> spans;
  spans.clear();
  if (offset < end) {
    if (status st = storage_.logs().read_batches(*txn, topic->record.id, partition, offset, max_bytes, &spans);
        !st.ok())
      return {st};
    while (!spans.empty() && static_cast<std::uint64_t>(protocol::batch::base_offset(spans.back().data())) >= end)
      spans.pop_back();
  }
  sink(FetchView{state.log_start, end, spans});
  return {};
}

result<std::uint64_t> LogEngine::list_offset(std::string_view topic_name, std::uint32_t partition,
                                             OffsetSpec spec, std::int64_t timestamp_ms) {
  auto topic = find_topic(topic_name);
  if (!topic) return unknown_topic(topic_name);
  if (partition >= topic->partitions.size())
    return unknown_partition(topic_name, partition, topic->partitions.size());
  auto txn = storage_.read();
  if (!txn) return txn.error();
  auto rec = storage_.logs().get_partition(*txn, topic->record.id, partition);
  if (!rec) return rec.error();
  if (!rec->has_value()) return unknown_topic(topic_name);
  const storage::PartitionRecord& state = **rec;
  const std::uint64_t end = durable_end(*topic->partitions[partition], state);
  switch (spec) {
    case OffsetSpec::earliest:
      return state.log_start;
    case OffsetSpec::latest:
      return end;
    case OffsetSpec::timestamp:
      return storage_.logs().offset_for_time(*txn, topic->record.id, partition, timestamp_ms, state.log_start, end);
  }
  return status(errc::invalid_argument, "unknown offset spec");
}

void LogEngine::commit_offsets(std::string group, std::string topic,
                               std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets, Done done) {
  if (status st = protocol::validate_name(group, "group"); !st.ok()) return done(st);
  if (status st = protocol::validate_name(topic, "topic"); !st.ok()) return done(st);
  if (offsets.empty()) return done({errc::invalid_argument, "no offsets to commit"});
  storage_.writer().submit(
      new CommitOffsetsOp(*this, std::move(group), std::move(topic), std::move(offsets), std::move(done)));
}

result<std::vector<GroupOffset>> LogEngine::group_offsets(std::string_view group, std::string_view topic) {
  if (status st = protocol::validate_name(group, "group"); !st.ok()) return st;
  if (!topic.empty())
    if (status st = protocol::validate_name(topic, "topic"); !st.ok()) return st;
  auto txn = storage_.read();
  if (!txn) return txn.error();
  auto records = storage_.logs().group_offsets(*txn, group, topic);
  if (!records) return records.error();
  std::vector<GroupOffset> out;
  out.reserve(records->size());
  for (auto& r : *records) out.push_back({std::move(r.topic), r.partition, r.offset, r.commit_time_ms});
  return out;
}

std::size_t LogEngine::enforce_retention(std::int64_t now) {
  std::vector<std::shared_ptr<Topic>> topics;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, t] : topics_)
      if (t->record.retention_ms > 0 || t->record.retention_bytes > 0) topics.push_back(t);
  }
  std::size_t submitted = 0;
  std::vector<storage::BatchSummary> oldest;
  for (const auto& t : topics) {
    for (const auto& p : t->partitions) {
      if (p->retention_busy.load(std::memory_order_acquire)) continue;
      const std::uint64_t bytes = p->bytes.load(std::memory_order_relaxed);
      std::uint64_t excess = t->record.retention_bytes > 0 && bytes > static_cast<std::uint64_t>(t->record.retention_bytes)
                                 ? bytes - static_cast<std::uint64_t>(t->record.retention_bytes)
                                 : 0;
      const bool time_limited = t->record.retention_ms > 0;
      if (excess == 0 && !time_limited) continue;
      auto txn = storage_.read();
      if (!txn) return submitted;
      oldest.clear();
      if (!storage_.logs().oldest_batches(*txn, t->record.id, p->index, kRetentionBatchesPerOp, &oldest).ok())
        continue;
      std::uint64_t new_start = 0;
      for (const auto& b : oldest) {
        const bool expired = time_limited && b.append_ms < now - t->record.retention_ms;
        if (!expired && excess == 0) break;
        new_start = b.base_offset + b.records;
        excess -= std::min(excess, b.bytes);
      }
      if (new_start == 0) continue;
      p->retention_busy.store(true, std::memory_order_release);
      storage_.writer().submit(new RetentionOp(*this, t, p.get(), new_start));
      ++submitted;
    }
  }
  return submitted;
}

bool LogEngine::purge_deleted_topics() {
  if (purge_busy_.load(std::memory_order_acquire)) return true;
  auto txn = storage_.read();
  if (!txn) return false;
  auto deleting = storage_.logs().load_deleting(*txn);
  if (!deleting || deleting->empty()) return false;
  purge_busy_.store(true, std::memory_order_release);
  const auto [id, partitions] = deleting->front();
  storage_.writer().submit(new PurgeOp(*this, id, partitions));
  return true;
}

}  // namespace wharf::log
