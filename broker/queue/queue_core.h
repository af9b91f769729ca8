// The queue engine's state machine. Writer thread only: every method runs
// inside a write group (an op's apply, or a group hook); each checks so.
//
// Its parts, a file each:
//   queue_core.cc       queues, publish, settlements, attempts and dead
//                       letters, loading, the group hooks
//   message_states.*    a message's state transitions (MessageStates)
//   queue_delivery.cc   subscriptions and delivery to them
//   queue_timers.cc     delays, leases and expiry: one timer loop
//   deferred_acks.*     acks whose storage delete waits for a later commit
//   message_ids.*       id reservation
//   queue_inspection.cc info, peek, redrive
//   queue_records.*     engine values to and from storage records
//
// Rollback: a method that fails after writing asks for the group's
// rollback itself (WriteTxn::request_rollback); one that fails before
// writing anything fails only its op. A rolled-back group is rare (a full
// map), so the core does not undo changes piece by piece: after_abort
// rebuilds all queue state from the last commit, as at startup.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/queue/deferred_acks.h"
#include "broker/queue/log_appender.h"
#include "broker/queue/message_ids.h"
#include "broker/queue/message_states.h"
#include "broker/queue/queue_state.h"
#include "broker/queue/queue_types.h"
#include "broker/storage/storage.h"

namespace wharf::queue {

// unknown_queue, or invalid_name for a name no queue can have.
status unknown_queue(std::string_view name);

class Core {
 public:
  Core(storage::Storage& storage, LogAppender* logs);

  // Rebuilds every queue from committed storage (at start, and after a
  // rolled-back group).
  status load();

  storage::Storage& storage() { return storage_; }
  LogAppender* logs() const { return logs_; }

  // --- queues ---
  status create(storage::WriteTxn& txn, QueueConfig config);
  // Replaces the options (not the priority levels) of an existing queue.
  status alter(storage::WriteTxn& txn, QueueConfig config);
  // Also deletes the default dead-letter queue unless keep_dlq or another
  // queue uses it.
  status remove(storage::WriteTxn& txn, const std::string& name, bool keep_dlq);
  result<std::uint64_t> purge(storage::WriteTxn& txn, const std::string& name);
  result<QueueDescription> describe(const std::string& name);
  std::vector<QueueDescription> list();

  // --- publish ---
  // One id per message; 0 for a message refused at max length
  // (reject-publish). queue_full, writing nothing, when none fits.
  result<std::vector<std::uint64_t>> publish(storage::WriteTxn& txn, const PublishBatch& batch);
  // All or nothing; `prepared` are the request's appends, checked already.
  result<AckPublishResult> ack_and_publish(storage::WriteTxn& txn, const AckPublishRequest& request,
                                           const std::vector<std::unique_ptr<LogAppender::Prepared>>& prepared,
                                           const DeliverySink* caller);

  // --- consumers (queue_delivery.cc) ---
  result<std::uint64_t> subscribe(const std::string& queue, std::uint32_t prefetch,
                                  std::shared_ptr<DeliverySink> sink);
  // Held deliveries with tag >= release_from_tag (if not 0) are released:
  // back to ready without costing an attempt. The rest count as attempts.
  status unsubscribe(storage::WriteTxn& txn, std::uint64_t id, const DeliverySink* caller,
                     std::uint64_t release_from_tag);
  status sink_closed(storage::WriteTxn& txn, const DeliverySink* sink);
  // Each settlement succeeds or fails alone: the failures, by index. A
  // storage failure fails them all. A non-durable ack deletes the message
  // from memory at once and defers its storage delete.
  result<std::vector<SettleError>> settle(storage::WriteTxn& txn, const std::vector<Settlement>& settlements,
                                          const DeliverySink* caller, bool durable);
  // The next group writes every deferred ack delete.
  void flush_deferred_acks() { deferred_.force(); }

  // --- inspection and repair (queue_inspection.cc) ---
  result<MessageInfo> info(storage::Txn& txn, const std::string& queue, std::uint64_t id);
  result<std::vector<MessageInfo>> peek(storage::Txn& txn, const std::string& queue, std::uint32_t count);
  result<MessagePage> browse(storage::Txn& txn, const std::string& queue, std::uint64_t after_id, std::uint32_t limit);
  result<std::uint64_t> redrive(storage::WriteTxn& txn, const RedriveRequest& r);

  // --- group hooks ---
  status before_commit(storage::WriteTxn& txn);
  void after_commit();
  void after_abort();
  // Deliveries go out after the replies of the ops that caused them (a
  // subscriber learns its subscription id before its first delivery).
  void after_replies();
  std::chrono::steady_clock::time_point next_due();

