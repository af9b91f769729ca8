#include "broker/storage/writer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "broker/storage/fault_injector.h"
#include "broker/storage/lmdb_env.h"

namespace wharf::storage {
namespace {

// Bounds on one transaction: LMDB's dirty-page list is finite (MDB_TXN_FULL)
// and a huge group delays every confirm in it.
constexpr std::size_t kMaxOpsPerGroup = 8192;
constexpr std::size_t kMaxBytesPerGroup = 64u << 20;
// How long a commit's meta-page flush may wait for the next commit's data
// flush to carry it.
constexpr auto kMetaFlushDelay = std::chrono::milliseconds(1);

bool aborts_group(errc code) {
  return code == errc::storage_full || code == errc::storage_failed || code == errc::storage_corrupt;
}

}  // namespace

Writer::Writer(LmdbEnv& env, const StorageOptions& options) : env_(env), options_(options) {}

Writer::~Writer() { stop(); }

void Writer::add_listener(GroupListener* listener) { listeners_.push_back(listener); }

void Writer::add_timer_source(TimerSource* source) { timers_.push_back(source); }

Writer::Clock::time_point Writer::next_due() {
  auto due = Clock::time_point::max();
  for (TimerSource* t : timers_) due = std::min(due, t->next_due());
  return due;
}

void Writer::start() {
  group_.reserve(kMaxOpsPerGroup);
  thread_ = std::thread([this] { run(); });
}

void Writer::submit(std::unique_ptr<WriteOp> op) {
  {
    MutexLock lock(mu_);
    if (!stopping_) {
      const bool was_empty = queued_.empty();
      queued_.push_back(std::move(op));
      has_work_.store(true, std::memory_order_release);
      if (was_empty) cv_.notify_one();
      return;
    }
  }
  finish(op, status(errc::shutting_down));
}

void Writer::finish(OpPtr& op, status outcome) {
  op->complete(std::move(outcome));
  op.reset();
}

void Writer::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  if (driven_inline_) {
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    while (step(false)) {
    }
  }
}

status Writer::health() const {
  if (!failed_.load(std::memory_order_acquire)) return {};
  MutexLock lock(mu_);
  return failure_;
}

WriterStats Writer::stats() const {
  return {commits_.load(std::memory_order_relaxed), ops_done_.load(std::memory_order_relaxed)};
}

void Writer::log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

void Writer::fail(const status& st) {
  {
    MutexLock lock(mu_);
    if (failed_.load(std::memory_order_relaxed)) return;
    failure_ = status(errc::storage_failed, std::string(st.message()));
  }
  failed_.store(true, std::memory_order_release);
  log(fmt::format("storage failed, refusing all writes until restart: {}", st.to_string()));
  // Committed but not yet known durable: the outcome is unknown; say so.
  const status why = health();
  for (OpPtr& op : unsynced_) finish(op, why);
  unsynced_.clear();
}

void Writer::run() {
  owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  while (step(true)) {
  }
}

bool Writer::run_once() {
  driven_inline_ = true;
  owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  return step(false);
}

bool Writer::step(bool block) {
  bool timer_due = false;
  bool meta_due = false;
  bool idle = false;
  bool drained = false;
  {
    MutexLock lock(mu_);
    while (block && queued_.empty() && !stopping_) {
      // Timer sources and the meta flush are writer-thread state. A timer
      // source's due time is relative to now: decide here which one this
      // wait was for, rather than ask again after it.
      const auto timer = next_due();
      const auto due = std::min(timer, meta_flush_due_);
      if (due == Clock::time_point::max()) {
        cv_.wait(mu_);
      } else if (!cv_.wait_until(mu_, due)) {
        timer_due = timer <= meta_flush_due_;
        meta_due = meta_flush_due_ <= timer;
        break;
      }
    }
    if (!block && queued_.empty() && !stopping_) {
      const auto timer = next_due();
      const auto now = Clock::now();
      timer_due = timer <= now;
      meta_due = meta_flush_due_ <= now;
    }
    if (queued_.empty() && !timer_due && !meta_due) {
      idle = true;
      drained = stopping_;
    } else {
      taken_.swap(queued_);
      has_work_.store(false, std::memory_order_relaxed);
    }
  }
  if (idle) {
    // Stopping and drained: what is still owed a flush gets it now.
    if (drained && (!unsynced_.empty() || sync_wanted_)) flush_meta();
    return false;
  }
  if (taken_.empty()) {
    if (meta_due) {
      // No commit came: the submitters probably wait for these confirms
      // before sending more, so stop waiting for one.
      defer_meta_flush_ = false;
      flush_meta();
    }
    if (timer_due) {
      // Nothing submitted: a group of no ops, for the listeners' timers.
      group_.clear();
      run_group(group_);
    }
    return true;
  }
  std::size_t next = 0;
  while (next < taken_.size()) {
    group_.clear();
    std::size_t bytes = 0;
    while (next < taken_.size() && group_.size() < kMaxOpsPerGroup &&
           (group_.empty() || bytes + taken_[next]->size_hint() <= kMaxBytesPerGroup)) {
      bytes += taken_[next]->size_hint();
      group_.push_back(std::move(taken_[next++]));
    }
    run_group(group_);
  }
  taken_.clear();
  return true;
}

