// The queue engine's state machine over real storage, driven on the test's
// own thread through Writer::run_once: no sockets, no writer thread, and
// the same steps always make the same groups.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <future>
#include <thread>

#include "broker/queue/queue_engine.h"
#include "broker/storage/storage.h"
#include "support/temp_dir.h"

namespace wharf::queue {
namespace {

using namespace std::chrono_literals;

class Sink final : public DeliverySink {
 public:
  void deliver(DeliveryBatch batch) override {
    for (const auto& d : batch.deliveries)
      got.push_back({batch.subscription, d.message_id, d.tag, d.attempt,
                     std::string(d.payload.begin(), d.payload.end())});
  }
  std::string name() const override { return "test sink"; }
  struct Got {
    std::uint64_t sub, id, tag;
    std::uint32_t attempt;
    std::string payload;
  };
  std::deque<Got> got;  // this thread only: the writer runs here
};

class QueueCore : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions o;
    o.dir = dir_.path();
    o.map_size = 64u << 20;
    auto s = storage::Storage::open(o);
    ASSERT_TRUE(s.ok());
    storage_ = std::move(*s);
    auto q = QueueEngine::open(*storage_, nullptr);
    ASSERT_TRUE(q.ok());
    queues_ = std::move(*q);
  }
  void TearDown() override {
    storage_->writer().stop();
    queues_.reset();
    storage_.reset();
  }

