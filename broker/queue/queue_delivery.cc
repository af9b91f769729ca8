// Subscriptions and delivery to them: choosing the next ready message for
// a subscriber with prefetch room, recording the attempt, and handing the
// batch to its sink once the commit is durable enough.
#include <fmt/format.h>

#include <algorithm>

#include "broker/queue/queue_core.h"

namespace wharf::queue {
namespace {

// Bounds on the work one group does, so a backlog never makes one huge
// transaction or delays every confirm behind it.
constexpr std::size_t kMaxDeliveriesPerGroup = 8192;
// How often a queue whose only subscribers with room are not reading
// (DeliverySink::accepting) tries them again.
constexpr std::int64_t kThrottleRetryMs = 10;
// Deliveries to one subscriber per group: its sink learns of them only after
// the commit, so this bounds what it can be sent past its output limit.
constexpr std::size_t kMaxDeliveryBytesPerGroup = 1u << 20;

}  // namespace

result<std::uint64_t> Core::subscribe(const std::string& queue, std::uint32_t prefetch,
                                      std::shared_ptr<DeliverySink> sink) {
  assert_writer_thread();
  Queue* q = find(queue);
  if (q == nullptr) return unknown_queue(queue);
  auto s = std::make_unique<Subscription>();
  s->id = next_sub_++;
  s->queue_id = q->config.id;
  s->sink = std::move(sink);
  s->prefetch = prefetch;
  q->subs.push_back(s.get());
  created_subs_.push_back(s->id);
  const auto id = s->id;
  subs_[id] = std::move(s);
  states_.mark_dispatch(*q);
  return id;
}

void Core::cancel(Subscription& s) {
  if (s.cancelled) return;
  s.cancelled = true;
  cancelled_subs_.push_back(s.id);
  if (Queue* q = find(s.queue_id); q != nullptr) std::erase(q->subs, &s);
}

status Core::unsubscribe(storage::WriteTxn& txn, std::uint64_t id, const DeliverySink* caller,
                         std::uint64_t release_from_tag) {
  assert_writer_thread();
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second->cancelled || it->second->sink.get() != caller)
    return {errc::not_subscribed, fmt::format("no subscription {} on this connection", id)};
  Subscription& s = *it->second;
  Queue* q = find(s.queue_id);
  cancel(s);
  if (q == nullptr) return {};
  // Deliveries the application saw count as attempts; those the client
  // never handed over go back as they were.
  const std::string who = s.sink->name();
  std::vector<std::uint64_t> held;
  q->msgs.for_each([&](std::uint64_t mid, const Msg& m) {
    if (m.state == MessageState::in_flight && m.holder == &s) held.push_back(mid);
  });
  std::sort(held.begin(), held.end());
  for (std::uint64_t mid : held) {
    Msg& m = q->msgs.at(mid);
    status st;
    if (release_from_tag != 0 && m.tag >= release_from_tag) {
      states_.leave(*q, m);
      st = release(txn, *q, mid, m);
    } else {
      st = end_attempt(txn, *q, mid, m, storage::Outcome::disconnected, who, "consumer left", 0);
    }
    if (!st.ok()) {
      txn.request_rollback();
      return st;
    }
  }
  return {};
}

status Core::sink_closed(storage::WriteTxn& txn, const DeliverySink* sink) {
  assert_writer_thread();
  std::vector<std::uint64_t> ids;
  for (auto& [id, s] : subs_)
    if (s->sink.get() == sink && !s->cancelled) ids.push_back(id);
  for (std::uint64_t id : ids)
    if (status st = unsubscribe(txn, id, sink, 0); !st.ok() && st.code() != errc::not_subscribed) return st;
  return {};
}

void Core::throttle(Queue& q, std::int64_t now) {
  if (std::find(throttled_.begin(), throttled_.end(), &q) != throttled_.end()) return;
  if (throttled_.empty()) throttled_retry_ms_ = now + kThrottleRetryMs;
  throttled_.push_back(&q);
}

void Core::retry_throttled(std::int64_t now) {
  if (throttled_.empty() || now < throttled_retry_ms_) return;
  for (Queue* q : throttled_) states_.mark_dispatch(*q);
  throttled_.clear();
}

status Core::dispatch(storage::WriteTxn& txn, Queue& q, std::int64_t now) {
  std::size_t budget = kMaxDeliveriesPerGroup;
  while (q.ready > 0 && budget > 0 && !q.subs.empty()) {
    Subscription* s = nullptr;
    bool throttled = false;
    bool group_full = false;
    for (std::size_t i = 0; i < q.subs.size(); ++i) {
      Subscription* candidate = q.subs[(q.next_sub + i) % q.subs.size()];
      if (!candidate->has_room()) continue;
      if (candidate->group_bytes >= kMaxDeliveryBytesPerGroup) {
        group_full = true;
        continue;
      }
      if (!candidate->sink->accepting()) {
        throttled = true;
        continue;
      }
      s = candidate;
      q.next_sub = (q.next_sub + i + 1) % q.subs.size();
      break;
    }
    if (s == nullptr) {
      if (group_full) states_.mark_dispatch(q);  // the next group goes on
      if (throttled) throttle(q, now);
      return {};
    }
    const auto [id, found] = states_.pop_ready(q);
    if (found == nullptr) return {};
    Msg& m = *found;
    if (m.expires_ms > 0 && m.expires_ms <= now) {
      if (status st = expire(txn, q, id, m); !st.ok()) return st;
      continue;
    }
    --budget;
    if (!q.lease_expired_from.empty()) {
      // A consumer that let the lease expire may be stuck: another one with
      // room gets the message, as RabbitMQ and SQS hand it on.
      if (auto it = q.lease_expired_from.find(id); it != q.lease_expired_from.end()) {
        if (it->second == s->id)
          if (Subscription* other = other_with_room(q, *s); other != nullptr) s = other;
        q.lease_expired_from.erase(it);
      }
    }
    if (status st = deliver_one(txn, q, id, m, *s, now); !st.ok()) return st;
  }
  if (budget == 0) states_.mark_dispatch(q);
  return {};
}