status WriteOp::read(Txn&) { return status(errc::internal, "this op writes"); }

void Writer::run_group(std::vector<OpPtr>& ops) {
  if (failed_.load(std::memory_order_acquire)) {
    const status st = health();
    for (OpPtr& op : ops) {
      if (!op->reads_only()) {
        finish(op, st);
        continue;
      }
      auto txn = ReadTxn::begin(env_);
      status read = txn.ok() ? op->read(*txn) : txn.error();
      finish(op, std::move(read));
    }
    return;
  }
  status st = try_commit(ops.data(), ops.size());
  if ((st.code() == errc::storage_full || rolled_back_) && ops.size() > 1) {
    // Something did not fit, or an op failed half-way: retry op by op so
    // that what fits (deletes, small writes) still succeeds and only the
    // culprit fails.
    for (OpPtr& op : ops) {
      status one = try_commit(&op, 1);
      if (!one.ok()) op->outcome_ = one;
    }
  } else if (!st.ok()) {
    for (OpPtr& op : ops) op->outcome_ = st;
  }
  ops_done_.fetch_add(ops.size(), std::memory_order_relaxed);
  // Ops that promise durability wait until their commit's meta page is
  // flushed; the rest are answered now.
  const bool sync_mode = options_.durability == Durability::sync;
  for (OpPtr& op : ops) {
    if (sync_mode && op->outcome_.ok() && op->committed_seq_ > durable_seq_ && op->needs_sync()) {
      unsynced_.push_back(std::move(op));
    } else {
      finish(op, std::move(op->outcome_));
    }
  }
  for (GroupListener* l : listeners_) l->after_replies();
  // The next commit's data flush also flushes this meta page. Under load
  // that commit is already queued. When ops keep arriving without waiting
  // for confirms (work came in during the last flush), wait a little for
  // it: one flush per commit instead of two. Otherwise flush now: a client
  // waiting for this confirm sends nothing before it.
  if ((!unsynced_.empty() || sync_wanted_) && !has_work_.load(std::memory_order_acquire)) {
    if (defer_meta_flush_) {
      meta_flush_due_ = std::min(meta_flush_due_, Clock::now() + kMetaFlushDelay);
    } else {
      if (flush_meta()) defer_meta_flush_ = true;
    }
  }
}

void Writer::mark_durable(std::uint64_t seq) {
  if (seq <= durable_seq_) return;
  durable_seq_ = seq;
  for (GroupListener* l : listeners_) l->after_sync(seq);
  // unsynced_ holds ops in commit order.
  std::size_t done = 0;
  while (done < unsynced_.size() && unsynced_[done]->committed_seq_ <= seq) ++done;
  for (std::size_t i = 0; i < done; ++i) finish(unsynced_[i], status());
  unsynced_.erase(unsynced_.begin(), unsynced_.begin() + static_cast<std::ptrdiff_t>(done));
}

