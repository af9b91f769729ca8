// TimedQueue hands entries out in (due, id) order whichever way they came.
#include "broker/queue/timed_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace wharf::queue {
namespace {

std::vector<std::pair<std::int64_t, std::uint64_t>> drain(TimedQueue& q) {
  std::vector<std::pair<std::int64_t, std::uint64_t>> out;
  while (!q.empty()) {
    out.emplace_back(q.top().due_ms, q.top().id);
    q.pop();
  }
  return out;
}

TEST(QueueTimedQueue, InOrderAndOutOfOrderEntriesComeOutSorted) {
  TimedQueue q;
  q.push({10, 1, 0});
  q.push({20, 2, 0});
  q.push({5, 3, 0});   // earlier than the FIFO's back
  q.push({20, 1, 0});  // same due, lower id
  q.push({30, 4, 0});
  q.push({15, 5, 0});
  EXPECT_EQ(q.size(), 6u);
  const std::vector<std::pair<std::int64_t, std::uint64_t>> want = {{5, 3},  {10, 1}, {15, 5},
                                                                    {20, 1}, {20, 2}, {30, 4}};
  EXPECT_EQ(drain(q), want);
}

TEST(QueueTimedQueue, MatchesSortingForRandomPushesAndPops) {
  std::mt19937_64 rng(7);
  TimedQueue q;
  std::vector<std::pair<std::int64_t, std::uint64_t>> model;
  std::int64_t clock = 0;
  for (int step = 0; step < 20000; ++step) {
    if (rng() % 3 != 0) {
      // Mostly a fixed deadline from a rising clock, sometimes anything.
      clock += static_cast<std::int64_t>(rng() % 3);
      const std::int64_t due = rng() % 5 == 0 ? static_cast<std::int64_t>(rng() % 1000) : clock + 100;
      const std::uint64_t id = rng() % 50;
      q.push({due, id, 0});
      model.emplace_back(due, id);
    } else if (!model.empty()) {
      auto lowest = std::min_element(model.begin(), model.end());
      ASSERT_EQ(std::make_pair(q.top().due_ms, q.top().id), *lowest) << "step " << step;
      q.pop();
      model.erase(lowest);
    }
    ASSERT_EQ(q.size(), model.size());
  }
  std::sort(model.begin(), model.end());
  EXPECT_EQ(drain(q), model);
}

}  // namespace
}  // namespace wharf::queue
