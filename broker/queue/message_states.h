// The life of a message in memory: ready, delayed, in flight, dead-lettered,
// and the containers that order each state. Every transition goes through
// here, so a queue's counts always match its messages. Pure in-memory (no
// storage), so it can be tested alone. Writer thread only.
//
// A message's epoch changes on every transition; container entries carry
// the epoch they were made with and are dropped lazily once it no longer
// matches. That keeps each transition O(log n) with no searching.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "broker/queue/queue_state.h"

namespace wharf::queue {

class MessageStates {
 public:
  // A message leaves its state (counts, its holder's prefetch room); it
  // must enter another one, or be erased, right after.
  void leave(Queue& q, Msg& m);
  // `returned`: back from an attempt or a redrive (ordered by id among the
  // others that came back), rather than new (appended in id order).
  void to_ready(Queue& q, std::uint64_t id, Msg& m, bool returned);
  void to_delayed(Queue& q, std::uint64_t id, Msg& m, std::int64_t due_ms);
  // Gives the message a new delivery tag.
  void to_in_flight(Queue& q, std::uint64_t id, Msg& m, Subscription& s, std::int64_t deadline_ms);
  // An in-flight message's lease now ends at `due_ms`.
  void renew_lease(Queue& q, std::uint64_t id, Msg& m, std::int64_t due_ms);
  void watch_expiry(Queue& q, std::uint64_t id, const Msg& m);

  // The next ready message in delivery order (highest priority, then
  // oldest), taken out of the ready order; {0, nullptr} when none. The
  // message is still `ready`: the caller moves it on.
  std::pair<std::uint64_t, Msg*> pop_ready(Queue& q);
  // The oldest ready message of any priority; 0 when none. Takes nothing.
  std::uint64_t oldest_ready(Queue& q);
  // The delayed message due soonest; 0 when none.
  std::uint64_t soonest_delayed(Queue& q);
  // Whether a timed entry still stands for the message in `state`.
  bool live(const Queue& q, const TimedEntry& e, MessageState state) const;

  // Queues that may have deliveries to make: marked by transitions that
  // add ready messages or free prefetch room, taken by the dispatcher.
  void mark_dispatch(Queue& q);
  std::vector<Queue*> take_dispatch();
  bool dispatch_pending() const { return !dispatch_.empty(); }
  void forget(Queue& q);  // the queue is going away
  void clear_dispatch() { dispatch_.clear(); }

 private:
  std::uint64_t epoch_ = 0;
  std::uint64_t next_tag_ = 1;
  std::vector<Queue*> dispatch_;
};

}  // namespace wharf::queue