 private:
  Queue* find(std::string_view name);
  Queue* find(std::uint32_t id);
  void assert_writer_thread() const;
  std::int64_t now_ms() const;

  // Queues.
  status check_dlq(const QueueConfig& config);
  status add_queue(storage::WriteTxn& txn, QueueConfig config);
  status ensure_default_dlq(storage::WriteTxn& txn, const QueueConfig& owner);
  status remove_one(storage::WriteTxn& txn, Queue& q);
  QueueDescription describe(const Queue& q) const;

  // Publish.
  status check_publish(const Queue& q, const PublishBatch& batch) const;
  std::uint64_t room(const Queue& q) const;
  status queue_full(const Queue& q) const;
  status publish_into(storage::WriteTxn& txn, Queue& q, const PublishBatch& batch, std::vector<std::uint64_t>* ids);
  status drop_oldest(storage::WriteTxn& txn, Queue& q);

  // Settlements, attempts, dead letters.
  // What a valid settlement acts on, found once by check_settlement.
  struct Held {
    Subscription* sub = nullptr;
    Queue* queue = nullptr;
    Msg* msg = nullptr;
  };
  status check_settlement(const Settlement& s, const DeliverySink* caller, Held* held = nullptr);
  status settle_one(storage::WriteTxn& txn, const Settlement& s, const DeliverySink* caller, bool durable);
  // An attempt ended without an ack: record it, then retry, delay or
  // dead-letter. delay_ms < 0 applies the queue's backoff.
  status end_attempt(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, storage::Outcome outcome,
                     const std::string& consumer, const std::string& reason, std::int64_t delay_ms);
  status add_history(storage::WriteTxn& txn, std::uint64_t id, Msg& m, storage::Outcome outcome,
                     const std::string& consumer, const std::string& reason);
  // The message has left its state (MessageStates::leave) in each of these.
  status dead_letter(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m);
  status release(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m);
  status drop(storage::WriteTxn& txn, Queue& q, std::uint64_t id);
  // Its time to live passed: to the dead-letter queue. The one expiry path,
  // for the timers and for a message found expired at delivery.
  status expire(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m);
  std::int64_t backoff_ms(const Queue& q, std::uint32_t attempts) const;
  // Counts traffic of the group being written (see TrafficCount).
  void count(Queue& q, std::uint64_t QueueTraffic::*field, std::uint64_t n = 1);
  TrafficCount* traffic_of(std::uint32_t queue_id);

  // Timers (queue_timers.cc).
  status run_timers(storage::WriteTxn& txn, std::int64_t now);

  // Delivery (queue_delivery.cc).
  status dispatch(storage::WriteTxn& txn, Queue& q, std::int64_t now);
  status deliver_one(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, Subscription& s, std::int64_t now);
  // A subscription of q other than `not_this` that can take a delivery now.
  Subscription* other_with_room(Queue& q, const Subscription& not_this) const;
  status record_attempt(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, storage::MessageView* view);
  void cancel(Subscription& s);
  void throttle(Queue& q, std::int64_t now);
  void retry_throttled(std::int64_t now);
  void commit_deliveries();
  void abort_deliveries();

  storage::Storage& storage_;
  storage::QueueStore& store_;
  LogAppender* logs_;
  MessageStates states_;
  MessageIds ids_;
  DeferredAcks deferred_;

  std::map<std::string, std::unique_ptr<Queue>, std::less<>> by_name_;
  std::unordered_map<std::uint32_t, Queue*> by_id_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Subscription>> subs_;
  std::uint64_t next_sub_ = 1;
  std::unordered_map<std::uint32_t, std::unique_ptr<TrafficCount>> traffic_;
  std::vector<TrafficCount*> traffic_dirty_;

  bool timers_left_ = false;   // a bounded timer pass left work for the next group
  bool group_writes_ = false;  // this group writes anyway (publish, delivery, ...)
  std::uint64_t group_first_id_ = 0;  // ids from here on were published by the group being written

  // Queues with ready messages whose subscribers with room are not reading;
  // tried again at throttled_retry_ms_.
  std::vector<Queue*> throttled_;
  std::int64_t throttled_retry_ms_ = 0;
  // Deliveries of the group being written, per subscription; the arena
  // offsets become spans once the batch is final.
  struct Pending {
    std::shared_ptr<DeliverySink> sink;
    DeliveryBatch batch;
    std::vector<std::size_t> header_at;
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
