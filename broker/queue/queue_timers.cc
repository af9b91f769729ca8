// The queue engine's timers: delayed messages becoming ready, leases
// ending, and time to live passing. One loop serves all three.
#include <cstdint>

#include "broker/queue/queue_core.h"

namespace wharf::queue {
namespace {

// Timer events handled per group at most, so a backlog never makes one huge
// transaction or delays every confirm behind it.
constexpr std::size_t kMaxTimerEventsPerGroup = 8192;

// Pops every entry of `timers` due by `now` and hands it to `fire`, which
// says whether the entry still stood for something (counts against the
// budget). False when the budget ran out first; an error from `fire` stops it.
template <typename Fire>
status drain_due(TimedQueue& timers, std::int64_t now, std::size_t* budget, bool* out_of_budget, Fire&& fire) {
  while (!timers.empty() && timers.top().due_ms <= now) {
    if (*budget == 0) {
      *out_of_budget = true;
      return {};
    }
    const TimedEntry e = timers.top();
    timers.pop();
    bool counted = false;
    if (status st = fire(e, &counted); !st.ok()) return st;
    if (counted) --*budget;
  }
  return {};
}

}  // namespace

status Core::run_timers(storage::WriteTxn& txn, std::int64_t now) {
  std::size_t budget = kMaxTimerEventsPerGroup;
  timers_left_ = false;
  for (auto& [name, qp] : by_name_) {
    Queue& q = *qp;
    // A delay ended: ready.
    status st = drain_due(q.delayed, now, &budget, &timers_left_, [&](const TimedEntry& e, bool* counted) -> status {
      if (!states_.live(q, e, MessageState::delayed)) return {};
      *counted = true;
      Msg& m = q.msgs.at(e.id);
      states_.leave(q, m);
      states_.to_ready(q, e.id, m, true);
      return {};
    });
    // A lease ended without a settlement: the attempt failed.
    if (st.ok() && !timers_left_)
      st = drain_due(q.leases, now, &budget, &timers_left_, [&](const TimedEntry& e, bool* counted) -> status {
        if (!states_.live(q, e, MessageState::in_flight)) return {};
        *counted = true;
        Msg& m = q.msgs.at(e.id);
        const std::string who = m.holder != nullptr ? m.holder->sink->name() : "";
        const std::uint64_t holder = m.holder != nullptr ? m.holder->id : 0;
        status ended = end_attempt(txn, q, e.id, m, storage::Outcome::timeout, who, "ack deadline passed", -1);
        // Still here (not dead-lettered): its next delivery avoids the holder.
        if (ended.ok() && holder != 0 && q.msgs.contains(e.id)) q.lease_expired_from[e.id] = holder;
        return ended;
      });
    // Time to live passed. In flight, the consumer may still ack it: look
    // again in a second.
    if (st.ok() && !timers_left_)
      st = drain_due(q.expiry, now, &budget, &timers_left_, [&](const TimedEntry& e, bool* counted) -> status {
        Msg* found = q.msgs.find(e.id);
        if (found == nullptr || found->expires_ms != e.due_ms) return {};
        Msg& m = *found;
        if (m.state == MessageState::in_flight) {
          m.expires_ms = now + 1000;
          q.expiry.push({m.expires_ms, e.id, 0});
          return {};
        }
        *counted = true;
        return expire(txn, q, e.id, m);
      });
    if (!st.ok() || timers_left_) return st;
  }
  return {};
}

}  // namespace wharf::queue
