// Typed access to the queue tables: queue definitions, stored messages,
// attempt history and counters. The only code that knows their layouts
// (queue_format.h). Writes run on the writer thread with the group's
// WriteTxn; reads take any Txn.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/storage/txn.h"
#include "wharf/errors.h"
#include "wharf/record.h"

namespace wharf::storage {

class LmdbEnv;

enum class Overflow : std::uint8_t { reject_publish = 0, drop_oldest = 1 };
// Where dead letters go: nowhere (dropped and counted), a queue named at
// creation, or the default "<name>.dlq" made with the queue (and deleted
// with it).
enum class DlqMode : std::uint8_t { none = 0, named = 1, default_queue = 2 };

struct QueueRecord {
  std::string name;
  std::uint32_t id = 0;
  std::int64_t ack_deadline_ms = 30000;
  std::uint32_t max_deliveries = 5;
  std::int64_t backoff_initial_ms = 1000;
  double backoff_multiplier = 2.0;
  std::int64_t backoff_max_ms = 60000;
  DlqMode dlq_mode = DlqMode::default_queue;
  std::string dlq;                 // empty exactly when dlq_mode is none
  std::int64_t max_length = -1;    // -1: unbounded
  Overflow overflow = Overflow::reject_publish;
  std::int64_t ttl_ms = -1;        // -1: messages never expire by default
  std::uint32_t priorities = 1;    // levels 0 .. priorities-1, higher first
  std::int64_t created_ms = 0;
};

// Fixed fields of a stored message.
struct MessageFields {
  std::uint8_t priority = 0;
  bool dead_lettered = false;       // sits in a dead-letter queue
  std::uint32_t attempts = 0;       // deliveries so far (since the last redrive)
  std::uint32_t origin_queue = 0;   // queue it was first published to
  std::int64_t publish_ms = 0;
  std::int64_t deliver_at_ms = 0;   // 0: at once
  std::int64_t expires_ms = 0;      // 0: never
  bool rewritten = false;           // rewritten since its publish (read only)
};

// The fields a message's life changes after its publish.
struct MessageRewrite {
  std::uint32_t attempts = 0;
  bool dead_lettered = false;
  std::int64_t deliver_at_ms = 0;  // a retry's backoff survives a restart
};

// A stored message, viewed in place (valid while the Txn lives).
struct MessageView {
  std::uint64_t id = 0;
  MessageFields fields;
  std::uint32_t header_count = 0;
  std::span<const std::uint8_t> headers;  // encoded, see decode_message_headers
  std::span<const std::uint8_t> payload;
};

std::vector<Header> decode_message_headers(std::span<const std::uint8_t> encoded, std::uint32_t count);

enum class Outcome : std::uint8_t {
  nack = 1,
  reject = 2,
  timeout = 3,
  expired = 4,
  disconnected = 5,
  overflow = 6,
  redriven = 7,
};
std::string_view outcome_name(Outcome o);

struct HistoryEntry {
  std::int64_t time_ms = 0;
  Outcome outcome = Outcome::nack;
  std::string consumer;
  std::string reason;
};

struct QueueStats {
  std::uint64_t dead_lettered = 0;
  std::uint64_t dropped = 0;
  std::uint64_t expired = 0;
  // Every message of the queue with an id up to this one, published
  // without a delay and not rewritten since (MessageFields::rewritten), has
  // been delivered once: its stored attempts (0) count one more.
  std::uint64_t first_delivered_through = 0;
};

class QueueStore {
 public:
  explicit QueueStore(LmdbEnv& env) : env_(env) {}

  // --- queues ---
  result<std::uint32_t> allocate_queue_id(WriteTxn& txn);
  status put_queue(WriteTxn& txn, const QueueRecord& q);
  // Removes the definition and queues the messages for background deletion.
  status erase_queue(WriteTxn& txn, const QueueRecord& q);
  result<std::vector<QueueRecord>> load_queues(Txn& txn);
  result<std::vector<std::uint32_t>> load_deleting(Txn& txn);
  // Deletes up to `limit` messages (and their history) of a deleted queue.
  status purge_deleted_queue(WriteTxn& txn, std::uint32_t queue_id, std::size_t limit, bool* done);

  // The global message id counter (ids are unique across queues).
  result<std::uint64_t> load_next_message_id(Txn& txn);
  status put_next_message_id(WriteTxn& txn, std::uint64_t next);

  // --- messages ---
  status put_message(WriteTxn& txn, std::uint32_t queue_id, std::uint64_t id, const MessageFields& f,
                     std::span<const Header> headers, std::span<const std::uint8_t> payload);
  // Rewrites a message's delivery fields, optionally moving it under
  // another queue. `out`, if given, views the rewritten message (valid
  // until the next rewrite): the caller need not read it back.
  status rewrite_message(WriteTxn& txn, std::uint32_t from_queue, std::uint32_t to_queue, std::uint64_t id,
                         const MessageRewrite& rewrite, MessageView* out = nullptr);
  status delete_message(WriteTxn& txn, std::uint32_t queue_id, std::uint64_t id);
  // not found: *found = false.
  status get_message(Txn& txn, std::uint32_t queue_id, std::uint64_t id, MessageView* out, bool* found);
  // Calls fn for each message of a queue with an id >= from_id, in id
  // order; fn returns false to stop.
  status scan_messages(Txn& txn, std::uint32_t queue_id, const std::function<bool(const MessageView&)>& fn,
                       std::uint64_t from_id = 0);

  // --- history ---
  status append_history(WriteTxn& txn, std::uint64_t id, std::uint32_t seq, const HistoryEntry& e);
  status delete_history(WriteTxn& txn, std::uint64_t id);
  result<std::vector<HistoryEntry>> history(Txn& txn, std::uint64_t id);
  // Calls fn(message id, entries) for every message with history.
  status scan_history_counts(Txn& txn, const std::function<void(std::uint64_t, std::uint32_t)>& fn);

  // --- counters ---
  status put_stats(WriteTxn& txn, std::uint32_t queue_id, const QueueStats& s);
  result<QueueStats> get_stats(Txn& txn, std::uint32_t queue_id);

 private:
  LmdbEnv& env_;
  std::vector<std::uint8_t> scratch_;  // writer thread: message rewrites
};

}  // namespace wharf::storage
