// In-memory delivery state of one queue. Owned by the storage writer
// thread: every read and change happens there, so nothing here is locked.
//
// Containers hold (id, epoch) entries and are cleaned lazily: a message's
// epoch changes on every state change, so an entry is live only while its
// epoch matches the message's. That keeps every transition O(log n) without
// searching containers for stale entries.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "broker/queue/message_table.h"
#include "broker/queue/queue_types.h"
#include "broker/queue/timed_queue.h"
#include "broker/storage/queue_store.h"

namespace wharf::queue {

struct Subscription;

struct Entry {
  std::uint64_t id;
  std::uint64_t epoch;
};

struct EntryAfter {
  bool operator()(const Entry& a, const Entry& b) const { return a.id > b.id; }
};

// Ready messages of one priority level, lowest id (oldest) first. New
// messages arrive in id order and go to `fresh`; messages coming back
// (nack, timeout, redrive) go to `returned`.
struct ReadyLevel {
  std::deque<Entry> fresh;
  std::priority_queue<Entry, std::vector<Entry>, EntryAfter> returned;
};

struct Subscription {
  std::uint64_t id = 0;
  std::uint32_t queue_id = 0;
  std::shared_ptr<DeliverySink> sink;
  std::uint32_t prefetch = 1;
  std::uint32_t in_flight = 0;
  std::size_t group_bytes = 0;  // delivered in the group being written
  bool cancelled = false;
  bool has_room() const { return !cancelled && in_flight < prefetch; }
};

// A queue's traffic counts: those of committed groups, and those of the
// group being written (dropped if it rolls back). Held by the core outside
// Queue, since a rollback rebuilds every Queue from storage.
struct TrafficCount {
  QueueTraffic committed;
  QueueTraffic pending;
  bool dirty = false;
};

struct Queue {
  QueueConfig config;
  TrafficCount* traffic = nullptr;
  MessageTable msgs;
  std::vector<ReadyLevel> levels;  // index = priority
  TimedQueue delayed;
  TimedQueue leases;
  TimedQueue expiry;
  std::uint64_t ready = 0;
  std::uint64_t delayed_count = 0;
  std::uint64_t in_flight = 0;
  std::vector<Subscription*> subs;
  std::size_t next_sub = 0;
  // Messages whose lease expired, waiting for their next delivery: the
  // subscription that let it expire, which gets them again only when no
  // other has room. Entries leave at that delivery or with the message.
  std::unordered_map<std::uint64_t, std::uint64_t> lease_expired_from;
  storage::QueueStats stats;
  bool stats_dirty = false;
  // What max length counts: messages waiting for a consumer (as in
  // RabbitMQ, deliveries in flight do not count).
  std::uint64_t waiting() const { return ready + delayed_count; }
};

}  // namespace wharf::queue
