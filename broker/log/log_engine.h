// Topics, partitions, produce, fetch, offsets and consumer-group offsets on
// top of storage. Knows nothing of the wire: the network layer converts.
//
// Thread safety: every public method may be called from any thread. Writes
// go through the storage writer and complete on the writer thread
// (callbacks must only post work elsewhere); reads run on the caller's
// thread in a short read transaction. The writer-thread side (the ops'
// bodies and the group hooks) lives in log_writes.cc.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "broker/log/batch_checker.h"
#include "broker/log/topic.h"
#include "broker/log/wait_list.h"
#include "broker/storage/storage.h"
#include "protocol/record_batch.h"
#include "wharf/errors.h"

namespace wharf::log {

struct TopicConfig {
  std::string name;
  std::uint32_t partitions = 1;
  std::int64_t retention_ms = -1;     // -1: keep forever
  std::int64_t retention_bytes = -1;  // -1: no limit; per partition
};

// An alter: fields left empty stay as they are.
struct TopicChange {
  std::string name;
  std::optional<std::uint32_t> partitions;  // only up
  std::optional<std::int64_t> retention_ms;
  std::optional<std::int64_t> retention_bytes;
};

struct PartitionState {
  std::uint32_t partition = 0;
  std::uint64_t log_start = 0;
  std::uint64_t high_watermark = 0;  // offset of the next record
  std::uint64_t bytes = 0;
  std::uint64_t batches = 0;
  // Since the broker started.
  struct Traffic {
    std::uint64_t records_in = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t records_out = 0;
    std::uint64_t bytes_out = 0;
  } traffic;
};

struct TopicDescription {
  TopicConfig config;
  std::int64_t created_ms = 0;
  std::vector<PartitionState> partitions;
};

// A fetch's result, handed to the sink while the read snapshot is open:
// `batches` point into the memory map and are valid only during the call.
struct FetchView {
  std::uint64_t log_start = 0;
  std::uint64_t high_watermark = 0;
  std::span<const std::span<const std::uint8_t>> batches;
};

enum class OffsetSpec { earliest, latest, timestamp };

struct GroupOffset {
  std::string topic;
  std::uint32_t partition = 0;
  std::uint64_t offset = 0;
  std::int64_t commit_time_ms = 0;
};

// offset_out_of_range carries the valid range.
struct FetchError {
  status error;
  std::uint64_t log_start = 0;
  std::uint64_t high_watermark = 0;
};

// A long poll's registration with a partition (LogEngine::wait_for_append).
// Its waiter is woken once when records past the offset become readable or
// the topic is deleted; destroying the registration removes the waiter.
class AppendWait {
 public:
  AppendWait(std::shared_ptr<Topic> topic, std::shared_ptr<Partition> partition, std::shared_ptr<Waiter> waiter,
             bool ready)
      : topic_(std::move(topic)), partition_(std::move(partition)), waiter_(std::move(waiter)), ready_(ready) {}
  ~AppendWait() { partition_->waiters.remove(waiter_.get()); }
  AppendWait(const AppendWait&) = delete;
  AppendWait& operator=(const AppendWait&) = delete;
  // Already readable (or deleted) when registered: no need to wait.
  bool ready() const { return ready_; }

 private:
  std::shared_ptr<Topic> topic_;
  std::shared_ptr<Partition> partition_;
  std::shared_ptr<Waiter> waiter_;
  bool ready_;
};

class LogEngine final : public storage::GroupListener {
 public:
  using Done = std::function<void(status)>;
  using ProduceDone = std::function<void(result<std::uint64_t>)>;

  // Loads topics and partition state; registers with the writer (the caller
  // starts the writer afterwards). A batch bigger than max_batch_bytes, as
  // sent or once decompressed, is refused (batch_too_large).
  static result<std::unique_ptr<LogEngine>> open(storage::Storage& storage,
                                                 std::size_t max_batch_bytes = protocol::kMaxDecompressedBytes);
  ~LogEngine() override;

  // --- topics ---
  void create_topic(TopicConfig config, Done done);
  void delete_topic(std::string name, Done done);
  // Adds partitions (never removes) and changes retention. Errors:
  // unknown_topic, invalid_argument (fewer partitions, a bad value).
  void alter_topic(TopicChange change, Done done);
  std::vector<TopicDescription> list_topics() const;
  result<TopicDescription> describe_topic(std::string_view name) const;

