// Values exchanged between the network layer and the queue engine. Views
// point into an arena owned by the same object, so a request or a batch of
// deliveries costs a few allocations, not one per message.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "broker/storage/queue_store.h"
#include "wharf/errors.h"
#include "wharf/record.h"

namespace wharf::queue {

using QueueConfig = storage::QueueRecord;

struct OutgoingMessage {
  std::span<const std::uint8_t> payload;
  std::span<const Header> headers;
  std::uint8_t priority = 0;
  std::int64_t delay_ms = 0;  // deliver no earlier than now + delay
  std::int64_t ttl_ms = -1;   // -1: the queue's default
};

// Messages for one queue; the views point into `arena` and `headers`.
struct PublishBatch {
  std::string queue;
  std::vector<std::uint8_t> arena;
  std::vector<Header> headers;
  std::vector<OutgoingMessage> messages;
};

struct Delivery {
  std::uint64_t message_id = 0;
  std::uint64_t tag = 0;  // fences acks: a later delivery of the same message gets a new tag
  std::uint32_t attempt = 0;
  std::int64_t deadline_ms = 0;
  std::uint8_t priority = 0;
  std::int64_t publish_ms = 0;
  std::uint32_t header_count = 0;
  std::span<const std::uint8_t> headers;  // storage encoding: storage::decode_message_headers
  std::span<const std::uint8_t> payload;
};

struct DeliveryBatch {
  std::uint64_t subscription = 0;
  std::vector<std::uint8_t> arena;
  std::vector<Delivery> deliveries;
};

// Where a subscription's deliveries go. deliver() runs on the writer thread
// after the commit that recorded the deliveries; it must only hand off.
class DeliverySink {
 public:
  virtual ~DeliverySink() = default;
  virtual void deliver(DeliveryBatch batch) = 0;
  // False while the client is not taking in what it was sent: deliveries
  // wait (in the queue, not in memory) until it is true again. Writer thread.
  virtual bool accepting() const { return true; }
  // A readable name for histories ("connection 12").
  virtual std::string name() const = 0;
};

enum class SettleAction : std::uint8_t { ack, nack, reject, extend };

struct Settlement {
  std::uint64_t subscription = 0;
  std::uint64_t message_id = 0;
  std::uint64_t tag = 0;
  SettleAction action = SettleAction::ack;
  std::int64_t delay_ms = -1;   // nack: -1 uses the queue's backoff
  std::int64_t extend_ms = -1;  // extend: -1 renews the queue's ack deadline
  std::string reason;           // reject
};

// Failed settlements only; index into the request's list.
struct SettleError {
  std::uint32_t index = 0;
  status error;
};

enum class MessageState : std::uint8_t { ready, delayed, in_flight, dead_lettered };

struct MessageInfo {
  std::string queue;
  std::uint64_t id = 0;
  MessageState state = MessageState::ready;
  std::uint32_t attempts = 0;
  std::int64_t deadline_ms = 0;  // in flight: lease end; delayed: when it becomes ready
  std::uint8_t priority = 0;
  std::int64_t publish_ms = 0;
  std::int64_t expires_ms = 0;
  std::string origin_queue;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload;
  std::vector<storage::HistoryEntry> history;
};

struct QueueDescription {
  QueueConfig config;
  std::uint64_t ready = 0;
  std::uint64_t delayed = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t consumers = 0;
  std::int64_t oldest_age_ms = 0;  // of the oldest message still in the queue
  storage::QueueStats stats;       // dead-lettered, dropped, expired: totals
};

enum class RedriveSelect : std::uint8_t { ids, count, all };

struct RedriveRequest {
  std::string dlq;
  std::string target;  // empty: each message's original queue
  RedriveSelect select = RedriveSelect::all;
  std::vector<std::uint64_t> ids;
  std::uint64_t count = 0;
};

}  // namespace wharf::queue
