// Queues, publish, settlements, attempts and dead letters, loading and the
// group hooks (see queue_core.h for the other parts).
#include "broker/queue/queue_core.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <set>

#include "base/clock.h"
#include "broker/queue/queue_records.h"
#include "protocol/names.h"

namespace wharf::queue {

using storage::Outcome;
using storage::WriteTxn;

namespace {

// An error that leaves the group to be retried op by op rather than
// failing only this request.
bool storage_trouble(const status& st) {
  return errc_retryable(st.code()) || st.code() == errc::storage_failed || st.code() == errc::storage_corrupt;
}

}  // namespace

status unknown_queue(std::string_view name) {
  // A name no queue can have gets the error that says why.
  if (status st = protocol::validate_name(name, "queue"); !st.ok()) return st;
  return {errc::unknown_queue, fmt::format("no queue named '{}'", name)};
}

Core::Core(storage::Storage& storage, LogAppender* logs)
    : storage_(storage), store_(storage.queues()), logs_(logs) {}

std::int64_t Core::now_ms() const { return wall_clock_ms(); }

void Core::assert_writer_thread() const { assert(storage_.writer().on_writer_thread()); }

Queue* Core::find(std::string_view name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

Queue* Core::find(std::uint32_t id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

// ---------------------------------------------------------------------------
// Loading

status Core::load() {
  auto txn = storage_.read();
  if (!txn) return txn.error();
  auto records = store_.load_queues(*txn);
  if (!records) return records.error();
  auto next = store_.load_next_message_id(*txn);
  if (!next) return next.error();
  by_name_.clear();
  by_id_.clear();
  states_.clear_dispatch();
  throttled_.clear();
  pending_.clear();
  ids_.load(*next);
  group_first_id_ = ids_.peek();
  const std::int64_t now = now_ms();
  for (const auto& record : *records) {
    auto q = std::make_unique<Queue>();
    q->config = from_record(record);
    q->traffic = traffic_of(q->config.id);
    q->levels.resize(std::max<std::uint32_t>(q->config.priorities, 1));
    auto stats = store_.get_stats(*txn, q->config.id);
    if (!stats) return stats.error();
    q->stats = *stats;
    Queue& ref = *q;
    status scan = store_.scan_messages(*txn, q->config.id, [&](const storage::MessageView& v) {
      Msg m;
      m.publish_ms = v.fields.publish_ms;
      m.expires_ms = v.fields.expires_ms;
      m.attempts = v.fields.attempts;
      // A first delivery recorded by the queue's mark rather than in the
      // message (deliver_one).
      const bool as_published = !v.fields.rewritten && v.fields.deliver_at_ms == 0;
      if (as_published && v.id <= ref.stats.first_delivered_through) m.attempts = std::max<std::uint32_t>(m.attempts, 1);
      m.pristine = as_published && m.attempts == 0;
      m.origin_queue = v.fields.origin_queue;
      m.priority = std::min<std::uint8_t>(v.fields.priority, static_cast<std::uint8_t>(ref.levels.size() - 1));
      m.dead_lettered = v.fields.dead_lettered;
      Msg& added = ref.msgs.insert(v.id, m);
      // Every unacked message is ready again, in id order, unless its
      // delay (publish delay or backoff) is still ahead.
      if (v.fields.deliver_at_ms > now) {
        states_.to_delayed(ref, v.id, added, v.fields.deliver_at_ms);
      } else {
        states_.to_ready(ref, v.id, added, false);
      }
      states_.watch_expiry(ref, v.id, added);
      return true;
    });
    if (!scan.ok()) return scan;
    by_id_[q->config.id] = q.get();
    by_name_[q->config.name] = std::move(q);
  }
  status hist = store_.scan_history_counts(*txn, [&](std::uint64_t id, std::uint32_t count) {
    for (auto& [name, q] : by_name_) {
      if (Msg* m = q->msgs.find(id); m != nullptr) {
        m->history = count;
        return;
      }
    }
  });
  if (!hist.ok()) return hist;
  // Subscriptions outlive a reload; their deliveries did not.
  for (auto& [id, s] : subs_) {
    s->in_flight = 0;
    if (Queue* q = find(s->queue_id); q != nullptr && !s->cancelled) q->subs.push_back(s.get());
  }
  for (auto& [name, q] : by_name_) states_.mark_dispatch(*q);
  return {};
}

// ---------------------------------------------------------------------------
// Queues

status Core::check_dlq(const QueueConfig& config) {
  switch (config.dead_letter) {
    case DeadLetter::none:
      return {};
    case DeadLetter::default_queue:
      if (config.name.size() + 4 > protocol::kMaxNameLength)
        return {errc::invalid_name, "queue name is too long to add '.dlq' for its dead-letter queue"};
      return {};
    case DeadLetter::named:
      if (config.dlq == config.name) return {errc::invalid_argument, "a queue cannot be its own dead-letter queue"};
      if (find(config.dlq) == nullptr)
        return {errc::unknown_queue, fmt::format("dead-letter queue '{}' does not exist; create it first", config.dlq)};
      return {};
  }
  return {errc::invalid_argument, "unknown dead-letter mode"};
}

status Core::add_queue(WriteTxn& txn, QueueConfig config) {
  auto id = store_.allocate_queue_id(txn);
  if (!id) return id.error();
  config.id = *id;
  config.created_ms = now_ms();
  if (status st = store_.put_queue(txn, to_record(config)); !st.ok()) return st;
  auto q = std::make_unique<Queue>();
  q->config = std::move(config);
  q->traffic = traffic_of(q->config.id);
  q->levels.resize(std::max<std::uint32_t>(q->config.priorities, 1));
  by_id_[q->config.id] = q.get();
  by_name_[q->config.name] = std::move(q);
  return {};
}

// A default dead-letter queue is made with its queue unless one of that
// name exists (kept with --keep-dlq, or made by hand).
status Core::ensure_default_dlq(WriteTxn& txn, const QueueConfig& owner) {
  if (owner.dead_letter != DeadLetter::default_queue || find(owner.dlq) != nullptr) return {};
  QueueConfig dlq = owner;
  dlq.name = owner.dlq;
  dlq.dead_letter = DeadLetter::none;
  dlq.dlq.clear();
  dlq.max_length = -1;
  dlq.ttl_ms = -1;
  return add_queue(txn, std::move(dlq));
}

status Core::create(WriteTxn& txn, QueueConfig config) {
  assert_writer_thread();
  if (find(config.name) != nullptr) return {errc::queue_exists, fmt::format("queue '{}' already exists", config.name)};
  if (config.dead_letter == DeadLetter::none) config.dlq.clear();
  if (config.dead_letter == DeadLetter::default_queue) config.dlq = config.name + ".dlq";
  if (status st = check_dlq(config); !st.ok()) return st;
  status st = ensure_default_dlq(txn, config);
  if (st.ok()) st = add_queue(txn, std::move(config));
  if (!st.ok()) txn.request_rollback();
  return st;
}

status Core::alter(WriteTxn& txn, QueueConfig config) {
  assert_writer_thread();
  Queue* q = find(config.name);
  if (q == nullptr) return unknown_queue(config.name);
  if (config.priorities != q->config.priorities)
    return {errc::invalid_argument, fmt::format("queue '{}' has {} priority levels; they cannot change after creation",
                                                config.name, q->config.priorities)};
  if (config.dead_letter == DeadLetter::none) config.dlq.clear();
  if (config.dead_letter == DeadLetter::default_queue) config.dlq = config.name + ".dlq";
  if (status st = check_dlq(config); !st.ok()) return st;
  config.id = q->config.id;
  config.created_ms = q->config.created_ms;
  status st = ensure_default_dlq(txn, config);
  if (st.ok()) st = store_.put_queue(txn, to_record(config));
  if (!st.ok()) {
    txn.request_rollback();
    return st;
  }
  q->config = std::move(config);
  states_.mark_dispatch(*q);
  return {};
}

status Core::remove_one(WriteTxn& txn, Queue& q) {
  if (status st = store_.erase_queue(txn, to_record(q.config)); !st.ok()) return st;
  for (Subscription* s : std::vector<Subscription*>(q.subs)) cancel(*s);
  states_.forget(q);
  std::erase(throttled_, &q);
  by_id_.erase(q.config.id);
  by_name_.erase(q.config.name);
  return {};
}

status Core::remove(WriteTxn& txn, const std::string& name, bool keep_dlq) {
  assert_writer_thread();
  Queue* q = find(name);
  if (q == nullptr) return unknown_queue(name);
  // The default dead-letter queue goes with its queue, unless asked to
  // stay or another queue sends its dead letters there too.
  Queue* dlq = nullptr;
  if (!keep_dlq && q->config.dead_letter == DeadLetter::default_queue) {
    dlq = find(q->config.dlq);
    for (const auto& [other, oq] : by_name_)
      if (oq.get() != q && oq->config.dlq == q->config.dlq) dlq = nullptr;
  }
  status st = remove_one(txn, *q);
  if (st.ok() && dlq != nullptr && dlq != q) st = remove_one(txn, *dlq);
  if (!st.ok()) txn.request_rollback();
  return st;
}

result<std::uint64_t> Core::purge(WriteTxn& txn, const std::string& name) {
  assert_writer_thread();
  Queue* q = find(name);
  if (q == nullptr) return unknown_queue(name);
  std::vector<std::uint64_t> ids;
  q->msgs.for_each([&](std::uint64_t id, const Msg& m) {
    if (m.state == MessageState::ready || m.state == MessageState::delayed) ids.push_back(id);
  });
  for (std::uint64_t id : ids) {
    states_.leave(*q, q->msgs.at(id));
    if (status st = drop(txn, *q, id); !st.ok()) {
      txn.request_rollback();
      return st;
    }
  }
  for (auto& level : q->levels) level = ReadyLevel();
  q->delayed = TimedQueue();
  return ids.size();
}

QueueDescription Core::describe(const Queue& q) const {
  QueueDescription d;
  d.config = q.config;
  d.ready = q.ready;
  d.delayed = q.delayed_count;
  d.in_flight = q.in_flight;
  for (const Subscription* s : q.subs)
    if (!s->cancelled) ++d.consumers;
  std::int64_t oldest = 0;
  q.msgs.for_each([&](std::uint64_t, const Msg& m) {
    if (oldest == 0 || m.publish_ms < oldest) oldest = m.publish_ms;
  });
  d.oldest_age_ms = oldest == 0 ? 0 : std::max<std::int64_t>(0, now_ms() - oldest);
  d.dead_lettered = q.stats.dead_lettered;
  d.dropped = q.stats.dropped;
  d.expired = q.stats.expired;
  d.traffic = q.traffic->committed;
  return d;
}

result<QueueDescription> Core::describe(const std::string& name) {
  assert_writer_thread();
  Queue* q = find(name);
  if (q == nullptr) return unknown_queue(name);
  return describe(*q);
}

std::vector<QueueDescription> Core::list() {
  assert_writer_thread();
  std::vector<QueueDescription> out;
  for (const auto& [name, q] : by_name_) out.push_back(describe(*q));
  return out;
}

// ---------------------------------------------------------------------------
// Publish

status Core::check_publish(const Queue& q, const PublishBatch& batch) const {
  for (const auto& m : batch.messages)
    if (m.priority >= q.levels.size())
      return {errc::invalid_argument, fmt::format("priority {} is outside 0-{} of queue '{}'", m.priority,
                                                  q.levels.size() - 1, q.config.name)};
  return {};
}

std::uint64_t Core::room(const Queue& q) const {
  if (q.config.max_length < 0) return UINT64_MAX;
  const auto limit = static_cast<std::uint64_t>(q.config.max_length);
  return q.waiting() >= limit ? 0 : limit - q.waiting();
}

status Core::queue_full(const Queue& q) const {
  return {errc::queue_full,
          fmt::format("queue '{}' holds {} waiting messages, its max length", q.config.name, q.config.max_length)};
}

// drop-oldest: the oldest waiting message makes room (dead-lettered with
// reason overflow). Ready ones go first; with none ready, the delayed one
// due soonest.
status Core::drop_oldest(WriteTxn& txn, Queue& q) {
  std::uint64_t id = states_.oldest_ready(q);
  if (id == 0) id = states_.soonest_delayed(q);
  if (id == 0) return queue_full(q);
  Msg& m = q.msgs.at(id);
  if (status st = add_history(txn, id, m, Outcome::overflow, "", "queue at max length"); !st.ok()) return st;
  states_.leave(q, m);
  return dead_letter(txn, q, id, m);
}

result<std::vector<std::uint64_t>> Core::publish(WriteTxn& txn, const PublishBatch& batch) {
  assert_writer_thread();
  Queue* q = find(batch.queue);
  if (q == nullptr) return unknown_queue(batch.queue);
  std::vector<std::uint64_t> ids;
  ids.reserve(batch.messages.size());
  if (status st = publish_into(txn, *q, batch, &ids); !st.ok()) {
    // Refused before writing (queue_full, storage_full at the first
    // message): only this op fails. Otherwise undo its partial writes.
    if (!ids.empty() || (st.code() != errc::queue_full && st.code() != errc::invalid_argument && !txn.space_refused()))
      txn.request_rollback();
    return st;
  }
  return ids;
}

status Core::publish_into(WriteTxn& txn, Queue& q, const PublishBatch& batch, std::vector<std::uint64_t>* ids) {
  group_writes_ = true;
  if (status st = check_publish(q, batch); !st.ok()) return st;
  const bool drops = q.config.overflow == Overflow::drop_oldest;
  if (!drops && room(q) == 0) return queue_full(q);
  // Claim room for the whole batch before writing anything, so that a full
  // map refuses it cleanly.
  if (status st = txn.reserve_space(batch.arena.size() + 64 * batch.messages.size()); !st.ok()) return st;
  const std::int64_t now = now_ms();
  // Max length holds per message, as in RabbitMQ: drop-oldest admits each
  // new message and dead-letters the oldest waiting one; reject-publish
  // takes what fits and refuses the rest (id 0).
  for (const auto& out : batch.messages) {
    if (room(q) == 0) {
      if (!drops) {
        ids->push_back(0);
        continue;
      }
      if (status st = drop_oldest(txn, q); !st.ok()) return st;
    }
    const std::uint64_t id = ids_.next();
    storage::MessageFields f;
    f.priority = out.priority;
    f.origin_queue = q.config.id;
    f.publish_ms = now;
    f.deliver_at_ms = out.delay_ms > 0 ? now + out.delay_ms : 0;
    const std::int64_t ttl = out.ttl_ms >= 0 ? out.ttl_ms : q.config.ttl_ms;
    f.expires_ms = ttl > 0 ? now + ttl : 0;
    if (status st = store_.put_message(txn, q.config.id, id, f, out.headers, out.payload); !st.ok()) return st;
    Msg m;
    m.publish_ms = now;
    m.expires_ms = f.expires_ms;
    m.priority = out.priority;
    m.origin_queue = q.config.id;
    m.pristine = f.deliver_at_ms == 0;
    Msg& added = q.msgs.insert(id, m);
    if (f.deliver_at_ms > 0) {
      states_.to_delayed(q, id, added, f.deliver_at_ms);
    } else {
      states_.to_ready(q, id, added, false);
    }
    states_.watch_expiry(q, id, added);
    ids->push_back(id);
    count(q, &QueueTraffic::published);
  }
  return {};
}

result<AckPublishResult> Core::ack_and_publish(WriteTxn& txn, const AckPublishRequest& req,
                                               const std::vector<std::unique_ptr<LogAppender::Prepared>>& prepared,
                                               const DeliverySink* caller) {
  assert_writer_thread();
  // Check everything first: a refusal writes nothing.
  std::set<std::uint64_t> acked;
  for (const auto& a : req.acks) {
    if (a.action != SettleAction::ack) return status(errc::invalid_argument, "only acks may be combined with publishes");
    if (!acked.insert(a.message_id).second)
      return status(errc::invalid_argument, fmt::format("message {} is acked twice", a.message_id));
    if (status st = check_settlement(a, caller); !st.ok()) return st;
  }
  std::map<Queue*, std::size_t> incoming;
  for (const auto& p : req.publishes) {
    Queue* q = find(p.queue);
    if (q == nullptr) return unknown_queue(p.queue);
    if (status st = check_publish(*q, p); !st.ok()) return st;
    incoming[q] += p.messages.size();
  }
  // All or nothing: with reject-publish every message must fit.
  for (const auto& [q, n] : incoming)
    if (q->config.overflow == Overflow::reject_publish && room(*q) < n) return queue_full(*q);
  // Then write; a failure from here on rolls the whole group back.
  auto fail = [&](status st) {
    txn.request_rollback();
    return st;
  };
  AckPublishResult out;
  for (const auto& a : req.acks)
    if (status st = settle_one(txn, a, caller, true); !st.ok()) return fail(st);
  for (const auto& p : req.publishes) {
    std::vector<std::uint64_t> ids;
    if (status st = publish_into(txn, *find(p.queue), p, &ids); !st.ok()) return fail(st);
    out.message_ids.push_back(std::move(ids));
  }
  for (std::size_t i = 0; i < req.produces.size(); ++i) {
    std::uint64_t base = 0;
    if (status st = logs_->append(txn, *prepared[i], req.produces[i].batch, &base); !st.ok()) return fail(st);
    out.base_offsets.push_back(base);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Settlements

status Core::check_settlement(const Settlement& s, const DeliverySink* caller, Held* held) {
  auto sit = subs_.find(s.subscription);
  if (sit == subs_.end() || sit->second->sink.get() != caller)
    return {errc::not_subscribed, fmt::format("no subscription {} on this connection", s.subscription)};
  Subscription& sub = *sit->second;
  Queue* q = find(sub.queue_id);
  if (q == nullptr) return {errc::unknown_queue, "the subscription's queue was deleted"};
  Msg* found = q->msgs.find(s.message_id);
  if (found == nullptr)
    return {errc::unknown_message, fmt::format("no message {} in queue '{}'", s.message_id, q->config.name)};
  const Msg& m = *found;
  if (m.state != MessageState::in_flight || m.tag != s.tag || m.holder != &sub)
    return {errc::lease_expired,
            fmt::format("delivery {} of message {} is no longer held: its lease expired or it was redelivered", s.tag,
                        s.message_id)};
  if (s.action == SettleAction::nack && (s.delay_ms < -1 || s.delay_ms > kMaxDurationMs))
    return {errc::invalid_argument, fmt::format("nack delay must be 0-{} ms", kMaxDurationMs)};
  if (s.action == SettleAction::extend && (s.extend_ms < -1 || s.extend_ms > kMaxDurationMs))
    return {errc::invalid_argument, fmt::format("extension must be 0-{} ms", kMaxDurationMs)};
  if (held != nullptr) *held = {&sub, q, found};
  return {};
}

result<std::vector<SettleError>> Core::settle(WriteTxn& txn, const std::vector<Settlement>& settlements,
                                              const DeliverySink* caller, bool durable) {
  assert_writer_thread();
  std::vector<SettleError> errors;
  for (std::uint32_t i = 0; i < settlements.size(); ++i) {
    status st = settle_one(txn, settlements[i], caller, durable);
    if (st.ok()) continue;
    if (storage_trouble(st)) {
      txn.request_rollback();
      return st;
    }
    errors.push_back({i, std::move(st)});
  }
  return errors;
}

status Core::settle_one(WriteTxn& txn, const Settlement& s, const DeliverySink* caller, bool durable) {
  Held held;
  if (status st = check_settlement(s, caller, &held); !st.ok()) return st;
  Subscription& sub = *held.sub;
  Queue& q = *held.queue;
  Msg& m = *held.msg;
  const std::uint64_t id = s.message_id;
  switch (s.action) {
    case SettleAction::ack:
      count(q, &QueueTraffic::acked);
      states_.leave(q, m);
      if (durable) return drop(txn, q, id);
      deferred_.add({q.config.id, id, m.history > 0}, now_ms());
      q.msgs.erase(id);
      return {};
    case SettleAction::nack:
      count(q, &QueueTraffic::nacked);
      return end_attempt(txn, q, id, m, Outcome::nack, sub.sink->name(), s.reason, s.delay_ms);
    case SettleAction::reject:
      count(q, &QueueTraffic::rejected);
      return end_attempt(txn, q, id, m, Outcome::reject, sub.sink->name(), s.reason, 0);
    case SettleAction::extend:
      states_.renew_lease(q, id, m, now_ms() + (s.extend_ms >= 0 ? s.extend_ms : q.config.ack_deadline_ms));
      return {};
  }
  return {errc::invalid_argument, "unknown settlement action"};
}

// ---------------------------------------------------------------------------
// Attempts, dead letters

void Core::count(Queue& q, std::uint64_t QueueTraffic::*field, std::uint64_t n) {
  TrafficCount& t = *q.traffic;
  t.pending.*field += n;
  if (!t.dirty) {
    t.dirty = true;
    traffic_dirty_.push_back(&t);
  }
}

TrafficCount* Core::traffic_of(std::uint32_t queue_id) {
  auto& slot = traffic_[queue_id];
  if (!slot) slot = std::make_unique<TrafficCount>();
  return slot.get();
}

std::int64_t Core::backoff_ms(const Queue& q, std::uint32_t attempts) const {
  const auto& c = q.config;
  double delay = static_cast<double>(c.backoff_initial_ms) *
                 std::pow(c.backoff_multiplier, static_cast<double>(attempts > 0 ? attempts - 1 : 0));
  if (!std::isfinite(delay) || delay > static_cast<double>(c.backoff_max_ms)) delay = static_cast<double>(c.backoff_max_ms);
  return static_cast<std::int64_t>(delay);
}

status Core::add_history(WriteTxn& txn, std::uint64_t id, Msg& m, Outcome outcome, const std::string& consumer,
                         const std::string& reason) {
  group_writes_ = true;
  storage::HistoryEntry e{now_ms(), outcome, consumer, reason};
  if (status st = store_.append_history(txn, id, m.history, e); !st.ok()) return st;
  ++m.history;
  return {};
}

status Core::end_attempt(WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, Outcome outcome,
                         const std::string& consumer, const std::string& reason, std::int64_t delay_ms) {
  if (status st = add_history(txn, id, m, outcome, consumer, reason); !st.ok()) return st;
  states_.leave(q, m);
  if (outcome == Outcome::reject || m.attempts >= q.config.max_deliveries) return dead_letter(txn, q, id, m);
  const std::int64_t delay = delay_ms >= 0 ? delay_ms : backoff_ms(q, m.attempts);
  if (delay <= 0) {
    states_.to_ready(q, id, m, true);
    return {};
  }
  // The retry time is stored, so a restart keeps the message delayed.
  const std::int64_t due = now_ms() + delay;
  if (status st = store_.rewrite_message(txn, q.config.id, q.config.id, id, {m.attempts, m.dead_lettered, due});
      !st.ok())
    return st;
  states_.to_delayed(q, id, m, due);
  return {};
}

status Core::release(WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m) {
  group_writes_ = true;
  if (m.attempts > 0) --m.attempts;
  if (status st = store_.rewrite_message(txn, q.config.id, q.config.id, id, {m.attempts, m.dead_lettered, 0});
      !st.ok())
    return st;
  states_.to_ready(q, id, m, true);
  return {};
}

status Core::expire(WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m) {
  if (status st = add_history(txn, id, m, Outcome::expired, "", "time to live passed"); !st.ok()) return st;
  ++q.stats.expired;
  q.stats_dirty = true;
  states_.leave(q, m);
  m.expires_ms = 0;  // do not expire again in the dead-letter queue
  return dead_letter(txn, q, id, m);
}

status Core::dead_letter(WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m) {
  group_writes_ = true;
  Queue* dlq = q.config.dlq.empty() ? nullptr : find(q.config.dlq);
  if (dlq == nullptr || dlq == &q) {
    ++q.stats.dropped;
    q.stats_dirty = true;
    return drop(txn, q, id);
  }
  if (status st = store_.rewrite_message(txn, q.config.id, dlq->config.id, id, {0, true, 0}); !st.ok()) return st;
  ++q.stats.dead_lettered;
  q.stats_dirty = true;
  Msg moved = m;
  moved.attempts = 0;
  moved.pristine = false;
  moved.holder = nullptr;
  moved.dead_lettered = true;
  moved.expires_ms = 0;
  moved.priority = std::min<std::uint8_t>(moved.priority, static_cast<std::uint8_t>(dlq->levels.size() - 1));
  q.msgs.erase(id);
  q.lease_expired_from.erase(id);
  Msg& added = dlq->msgs.insert(id, moved);
  states_.to_ready(*dlq, id, added, true);
  states_.watch_expiry(*dlq, id, added);
  return {};
}

// Deletes a message (already out of its state) with its history.
status Core::drop(WriteTxn& txn, Queue& q, std::uint64_t id) {
  group_writes_ = true;
  const Msg* m = q.msgs.find(id);
  if (status st = store_.delete_message(txn, q.config.id, id); !st.ok()) return st;
  if (m != nullptr && m->history > 0)
    if (status st = store_.delete_history(txn, id); !st.ok()) return st;
  q.msgs.erase(id);
  q.lease_expired_from.erase(id);
  return {};
}

// ---------------------------------------------------------------------------
// Group hooks

status Core::before_commit(WriteTxn& txn) {
  assert_writer_thread();
  const std::int64_t now = now_ms();
  if (status st = run_timers(txn, now); !st.ok()) return st;
  retry_throttled(now);
  for (Queue* q : states_.take_dispatch())
    if (status st = dispatch(txn, *q, now); !st.ok()) return st;
  if (status st = deferred_.write(txn, store_, now, group_writes_); !st.ok()) return st;
  for (auto& [name, q] : by_name_) {
    if (!q->stats_dirty) continue;
    if (status st = store_.put_stats(txn, q->config.id, q->stats); !st.ok()) return st;
    q->stats_dirty = false;
  }
  return ids_.reserve(txn, store_);
}

void Core::after_commit() {
  assert_writer_thread();
  group_writes_ = false;
  for (TrafficCount* t : traffic_dirty_) {
    t->committed.published += t->pending.published;
    t->committed.delivered += t->pending.delivered;
    t->committed.acked += t->pending.acked;
    t->committed.nacked += t->pending.nacked;
    t->committed.rejected += t->pending.rejected;
    t->pending = {};
    t->dirty = false;
  }
  traffic_dirty_.clear();
  ids_.after_commit();
  group_first_id_ = ids_.peek();
  deferred_.after_commit(now_ms());
  commit_deliveries();
}

void Core::after_abort() {
  assert_writer_thread();
  for (TrafficCount* t : traffic_dirty_) {
    t->pending = {};
    t->dirty = false;
  }
  traffic_dirty_.clear();
  group_writes_ = false;
  ids_.after_abort();
  deferred_.after_abort();
  abort_deliveries();
  // Rebuild from the last commit. If even that fails, storage is failing
  // and every later write is refused anyway. Acked messages whose delete
  // is still deferred stay acked.
  (void)load();
  for (const auto& a : deferred_.waiting()) {
    Queue* q = find(a.queue);
    if (q == nullptr) continue;
    Msg* m = q->msgs.find(a.id);
    if (m == nullptr) continue;
    states_.leave(*q, *m);
    q->msgs.erase(a.id);
  }
}

std::chrono::steady_clock::time_point Core::next_due() {
  assert_writer_thread();
  const auto now = std::chrono::steady_clock::now();
  if (states_.dispatch_pending() || timers_left_ || deferred_.forced()) return now;
  std::int64_t due = deferred_.due_ms();
  for (auto& [name, qp] : by_name_) {
    Queue& q = *qp;
    while (!q.delayed.empty() && !states_.live(q, q.delayed.top(), MessageState::delayed)) q.delayed.pop();
    while (!q.leases.empty() && !states_.live(q, q.leases.top(), MessageState::in_flight)) q.leases.pop();
    if (!q.delayed.empty()) due = std::min(due, q.delayed.top().due_ms);
    if (!q.leases.empty()) due = std::min(due, q.leases.top().due_ms);
    if (!q.expiry.empty()) due = std::min(due, q.expiry.top().due_ms);
  }
  if (!throttled_.empty()) due = std::min(due, throttled_retry_ms_);
  if (due == INT64_MAX) return std::chrono::steady_clock::time_point::max();
  return now + std::chrono::milliseconds(std::clamp<std::int64_t>(due - now_ms(), 0, kMaxDurationMs));
}

}  // namespace wharf::queue
