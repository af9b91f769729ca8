// MessageTable against a plain map: the same messages whatever the order
// of ids, gaps, front stragglers and erases.
#include "broker/queue/message_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace wharf::queue {
namespace {

Msg tagged(std::uint64_t id) {
  Msg m;
  m.tag = id * 7;
  return m;
}

void expect_same(MessageTable& t, const std::map<std::uint64_t, Msg>& model) {
  ASSERT_EQ(t.size(), model.size());
  std::size_t seen = 0;
  t.for_each([&](std::uint64_t id, Msg& m) {
    ++seen;
    auto it = model.find(id);
    ASSERT_NE(it, model.end()) << id;
    EXPECT_EQ(m.tag, it->second.tag) << id;
  });
  EXPECT_EQ(seen, model.size());
  for (const auto& [id, m] : model) {
    const Msg* found = t.find(id);
    ASSERT_NE(found, nullptr) << id;
    EXPECT_EQ(found->tag, m.tag);
  }
}

TEST(QueueMessageTable, InOrderIdsWithGapsAndAcksFromTheFront) {
  MessageTable t;
  std::map<std::uint64_t, Msg> model;
  for (std::uint64_t id = 100; id < 400; id += (id % 5 == 0 ? 3 : 1)) {
    t.insert(id, tagged(id));
    model[id] = tagged(id);
  }
  expect_same(t, model);
  EXPECT_EQ(t.find(99), nullptr);
  EXPECT_EQ(t.find(101), nullptr) << "a skipped id";
  EXPECT_EQ(t.find(1000), nullptr);
  while (model.size() > 10) {
    t.erase(model.begin()->first);
    model.erase(model.begin());
  }
  expect_same(t, model);
}

TEST(QueueMessageTable, OldIdsFarIdsAndAStragglerAtTheFront) {
  MessageTable t;
  std::map<std::uint64_t, Msg> model;
  auto add = [&](std::uint64_t id) {
    t.insert(id, tagged(id));
    model[id] = tagged(id);
  };
  auto drop = [&](std::uint64_t id) {
    t.erase(id);
    model.erase(id);
  };
  add(5000);
  add(10);        // older than the run: a redriven message
  add(1000000);   // far beyond: another run's worth of ids
  for (std::uint64_t id = 5001; id < 20000; ++id) add(id);
  expect_same(t, model);
  // Everything but the first is acked: the straggler must stay findable
  // while the run behind it empties.
  for (std::uint64_t id = 5001; id < 19000; ++id) drop(id);
  expect_same(t, model);
  add(20001);  // a gap of one after the end
  drop(5000);
  drop(10);
  expect_same(t, model);
  // The run grows over the far id that went to the map.
  for (std::uint64_t id = 20002; id <= 1000100; id += 50) add(id);
  expect_same(t, model);
}

TEST(QueueMessageTable, MatchesAMapUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(11);
  MessageTable t;
  std::map<std::uint64_t, Msg> model;
  std::uint64_t next = 1;
  for (int step = 0; step < 200000; ++step) {
    const auto roll = rng() % 100;
    if (roll < 50) {
      next += 1 + (rng() % 10 == 0 ? rng() % 200 : 0);  // mostly in order, some gaps
      if (model.count(next) == 0) {
        t.insert(next, tagged(next));
        model[next] = tagged(next);
      }
    } else if (roll < 55 && next > 10) {
      const std::uint64_t old = rng() % next;  // an old id coming back
      if (model.count(old) == 0) {
        t.insert(old, tagged(old));
        model[old] = tagged(old);
      }
    } else if (!model.empty()) {
      // Mostly the oldest (acks in order), sometimes any.
      auto it = rng() % 4 == 0 ? std::next(model.begin(), static_cast<long>(rng() % model.size())) : model.begin();
      t.erase(it->first);
      model.erase(it);
    }
    if (step % 20000 == 0) expect_same(t, model);
  }
  expect_same(t, model);
}

}  // namespace
}  // namespace wharf::queue