bool Writer::flush_meta() {
  sync_wanted_ = false;
  meta_flush_due_ = Clock::time_point::max();
  if (failed_.load(std::memory_order_acquire)) return false;
  const auto sync_started = Clock::now();
  if (int rc = mdb_env_sync(env_.env(), 1); rc != 0) {
    const status why(errc::storage_failed, fmt::format("flush failed: {}", mdb_strerror(rc)));
    fail(why);
    return false;
  }
  histograms_.sync_seconds.observe(std::chrono::duration<double>(Clock::now() - sync_started).count());
  // Sampled before the confirms go out: work submitted after them may
  // just be answering them.
  const bool arrived = has_work_.load(std::memory_order_acquire);
  mark_durable(commit_seq_);
  return arrived;
}

status Writer::try_commit(OpPtr* ops, std::size_t n) {
  if (failed_.load(std::memory_order_acquire)) return health();
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(env_.env(), nullptr, 0, &raw); rc != 0) {
    status st = lmdb_status(rc, "beginning a write transaction");
    if (st.code() != errc::storage_full) fail(st);
    return st;
  }
  WriteTxn txn(&env_, raw);
  auto abort = [&](status st) {
    mdb_txn_abort(raw);
    for (GroupListener* l : listeners_) l->after_abort();
    if (st.code() != errc::storage_full) fail(st);
    return st;
  };
  rolled_back_ = false;
  for (std::size_t i = 0; i < n; ++i) {
    txn.space_refused_ = false;
    status st = ops[i]->apply(txn);
    if (!st.ok() && txn.rollback_requested()) {
      rolled_back_ = true;
      mdb_txn_abort(raw);
      for (GroupListener* l : listeners_) l->after_abort();
      return st;
    }
    // A refusal by reserve_space fails only its op: nothing was written.
    const bool refused_alone = st.code() == errc::storage_full && txn.space_refused();
    if (!st.ok() && aborts_group(st.code()) && !refused_alone) return abort(std::move(st));
    ops[i]->outcome_ = std::move(st);
  }
  for (GroupListener* l : listeners_) {
    status st = l->before_commit(txn);
    if (!st.ok()) return abort(std::move(st));
  }
  if (options_.faults != nullptr) {
    if (int injected = options_.faults->before_commit(); injected != 0)
      return abort(status(errc::storage_failed,
                          fmt::format("commit failed: {} (injected)", std::strerror(injected))));
  }
  const std::size_t txn_id = mdb_txn_id(raw);
  const auto commit_started = Clock::now();
  if (int rc = mdb_txn_commit(raw); rc != 0) {
    // The transaction is gone either way. A full map while saving the free
    // list is recoverable; an I/O error is not (a failed fsync may have
    // dropped pages that a retry would not rewrite).
    for (GroupListener* l : listeners_) l->after_abort();
    // ENOSPC/EDQUOT come from writing pages past the end of the file: the
    // transaction is gone and nothing it wrote is referenced, so writing
    // can resume once space is freed.
    status st = (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL || rc == ENOSPC || rc == EDQUOT)
                    ? status(errc::storage_full, fmt::format("commit: {}", mdb_strerror(rc)))
                    : status(errc::storage_failed, fmt::format("commit failed: {}", mdb_strerror(rc)));
    if (st.code() != errc::storage_full) fail(st);
    return st;
  }
  // LMDB neither writes nor flushes a transaction that changed nothing: it
  // makes nothing durable, and its ops depend only on earlier commits.
  MDB_envinfo info{};
  mdb_env_info(env_.env(), &info);
  const bool sync_mode = options_.durability == Durability::sync;
  if (info.me_last_txnid == txn_id) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    histograms_.commit_seconds.observe(std::chrono::duration<double>(Clock::now() - commit_started).count());
    histograms_.group_ops.observe(static_cast<double>(n));
    ++commit_seq_;
    // This commit flushed its data pages, and with them the meta pages of
    // every earlier commit: those are durable now, and only this commit's
    // meta page is owed (run_group decides when).
    if (sync_mode && commit_seq_ > 1) mark_durable(commit_seq_ - 1);
    meta_flush_due_ = Clock::time_point::max();
  }
  const std::uint64_t seq = commit_seq_;
  for (std::size_t i = 0; i < n; ++i) ops[i]->committed_seq_ = seq;
  for (GroupListener* l : listeners_) {
    l->after_commit(seq);
    if (!sync_mode) {
      l->after_sync(seq);
    } else if (l->wants_sync()) {
      sync_wanted_ = true;
    }
  }
  return {};
}

}  // namespace wharf::storage