  // --- data ---
  // Validates the batch (corrupt_batch, batch_too_large), appends it, and
  // reports the base offset after the commit. `batch` is taken over. A
  // compressed batch is checked on the BatchChecker's thread; batches of
  // one `source` (a connection) are appended in the order given.
  using Source = BatchChecker::Source;
  void produce(Source source, std::string_view topic, std::uint32_t partition, std::vector<std::uint8_t> batch,
               ProduceDone done);
  // Runs `job` on the BatchChecker's thread, in order with the source's
  // produces: for front-end work as costly as a compressed batch's check
  // (converting an old message format). Runs it at once once stopping. A
  // produce() from inside the job appends in the job's place.
  void run_checked(Source source, std::function<void()> job);
  // Whether the source has produces or jobs still waiting for their checks:
  // work of its that must keep its place behind them goes through
  // run_checked.
  bool checks_pending(Source source) const { return checker_.pending(source); }
  // Finishes the queued checks (their appends reach the writer); later
  // produces are checked on the caller's thread. Before the writer stops.
  void stop_checks() { checker_.stop(); }
  std::size_t max_batch_bytes() const noexcept { return max_batch_bytes_; }
  // A producer id never handed out before, durable before `done` runs:
  // batches carrying it are deduplicated per partition by sequence.
  void init_producer_id(std::function<void(result<std::int64_t>)> done);
  // For appends that are part of a larger write (queue ack + publish):
  // check topic, partition and batch now, on any thread...
  struct PreparedAppend {
    std::shared_ptr<Topic> topic;
    std::shared_ptr<Partition> partition;
    protocol::batch::BatchInfo info;
  };
  result<PreparedAppend> prepare_append(std::string_view topic, std::uint32_t partition,
                                        std::span<const std::uint8_t> batch);
  // ...then append inside that write's transaction (writer thread).
  status append(storage::WriteTxn& txn, const PreparedAppend& prepared, std::span<const std::uint8_t> batch,
                std::uint64_t* base_offset);

  // Reads whole batches from the one holding `offset`, up to max_bytes
  // (at least one; max_bytes 0 reads none, only the range). offset == high
  // watermark gives an empty view (the caller may then wait_for_append).
  FetchError fetch(std::string_view topic, std::uint32_t partition, std::uint64_t offset,
                   std::size_t max_bytes, const std::function<void(const FetchView&)>& sink);
  // Registers `waiter` to be woken when records at or past `offset` of the
  // partition become readable, or the topic is deleted. Errors:
  // unknown_topic, unknown_partition.
  result<std::unique_ptr<AppendWait>> wait_for_append(std::string_view topic, std::uint32_t partition,
                                                      std::uint64_t offset, std::shared_ptr<Waiter> waiter);
  result<std::uint64_t> list_offset(std::string_view topic, std::uint32_t partition,
                                    OffsetSpec spec, std::int64_t timestamp_ms);
  // The first record at or after a time: its offset and timestamp, or
  // nullopt when no record is that late.
  struct TimedOffset {
    std::uint64_t offset = 0;
    std::int64_t timestamp_ms = 0;
  };
  result<std::optional<TimedOffset>> find_by_time(std::string_view topic, std::uint32_t partition,
                                                  std::int64_t timestamp_ms);
  // Advances a partition's log start to `before` (at most its end), as
  // Kafka's DeleteRecords; reports the new log start. Batches wholly below
  // it are deleted. Errors: unknown_topic, unknown_partition,
  // offset_out_of_range (past the end).
  void delete_records(std::string topic, std::uint32_t partition, std::uint64_t before, ProduceDone done);

  // --- consumer groups ---
  void commit_offsets(std::string group, std::string topic,
                      std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets, Done done);
  result<std::vector<GroupOffset>> group_offsets(std::string_view group, std::string_view topic);
  // Drops a group's committed offsets; reports how many there were.
  void delete_group_offsets(std::string group, std::function<void(result<std::size_t>)> done);
  // The groups that have committed offsets.
  result<std::vector<std::string>> groups_with_offsets();

  // --- background work (retention thread) ---
  // Submits deletes for batches past the topic's retention; returns how
  // many partitions had something to delete.
  std::size_t enforce_retention(std::int64_t now_ms);
  // Deletes part of a deleted topic's data; false when nothing is left.
  bool purge_deleted_topics();
  // Forgets idempotent producers that have not appended for `ttl`: a sweep
  // of the producer states every ttl/10 (at most hourly), in chunks;
  // returns true while a sweep is under way. Background thread only.
  bool expire_producer_states(std::int64_t now_ms, std::chrono::milliseconds ttl);

