#include "broker/queue/queue_core.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "protocol/names.h"

namespace wharf::queue {

using storage::Outcome;
using storage::WriteTxn;

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
constexpr std::size_t kMaxTimerEventsPerGroup = 8192;
// Deferred ack deletes are written once this many wait, or the oldest has
// waited this long: one commit per many acks.
constexpr std::size_t kMaxDeferredDeletes = 4096;
constexpr std::int64_t kMaxDeferMs = 200;
// Message ids are reserved this many at a time, renewed when fewer than
// kIdReserveLow are left.
constexpr std::uint64_t kIdReserveBlock = 65536;
constexpr std::uint64_t kIdReserveLow = 16384;

}  // namespace

status unknown_queue(std::string_view name) {
  // A name no queue can have gets the error that says why.
  if (status st = protocol::validate_name(name, "queue"); !st.ok()) return st;
  return {errc::unknown_queue, fmt::format("no queue named '{}'", name)};
}

Core::Core(storage::Storage& storage, LogAppender* logs)
    : storage_(storage), store_(storage.queues()), logs_(logs) {}

std::int64_t Core::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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
  dispatch_.clear();
  throttled_.clear();
  pending_.clear();
  // The stored value is a reservation: ids below it may have been handed
  // out, so the next run starts there (a gap, never a reuse).
  next_message_id_ = *next;
  reserved_ids_until_ = *next;
  for (auto& record : *records) {
    auto q = std::make_unique<Queue>();
    q->config = std::move(record);
    q->levels.resize(std::max<std::uint32_t>(q->config.priorities, 1));
    auto stats = store_.get_stats(*txn, q->config.id);
    if (!stats) return stats.error();
    q->stats = *stats;
    Queue& ref = *q;
    const std::int64_t now = now_ms();
    status scan = store_.scan_messages(*txn, q->config.id, [&](const storage::MessageView& v) {
      Msg m;
      m.publish_ms = v.fields.publish_ms;
      m.expires_ms = v.fields.expires_ms;
      m.attempts = v.fields.attempts;
      m.origin_queue = v.fields.origin_queue;
      m.priority = std::min<std::uint8_t>(v.fields.priority, static_cast<std::uint8_t>(ref.levels.size() - 1));
      m.dead_lettered = v.fields.dead_lettered;
      auto [it, inserted] = ref.msgs.emplace(v.id, m);
      if (v.fields.deliver_at_ms > now) {
        to_delayed(ref, v.id, it->second, v.fields.deliver_at_ms);
      } else {
        // Every unacked message is ready again, in id order.
        it->second.state = MessageState::ready;
        it->second.epoch = ++epoch_;
        ref.levels[it->second.priority].fresh.push_back({v.id, it->second.epoch});
        ++ref.ready;
      }
      watch_expiry(ref, v.id, it->second);
      return true;
    });
    if (!scan.ok()) return scan;
    by_id_[q->config.id] = q.get();
    by_name_[q->config.name] = std::move(q);
  }
  status hist = store_.scan_history_counts(*txn, [&](std::uint64_t id, std::uint32_t count) {
    for (auto& [name, q] : by_name_) {
      auto it = q->msgs.find(id);
      if (it != q->msgs.end()) {
        it->second.history = count;
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
  for (auto& [name, q] : by_name_) mark_dispatch(*q);
  return {};
}

// ---------------------------------------------------------------------------
// State transitions

void Core::leave(Queue& q, Msg& m) {
  switch (m.state) {
    case MessageState::ready:
      --q.ready;
      break;
    case MessageState::delayed:
      --q.delayed_count;
      break;
    case MessageState::in_flight:
      --q.in_flight;
      if (m.holder != nullptr) {
        --m.holder->in_flight;
        mark_dispatch(q);  // the holder has room again
      }
      m.holder = nullptr;
      break;
    case MessageState::dead_lettered:
      break;
  }
  m.epoch = ++epoch_;
}

void Core::to_ready(Queue& q, std::uint64_t id, Msg& m, bool returned) {
  m.state = MessageState::ready;
  m.epoch = ++epoch_;
  ReadyLevel& level = q.levels[m.priority];
  if (returned) {
    level.returned.push({id, m.epoch});
  } else {
    level.fresh.push_back({id, m.epoch});
  }
  ++q.ready;
  mark_dispatch(q);
}

void Core::to_delayed(Queue& q, std::uint64_t id, Msg& m, std::int64_t due_ms) {
  m.state = MessageState::delayed;
  m.epoch = ++epoch_;
  m.due_ms = due_ms;
  q.delayed.push({due_ms, id, m.epoch});
  ++q.delayed_count;
}

void Core::to_in_flight(Queue& q, std::uint64_t id, Msg& m, Subscription& s, std::int64_t deadline_ms) {
  m.state = MessageState::in_flight;
  m.epoch = ++epoch_;
  m.due_ms = deadline_ms;
  m.holder = &s;
  m.tag = next_tag_++;
  q.leases.push({deadline_ms, id, m.epoch});
  ++q.in_flight;
  ++s.in_flight;
}

void Core::watch_expiry(Queue& q, std::uint64_t id, const Msg& m) {
  if (m.expires_ms > 0) q.expiry.push({m.expires_ms, id, 0});
}

std::pair<std::uint64_t, Msg*> Core::pop_ready(Queue& q) {
  // Looks each entry up once: the live message comes back with its id.
  auto live_msg = [&](const Entry& e) -> Msg* {
    auto it = q.msgs.find(e.id);
    return it != q.msgs.end() && it->second.epoch == e.epoch && it->second.state == MessageState::ready
               ? &it->second
               : nullptr;
  };
  for (auto level = q.levels.rbegin(); level != q.levels.rend(); ++level) {
    Msg* fresh = nullptr;
    while (!level->fresh.empty() && (fresh = live_msg(level->fresh.front())) == nullptr) level->fresh.pop_front();
    Msg* returned = nullptr;
    while (!level->returned.empty() && (returned = live_msg(level->returned.top())) == nullptr) level->returned.pop();
    if (fresh == nullptr && returned == nullptr) continue;
    if (fresh != nullptr && (returned == nullptr || level->fresh.front().id < level->returned.top().id)) {
      const auto id = level->fresh.front().id;
      level->fresh.pop_front();
      return {id, fresh};
    }
    const auto id = level->returned.top().id;
    level->returned.pop();
    return {id, returned};
  }
  return {0, nullptr};
}

std::uint64_t Core::oldest_ready(Queue& q) {
  std::uint64_t best = 0;
  for (auto& level : q.levels) {
    auto live_entry = [&](const Entry& e) {
      auto it = q.msgs.find(e.id);
      return it != q.msgs.end() && it->second.epoch == e.epoch && it->second.state == MessageState::ready;
    };
    while (!level.fresh.empty() && !live_entry(level.fresh.front())) level.fresh.pop_front();
    while (!level.returned.empty() && !live_entry(level.returned.top())) level.returned.pop();
    if (!level.fresh.empty() && (best == 0 || level.fresh.front().id < best)) best = level.fresh.front().id;
    if (!level.returned.empty() && (best == 0 || level.returned.top().id < best)) best = level.returned.top().id;
  }
  return best;
}

bool Core::live(const Queue& q, const TimedEntry& e, MessageState state) const {
  auto it = q.msgs.find(e.id);
  return it != q.msgs.end() && it->second.epoch == e.epoch && it->second.state == state;
}

void Core::mark_dispatch(Queue& q) {
  if (std::find(dispatch_.begin(), dispatch_.end(), &q) == dispatch_.end()) dispatch_.push_back(&q);
}

std::int64_t Core::backoff_ms(const Queue& q, std::uint32_t attempts) const {
  const auto& c = q.config;
  double delay = static_cast<double>(c.backoff_initial_ms) *
                 std::pow(c.backoff_multiplier, static_cast<double>(attempts > 0 ? attempts - 1 : 0));
  if (!std::isfinite(delay) || delay > static_cast<double>(c.backoff_max_ms)) delay = static_cast<double>(c.backoff_max_ms);
  return static_cast<std::int64_t>(delay);
}

// ---------------------------------------------------------------------------
// Attempts, dead letters

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
  leave(q, m);
  if (outcome == Outcome::reject || m.attempts >= q.config.max_deliveries) return dead_letter(txn, q, id, m);
  const std::int64_t delay = delay_ms >= 0 ? delay_ms : backoff_ms(q, m.attempts);
  if (delay <= 0) {
    to_ready(q, id, m, true);
    return {};
  }
  // The retry time is stored, so a restart keeps the message delayed.
  const std::int64_t due = now_ms() + delay;
  if (status st = store_.rewrite_message(txn, q.config.id, q.config.id, id, {m.attempts, m.dead_lettered, due});
      !st.ok())
    return st;
  to_delayed(q, id, m, due);
  return {};
}

// The message has already left its state (leave()).
status Core::release(WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m) {
  group_writes_ = true;
  if (m.attempts > 0) --m.attempts;
  if (status st = store_.rewrite_message(txn, q.config.id, q.config.id, id, {m.attempts, m.dead_lettered, 0});
      !st.ok())
    return st;
  to_ready(q, id, m, true);
  return {};
}

// The message has already left its state (leave()).
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
  moved.holder = nullptr;
  moved.dead_lettered = true;
  moved.expires_ms = 0;
  moved.priority = std::min<std::uint8_t>(moved.priority, static_cast<std::uint8_t>(dlq->levels.size() - 1));
  q.msgs.erase(id);
  auto [it, inserted] = dlq->msgs.emplace(id, moved);
  to_ready(*dlq, id, it->second, true);
  watch_expiry(*dlq, id, it->second);
  return {};
}

// Deletes a message (already out of its state) with its history.
status Core::drop(WriteTxn& txn, Queue& q, std::uint64_t id) {
  group_writes_ = true;
  auto it = q.msgs.find(id);
  if (status st = store_.delete_message(txn, q.config.id, id); !st.ok()) return st;
  if (it != q.msgs.end() && it->second.history > 0)
    if (status st = store_.delete_history(txn, id); !st.ok()) return st;
  q.msgs.erase(id);
  return {};
}

// ---------------------------------------------------------------------------
// Queues

status Core::check_dlq(const QueueConfig& config) {
  switch (config.dlq_mode) {
    case storage::DlqMode::none:
      return {};
    case storage::DlqMode::default_queue:
      if (config.name.size() + 4 > protocol::kMaxNameLength)
        return {errc::invalid_name, "queue name is too long to add '.dlq' for its dead-letter queue"};
      return {};
    case storage::DlqMode::named:
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
  if (status st = store_.put_queue(txn, config); !st.ok()) return st;
  auto q = std::make_unique<Queue>();
  q->config = std::move(config);
  q->levels.resize(std::max<std::uint32_t>(q->config.priorities, 1));
  by_id_[q->config.id] = q.get();
  by_name_[q->config.name] = std::move(q);
  return {};
}

// A default dead-letter queue is made with its queue unless one of that
// name exists (kept with --keep-dlq, or made by hand).
status Core::ensure_default_dlq(WriteTxn& txn, const QueueConfig& owner) {
  if (owner.dlq_mode != storage::DlqMode::default_queue || find(owner.dlq) != nullptr) return {};
  QueueConfig dlq = owner;
  dlq.name = owner.dlq;
  dlq.dlq_mode = storage::DlqMode::none;
  dlq.dlq.clear();
  dlq.max_length = -1;
  dlq.ttl_ms = -1;
  return add_queue(txn, std::move(dlq));
}

status Core::create(WriteTxn& txn, QueueConfig config) {
  if (find(config.name) != nullptr) return {errc::queue_exists, fmt::format("queue '{}' already exists", config.name)};
  if (config.dlq_mode == storage::DlqMode::none) config.dlq.clear();
  if (config.dlq_mode == storage::DlqMode::default_queue) config.dlq = config.name + ".dlq";
  if (status st = check_dlq(config); !st.ok()) return st;
  if (status st = ensure_default_dlq(txn, config); !st.ok()) return st;
  return add_queue(txn, std::move(config));
}

status Core::alter(WriteTxn& txn, QueueConfig config) {
  Queue* q = find(config.name);
  if (q == nullptr) return unknown_queue(config.name);
  if (config.priorities != q->config.priorities)
    return {errc::invalid_argument,
            fmt::format("queue '{}' has {} priority levels; they cannot change after creation", config.name,
                        q->config.priorities)};
  if (config.dlq_mode == storage::DlqMode::none) config.dlq.clear();
  if (config.dlq_mode == storage::DlqMode::default_queue) config.dlq = config.name + ".dlq";
  if (status st = check_dlq(config); !st.ok()) return st;
  if (status st = ensure_default_dlq(txn, config); !st.ok()) return st;
  config.id = q->config.id;
  config.created_ms = q->config.created_ms;
  if (status st = store_.put_queue(txn, config); !st.ok()) return st;
  q->config = std::move(config);
  mark_dispatch(*q);
  return {};
}

status Core::remove_one(WriteTxn& txn, Queue& q) {
  if (status st = store_.erase_queue(txn, q.config); !st.ok()) return st;
  for (Subscription* s : std::vector<Subscription*>(q.subs)) cancel(*s);
  std::erase(dispatch_, &q);
  std::erase(throttled_, &q);
  by_id_.erase(q.config.id);
  by_name_.erase(q.config.name);
  return {};
}

status Core::remove(WriteTxn& txn, const std::string& name, bool keep_dlq) {
  Queue* q = find(name);
  if (q == nullptr) return unknown_queue(name);
  // The default dead-letter queue goes with its queue, unless asked to
  // stay or another queue sends its dead letters there too.
  Queue* dlq = nullptr;
  if (!keep_dlq && q->config.dlq_mode == storage::DlqMode::default_queue) {
    dlq = find(q->config.dlq);
    for (const auto& [other, oq] : by_name_)
      if (oq.get() != q && oq->config.dlq == q->config.dlq) dlq = nullptr;
  }
  if (status st = remove_one(txn, *q); !st.ok()) return st;
  if (dlq != nullptr && dlq != q)
    if (status st = remove_one(txn, *dlq); !st.ok()) return st;
  return {};
}

result<std::uint64_t> Core::purge(WriteTxn& txn, Queue& q) {
  std::vector<std::uint64_t> ids;
  for (auto& [id, m] : q.msgs)
    if (m.state == MessageState::ready || m.state == MessageState::delayed) ids.push_back(id);
  for (std::uint64_t id : ids) {
    leave(q, q.msgs[id]);
    if (status st = drop(txn, q, id); !st.ok()) return st;
  }
  for (auto& level : q.levels) level = ReadyLevel();
  q.delayed = TimedHeap();
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
  for (const auto& [id, m] : q.msgs)
    if (oldest == 0 || m.publish_ms < oldest) oldest = m.publish_ms;
  d.oldest_age_ms = oldest == 0 ? 0 : std::max<std::int64_t>(0, now_ms() - oldest);
  d.stats = q.stats;
  return d;
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
  return {errc::queue_full, fmt::format("queue '{}' holds {} waiting messages, its max length", q.config.name,
                                        q.config.max_length)};
}

// drop-oldest: the oldest waiting message makes room (dead-lettered with
// reason overflow). Ready ones go first; with none ready, the delayed one
// due soonest.
status Core::drop_oldest(WriteTxn& txn, Queue& q) {
  std::uint64_t id = oldest_ready(q);
  if (id == 0) {
    while (!q.delayed.empty() && !live(q, q.delayed.top(), MessageState::delayed)) q.delayed.pop();
    if (q.delayed.empty()) return queue_full(q);
    id = q.delayed.top().id;
  }
  Msg& m = q.msgs[id];
  if (status st = add_history(txn, id, m, Outcome::overflow, "", "queue at max length"); !st.ok()) return st;
  leave(q, m);
  return dead_letter(txn, q, id, m);
}

status Core::publish(WriteTxn& txn, Queue& q, const PublishBatch& batch, std::vector<std::uint64_t>* ids) {
  group_writes_ = true;
  if (status st = check_publish(q, batch); !st.ok()) return st;
  const bool drops = q.config.overflow == storage::Overflow::drop_oldest;
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
    const std::uint64_t id = next_message_id_++;
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
    auto [it, inserted] = q.msgs.emplace(id, m);
    if (f.deliver_at_ms > 0) {
      to_delayed(q, id, it->second, f.deliver_at_ms);
    } else {
      to_ready(q, id, it->second, false);
    }
    watch_expiry(q, id, it->second);
    ids->push_back(id);
  }
  return {};
}

// ---------------------------------------------------------------------------
// Consumers

result<std::uint64_t> Core::subscribe(Queue& q, std::uint32_t prefetch, std::shared_ptr<DeliverySink> sink) {
  auto s = std::make_unique<Subscription>();
  s->id = next_sub_++;
  s->queue_id = q.config.id;
  s->sink = std::move(sink);
  s->prefetch = prefetch;
  q.subs.push_back(s.get());
  created_subs_.push_back(s->id);
  const auto id = s->id;
  subs_[id] = std::move(s);
  mark_dispatch(q);
  return id;
}

void Core::cancel(Subscription& s) {
  if (s.cancelled) return;
  s.cancelled = true;
  cancelled_subs_.push_back(s.id);
  if (Queue* q = find(s.queue_id); q != nullptr) std::erase(q->subs, &s);
}

status Core::unsubscribe(WriteTxn& txn, std::uint64_t id, const DeliverySink* caller, std::uint64_t release_from_tag) {
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
  for (auto& [mid, m] : q->msgs)
    if (m.state == MessageState::in_flight && m.holder == &s) held.push_back(mid);
  std::sort(held.begin(), held.end());
  for (std::uint64_t mid : held) {
    Msg& m = q->msgs[mid];
    if (release_from_tag != 0 && m.tag >= release_from_tag) {
      leave(*q, m);
      if (status st = release(txn, *q, mid, m); !st.ok()) return st;
    } else if (status st = end_attempt(txn, *q, mid, m, Outcome::disconnected, who, "consumer left", 0); !st.ok()) {
      return st;
    }
  }
  return {};
}

status Core::sink_closed(WriteTxn& txn, const DeliverySink* sink) {
  std::vector<std::uint64_t> ids;
  for (auto& [id, s] : subs_)
    if (s->sink.get() == sink && !s->cancelled) ids.push_back(id);
  for (std::uint64_t id : ids)
    if (status st = unsubscribe(txn, id, sink, 0); !st.ok() && st.code() != errc::not_subscribed) return st;
  return {};
}

status Core::check_settlement(const Settlement& s, const DeliverySink* caller) {
  auto sit = subs_.find(s.subscription);
  if (sit == subs_.end() || sit->second->sink.get() != caller)
    return {errc::not_subscribed, fmt::format("no subscription {} on this connection", s.subscription)};
  Subscription& sub = *sit->second;
  Queue* q = find(sub.queue_id);
  if (q == nullptr) return {errc::unknown_queue, "the subscription's queue was deleted"};
  auto it = q->msgs.find(s.message_id);
  if (it == q->msgs.end())
    return {errc::unknown_message, fmt::format("no message {} in queue '{}'", s.message_id, q->config.name)};
  const Msg& m = it->second;
  if (m.state != MessageState::in_flight || m.tag != s.tag || m.holder != &sub)
    return {errc::lease_expired,
            fmt::format("delivery {} of message {} is no longer held: its lease expired or it was redelivered", s.tag,
                        s.message_id)};
  if (s.action == SettleAction::nack && s.delay_ms < -1) return {errc::invalid_argument, "nack delay must be >= 0"};
  if (s.action == SettleAction::extend && s.extend_ms < -1) return {errc::invalid_argument, "extension must be >= 0"};
  return {};
}

status Core::settle(WriteTxn& txn, const Settlement& s, const DeliverySink* caller, bool durable) {
  if (status st = check_settlement(s, caller); !st.ok()) return st;
  Subscription& sub = *subs_[s.subscription];
  Queue& q = *find(sub.queue_id);
  Msg& m = q.msgs[s.message_id];
  const std::uint64_t id = s.message_id;
  switch (s.action) {
    case SettleAction::ack:
      leave(q, m);
      if (durable) return drop(txn, q, id);
      if (deferred_.empty()) deferred_since_ms_ = now_ms();
      deferred_.push_back({q.config.id, id, m.history > 0});
      q.msgs.erase(id);
      return {};
    case SettleAction::nack:
      return end_attempt(txn, q, id, m, Outcome::nack, sub.sink->name(), s.reason, s.delay_ms);
    case SettleAction::reject:
      return end_attempt(txn, q, id, m, Outcome::reject, sub.sink->name(), s.reason, 0);
    case SettleAction::extend: {
      const std::int64_t add = s.extend_ms >= 0 ? s.extend_ms : q.config.ack_deadline_ms;
      m.due_ms = now_ms() + add;
      m.epoch = ++epoch_;
      q.leases.push({m.due_ms, id, m.epoch});
      return {};
    }
  }
  return {errc::invalid_argument, "unknown settlement action"};
}

// ---------------------------------------------------------------------------
// Inspection and repair

result<MessageInfo> Core::info(storage::Txn& txn, Queue& queue, std::uint64_t id) {
  Queue* q = &queue;
  auto it = q->msgs.find(id);
  if (it == q->msgs.end() && !q->config.dlq.empty()) {
    // A dead-lettered message is found through its original queue too.
    if (Queue* dlq = find(q->config.dlq); dlq != nullptr) {
      auto d = dlq->msgs.find(id);
      if (d != dlq->msgs.end()) {
        q = dlq;
        it = d;
      }
    }
  }
  if (it == q->msgs.end())
    return status(errc::unknown_message, fmt::format("no message {} in queue '{}'", id, queue.config.name));
  const Msg& m = it->second;
  storage::MessageView view;
  bool found = false;
  if (status st = store_.get_message(txn, q->config.id, id, &view, &found); !st.ok()) return st;
  if (!found) return status(errc::storage_corrupt, fmt::format("message {} is missing from storage", id));
  MessageInfo info;
  info.queue = q->config.name;
  info.id = id;
  info.state = m.dead_lettered && m.state != MessageState::in_flight ? MessageState::dead_lettered : m.state;
  info.attempts = m.attempts;
  info.deadline_ms = m.state == MessageState::in_flight || m.state == MessageState::delayed ? m.due_ms : 0;
  info.priority = m.priority;
  info.publish_ms = m.publish_ms;
  info.expires_ms = m.expires_ms;
  if (Queue* origin = find(m.origin_queue); origin != nullptr) info.origin_queue = origin->config.name;
  for (const auto& h : storage::decode_message_headers(view.headers, view.header_count))
    info.headers.emplace_back(std::string(h.key), std::string(h.value));
  info.payload.assign(reinterpret_cast<const char*>(view.payload.data()), view.payload.size());
  auto history = store_.history(txn, id);
  if (!history) return history.error();
  info.history = std::move(*history);
  return info;
}

result<std::vector<MessageInfo>> Core::peek(storage::Txn& txn, Queue& q, std::uint32_t count) {
  std::vector<std::uint64_t> ids;
  for (auto& [id, m] : q.msgs)
    if (m.state == MessageState::ready) ids.push_back(id);
  // Delivery order: higher priority first, then oldest first.
  std::sort(ids.begin(), ids.end(), [&](std::uint64_t a, std::uint64_t b) {
    const auto pa = q.msgs[a].priority;
    const auto pb = q.msgs[b].priority;
    return pa != pb ? pa > pb : a < b;
  });
  if (ids.size() > count) ids.resize(count);
  std::vector<MessageInfo> out;
  for (std::uint64_t id : ids) {
    auto i = info(txn, q, id);
    if (!i) return i.error();
    out.push_back(std::move(*i));
  }
  return out;
}

result<std::uint64_t> Core::redrive(WriteTxn& txn, const RedriveRequest& r) {
  Queue* dlq = find(r.dlq);
  if (dlq == nullptr) return unknown_queue(r.dlq);
  Queue* fixed_target = nullptr;
  if (!r.target.empty()) {
    fixed_target = find(r.target);
    if (fixed_target == nullptr) return unknown_queue(r.target);
  }
  std::vector<std::uint64_t> ids;
  if (r.select == RedriveSelect::ids) {
    for (std::uint64_t id : r.ids) {
      auto it = dlq->msgs.find(id);
      if (it == dlq->msgs.end())
        return status(errc::unknown_message, fmt::format("no message {} in queue '{}'", id, r.dlq));
      if (it->second.state == MessageState::in_flight)
        return status(errc::invalid_argument, fmt::format("message {} is being delivered; redrive it later", id));
      ids.push_back(id);
    }
  } else {
    for (auto& [id, m] : dlq->msgs)
      if (m.state != MessageState::in_flight) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    if (r.select == RedriveSelect::count && ids.size() > r.count) ids.resize(r.count);
  }
  // Check every destination before moving anything.
  for (std::uint64_t id : ids) {
    Queue* target = fixed_target != nullptr ? fixed_target : find(dlq->msgs[id].origin_queue);
    if (target == nullptr)
      return status(errc::unknown_queue, fmt::format("message {}'s original queue no longer exists; use --to", id));
    if (target == dlq) return status(errc::invalid_argument, "cannot redrive a queue into itself");
  }
  for (std::uint64_t id : ids) {
    Msg& m = dlq->msgs[id];
    Queue* target = fixed_target != nullptr ? fixed_target : find(m.origin_queue);
    if (status st = add_history(txn, id, m, Outcome::redriven, "", "to " + target->config.name); !st.ok()) return st;
    leave(*dlq, m);
    if (status st = store_.rewrite_message(txn, dlq->config.id, target->config.id, id, {0, false, 0}); !st.ok())
      return st;
    Msg moved = m;
    moved.attempts = 0;
    moved.dead_lettered = false;
    moved.priority = std::min<std::uint8_t>(moved.priority, static_cast<std::uint8_t>(target->levels.size() - 1));
    dlq->msgs.erase(id);
    auto [it, inserted] = target->msgs.emplace(id, moved);
    to_ready(*target, id, it->second, true);
    watch_expiry(*target, id, it->second);
  }
  return ids.size();
}

// ---------------------------------------------------------------------------
// Timers and dispatch (before_commit)

status Core::run_timers(WriteTxn& txn, std::int64_t now) {
  std::size_t budget = kMaxTimerEventsPerGroup;
  timers_left_ = false;
  for (auto& [name, qp] : by_name_) {
    Queue& q = *qp;
    while (!q.delayed.empty() && q.delayed.top().due_ms <= now) {
      if (budget == 0) {
        timers_left_ = true;
        return {};
      }
      const TimedEntry e = q.delayed.top();
      q.delayed.pop();
      if (!live(q, e, MessageState::delayed)) continue;
      --budget;
      Msg& m = q.msgs[e.id];
      leave(q, m);
      to_ready(q, e.id, m, true);
    }
    while (!q.leases.empty() && q.leases.top().due_ms <= now) {
      if (budget == 0) {
        timers_left_ = true;
        return {};
      }
      const TimedEntry e = q.leases.top();
      q.leases.pop();
      if (!live(q, e, MessageState::in_flight)) continue;
      --budget;
      Msg& m = q.msgs[e.id];
      const std::string who = m.holder != nullptr ? m.holder->sink->name() : "";
      if (status st = end_attempt(txn, q, e.id, m, Outcome::timeout, who, "ack deadline passed", -1); !st.ok())
        return st;
    }
    while (!q.expiry.empty() && q.expiry.top().due_ms <= now) {
      if (budget == 0) {
        timers_left_ = true;
        return {};
      }
      const TimedEntry e = q.expiry.top();
      q.expiry.pop();
      auto it = q.msgs.find(e.id);
      // In flight: the consumer may still ack it; it expires when it comes back.
      if (it == q.msgs.end() || it->second.expires_ms != e.due_ms) continue;
      Msg& m = it->second;
      if (m.state == MessageState::in_flight) {
        q.expiry.push({now + 1000, e.id, 0});
        m.expires_ms = now + 1000;
        continue;
      }
      --budget;
      if (status st = add_history(txn, e.id, m, Outcome::expired, "", "time to live passed"); !st.ok()) return st;
      ++q.stats.expired;
      q.stats_dirty = true;
      leave(q, m);
      m.expires_ms = 0;  // do not expire again in the dead-letter queue
      if (status st = dead_letter(txn, q, e.id, m); !st.ok()) return st;
    }
  }
  return {};
}

status Core::deliver_one(WriteTxn& txn, Queue& q, std::uint64_t id, Msg& m, Subscription& s, std::int64_t now) {
  group_writes_ = true;
  ++m.attempts;
  storage::MessageView view;
  if (status st = store_.rewrite_message(txn, q.config.id, q.config.id, id, {m.attempts, m.dead_lettered, 0}, &view);
      !st.ok())
    return st;
  leave(q, m);
  to_in_flight(q, id, m, s, now + q.config.ack_deadline_ms);
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

status Core::dispatch(WriteTxn& txn, Queue& q, std::int64_t now) {
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
      if (group_full) mark_dispatch(q);  // the next group goes on
      if (throttled && std::find(throttled_.begin(), throttled_.end(), &q) == throttled_.end()) {
        if (throttled_.empty()) throttled_retry_ms_ = now + kThrottleRetryMs;
        throttled_.push_back(&q);
      }
      return {};
    }
    const auto [id, found] = pop_ready(q);
    if (found == nullptr) return {};
    Msg& m = *found;
    if (m.expires_ms > 0 && m.expires_ms <= now) {
      if (status st = add_history(txn, id, m, Outcome::expired, "", "time to live passed"); !st.ok()) return st;
      ++q.stats.expired;
      q.stats_dirty = true;
      leave(q, m);
      m.expires_ms = 0;
      if (status st = dead_letter(txn, q, id, m); !st.ok()) return st;
      continue;
    }
    --budget;
    if (status st = deliver_one(txn, q, id, m, *s, now); !st.ok()) return st;
  }
  if (budget == 0) mark_dispatch(q);
  return {};
}