  // Runs the writer here until `call`'s reply came.
  template <typename T>
  T wait(std::function<void(std::function<void(T)>)> call) {
    std::optional<T> out;
    call([&](T v) { out.emplace(std::move(v)); });
    while (!out) storage_->writer().run_once();
    return std::move(*out);
  }
  // Runs the writer (timers included) until `pred` holds or 5 s passed.
  bool run_until(const std::function<bool()>& pred) {
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      if (!storage_->writer().run_once()) std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  status create(QueueConfig c) {
    return wait<status>([&](auto done) { queues_->create_queue(std::move(c), done); });
  }
  std::vector<std::uint64_t> publish(const std::string& queue, std::vector<std::string> payloads) {
    PublishBatch b;
    b.queue = queue;
    for (const auto& p : payloads) b.arena.insert(b.arena.end(), p.begin(), p.end());
    std::size_t at = 0;
    for (const auto& p : payloads) {
      OutgoingMessage m;
      m.payload = {b.arena.data() + at, p.size()};
      at += p.size();
      b.messages.push_back(m);
    }
    auto ids = wait<result<std::vector<std::uint64_t>>>([&](auto done) { queues_->publish(std::move(b), done); });
    EXPECT_TRUE(ids.ok()) << ids.error().to_string();
    return ids.ok() ? *ids : std::vector<std::uint64_t>();
  }
  std::uint64_t subscribe(const std::string& queue, std::uint32_t prefetch) {
    auto id = wait<result<std::uint64_t>>([&](auto done) { queues_->subscribe(queue, prefetch, sink_, done); });
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }
  std::vector<SettleError> settle(const Sink::Got& d, SettleAction action, std::int64_t delay_ms = -1) {
    Settlement s;
    s.subscription = d.sub;
    s.message_id = d.id;
    s.tag = d.tag;
    s.action = action;
    s.delay_ms = delay_ms;
    auto r = wait<result<std::vector<SettleError>>>([&](auto done) { queues_->settle({s}, sink_, true, done); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<SettleError>();
  }
  MessageInfo info(const std::string& queue, std::uint64_t id) {
    auto r = wait<result<MessageInfo>>([&](auto done) { queues_->get_message(queue, id, done); });
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : MessageInfo();
  }

  wharf::test::TempDir dir_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<QueueEngine> queues_;
  std::shared_ptr<Sink> sink_ = std::make_shared<Sink>();
};

QueueConfig config(std::string name) {
  QueueConfig c;
  c.name = std::move(name);
  c.backoff_initial_ms = 0;
  c.backoff_max_ms = 0;
  return c;
}

TEST_F(QueueCore, DeliversWithinThePrefetchWindowInOrder) {
  ASSERT_TRUE(create(config("q")).ok());
  publish("q", {"a", "b", "c"});
  subscribe("q", 2);
  ASSERT_TRUE(run_until([&] { return sink_->got.size() == 2; }));
  EXPECT_EQ(sink_->got[0].payload, "a");
  EXPECT_EQ(sink_->got[1].payload, "b");
  storage_->writer().run_once();
  EXPECT_EQ(sink_->got.size(), 2u) << "the window is full";
  EXPECT_TRUE(settle(sink_->got[0], SettleAction::ack).empty());
  ASSERT_TRUE(run_until([&] { return sink_->got.size() == 3; }));
  EXPECT_EQ(sink_->got[2].payload, "c");
  EXPECT_EQ(sink_->got[2].attempt, 1u);
}

TEST_F(QueueCore, NackBackoffDelaysThenTheTimerMakesItReady) {
  auto c = config("q");
  c.backoff_initial_ms = 50;
  c.backoff_max_ms = 50;
  ASSERT_TRUE(create(c).ok());
  const auto id = publish("q", {"x"})[0];
  subscribe("q", 1);
  ASSERT_TRUE(run_until([&] { return sink_->got.size() == 1; }));
  EXPECT_TRUE(settle(sink_->got[0], SettleAction::nack).empty());
  auto delayed = info("q", id);
  EXPECT_EQ(delayed.state, MessageState::delayed);
  ASSERT_EQ(delayed.history.size(), 1u);
  EXPECT_EQ(delayed.history[0].outcome, "nack");
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until([&] { return sink_->got.size() == 2; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms) << "not before its backoff";
  EXPECT_EQ(sink_->got[1].attempt, 2u);
  EXPECT_NE(sink_->got[1].tag, sink_->got[0].tag);
}

TEST_F(QueueCore, LeaseExpiryCountsAnAttemptAndDeadLettersAtTheLimit) {
  auto c = config("q");
  c.ack_deadline_ms = 20;
  c.max_deliveries = 2;
  ASSERT_TRUE(create(c).ok());
  const auto id = publish("q", {"poison"})[0];
  subscribe("q", 1);
  ASSERT_TRUE(run_until([&] { return sink_->got.size() == 2; })) << "redelivered after its lease";
  ASSERT_TRUE(run_until([&] { return info("q", id).state == MessageState::dead_lettered; }));
  auto dead = info("q", id);
  EXPECT_EQ(dead.queue, "q.dlq");
  ASSERT_EQ(dead.history.size(), 2u);
  EXPECT_EQ(dead.history[0].outcome, "timeout");
  // The stale delivery's settlement changes nothing.
  auto errors = settle(sink_->got[0], SettleAction::ack);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error.code(), errc::unknown_message);
}

TEST_F(QueueCore, UnsubscribeReleasesUnseenAndChargesSeen) {
  ASSERT_TRUE(create(config("q")).ok());
  const auto ids = publish("q", {"seen", "unseen"});
  const auto sub = subscribe("q", 5);
  ASSERT_TRUE(run_until([&] { return sink_->got.size() == 2; }));
  const std::uint64_t release_from = sink_->got[1].tag;
  auto st = wait<status>([&](auto done) { queues_->unsubscribe_for(sub, release_from, sink_, done); });
  ASSERT_TRUE(st.ok());
  auto seen = info("q", ids[0]);
  auto unseen = info("q", ids[1]);
  EXPECT_EQ(seen.attempts, 1u);
  EXPECT_EQ(seen.history.size(), 1u);
  EXPECT_EQ(unseen.attempts, 0u);
  EXPECT_TRUE(unseen.history.empty());
  EXPECT_EQ(unseen.state, MessageState::ready);
}

TEST_F(QueueCore, StateIsRebuiltFromStorageAfterARestart) {
  auto c = config("q");
  c.backoff_initial_ms = 60000;
  c.backoff_max_ms = 60000;
  ASSERT_TRUE(create(c).ok());
  const auto ids = publish("q", {"nacked", "waiting"});
  subscribe("q", 1);
  ASSERT_TRUE(run_until([&] { return sink_->got.size() == 1; }));
  EXPECT_TRUE(settle(sink_->got[0], SettleAction::nack).empty());
  TearDown();
  SetUp();
  EXPECT_EQ(info("q", ids[0]).state, MessageState::delayed) << "its backoff holds";
  EXPECT_EQ(info("q", ids[0]).attempts, 1u);
  EXPECT_EQ(info("q", ids[1]).state, MessageState::ready);
  auto d = wait<result<QueueDescription>>([&](auto done) { queues_->describe_queue("q", done); });
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ready, 1u);
  EXPECT_EQ(d->delayed, 1u);
}

}  // namespace
}  // namespace wharf::queue
