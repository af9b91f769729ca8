// Work queues: publish, push delivery within a prefetch window, ack / nack /
// reject / extend with fencing, ack deadlines, retries with backoff,
// dead-letter queues with attempt history, TTL, delays, priorities,
// max length, redrive and lookup.
//
// Threading: the public methods may be called from any thread; each turns
// into a WriteOp, and all queue state lives on the storage writer thread.
// Callbacks and DeliverySink::deliver run on the writer thread after the
// commit (so a publish confirm or a delivery always follows a durable
// commit) and must only hand work elsewhere.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/queue/log_appender.h"
#include "broker/queue/queue_types.h"
#include "broker/storage/storage.h"

namespace wharf::queue {

class Core;

class QueueEngine final : public storage::GroupListener, public storage::TimerSource {
 public:
  using Done = std::function<void(status)>;
  template <typename T>
  using Reply = std::function<void(result<T>)>;

  // Loads queues and messages (every unacked message becomes ready) and
  // registers with the writer; the caller starts the writer afterwards.
  static result<std::unique_ptr<QueueEngine>> open(storage::Storage& storage, LogAppender* logs);
  ~QueueEngine() override;

  // --- queues ---
  // config.dead_letter: default_queue makes "<name>.dlq" alongside; named
  // wants an existing queue in config.dlq; none drops and counts dead letters.
  void create_queue(QueueConfig config, Done done);
  // Sets every option of an existing queue but its priority levels
  // (invalid_argument if they differ). New publishes and deliveries follow.
  void alter_queue(QueueConfig config, Done done);
  // Deletes the queue and its messages, and its default dead-letter queue
  // unless keep_dlq or another queue uses it. A named one is never deleted.
  void delete_queue(std::string name, bool keep_dlq, Done done);
  void purge_queue(std::string name, Reply<std::uint64_t> done);
  void list_queues(Reply<std::vector<QueueDescription>> done);
  void describe_queue(std::string name, Reply<QueueDescription> done);

  // --- messages ---
  // One id per message, in order; id 0 marks a message refused because the
  // queue was at its max length (reject-publish). When none fits: queue_full.
  void publish(PublishBatch batch, Reply<std::vector<std::uint64_t>> done);
  void subscribe(std::string queue, std::uint32_t prefetch, std::shared_ptr<DeliverySink> sink,
                 Reply<std::uint64_t> done);
  // Cancels a subscription; its unacked deliveries become ready at once:
  // those with tag >= release_from_tag (when not 0) without costing an
  // attempt, the others counted as attempts. `caller` must be the sink that
  // subscribed (not_subscribed otherwise).
  void unsubscribe_for(std::uint64_t subscription, std::uint64_t release_from_tag,
                       std::shared_ptr<DeliverySink> caller, Done done);
  // Cancels every subscription of a sink (its connection closed).
  void sink_closed(std::shared_ptr<DeliverySink> sink);
  // Settlements of deliveries made to `caller`. Each succeeds or fails on
  // its own; the reply lists the failures.
  // With `durable`, the reply follows a synced commit of the effects.
  void settle(std::vector<Settlement> settlements, std::shared_ptr<DeliverySink> caller, bool durable,
              Reply<std::vector<SettleError>> done);
  // Writes every deferred ack delete now (before a clean stop).
  void flush(Done done);
  // Acks, publishes and appends in one transaction: all or nothing.
  void ack_and_publish(AckPublishRequest request, std::shared_ptr<DeliverySink> caller,
                       Reply<AckPublishResult> done);

  // --- inspection and repair ---
  void peek(std::string queue, std::uint32_t count, Reply<std::vector<MessageInfo>> done);
  void get_message(std::string queue, std::uint64_t id, Reply<MessageInfo> done);
  // Up to `limit` messages with ids above after_id, in id order, in any
  // state, with their history; costs the page, not the queue's length.
  void browse(std::string queue, std::uint64_t after_id, std::uint32_t limit, Reply<MessagePage> done);
  void redrive(RedriveRequest request, Reply<std::uint64_t> done);

  // Deletes part of a deleted queue's messages; false when none is left.
  bool purge_deleted_queues();

  // GroupListener / TimerSource (writer thread).
  status before_commit(storage::WriteTxn& txn) override;
  void after_commit(std::uint64_t seq) override;
  void after_abort() override;
  void after_replies() override;
  std::chrono::steady_clock::time_point next_due() override;

 private:
  explicit QueueEngine(std::unique_ptr<Core> core);
  std::unique_ptr<Core> core_;
  std::atomic<bool> purge_busy_{false};
};

}  // namespace wharf::queue
