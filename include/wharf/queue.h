// wharf/queue.h — work queues: publish messages, consume them with acks.
//
// A queue hands each message to one consumer at a time. The consumer acks
// it (done), nacks it (retry later, with backoff), rejects it (straight to
// the dead-letter queue) or extends its lease. A delivery not settled before
// its deadline is redelivered; after max_deliveries attempts a message goes
// to the dead-letter queue with the history of every attempt.
//
// Queue administration lives on Client (create_queue, ...). Publisher and
// QueueConsumer are built on a Client, share its connection, and must not
// outlive it. Errors are wharf::errc values; the queue-specific ones:
//   unknown_queue, queue_exists, queue_full (max length with reject-publish:
//   retry later), unknown_message, lease_expired (the delivery's lease ended
//   or it was redelivered: the settlement changed nothing), not_subscribed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wharf/errors.h"
#include "wharf/record.h"

namespace wharf {

class Client;

enum class DeadLetter {
  default_queue,  // "<name>.dlq", created with the queue
  named,          // QueueOptions::dlq, an existing queue
  none,           // dead letters are dropped (and counted)
};
enum class Overflow { reject_publish, drop_oldest };

struct QueueOptions {
  std::chrono::milliseconds ack_deadline{30000};
  std::uint32_t max_deliveries = 5;
  // Retry delay after a nack or an expired deadline: initial * multiplier^(attempt-1), capped.
  std::chrono::milliseconds backoff_initial{1000};
  double backoff_multiplier = 2.0;
  std::chrono::milliseconds backoff_max{60000};
  DeadLetter dead_letter = DeadLetter::default_queue;
  std::string dlq;
  std::int64_t max_length = -1;  // -1: unbounded
  Overflow overflow = Overflow::reject_publish;
  std::int64_t ttl_ms = -1;      // default time to live; -1: none
  std::uint32_t priorities = 1;  // 1-10 levels; higher is delivered first
};

struct QueueInfo {
  std::string name;
  QueueOptions options;
  std::uint64_t ready = 0;
  std::uint64_t delayed = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t consumers = 0;
  std::int64_t oldest_age_ms = 0;
  std::uint64_t dead_lettered = 0;  // moved to the dead-letter queue, ever
  std::uint64_t dropped = 0;        // dead letters dropped, ever
  std::uint64_t expired = 0;        // time to live passed, ever
  std::int64_t created_ms = 0;
};

struct OutgoingMessage {
  std::string_view payload;
  std::span<const Header> headers;
  std::uint8_t priority = 0;
  std::chrono::milliseconds delay{0};  // deliver no earlier than this from now
  std::int64_t ttl_ms = -1;            // -1: the queue's default
};

struct MessageEvent {
  std::int64_t time_ms = 0;
  std::string outcome;  // nack, reject, timeout, expired, disconnected, overflow, redriven
  std::string consumer;
  std::string reason;
};

struct MessageInfo {
  std::string queue;  // where it is now (its dead-letter queue, if dead-lettered)
  std::uint64_t id = 0;
  std::string state;  // ready, delayed, in_flight, dead_lettered
  // Delivery attempts so far; for a dead letter every attempt it had, in
  // its queue and since (deliveries from the dead-letter queue number their
  // own attempts from 1).
  std::uint32_t attempts = 0;
  std::int64_t deadline_ms = 0;
  std::uint8_t priority = 0;
  std::int64_t publish_ms = 0;
  std::int64_t expires_ms = 0;
  std::string origin_queue;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload;
  std::vector<MessageEvent> history;
};

struct RedriveOptions {
  std::string to;                 // empty: each message's original queue
  std::vector<std::uint64_t> ids;  // these messages...
  std::uint64_t count = 0;        // ...or the oldest `count`...
  bool all = false;               // ...or all of them
};

struct PublisherOptions {
  // How long a batch may wait for more messages; 0 sends as soon as the
  // I/O thread is free.
  std::chrono::microseconds linger{0};
  std::size_t batch_bytes = 256u << 10;
  std::size_t max_in_flight = 16;
  // publish() blocks while this much is buffered or unconfirmed...
  std::size_t buffer_bytes = 32u << 20;
  // ...for at most this long, then fails the message with errc::timeout.
  std::chrono::milliseconds max_block{30000};
};

// Sends messages to queues, batched and pipelined. Thread-safe. A message's
// completion gets its id after the durable commit, or a typed error; it runs
// on the client's I/O thread: keep it short and never block in it.
class Publisher {
 public:
  using Completion = std::function<void(result<std::uint64_t> id)>;
  explicit Publisher(Client& client, PublisherOptions options = {});
  ~Publisher();  // flushes
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  void publish(std::string_view queue, const OutgoingMessage& message, Completion done = {});
  result<std::uint64_t> publish_and_wait(std::string_view queue, const OutgoingMessage& message);
  void flush();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

class Delivery;

struct QueueConsumerOptions {
  // Deliveries held unsettled at most; the broker pushes while there is room.
  std::uint32_t prefetch = 100;
};

// Receives deliveries pushed by the broker for one queue. Either call
// receive() (blocking), or set a handler (runs on the I/O thread). If the
// connection drops, receive() reports `disconnected` once and the next call
// subscribes again; deliveries held then were returned to the queue, each
// counted as an attempt.
//
// Closing (close() or the destructor) returns unsettled deliveries to the
// queue at once: those the application received count as an attempt, those
// still prefetched and never handed out do not. Deliveries settled after
// the close get errc::closed.
class QueueConsumer {
 public:
  // Errors: unknown_queue, invalid_argument (prefetch 1-100000).
  static result<std::unique_ptr<QueueConsumer>> subscribe(Client& client, std::string_view queue,
                                                          QueueConsumerOptions options = {});
  ~QueueConsumer();  // unsubscribes
  QueueConsumer(const QueueConsumer&) = delete;
  QueueConsumer& operator=(const QueueConsumer&) = delete;