status Core::flush_deferred(WriteTxn& txn, std::int64_t now) {
  deferred_written_ = 0;
  if (deferred_.empty()) return {};
  // Deletes ride along when this group commits anyway (their pages are
  // often dirty already); otherwise they wait for the thresholds.
  if (!force_flush_ && !group_writes_ && deferred_.size() < kMaxDeferredDeletes &&
      now - deferred_since_ms_ < kMaxDeferMs)
    return {};
  for (const auto& d : deferred_) {
    // Gone already if its queue was deleted or purged meanwhile.
    status st = store_.delete_message(txn, d.queue, d.id);
    if (!st.ok() && st.code() != errc::storage_corrupt) return st;
    if (d.history)
      if (status h = store_.delete_history(txn, d.id); !h.ok()) return h;
  }
  deferred_written_ = deferred_.size();
  return {};
}

status Core::before_commit(WriteTxn& txn) {
  const std::int64_t now = now_ms();
  if (status st = run_timers(txn, now); !st.ok()) return st;
  if (!throttled_.empty() && now >= throttled_retry_ms_) {
    for (Queue* q : throttled_) mark_dispatch(*q);
    throttled_.clear();
  }
  std::vector<Queue*> queues;
  queues.swap(dispatch_);
  for (Queue* q : queues)
    if (status st = dispatch(txn, *q, now); !st.ok()) return st;
  if (status st = flush_deferred(txn, now); !st.ok()) return st;
  for (auto& [name, q] : by_name_) {
    if (!q->stats_dirty) continue;
    if (status st = store_.put_stats(txn, q->config.id, q->stats); !st.ok()) return st;
    q->stats_dirty = false;
  }
  if (next_message_id_ > reserved_ids_until_ || reserved_ids_until_ - next_message_id_ < kIdReserveLow) {
    // Reserve ids in blocks: one counter write per many messages instead of
    // one per commit (each table a commit touches costs flush time).
    const std::uint64_t until = next_message_id_ + kIdReserveBlock;
    if (status st = store_.put_next_message_id(txn, until); !st.ok()) return st;
    pending_reserve_ = until;
  }
  return {};
}

