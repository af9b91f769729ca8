// A message's state transitions, alone: no storage, no threads.
#include "broker/queue/message_states.h"

#include <gtest/gtest.h>

#include <vector>

namespace wharf::queue {
namespace {

struct Fixture {
  Queue q;
  MessageStates states;
  explicit Fixture(std::uint32_t priorities = 1) { q.levels.resize(priorities); }
  Msg& add(std::uint64_t id, std::uint8_t priority = 0) {
    Msg fresh;
    fresh.priority = priority;
    Msg& m = q.msgs.insert(id, fresh);
    states.to_ready(q, id, m, false);
    return m;
  }
  std::vector<std::uint64_t> drain() {
    std::vector<std::uint64_t> out;
    for (auto [id, m] = states.pop_ready(q); m != nullptr; std::tie(id, m) = states.pop_ready(q)) {
      out.push_back(id);
      states.leave(q, *m);
      q.msgs.erase(id);
    }
    return out;
  }
};

TEST(QueueMessageStates, HigherPriorityFirstThenOldestFirst) {
  Fixture f(3);
  f.add(1, 0);
  f.add(2, 2);
  f.add(3, 1);
  f.add(4, 2);
  EXPECT_EQ(f.q.ready, 4u);
  EXPECT_EQ(f.drain(), (std::vector<std::uint64_t>{2, 4, 3, 1}));
  EXPECT_EQ(f.q.ready, 0u);
}

TEST(QueueMessageStates, ReturnedMessagesKeepTheirPlaceByAge) {
  Fixture f;
  Subscription s;
  s.prefetch = 10;
  for (std::uint64_t id = 1; id <= 3; ++id) f.add(id);
  // 1 goes out and comes back (a nack): it is still the oldest.
  auto [id, m] = f.states.pop_ready(f.q);
  ASSERT_EQ(id, 1u);
  f.states.leave(f.q, *m);
  f.states.to_in_flight(f.q, id, *m, s, 1000);
  EXPECT_EQ(f.q.in_flight, 1u);
  EXPECT_EQ(s.in_flight, 1u);
  f.states.leave(f.q, *m);
  EXPECT_EQ(s.in_flight, 0u) << "the holder's room comes back";
  f.states.to_ready(f.q, id, *m, true);
  EXPECT_EQ(f.states.oldest_ready(f.q), 1u);
  EXPECT_EQ(f.drain(), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(QueueMessageStates, StaleEntriesAreSkipped) {
  Fixture f;
  Subscription s;
  s.prefetch = 10;
  f.add(7);
  // Out and back three times: each trip leaves a ready entry and a lease
  // entry behind, and only the message's current epoch makes one live.
  for (int i = 0; i < 3; ++i) {
    auto [id, got] = f.states.pop_ready(f.q);
    ASSERT_EQ(id, 7u);
    f.states.leave(f.q, *got);
    f.states.to_in_flight(f.q, id, *got, s, 100 + i);
    f.states.leave(f.q, *got);
    f.states.to_ready(f.q, id, *got, true);
  }
  EXPECT_EQ(f.q.ready, 1u);
  EXPECT_EQ(f.q.leases.size(), 3u);
  for (auto heap = f.q.leases; !heap.empty(); heap.pop())
    EXPECT_FALSE(f.states.live(f.q, heap.top(), MessageState::in_flight));
  EXPECT_EQ(f.drain(), std::vector<std::uint64_t>{7}) << "delivered once, not once per entry";
}

TEST(QueueMessageStates, EveryTransitionKeepsTheCounts) {
  Fixture f;
  Subscription s;
  s.prefetch = 10;
  f.add(1);
  f.add(2);
  // References into the map last until the next insert: take them now.
  Msg& a = f.q.msgs.at(1);
  Msg& b = f.q.msgs.at(2);
  f.states.leave(f.q, b);
  f.states.to_delayed(f.q, 2, b, 500);
  EXPECT_EQ(f.q.ready, 1u);
  EXPECT_EQ(f.q.delayed_count, 1u);
  EXPECT_EQ(f.q.waiting(), 2u);
  EXPECT_EQ(f.states.soonest_delayed(f.q), 2u);
  EXPECT_TRUE(f.states.live(f.q, f.q.delayed.top(), MessageState::delayed));
  auto [id, m] = f.states.pop_ready(f.q);
  ASSERT_EQ(m, &a);
  f.states.leave(f.q, a);
  f.states.to_in_flight(f.q, id, a, s, 900);
  EXPECT_EQ(f.q.waiting(), 1u) << "in flight does not count as waiting";
  EXPECT_EQ(f.q.in_flight, 1u);
  const std::uint64_t first_tag = a.tag;
  f.states.renew_lease(f.q, 1, a, 2000);
  EXPECT_EQ(a.tag, first_tag) << "a renewal keeps the delivery";
  EXPECT_EQ(a.due_ms, 2000);
  EXPECT_EQ(f.q.leases.top().due_ms, 900) << "the old lease entry is still there";
  EXPECT_FALSE(f.states.live(f.q, f.q.leases.top(), MessageState::in_flight)) << "but stale";
  f.states.leave(f.q, b);
  EXPECT_EQ(f.q.delayed_count, 0u);
  EXPECT_EQ(f.states.soonest_delayed(f.q), 0u) << "its entry went stale";
}

TEST(QueueMessageStates, DispatchMarksComeFromNewWorkOnly) {
  Fixture f;
  EXPECT_FALSE(f.states.dispatch_pending());
  f.add(1);
  EXPECT_TRUE(f.states.dispatch_pending()) << "a ready message";
  EXPECT_EQ(f.states.take_dispatch().size(), 1u);
  EXPECT_FALSE(f.states.dispatch_pending());
  Msg& m = f.q.msgs.at(1);
  f.states.leave(f.q, m);
  f.states.to_delayed(f.q, 1, m, 10);
  EXPECT_FALSE(f.states.dispatch_pending()) << "a delayed message gives nothing to deliver";
  f.states.forget(f.q);
  EXPECT_FALSE(f.states.dispatch_pending());
}

}  // namespace
}  // namespace wharf::queue
