// Runs the checks of compressed batches on a thread of its own, so that a
// batch that takes long to decompress (up to max-batch-bytes of output)
// holds no I/O thread and delays no other client's requests.
//
// Budgets: broker-wide, one batch is decompressed at a time, through the
// streaming window of protocol::batch::validate, on a thread at lowered
// priority, so uncompressed traffic and the storage writer go first on a
// busy machine. Per source (a connection), jobs run in arrival order and
// sources take turns one job each, so a client with many queued batches
// waits behind its own work, not others' behind it; the bytes it has queued
// count against its connection's in-flight limit, which stops reading it.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <unordered_map>

#include "base/mutex.h"

namespace wharf::log {

class BatchChecker {
 public:
  // Whose work a job is: jobs of one source run in the order given.
  using Source = const void*;

  BatchChecker();
  // Runs what is queued, then joins.
  ~BatchChecker();
  BatchChecker(const BatchChecker&) = delete;
  BatchChecker& operator=(const BatchChecker&) = delete;

  // Queues `job` behind the source's earlier jobs; once stopped, runs it
  // at once on the caller's thread.
  void run(Source source, std::function<void()> job);
  // Whether the source has jobs queued or running: its later work must go
  // through run() too to keep its order.
  bool pending(Source source) const;
  // Whether the caller is a job running on the checker's thread: work it
  // hands on for its own source keeps its place by running at once.
  static bool in_job() noexcept;
  // Runs what is queued, then stops the thread; later run() calls fail.
  void stop();

 private:
  void loop();

  mutable Mutex mu_;
  CondVar wake_;
  struct SourceJobs {
    std::deque<std::function<void()>> queued;
    bool running = false;
  };
  std::unordered_map<Source, SourceJobs> sources_ WHARF_GUARDED_BY(mu_);
  std::deque<Source> turns_ WHARF_GUARDED_BY(mu_);  // sources with queued jobs, next first
  // sources_.size(), readable without the lock: pending() on the produce
  // path of uncompressed batches costs one load while nothing is checked.
  std::atomic<std::size_t> busy_sources_{0};
  bool stopping_ WHARF_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace wharf::log
