// Values exchanged between the queue engine and its callers (the network
// front ends). The engine's own types: callers never see storage's. Views
// point into an arena owned by the same object, so a request or a batch of
// deliveries costs a few allocations, not one per message.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wharf/errors.h"
#include "wharf/record.h"

namespace wharf::queue {

// The longest delay, deadline, backoff or time to live a queue takes (100
// years): added to the clock in ms, or in ns for a timer, it cannot overflow.
inline constexpr std::int64_t kMaxDurationMs = 100LL * 365 * 24 * 3600 * 1000;

// Where a queue's dead letters go.
enum class DeadLetter : std::uint8_t {
  none,           // dropped (and counted)
  named,          // QueueConfig::dlq, an existing queue
  default_queue,  // "<name>.dlq", made with the queue and deleted with it
};

// At max length: refuse the messages that do not fit, or dead-letter the
// oldest waiting ones to make room.
enum class Overflow : std::uint8_t { reject_publish, drop_oldest };

struct QueueConfig {
  std::string name;
  std::uint32_t id = 0;  // set by the engine
  std::int64_t ack_deadline_ms = 30000;
  std::uint32_t max_deliveries = 5;
  std::int64_t backoff_initial_ms = 1000;
  double backoff_multiplier = 2.0;
  std::int64_t backoff_max_ms = 60000;
  DeadLetter dead_letter = DeadLetter::default_queue;
  std::string dlq;               // its name (with default_queue, set by the engine); empty with none
  std::int64_t max_length = -1;  // -1: unbounded; counts waiting (ready + delayed) messages
  Overflow overflow = Overflow::reject_publish;
  std::int64_t ttl_ms = -1;      // -1: messages never expire by default
  std::uint32_t priorities = 1;  // levels 0 .. priorities-1, higher first
  std::int64_t created_ms = 0;   // set by the engine
};

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
  std::span<const std::uint8_t> headers;  // encoded: read them with decode_headers()
  std::span<const std::uint8_t> payload;
};

// A delivery's headers, viewing its encoded block.
std::vector<Header> decode_headers(const Delivery& d);

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

constexpr std::string_view message_state_name(MessageState s) {
  switch (s) {
    case MessageState::ready: return "ready";
    case MessageState::delayed: return "delayed";
    case MessageState::in_flight: return "in_flight";
    case MessageState::dead_lettered: return "dead_lettered";
  }
  return "unknown";
}

// One ended attempt (or redrive) in a message's history.
struct MessageEvent {
  std::int64_t time_ms = 0;
  std::string outcome;  // nack, reject, timeout, expired, disconnected, overflow, redriven
  std::string consumer;
  std::string reason;
};

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
  std::vector<MessageEvent> history;
};

// A page of a queue's messages in id order (QueueEngine::browse).
struct MessagePage {
  std::vector<MessageInfo> messages;
  std::uint64_t total = 0;  // messages in the queue, whatever their state
  std::uint64_t next = 0;   // the id after which the next page starts; 0: none
};

// Messages through a queue since the broker started (for /metrics).
struct QueueTraffic {
  std::uint64_t published = 0;
  std::uint64_t delivered = 0;
  std::uint64_t acked = 0;
  std::uint64_t nacked = 0;
  std::uint64_t rejected = 0;
};

struct QueueDescription {
  QueueConfig config;
  std::uint64_t ready = 0;
  std::uint64_t delayed = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t consumers = 0;
  std::int64_t oldest_age_ms = 0;   // of the oldest message still in the queue
  std::uint64_t dead_lettered = 0;  // totals, ever
  std::uint64_t dropped = 0;
  std::uint64_t expired = 0;
  QueueTraffic traffic;
};

enum class RedriveSelect : std::uint8_t { ids, count, all };

struct RedriveRequest {
  std::string dlq;
  std::string target;  // empty: each message's original queue
  RedriveSelect select = RedriveSelect::all;
  std::vector<std::uint64_t> ids;
  std::uint64_t count = 0;
};

// Acks, publishes and log appends in one transaction: all or nothing.
struct AckPublishRequest {
  std::vector<Settlement> acks;  // action must be ack
  std::vector<PublishBatch> publishes;
  struct Produce {
    std::string topic;
    std::uint32_t partition = 0;
    std::vector<std::uint8_t> batch;
  };
  std::vector<Produce> produces;
};

struct AckPublishResult {
  std::vector<std::vector<std::uint64_t>> message_ids;  // per publish
  std::vector<std::uint64_t> base_offsets;              // per produce
};

}  // namespace wharf::queue