  // GroupListener, writer thread.
  status before_commit(storage::WriteTxn& txn) override;
  void after_commit(std::uint64_t seq) override;
  void after_sync(std::uint64_t seq) override;
  bool wants_sync() const override;
  void after_abort() override;

 private:
  LogEngine(storage::Storage& storage, std::size_t max_batch_bytes)
      : storage_(storage), max_batch_bytes_(max_batch_bytes) {}
  // Validates and submits one batch (produce()'s work after the checker).
  void append_batch(std::string_view topic, std::uint32_t partition, std::vector<std::uint8_t> batch,
                    ProduceDone done);
  status load();
  std::shared_ptr<Topic> find_topic(std::string_view name) const;
  static std::shared_ptr<Topic> make_topic(const storage::TopicRecord& record);
  static std::shared_ptr<Partition> make_partition(std::uint32_t topic_id, std::uint32_t index);
  // A partition as a read snapshot holds it: its state and the end of its
  // durable records (what reads may serve). Errors: unknown_topic,
  // unknown_partition, and those of the read.
  struct DurableSnapshot {
    storage::ReadTxn txn;
    std::uint32_t topic_id;
    storage::PartitionRecord state;
    std::uint64_t end;
    std::shared_ptr<Partition> partition;
  };
  result<DurableSnapshot> durable_snapshot(std::string_view topic, std::uint32_t partition);

  // Writer thread (log_writes.cc): the bodies of the write ops. Each
  // checks (in debug builds) that it runs there.
  void assert_writer_thread() const;
  status create_in(storage::WriteTxn& txn, const TopicConfig& config);
  status delete_in(storage::WriteTxn& txn, const std::string& name);
  status alter_in(storage::WriteTxn& txn, const TopicChange& change);
  result<std::uint64_t> delete_records_in(storage::WriteTxn& txn, const std::string& topic, std::uint32_t partition,
                                          std::uint64_t before);
  status commit_offsets_in(storage::WriteTxn& txn, const std::string& group, const std::string& topic,
                           const std::vector<std::pair<std::uint32_t, std::uint64_t>>& offsets);
  // The topic as the group being written sees it.
  std::shared_ptr<Topic> current_topic(std::string_view name) const;
  // Deletes the batches wholly below and moves log_start up.
  status advance_log_start(storage::WriteTxn& txn, const std::shared_ptr<Partition>& p, std::uint64_t new_log_start);
  void mark_dirty(const std::shared_ptr<Partition>& p);
  // End of the records a reader may see: committed in `snapshot` and durable.
  static std::uint64_t durable_end(const Partition& p, const storage::PartitionRecord& snapshot);

  storage::Storage& storage_;
  const std::size_t max_batch_bytes_;
  BatchChecker checker_;

  mutable SharedMutex mu_;
  std::map<std::string, std::shared_ptr<Topic>, std::less<>> topics_ WHARF_GUARDED_BY(mu_);

  // Writer thread only (checked by assert_writer_thread): effects of the
  // group being written.
  std::vector<std::shared_ptr<Partition>> dirty_;
  std::vector<std::shared_ptr<Topic>> created_pending_;
  std::vector<std::shared_ptr<Topic>> altered_pending_;
  std::vector<std::shared_ptr<Topic>> deleted_pending_;

  // Committed partition states waiting for their commit to be durable.
  // Shared pointers: a topic deleted meanwhile must not free them.
  struct Unpublished {
    std::uint64_t seq;
    std::shared_ptr<Partition> partition;
    storage::PartitionRecord state;
  };
  mutable Mutex publish_mu_;
  std::deque<Unpublished> unpublished_ WHARF_GUARDED_BY(publish_mu_);
  std::atomic<bool> purge_busy_{false};
  // Producer state expiry: the background thread starts chunks, the
  // writer runs them; a chunk in flight owns the cursor.
  std::atomic<bool> expiry_busy_{false};
  std::atomic<bool> expiry_sweeping_{false};
  std::int64_t next_expiry_ms_ = 0;          // background thread only
  std::vector<std::uint8_t> expiry_cursor_;  // the chunk in flight only
};

}  // namespace wharf::log
