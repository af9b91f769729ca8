// The log engine's caller side: public entry points (which validate and
// submit write ops), reads in short read transactions, and the retention
// thread's scans. The ops' bodies run on the writer thread: log_writes.cc.
#include "broker/log/log_engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "broker/log/log_errors.h"
#include "broker/storage/function_op.h"
#include "protocol/names.h"
#include "protocol/record_batch.h"

namespace wharf::log {
namespace {

PartitionState state_of(const Partition& p) {
  return {p.index, p.log_start.load(std::memory_order_relaxed),
          p.high_watermark.load(std::memory_order_acquire), p.bytes.load(std::memory_order_relaxed),
          p.batches.load(std::memory_order_relaxed),
          {p.records_in.load(std::memory_order_relaxed), p.bytes_in.load(std::memory_order_relaxed),
           p.records_out.load(std::memory_order_relaxed), p.bytes_out.load(std::memory_order_relaxed)}};
}

TopicDescription describe(const Topic& t) {
  TopicDescription d;
  d.config = {t.record.name, t.record.partitions, t.record.retention_ms, t.record.retention_bytes};
  d.created_ms = t.record.created_ms;
  d.partitions.reserve(t.partitions.size());
  for (const auto& p : t.partitions) d.partitions.push_back(state_of(*p));
  return d;
}

// An op whose body returns a status; its outcome goes to `done`.
template <typename Body>
std::unique_ptr<storage::WriteOp> status_op(Body body, LogEngine::Done done) {
  return storage::make_op(
      [body = std::move(body)](storage::WriteTxn& txn) mutable -> result<bool> {
        if (status st = body(txn); !st.ok()) return st;
        return true;
      },
      [done = std::move(done)](result<bool> r) { done(r.error()); });
}

status check_retention(std::optional<std::int64_t> ms, std::optional<std::int64_t> bytes) {
  if (ms && (*ms == 0 || *ms < -1)) return {errc::invalid_argument, "retention_ms must be positive, or -1 to keep forever"};
  if (bytes && (*bytes == 0 || *bytes < -1))
    return {errc::invalid_argument, "retention_bytes must be positive, or -1 for no limit"};
  return {};
}

status check_partitions(std::uint32_t partitions) {
  if (partitions >= 1 && partitions <= protocol::kMaxPartitions) return {};
  return {errc::invalid_argument, fmt::format("partitions must be 1-{}, not {}", protocol::kMaxPartitions, partitions)};
}

constexpr std::size_t kRetentionBatchesPerOp = 1024;
constexpr std::size_t kPurgeKeysPerOp = 4096;

}  // namespace

result<std::unique_ptr<LogEngine>> LogEngine::open(storage::Storage& storage, std::size_t max_batch_bytes) {
  std::unique_ptr<LogEngine> engine(new LogEngine(storage, max_batch_bytes));
  if (status st = engine->load(); !st.ok()) return st;
  storage.writer().add_listener(engine.get());
  return engine;
}

// Checks still queued finish while the topics they look up exist.
LogEngine::~LogEngine() { checker_.stop(); }

status LogEngine::load() {
  auto txn = storage_.read();
  if (!txn) return txn.error();
  auto topics = storage_.logs().load_topics(*txn);
  if (!topics) return topics.error();
  WriterLock lock(mu_);
  for (const auto& record : *topics) {
    auto topic = make_topic(record);
    for (auto& p : topic->partitions) {
      auto rec = storage_.logs().get_partition(*txn, record.id, p->index);
      if (!rec) return rec.error();
      if (!rec->has_value())
        return {errc::storage_corrupt, fmt::format("topic '{}' has no state for partition {}", record.name, p->index)};
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

std::shared_ptr<Topic> LogEngine::find_topic(std::string_view name) const {
  ReaderLock lock(mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

// ---------------------------------------------------------------------------
// Topics

void LogEngine::create_topic(TopicConfig config, Done done) {
  if (status st = protocol::validate_name(config.name, "topic"); !st.ok()) return done(st);
  if (status st = check_partitions(config.partitions); !st.ok()) return done(st);
  if (status st = check_retention(config.retention_ms, config.retention_bytes); !st.ok()) return done(st);
  storage_.writer().submit(
      status_op([this, config = std::move(config)](storage::WriteTxn& txn) { return create_in(txn, config); },
                std::move(done)));
}

void LogEngine::alter_topic(TopicChange change, Done done) {
  if (status st = protocol::validate_name(change.name, "topic"); !st.ok()) return done(st);
  if (change.partitions)
    if (status st = check_partitions(*change.partitions); !st.ok()) return done(st);
  if (status st = check_retention(change.retention_ms, change.retention_bytes); !st.ok()) return done(st);
  storage_.writer().submit(
      status_op([this, change = std::move(change)](storage::WriteTxn& txn) { return alter_in(txn, change); },
                std::move(done)));
}

void LogEngine::delete_topic(std::string name, Done done) {
  if (status st = protocol::validate_name(name, "topic"); !st.ok()) return done(st);
  storage_.writer().submit(
      status_op([this, name = std::move(name)](storage::WriteTxn& txn) { return delete_in(txn, name); },
                std::move(done)));
}

std::vector<TopicDescription> LogEngine::list_topics() const {
  std::vector<TopicDescription> out;
  ReaderLock lock(mu_);
  out.reserve(topics_.size());
  for (const auto& [name, topic] : topics_) out.push_back(describe(*topic));
  return out;
}

result<TopicDescription> LogEngine::describe_topic(std::string_view name) const {
  auto topic = find_topic(name);
  if (!topic) return unknown_topic(name);
  return describe(*topic);
}

// ---------------------------------------------------------------------------
// Data

void LogEngine::produce(Source source, std::string_view topic_name, std::uint32_t partition,
                        std::vector<std::uint8_t> batch, ProduceDone done) {
  const bool compressed =
      batch.size() >= protocol::batch::kHeaderSize && protocol::batch::codec(batch.data()) != protocol::Codec::none;
  // The common case first. A job of run_checked holds its source's turn:
  // what it produces goes at once, not behind that source's later jobs.
  if ((!compressed && !checker_.pending(source)) || BatchChecker::in_job())
    return append_batch(topic_name, partition, std::move(batch), std::move(done));
  checker_.run(source, [this, topic = std::string(topic_name), partition, batch = std::move(batch),
                        done = std::move(done)]() mutable {
    append_batch(topic, partition, std::move(batch), std::move(done));
  });
}

void LogEngine::run_checked(Source source, std::function<void()> job) { checker_.run(source, std::move(job)); }

void LogEngine::append_batch(std::string_view topic_name, std::uint32_t partition, std::vector<std::uint8_t> batch,
                             ProduceDone done) {
  auto prepared = prepare_append(topic_name, partition, batch);
  if (!prepared) return done(prepared.error());
  const std::size_t size = batch.size();
  storage_.writer().submit(storage::make_op(
      [this, prepared = std::move(*prepared), batch = std::move(batch)](storage::WriteTxn& txn)
          -> result<std::uint64_t> {
        std::uint64_t base = 0;
        if (status st = append(txn, prepared, batch, &base); !st.ok()) return st;
        return base;
      },
      std::move(done), {size, true}));
}

void LogEngine::init_producer_id(std::function<void(result<std::int64_t>)> done) {
  storage_.writer().submit(storage::make_op(
      [this](storage::WriteTxn& txn) { return storage_.producers().allocate_producer_id(txn); }, std::move(done)));
}

result<LogEngine::PreparedAppend> LogEngine::prepare_append(std::string_view topic_name, std::uint32_t partition,
                                                            std::span<const std::uint8_t> batch) {
  auto topic = find_topic(topic_name);
  if (!topic) return unknown_topic(topic_name);
  if (partition >= topic->partitions.size()) return unknown_partition(topic_name, partition, topic->partitions.size());
  PreparedAppend p;
  if (status st = protocol::batch::validate(batch, &p.info, max_batch_bytes_); !st.ok()) return st;
  p.partition = topic->partitions[partition];
  p.topic = std::move(topic);
  return p;
}

std::uint64_t LogEngine::durable_end(const Partition& p, const storage::PartitionRecord& snapshot) {
  return std::min(snapshot.next_offset, p.high_watermark.load(std::memory_order_acquire));
}

result<LogEngine::DurableSnapshot> LogEngine::durable_snapshot(std::string_view topic_name, std::uint32_t partition) {
  auto topic = find_topic(topic_name);
  if (!topic) return unknown_topic(topic_name);
  if (partition >= topic->partitions.size()) return unknown_partition(topic_name, partition, topic->partitions.size());
  auto txn = storage_.read();
  if (!txn) return txn.error();
  auto rec = storage_.logs().get_partition(*txn, topic->record.id, partition);
  if (!rec) return rec.error();
  if (!rec->has_value()) return unknown_topic(topic_name);  // deleted meanwhile
  // Only durable records are served: the snapshot may hold newer ones whose
  // commit is not flushed yet.
  const std::uint64_t end = durable_end(*topic->partitions[partition], **rec);
  return DurableSnapshot{std::move(*txn), topic->record.id, **rec, end, topic->partitions[partition]};
}

FetchError LogEngine::fetch(std::string_view topic_name, std::uint32_t partition, std::uint64_t offset,
                            std::size_t max_bytes, const std::function<void(const FetchView&)>& sink) {
  // Range from the snapshot itself, so it agrees with the batches we read.
  auto snap = durable_snapshot(topic_name, partition);
  if (!snap) return {snap.error()};
  const storage::PartitionRecord& state = snap->state;
  const std::uint64_t end = snap->end;
  if (offset < state.log_start || offset > end)
    return {status(errc::offset_out_of_range,
                   fmt::format("offset {} is outside [{}, {}] of {}/{}", offset, state.log_start, end, topic_name,
                               partition)),
            state.log_start, end};
  thread_local std::vector<std::span<const std::uint8_t>> spans;
  spans.clear();
  if (offset < end && max_bytes > 0) {
    if (status st = storage_.logs().read_batches(snap->txn, snap->topic_id, partition, offset, max_bytes, &spans);
        !st.ok())
      return {st};
    while (!spans.empty() && static_cast<std::uint64_t>(protocol::batch::base_offset(spans.back().data())) >= end)
      spans.pop_back();
  }
  sink(FetchView{state.log_start, end, spans});
  if (!spans.empty()) {
    std::uint64_t bytes = 0;
    for (const auto& s : spans) bytes += s.size();
    const auto first = static_cast<std::uint64_t>(protocol::batch::base_offset(spans.front().data()));
    const std::uint8_t* last = spans.back().data();
    const auto last_end = static_cast<std::uint64_t>(protocol::batch::base_offset(last) +
                                                     protocol::batch::producer_stamp(last).last_offset_delta + 1);
    snap->partition->records_out.fetch_add(last_end - first, std::memory_order_relaxed);
    snap->partition->bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  }
  return {};
}

result<std::unique_ptr<AppendWait>> LogEngine::wait_for_append(std::string_view topic_name, std::uint32_t partition,
                                                               std::uint64_t offset, std::shared_ptr<Waiter> waiter) {
  auto topic = find_topic(topic_name);
  if (!topic) return unknown_topic(topic_name);
  if (partition >= topic->partitions.size()) return unknown_partition(topic_name, partition, topic->partitions.size());
  auto p = topic->partitions[partition];
  // Registered before the check, so an append between the two still wakes it.
  p->waiters.add(waiter);
  const bool ready = p->high_watermark.load(std::memory_order_acquire) != offset || topic->deleted();
  return std::make_unique<AppendWait>(std::move(topic), std::move(p), std::move(waiter), ready);
}

result<std::uint64_t> LogEngine::list_offset(std::string_view topic_name, std::uint32_t partition, OffsetSpec spec,
                                             std::int64_t timestamp_ms) {
  auto snap = durable_snapshot(topic_name, partition);
  if (!snap) return snap.error();
  switch (spec) {
    case OffsetSpec::earliest:
      return snap->state.log_start;
    case OffsetSpec::latest:
      return snap->end;
    case OffsetSpec::timestamp:
      return storage_.logs().offset_for_time(snap->txn, snap->topic_id, partition, timestamp_ms,
                                             snap->state.log_start, snap->end);
  }
  return status(errc::invalid_argument, "unknown offset spec");
}

result<std::optional<LogEngine::TimedOffset>> LogEngine::find_by_time(std::string_view topic_name,
                                                                     std::uint32_t partition,
                                                                     std::int64_t timestamp_ms) {
  auto snap = durable_snapshot(topic_name, partition);
  if (!snap) return snap.error();
  TimedOffset found;
  auto offset = storage_.logs().offset_for_time(snap->txn, snap->topic_id, partition, timestamp_ms,
                                                snap->state.log_start, snap->end, &found.timestamp_ms);
  if (!offset) return offset.error();
  if (*offset >= snap->end) return std::optional<TimedOffset>();
  found.offset = *offset;
  return std::optional<TimedOffset>(found);
}

void LogEngine::delete_records(std::string topic, std::uint32_t partition, std::uint64_t before, ProduceDone done) {
  if (status st = protocol::validate_name(topic, "topic"); !st.ok()) return done(st);
  storage_.writer().submit(storage::make_op(
      [this, topic = std::move(topic), partition, before](storage::WriteTxn& txn) {
        return delete_records_in(txn, topic, partition, before);
      },
      std::move(done)));
}

// ---------------------------------------------------------------------------
// Consumer groups

void LogEngine::commit_offsets(std::string group, std::string topic,
                               std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets, Done done) {
  if (status st = protocol::validate_name(group, "group"); !st.ok()) return done(st);
  if (status st = protocol::validate_name(topic, "topic"); !st.ok()) return done(st);
  if (offsets.empty()) return done({errc::invalid_argument, "no offsets to commit"});
  storage_.writer().submit(status_op(
      [this, group = std::move(group), topic = std::move(topic), offsets = std::move(offsets)](storage::WriteTxn& txn) {
        return commit_offsets_in(txn, group, topic, offsets);
      },
      std::move(done)));
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

void LogEngine::delete_group_offsets(std::string group, std::function<void(result<std::size_t>)> done) {
  if (status st = protocol::validate_name(group, "group"); !st.ok()) return done(st);
  storage_.writer().submit(storage::make_op(
      [this, group = std::move(group)](storage::WriteTxn& txn) -> result<std::size_t> {
        std::size_t deleted = 0;
        if (status st = storage_.logs().delete_group_offsets(txn, group, &deleted); !st.ok()) return st;
        return deleted;
      },
      std::move(done)));
}

result<std::vector<std::string>> LogEngine::groups_with_offsets() {
  auto txn = storage_.read();
  if (!txn) return txn.error();
  return storage_.logs().groups_with_offsets(*txn);
}

// ---------------------------------------------------------------------------
// Background work

std::size_t LogEngine::enforce_retention(std::int64_t now) {
  std::vector<std::shared_ptr<Topic>> topics;
  {
    ReaderLock lock(mu_);
    for (const auto& [name, t] : topics_)
      if (t->record.retention_ms > 0 || t->record.retention_bytes > 0) topics.push_back(t);
  }
  std::size_t submitted = 0;
  std::vector<storage::BatchSummary> oldest;
  for (const auto& t : topics) {
    for (const auto& p : t->partitions) {
      if (p->retention_busy.load(std::memory_order_acquire)) continue;
      const std::uint64_t bytes = p->bytes.load(std::memory_order_relaxed);
      std::uint64_t excess =
          t->record.retention_bytes > 0 && bytes > static_cast<std::uint64_t>(t->record.retention_bytes)
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
      const std::uint64_t end = p->high_watermark.load(std::memory_order_acquire);
      for (const auto& b : oldest) {
        const bool expired = time_limited && b.append_ms < now - t->record.retention_ms;
        if (!expired && excess == 0) break;
        // Size never takes the newest batch, even one bigger than the limit:
        // a partition is never emptied to make room it already has.
        if (!expired && b.base_offset + b.records >= end) break;
        new_start = b.base_offset + b.records;
        excess -= std::min(excess, b.bytes);
      }
      if (new_start == 0) continue;
      p->retention_busy.store(true, std::memory_order_release);
      storage_.writer().submit(storage::make_op(
          [this, t, p, new_start](storage::WriteTxn& txn) -> result<bool> {
            if (t->gone()) return true;
            if (status st = advance_log_start(txn, p, new_start); !st.ok()) return st;
            return true;
          },
          [p](result<bool>) { p->retention_busy.store(false, std::memory_order_release); }));
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
  storage_.writer().submit(storage::make_op(
      [this, id = id, partitions = partitions](storage::WriteTxn& txn) -> result<bool> {
        bool done = false;
        if (status st = storage_.producers().purge_topic(txn, id, kPurgeKeysPerOp, &done); !st.ok() || !done)
          return st.ok() ? result<bool>(false) : result<bool>(st);
        if (status st = storage_.logs().purge_deleted_topic(txn, id, partitions, kPurgeKeysPerOp, &done); !st.ok())
          return st;
        return done;
      },
      [this](result<bool>) { purge_busy_.store(false, std::memory_order_release); }));
  return true;
}

bool LogEngine::expire_producer_states(std::int64_t now_ms, std::chrono::milliseconds ttl) {
  if (expiry_busy_.load(std::memory_order_acquire)) return true;
  if (!expiry_sweeping_.load(std::memory_order_acquire)) {
    if (now_ms < next_expiry_ms_) return false;
    next_expiry_ms_ = now_ms + std::min<std::int64_t>(ttl.count() / 10, 3600 * 1000);
    expiry_sweeping_.store(true, std::memory_order_release);
  }
  expiry_busy_.store(true, std::memory_order_release);
  storage_.writer().submit(storage::make_op(
      [this, older_than = now_ms - ttl.count()](storage::WriteTxn& txn) -> result<bool> {
        bool done = false;
        if (status st = storage_.producers().expire(txn, older_than, kPurgeKeysPerOp, &expiry_cursor_, &done);
            !st.ok())
          return st;
        return done;
      },
      [this](result<bool> done) {
        // A failed chunk ends the sweep; the next one starts over.
        if (!done || *done) {
          expiry_cursor_.clear();
          expiry_sweeping_.store(false, std::memory_order_release);
        }
        expiry_busy_.store(false, std::memory_order_release);
      }));
  return true;
}

}  // namespace wharf::log
