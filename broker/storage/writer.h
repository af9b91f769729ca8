// The one thread that owns every write transaction (group commit).
//
// Producers of writes (network threads, background jobs) submit WriteOps.
// The writer takes everything pending, applies it in ONE transaction, lets
// each GroupListener flush its state, commits once, and only then completes
// every op. So an op's completion means "durable per the durability mode".
// The writer owns each op from submit() until it has completed it, then
// destroys it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "base/histogram.h"
#include "base/mutex.h"

#include "broker/storage/storage_options.h"
#include "broker/storage/txn.h"
#include "wharf/errors.h"

namespace wharf::storage {

class LmdbEnv;

class WriteOp {
 public:
  virtual ~WriteOp() = default;
  // Runs inside the group's transaction on the writer thread. Return:
  //  - ok, or a request error (unknown_topic, ...) after writing nothing:
  //    only this op fails (so does storage_full from WriteTxn::reserve_space
  //    called before the op's first write);
  //  - an error after a partial write, having called request_rollback():
  //    the group is rolled back and the other ops retried alone;
  //  - a storage error (storage_full / storage_failed / storage_corrupt)
  //    from a store call: the group is aborted and retried op by op.
  // May run again after an abort, so it must not keep effects outside the
  // transaction except through a GroupListener that can roll them back.
  virtual status apply(WriteTxn& txn) = 0;
  // Called once with the final outcome, after the commit; the writer
  // destroys the op right after. Must not block.
  virtual void complete(status outcome) = 0;
  // Bytes this op adds, to bound the size of one transaction.
  virtual std::size_t size_hint() const { return 64; }
  // Whether the op's reply promises durability. A group with none of
  // these (settlements, deliveries, timers) commits with one flush instead
  // of two: a power loss may undo it, a process crash cannot.
  virtual bool needs_sync() const { return true; }
  // An op that only reads (engine state, or the store through a Txn)
  // returns true and implements read(). Once storage has failed, the writer
  // still runs it, in a read transaction: reads keep working.
  virtual bool reads_only() const { return false; }
  virtual status read(Txn& txn);

 private:
  friend class Writer;
  status outcome_;
  std::uint64_t committed_seq_ = 0;
};

// Engines with in-memory state that mirrors what a group wrote.
class GroupListener {
 public:
  virtual ~GroupListener() = default;
  // Last writes of the group (e.g. per-partition metadata), writer thread.
  virtual status before_commit(WriteTxn& txn) = 0;
  // The group committed as commit number `seq` (safe from a process crash;
  // from a power loss only once after_sync reaches seq).
  virtual void after_commit(std::uint64_t seq) = 0;
  // The group was rolled back: forget what its ops did.
  virtual void after_abort() = 0;
  // After the committed ops of a run have been completed (their replies
  // handed off): pushes that must follow those replies go here.
  virtual void after_replies() {}
  // Every commit up to `seq` is durable. Writer thread: after the flush
  // that made it so with durability `sync`, right after after_commit otherwise.
  virtual void after_sync(std::uint64_t /*seq*/) {}
  // Writer thread, after after_commit: this listener waits for after_sync
  // (so the flush must happen even if no op asked for it).
  virtual bool wants_sync() const { return false; }
};

// Engines with time-driven work (ack deadlines, delayed messages). The
// writer runs an empty group when the earliest due time passes, so the
// work happens in a listener's before_commit.
class TimerSource {
 public:
  virtual ~TimerSource() = default;
  // Writer thread. time_point::max() when nothing is due.
  virtual std::chrono::steady_clock::time_point next_due() = 0;
};

struct WriterStats {
  std::uint64_t commits = 0;
  std::uint64_t ops = 0;
};

// Distributions for /metrics: ops per committed group, seconds per LMDB
// commit (which writes the group's pages) and per flush of the meta page.
struct WriterHistograms {
  Histogram group_ops{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};
  Histogram commit_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
  Histogram sync_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
};

class Writer {
 public:
  Writer(LmdbEnv& env, const StorageOptions& options);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void add_listener(GroupListener* listener);  // before start()
  void add_timer_source(TimerSource* source);  // before start()
  void start();
  // Any thread. After stop() the op completes at once with shutting_down.
  void submit(std::unique_ptr<WriteOp> op);
  // Applies everything already submitted, then joins the thread.
  void stop();
  // Instead of start(): applies what is queued, or runs a due timer or
  // flush, on the calling thread; false if there was nothing to do. For
  // single-threaded harnesses such as the ops fuzzer.
  bool run_once();

  // ok, or the sticky failure that stopped all writes.
  status health() const;
  // Whether the caller is the writer: its thread, or the caller of
  // run_once(). Engines whose state is writer-thread-only assert it.
  bool on_writer_thread() const noexcept { return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(); }
  WriterStats stats() const;
  const WriterHistograms& histograms() const noexcept { return histograms_; }

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  // One round of the writer loop; with `block`, waits for something to do.
  // False when there is nothing (more) to do.
  bool step(bool block);
  using OpPtr = std::unique_ptr<WriteOp>;
  void run_group(std::vector<OpPtr>& ops);
  Clock::time_point next_due();
  status try_commit(OpPtr* ops, std::size_t n);
  // Completes the op with `outcome` and destroys it.
  static void finish(OpPtr& op, status outcome);
  void fail(const status& st);
  void log(std::string_view line) const;

  LmdbEnv& env_;
  StorageOptions options_;
  std::vector<GroupListener*> listeners_;
  std::vector<TimerSource*> timers_;

  mutable Mutex mu_;
  CondVar cv_;
  std::vector<OpPtr> queued_ WHARF_GUARDED_BY(mu_);
  bool stopping_ WHARF_GUARDED_BY(mu_) = false;
  status failure_ WHARF_GUARDED_BY(mu_);
  std::atomic<bool> failed_{false};
  std::atomic<bool> has_work_{false};  // an op is queued (read without the lock)
  bool rolled_back_ = false;  // writer thread: the last try_commit was rolled back by an op
  std::atomic<std::uint64_t> commits_{0};
  WriterHistograms histograms_;
  // Durability `sync`: LMDB (opened with MDB_NOMETASYNC) flushes a commit's
  // data pages but not its meta page. The meta page becomes durable with
  // the next commit's flush, or with flush_meta() when the writer is idle:
  // one flush per commit under load, and still a confirm only once durable.
  // A meta page is only written after its data pages are flushed, so a
  // power loss can lose recent commits but never corrupts.
  void mark_durable(std::uint64_t seq);
  // Returns whether ops were submitted while it flushed.
  bool flush_meta();
  std::uint64_t commit_seq_ = 0;       // writer thread
  std::uint64_t durable_seq_ = 0;      // writer thread
  std::vector<OpPtr> unsynced_;        // writer thread: committed, waiting to be durable
  bool sync_wanted_ = false;           // writer thread: a listener waits for a flush
  // Writer thread: when to flush the meta page if no commit comes first.
  Clock::time_point meta_flush_due_ = Clock::time_point::max();
  // Writer thread: ops arrive without waiting for confirms, so a meta
  // flush may wait for the next commit.
  bool defer_meta_flush_ = false;
  std::atomic<std::uint64_t> ops_done_{0};
  std::vector<OpPtr> taken_;  // writer thread: what the last step took from queued_
  std::vector<OpPtr> group_;  // writer thread
  bool driven_inline_ = false;   // run_once() was used: stop() drains on the caller
  std::atomic<std::thread::id> owner_{};  // who runs the writer now
  std::thread thread_;
};

}  // namespace wharf::storage