Subscription* Core::other_with_room(Queue& q, const Subscription& not_this) const {
  for (Subscription* c : q.subs)
    if (c != &not_this && c->has_room() && c->group_bytes < kMaxDeliveryBytesPerGroup && c->sink->accepting()) return c;
  return nullptr;
}

status Core::deliver_one(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, Subscription& s,
                         std::int64_t now) {
  group_writes_ = true;
  count(q, &QueueTraffic::delivered);
  ++m.attempts;
  storage::MessageView view;
  if (status st = record_attempt(txn, q, id, m, &view); !st.ok()) return st;
  states_.leave(q, m);
  states_.to_in_flight(q, id, m, s, now + q.config.ack_deadline_ms);
  Pending& p = pending_[s.id];
  if (!p.sink) {
    p.sink = s.sink;
    p.batch.subscription = s.id;
  }
  Delivery d;
  d.message_id = id;
  d.tag = m.tag;
  d.attempt = m.attempts;
  d.deadline_ms = m.due_ms;
  d.priority = m.priority;
  d.publish_ms = m.publish_ms;
  d.header_count = view.header_count;
  p.header_at.push_back(p.batch.arena.size());
  p.header_size.push_back(view.headers.size());
  p.batch.arena.insert(p.batch.arena.end(), view.headers.begin(), view.headers.end());
  p.payload_at.push_back(p.batch.arena.size());
  p.payload_size.push_back(view.payload.size());
  p.batch.arena.insert(p.batch.arena.end(), view.payload.begin(), view.payload.end());
  p.batch.deliveries.push_back(d);
  s.group_bytes += view.headers.size() + view.payload.size();
  return {};
}

// A delivery's attempt is stored before the delivery goes out, so a
// restart never hands a message out again with fewer attempts. A message
// stored as published (no delay, never rewritten) in a queue of one
// priority level leaves the ready order in id order: for its first delivery
// the queue's first_delivered_through moves up to it (written once per
// group with the queue's counters) and the message is only read. Every
// other delivery rewrites the message with its attempts, and so does one
// published by this same group: its page is written anyway, while the mark
// would add the counters' page to a commit that may hold just this message.
status Core::record_attempt(storage::WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, storage::MessageView* view) {
  const bool first_in_order = m.pristine && q.levels.size() == 1 && id < group_first_id_;
  m.pristine = false;
  if (!first_in_order)
    return store_.rewrite_message(txn, q.config.id, q.config.id, id, {m.attempts, m.dead_lettered, 0}, view);
  bool found = false;
  if (status st = store_.get_message(txn, q.config.id, id, view, &found); !st.ok()) return st;
  if (!found) return {errc::storage_corrupt, fmt::format("message {} of queue '{}' is missing", id, q.config.name)};
  q.stats.first_delivered_through = std::max(q.stats.first_delivered_through, id);
  q.stats_dirty = true;
  return {};
}

void Core::commit_deliveries() {
  for (auto& [sub, p] : pending_) {
    auto s = subs_.find(sub);
    if (s == subs_.end() || s->second->cancelled) continue;  // returned to the queue already
    s->second->group_bytes = 0;
    committed_.push_back(std::move(p));
  }
  pending_.clear();
  created_subs_.clear();
  for (std::uint64_t id : cancelled_subs_) subs_.erase(id);
  cancelled_subs_.clear();
}

void Core::abort_deliveries() {
  for (auto& [sub, p] : pending_)
    if (auto s = subs_.find(sub); s != subs_.end()) s->second->group_bytes = 0;
  pending_.clear();
  for (std::uint64_t id : created_subs_) subs_.erase(id);
  created_subs_.clear();
  for (std::uint64_t id : cancelled_subs_)
    if (auto it = subs_.find(id); it != subs_.end()) it->second->cancelled = false;
  cancelled_subs_.clear();
}

void Core::after_replies() {
  assert_writer_thread();
  for (auto& p : committed_) {
    std::size_t i = 0;
    for (auto& d : p.batch.deliveries) {
      d.headers = {p.batch.arena.data() + p.header_at[i], p.header_size[i]};
      d.payload = {p.batch.arena.data() + p.payload_at[i], p.payload_size[i]};
      ++i;
    }
    p.sink->deliver(std::move(p.batch));
  }
  committed_.clear();
}

}  // namespace wharf::queue
