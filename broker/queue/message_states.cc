#include "broker/queue/message_states.h"

#include <algorithm>

namespace wharf::queue {

void MessageStates::leave(Queue& q, Msg& m) {
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

void MessageStates::to_ready(Queue& q, std::uint64_t id, Msg& m, bool returned) {
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

void MessageStates::to_delayed(Queue& q, std::uint64_t id, Msg& m, std::int64_t due_ms) {
  m.state = MessageState::delayed;
  m.epoch = ++epoch_;
  m.due_ms = due_ms;
  q.delayed.push({due_ms, id, m.epoch});
  ++q.delayed_count;
}

void MessageStates::to_in_flight(Queue& q, std::uint64_t id, Msg& m, Subscription& s, std::int64_t deadline_ms) {
  m.state = MessageState::in_flight;
  m.epoch = ++epoch_;
  m.due_ms = deadline_ms;
  m.holder = &s;
  m.tag = next_tag_++;
  q.leases.push({deadline_ms, id, m.epoch});
  ++q.in_flight;
  ++s.in_flight;
}

void MessageStates::renew_lease(Queue& q, std::uint64_t id, Msg& m, std::int64_t due_ms) {
  m.due_ms = due_ms;
  m.epoch = ++epoch_;
  q.leases.push({due_ms, id, m.epoch});
}

void MessageStates::watch_expiry(Queue& q, std::uint64_t id, const Msg& m) {
  if (m.expires_ms > 0) q.expiry.push({m.expires_ms, id, 0});
}

std::pair<std::uint64_t, Msg*> MessageStates::pop_ready(Queue& q) {
  // Looks each entry up once: the live message comes back with its id.
  auto live_msg = [&](const Entry& e) -> Msg* {
    Msg* m = q.msgs.find(e.id);
    return m != nullptr && m->epoch == e.epoch && m->state == MessageState::ready ? m : nullptr;
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

std::uint64_t MessageStates::oldest_ready(Queue& q) {
  auto live_entry = [&](const Entry& e) {
    const Msg* m = q.msgs.find(e.id);
    return m != nullptr && m->epoch == e.epoch && m->state == MessageState::ready;
  };
  std::uint64_t best = 0;
  for (auto& level : q.levels) {
    while (!level.fresh.empty() && !live_entry(level.fresh.front())) level.fresh.pop_front();
    while (!level.returned.empty() && !live_entry(level.returned.top())) level.returned.pop();
    if (!level.fresh.empty() && (best == 0 || level.fresh.front().id < best)) best = level.fresh.front().id;
    if (!level.returned.empty() && (best == 0 || level.returned.top().id < best)) best = level.returned.top().id;
  }
  return best;
}

std::uint64_t MessageStates::soonest_delayed(Queue& q) {
  while (!q.delayed.empty() && !live(q, q.delayed.top(), MessageState::delayed)) q.delayed.pop();
  return q.delayed.empty() ? 0 : q.delayed.top().id;
}

bool MessageStates::live(const Queue& q, const TimedEntry& e, MessageState state) const {
  const Msg* m = q.msgs.find(e.id);
  return m != nullptr && m->epoch == e.epoch && m->state == state;
}

void MessageStates::mark_dispatch(Queue& q) {
  if (std::find(dispatch_.begin(), dispatch_.end(), &q) == dispatch_.end()) dispatch_.push_back(&q);
}

std::vector<Queue*> MessageStates::take_dispatch() {
  std::vector<Queue*> out;
  out.swap(dispatch_);
  return out;
}

void MessageStates::forget(Queue& q) { std::erase(dispatch_, &q); }

}  // namespace wharf::queue