void Core::after_commit(std::uint64_t) {
  group_writes_ = false;
  if (pending_reserve_ != 0) {
    reserved_ids_until_ = pending_reserve_;
    pending_reserve_ = 0;
  }
  if (deferred_written_ > 0) {
    deferred_.erase(deferred_.begin(), deferred_.begin() + static_cast<std::ptrdiff_t>(deferred_written_));
    deferred_written_ = 0;
    deferred_since_ms_ = now_ms();
    force_flush_ = false;
  }
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

void Core::after_replies() {
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

void Core::after_abort() {
  group_writes_ = false;
  for (auto& [sub, p] : pending_)
    if (auto s = subs_.find(sub); s != subs_.end()) s->second->group_bytes = 0;
  pending_.clear();
  pending_reserve_ = 0;
  for (std::uint64_t id : created_subs_) subs_.erase(id);
  created_subs_.clear();
  for (std::uint64_t id : cancelled_subs_)
    if (auto it = subs_.find(id); it != subs_.end()) it->second->cancelled = false;
  cancelled_subs_.clear();
  // Rebuild from the last commit. If even that fails, storage is failing
  // and every later write is refused anyway. Acked messages whose delete
  // is still deferred stay acked.
  deferred_written_ = 0;
  (void)load();
  for (const auto& d : deferred_) {
    Queue* q = find(d.queue);
    if (q == nullptr) continue;
    auto it = q->msgs.find(d.id);
    if (it == q->msgs.end()) continue;
    leave(*q, it->second);
    q->msgs.erase(it);
  }
}

std::chrono::steady_clock::time_point Core::next_due() {
  const auto now = std::chrono::steady_clock::now();
  if (!dispatch_.empty() || timers_left_ || force_flush_) return now;
  std::int64_t due = INT64_MAX;
  for (auto& [name, qp] : by_name_) {
    Queue& q = *qp;
    while (!q.delayed.empty() && !live(q, q.delayed.top(), MessageState::delayed)) q.delayed.pop();
    while (!q.leases.empty() && !live(q, q.leases.top(), MessageState::in_flight)) q.leases.pop();
    if (!q.delayed.empty()) due = std::min(due, q.delayed.top().due_ms);
    if (!q.leases.empty()) due = std::min(due, q.leases.top().due_ms);
    if (!q.expiry.empty()) due = std::min(due, q.expiry.top().due_ms);
  }
  if (!deferred_.empty()) due = std::min(due, deferred_since_ms_ + kMaxDeferMs);
  if (!throttled_.empty()) due = std::min(due, throttled_retry_ms_);
  if (due == INT64_MAX) return std::chrono::steady_clock::time_point::max();
  return now + std::chrono::milliseconds(std::max<std::int64_t>(0, due - now_ms()));
}

}  // namespace wharf::queue
