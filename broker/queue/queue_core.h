// The queue engine's state machine. Writer thread only: every method runs
// inside a write group (apply, before_commit, after_commit, after_abort).
//
// Rollback: a group that aborts (full map, storage failure) is rare, so the
// core does not undo changes piece by piece; it rebuilds all queue state
// from the last commit (as at startup: unacked messages become ready).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/queue/log_appender.h"
#include "broker/queue/queue_state.h"
#include "broker/queue/queue_types.h"
#include "broker/storage/storage.h"

namespace wharf::queue {

// unknown_queue, or invalid_name for a name no queue can have.
status unknown_queue(std::string_view name);

class Core {
 public:
  Core(storage::Storage& storage, LogAppender* logs);

  // Rebuilds every queue from committed storage.
  status load();

  Queue* find(std::string_view name);
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [name, q] : by_name_) fn(*q);
  }
  Queue* find(std::uint32_t id);
  std::int64_t now_ms() const;

  // --- queues ---
  // config.dlq_mode says where dead letters go; with default_queue,
  // "<name>.dlq" is made alongside.
  status create(storage::WriteTxn& txn, QueueConfig config);
  // Replaces the options (not the priority levels) of an existing queue.
  status alter(storage::WriteTxn& txn, QueueConfig config);
  // Also deletes the default dead-letter queue unless keep_dlq or another
  // queue uses it.
  status remove(storage::WriteTxn& txn, const std::string& name, bool keep_dlq);
  result<std::uint64_t> purge(storage::WriteTxn& txn, Queue& q);
  QueueDescription describe(const Queue& q) const;

  // --- publish ---
  // Checks without writing: priorities.
  status check_publish(const Queue& q, const PublishBatch& batch) const;
  // Messages the queue can still take before its max length.
  std::uint64_t room(const Queue& q) const;
  status queue_full(const Queue& q) const;
  // Appends one id per message; 0 for a message refused at max length
  // (reject-publish). queue_full, writing nothing, when none fits.
  status publish(storage::WriteTxn& txn, Queue& q, const PublishBatch& batch, std::vector<std::uint64_t>* ids);

  // --- consumers ---
  result<std::uint64_t> subscribe(Queue& q, std::uint32_t prefetch, std::shared_ptr<DeliverySink> sink);
  // Held deliveries with tag >= release_from_tag (if not 0) are released:
  // back to ready without costing an attempt. The rest count as attempts.
  status unsubscribe(storage::WriteTxn& txn, std::uint64_t id, const DeliverySink* caller,
                     std::uint64_t release_from_tag);
  status sink_closed(storage::WriteTxn& txn, const DeliverySink* sink);
  // Fencing check of one settlement, without changing anything.
  status check_settlement(const Settlement& s, const DeliverySink* caller);
  // A non-durable ack deletes the message from memory at once and defers
  // the storage delete to a later commit.
  status settle(storage::WriteTxn& txn, const Settlement& s, const DeliverySink* caller, bool durable);
  // The next group writes every deferred delete.
  void force_flush() { force_flush_ = true; }

  // --- inspection and repair ---
  result<MessageInfo> info(storage::Txn& txn, Queue& q, std::uint64_t id);
  result<std::vector<MessageInfo>> peek(storage::Txn& txn, Queue& q, std::uint32_t count);
  result<std::uint64_t> redrive(storage::WriteTxn& txn, const RedriveRequest& r);

  LogAppender* logs() const { return logs_; }
  storage::Storage& storage() { return storage_; }

  // --- group hooks ---
  status before_commit(storage::WriteTxn& txn);
  void after_commit(std::uint64_t seq);
  void after_abort();
  // Deliveries go out after the replies of the ops that caused them (a
  // subscriber learns its subscription id before its first delivery).
  void after_replies();
  std::chrono::steady_clock::time_point next_due();

 private:
  // State transitions; each bumps the message's epoch and keeps counts.
  void leave(Queue& q, Msg& m);
  void to_ready(Queue& q, std::uint64_t id, Msg& m, bool returned);
  void to_delayed(Queue& q, std::uint64_t id, Msg& m, std::int64_t due_ms);
  void to_in_flight(Queue& q, std::uint64_t id, Msg& m, Subscription& s, std::int64_t deadline_ms);
  void watch_expiry(Queue& q, std::uint64_t id, const Msg& m);
  std::pair<std::uint64_t, Msg*> pop_ready(Queue& q);  // {0, nullptr} when none
  std::uint64_t oldest_ready(Queue& q);          // 0 when none; does not remove
  bool live(const Queue& q, const TimedEntry& e, MessageState state) const;

  // An attempt ended without an ack: record it, then retry, delay or
  // dead-letter. delay_ms < 0 applies the queue's backoff.
  status end_attempt(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, storage::Outcome outcome,
                     const std::string& consumer, const std::string& reason, std::int64_t delay_ms);
  status add_history(storage::WriteTxn& txn, std::uint64_t id, Msg& m, storage::Outcome outcome,
                     const std::string& consumer, const std::string& reason);
  status dead_letter(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m);
  // A delivery the application never saw goes back, its attempt undone.
  status release(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m);
  status drop_oldest(storage::WriteTxn& txn, Queue& q);
  status check_dlq(const QueueConfig& config);
  status add_queue(storage::WriteTxn& txn, QueueConfig config);
  status ensure_default_dlq(storage::WriteTxn& txn, const QueueConfig& owner);
  status remove_one(storage::WriteTxn& txn, Queue& q);
  status drop(storage::WriteTxn& txn, Queue& q, std::uint64_t id);
  std::int64_t backoff_ms(const Queue& q, std::uint32_t attempts) const;

  status run_timers(storage::WriteTxn& txn, std::int64_t now);
  status dispatch(storage::WriteTxn& txn, Queue& q, std::int64_t now);
  status deliver_one(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, Subscription& s, std::int64_t now);
  void mark_dispatch(Queue& q);
  void cancel(Subscription& s);

  storage::Storage& storage_;
  storage::QueueStore& store_;
  LogAppender* logs_;

  std::map<std::string, std::unique_ptr<Queue>, std::less<>> by_name_;
  std::unordered_map<std::uint32_t, Queue*> by_id_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Subscription>> subs_;

  std::uint64_t next_message_id_ = 1;
  std::uint64_t reserved_ids_until_ = 1;  // ids below this are covered by a committed reservation
  std::uint64_t pending_reserve_ = 0;     // reservation written by the current group
  std::uint64_t next_tag_ = 1;
  std::uint64_t next_sub_ = 1;
  std::uint64_t epoch_ = 0;
  bool timers_left_ = false;  // a bounded timer pass left work for the next group

  // Acked messages whose storage delete waits for a commit that happens
  // anyway (or for the thresholds in queue_core.cc).
  struct DeferredDelete {
    std::uint32_t queue;
    std::uint64_t id;
    bool history;
  };
  std::vector<DeferredDelete> deferred_;
  std::int64_t deferred_since_ms_ = 0;
  std::size_t deferred_written_ = 0;  // written by this group's before_commit
  bool force_flush_ = false;
  bool group_writes_ = false;  // this group writes anyway (publish, delivery, ...)
  status flush_deferred(storage::WriteTxn& txn, std::int64_t now);

  std::vector<Queue*> dispatch_;  // queues that may have deliveries to make
  // Queues with ready messages whose subscribers with room are not reading;
  // tried again at throttled_retry_ms_.
  std::vector<Queue*> throttled_;
  std::int64_t throttled_retry_ms_ = 0;
  struct Pending {
    std::shared_ptr<DeliverySink> sink;
    DeliveryBatch batch;
    std::vector<std::size_t> header_at;  // arena offsets, turned into spans after commit
    std::vector<std::size_t> payload_at;
    std::vector<std::size_t> payload_size;
    std::vector<std::size_t> header_size;
  };
  std::unordered_map<std::uint64_t, Pending> pending_;  // this group's, by subscription id
  std::vector<Pending> committed_;                       // sent by after_replies
  std::vector<std::uint64_t> created_subs_;             // this group's, dropped on abort
  std::vector<std::uint64_t> cancelled_subs_;           // erased after commit
};

}  // namespace wharf::queue