  // The next delivery, waiting up to `timeout`; errc::timeout if none
  // came, errc::closed after close().
  result<Delivery> receive(std::chrono::milliseconds timeout);
  // Deliveries go to `handler` instead of receive() from now on.
  void set_handler(std::function<void(Delivery)> handler);
  // Unsubscribes; unsettled deliveries go back to the queue at once.
  status close();

  struct Impl;

 private:
  explicit QueueConsumer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// One delivery of a message. Settle it exactly once with ack, nack or
// reject (extend may come before). Settlements are sent in batches; `done`,
// if given, gets the outcome (lease_expired if the lease had ended, closed
// if its QueueConsumer was closed or destroyed first: the message went back
// to the queue then). A Delivery may be copied, moved to and settled from
// any thread, and may outlive its consumer.
class Delivery {
 public:
  using Done = std::function<void(status)>;
  Delivery() = default;

  std::uint64_t id() const noexcept { return id_; }
  std::uint32_t attempt() const noexcept { return attempt_; }
  std::int64_t deadline_ms() const noexcept { return deadline_ms_; }
  std::uint8_t priority() const noexcept { return priority_; }
  std::int64_t publish_ms() const noexcept { return publish_ms_; }
  std::string_view payload() const noexcept { return payload_; }
  const std::vector<Header>& headers() const noexcept { return headers_; }
  std::uint64_t subscription() const noexcept { return subscription_; }
  std::uint64_t tag() const noexcept { return tag_; }

  void ack(Done done = {}) const;
  // delay < 0: the queue's backoff.
  void nack(std::chrono::milliseconds delay = std::chrono::milliseconds(-1), Done done = {}) const;
  void reject(std::string reason, Done done = {}) const;
  // extra < 0: renew for the queue's ack deadline.
  void extend(std::chrono::milliseconds extra = std::chrono::milliseconds(-1), Done done = {}) const;
  // Acks and waits until the ack is durable (a synced commit). Plain ack()
  // is answered sooner: its delete rides on a later commit, so a broker
  // crash just before it means a redelivery, never a loss.
  status ack_and_wait() const;

  struct Internal;

 private:
  std::shared_ptr<const std::vector<std::uint8_t>> frame_;  // the received bytes payload_ and headers_ view
  std::weak_ptr<QueueConsumer::Impl> consumer_;
  std::uint64_t subscription_ = 0;
  std::uint64_t id_ = 0;
  std::uint64_t tag_ = 0;
  std::uint32_t attempt_ = 0;
  std::int64_t deadline_ms_ = 0;
  std::uint8_t priority_ = 0;
  std::int64_t publish_ms_ = 0;
  std::string_view payload_;
  std::vector<Header> headers_;
};

// Acks deliveries, publishes messages and appends log records in one
// transaction: all happen, or none (the error says why).
struct AckPublish {
  struct Publish {
    std::string queue;
    std::vector<std::string> payloads;
  };
  struct Append {
    std::string topic;
    std::uint32_t partition = 0;
    std::vector<std::string> values;
  };
  std::vector<Delivery> acks;
  std::vector<Publish> publishes;
  std::vector<Append> appends;
};

struct AckPublishResult {
  std::vector<std::vector<std::uint64_t>> message_ids;  // per publish
  std::vector<std::int64_t> base_offsets;               // per append
};

}  // namespace wharf
