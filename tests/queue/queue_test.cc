// Work queues on a real broker: every delivery rule, through the client.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;
using test::TestBroker;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t publish(Client& c, const std::string& queue, std::string_view payload, OutgoingMessage m = {}) {
  Publisher p(c);
  m.payload = payload;
  auto id = p.publish_and_wait(queue, m);
  EXPECT_TRUE(id.ok()) << id.error().to_string();
  return id.ok() ? *id : 0;
}

std::unique_ptr<QueueConsumer> consumer(Client& c, const std::string& queue, std::uint32_t prefetch = 10) {
  auto r = QueueConsumer::subscribe(c, queue, {prefetch});
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? std::move(*r) : nullptr;
}

Delivery receive(QueueConsumer& qc, std::chrono::milliseconds timeout = 10s) {
  auto d = qc.receive(timeout);
  EXPECT_TRUE(d.ok()) << d.error().to_string();
  return d.ok() ? std::move(*d) : Delivery();
}

QueueOptions fast(std::int64_t deadline_ms = 30000) {
  QueueOptions o;
  o.ack_deadline = std::chrono::milliseconds(deadline_ms);
  o.backoff_initial = 0ms;
  o.backoff_max = 0ms;
  return o;
}

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = tb_.client();
    ASSERT_TRUE(client_);
  }
  TestBroker tb_;
  std::unique_ptr<Client> client_;
};

TEST_F(QueueTest, PublishConsumeAckDeletes) {
  ASSERT_TRUE(client_->create_queue("jobs").ok());
  std::vector<Header> headers = {{"kind", "email"}};
  OutgoingMessage m;
  m.headers = headers;
  const auto id = publish(*client_, "jobs", "hello", m);
  auto qc = consumer(*client_, "jobs");
  auto d = receive(*qc);
  EXPECT_EQ(d.id(), id);
  EXPECT_EQ(d.payload(), "hello");
  EXPECT_EQ(d.attempt(), 1u);
  ASSERT_EQ(d.headers().size(), 1u);
  EXPECT_EQ(d.headers()[0].value, "email");
  EXPECT_GT(d.deadline_ms(), now_ms());
  EXPECT_TRUE(d.ack_and_wait().ok());
  auto info = client_->describe_queue("jobs");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->ready + info->in_flight + info->delayed, 0u);
  EXPECT_EQ(client_->get_message("jobs", id).code(), errc::unknown_message);
  EXPECT_TRUE(client_->describe_queue("jobs.dlq").ok()) << "the default dead-letter queue exists";
}

TEST_F(QueueTest, ExpiredDeadlineRedeliversAndFencesTheOldLease) {
  ASSERT_TRUE(client_->create_queue("q", fast(150)).ok());
  publish(*client_, "q", "x");
  auto qc = consumer(*client_, "q");
  auto first = receive(*qc);
  EXPECT_EQ(first.attempt(), 1u);
  auto second = receive(*qc);  // after the deadline passed
  EXPECT_EQ(second.id(), first.id());
  EXPECT_EQ(second.attempt(), 2u);
  EXPECT_NE(second.tag(), first.tag());
  EXPECT_EQ(first.ack_and_wait().code(), errc::lease_expired) << "a stale ack changes nothing";
  auto info = client_->get_message("q", first.id());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, "in_flight");
  ASSERT_EQ(info->history.size(), 1u);
  EXPECT_EQ(info->history[0].outcome, "timeout");
  EXPECT_TRUE(second.ack_and_wait().ok());
}

status nack_and_wait(const Delivery& d, std::chrono::milliseconds delay = std::chrono::milliseconds(-1)) {
  std::promise<status> p;
  d.nack(delay, [&](status st) { p.set_value(st); });
  return p.get_future().get();
}

TEST_F(QueueTest, BackoffDelaysGrowAndCap) {
  // Delays are long enough that a loaded machine reads the message before it
  // is due again (a due message is redelivered and shows its ack deadline).
  QueueOptions o;
  o.backoff_initial = 400ms;
  o.backoff_multiplier = 2;
  o.backoff_max = 1000ms;
  o.max_deliveries = 10;
  ASSERT_TRUE(client_->create_queue("b", o).ok());
  const auto id = publish(*client_, "b", "x");
  auto qc = consumer(*client_, "b");
  // attempt 1 -> 400 ms, attempt 2 -> 800 ms, attempt 3 -> 1600 ms capped to 1000 ms.
  const std::int64_t expected[] = {400, 800, 1000};
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto d = receive(*qc);
    ASSERT_EQ(d.attempt(), static_cast<std::uint32_t>(attempt + 1));
    const auto before = now_ms();
    ASSERT_TRUE(nack_and_wait(d).ok());
    const auto after = now_ms();
    auto info = client_->get_message("b", id);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->state, "delayed");
    EXPECT_GE(info->deadline_ms, before + expected[attempt]);
    EXPECT_LE(info->deadline_ms, after + expected[attempt]);
  }
  // An explicit delay overrides the backoff, longer than its cap as well.
  auto d = receive(*qc);
  const auto before = now_ms();
  ASSERT_TRUE(nack_and_wait(d, 5000ms).ok());
  const auto after = now_ms();
  auto info = client_->get_message("b", id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, "delayed");
  EXPECT_GE(info->deadline_ms, before + 5000);
  EXPECT_LE(info->deadline_ms, after + 5000);
}

TEST_F(QueueTest, MaxDeliveriesDeadLettersWithFullHistory) {
  auto o = fast();
  o.max_deliveries = 3;
  ASSERT_TRUE(client_->create_queue("poison", o).ok());
  const auto id = publish(*client_, "poison", "bad");
  auto qc = consumer(*client_, "poison");
  for (int i = 1; i <= 3; ++i) {
    auto d = receive(*qc);
    ASSERT_EQ(d.attempt(), static_cast<std::uint32_t>(i));
    d.nack(0ms);
  }
  ASSERT_TRUE(test::wait_for([&] { return client_->describe_queue("poison.dlq")->ready == 1; }));
  auto info = client_->get_message("poison", id);  // found through the original queue
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->state, "dead_lettered");
  EXPECT_EQ(info->queue, "poison.dlq");
  EXPECT_EQ(info->origin_queue, "poison");
  EXPECT_EQ(info->payload, "bad");
  ASSERT_EQ(info->history.size(), 3u);
  for (const auto& e : info->history) {
    EXPECT_EQ(e.outcome, "nack");
    EXPECT_NE(e.consumer.find("connection"), std::string::npos);
    EXPECT_GT(e.time_ms, 0);
  }
  EXPECT_EQ(client_->describe_queue("poison")->dead_lettered, 1u);
}

TEST_F(QueueTest, RejectDeadLettersAtOnceWithReason) {
  ASSERT_TRUE(client_->create_queue("r").ok());
  const auto id = publish(*client_, "r", "x");
  auto qc = consumer(*client_, "r");
  auto d = receive(*qc);
  std::promise<status> p;
  d.reject("schema mismatch", [&](status st) { p.set_value(st); });
  ASSERT_TRUE(p.get_future().get().ok());
  auto info = client_->get_message("r.dlq", id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, "dead_lettered");
  ASSERT_EQ(info->history.size(), 1u);
  EXPECT_EQ(info->history[0].outcome, "reject");
  EXPECT_EQ(info->history[0].reason, "schema mismatch");
}

TEST_F(QueueTest, PrefetchWindowIsNeverExceeded) {
  ASSERT_TRUE(client_->create_queue("w").ok());
  Publisher p(*client_);
  for (int i = 0; i < 10; ++i) {
    OutgoingMessage m;
    m.payload = "m";
    p.publish("w", m);
  }
  p.flush();
  auto qc = consumer(*client_, "w", 3);
  std::vector<Delivery> held;
  for (int i = 0; i < 3; ++i) held.push_back(receive(*qc));
  EXPECT_EQ(qc->receive(300ms).code(), errc::timeout) << "a fourth delivery would exceed the window";
  EXPECT_EQ(client_->describe_queue("w")->in_flight, 3u);
  held[0].ack();
  auto next = qc->receive(10s);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(client_->describe_queue("w")->in_flight, 3u);
}

TEST_F(QueueTest, CompetingConsumersGetEachMessageOnce) {
  ASSERT_TRUE(client_->create_queue("shared").ok());
  constexpr int kMessages = 300;
  {
    Publisher p(*client_);
    for (int i = 0; i < kMessages; ++i) {
      OutgoingMessage m;
      m.payload = "m";
      p.publish("shared", m);
    }
  }
  auto other = tb_.client();
  std::mutex mu;
  std::vector<std::uint64_t> seen;
  auto run = [&](Client& c) {
    auto qc = consumer(c, "shared", 5);
    for (;;) {
      auto d = qc->receive(1s);
      if (!d.ok()) break;
      {
        std::lock_guard lock(mu);
        seen.push_back(d->id());
      }
      d->ack();
    }
  };
  std::thread a([&] { run(*client_); });
  std::thread b([&] { run(*other); });
  a.join();
  b.join();
  std::set<std::uint64_t> unique(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kMessages));
}

TEST_F(QueueTest, DisconnectReturnsDeliveriesCountedAsAttempts) {
  ASSERT_TRUE(client_->create_queue("d").ok());
  const auto id = publish(*client_, "d", "x");
  {
    auto c2 = tb_.client();
    auto qc = consumer(*c2, "d");
    auto held = receive(*qc);
    EXPECT_EQ(held.attempt(), 1u);
  }  // the connection closes with the delivery unacked
  ASSERT_TRUE(test::wait_for([&] { return client_->describe_queue("d")->ready == 1; }));
  auto qc = consumer(*client_, "d");
  auto again = receive(*qc);
  EXPECT_EQ(again.id(), id);
  EXPECT_EQ(again.attempt(), 2u);
  auto info = client_->get_message("d", id);
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->history.size(), 1u);
  EXPECT_EQ(info->history[0].outcome, "disconnected");
}

TEST_F(QueueTest, RestartKeepsMessagesAndDeliveryCounts) {
  ASSERT_TRUE(client_->create_queue("durable").ok());
  const auto id = publish(*client_, "durable", "keep me");
  {
    auto qc = consumer(*client_, "durable");
    auto d = receive(*qc);
    EXPECT_EQ(d.attempt(), 1u);
    qc.reset();
    client_.reset();
  }
  tb_.restart();
  client_ = tb_.client();
  auto qc = consumer(*client_, "durable");
  auto d = receive(*qc);
  EXPECT_EQ(d.id(), id);
  EXPECT_EQ(d.payload(), "keep me");
  EXPECT_GT(d.attempt(), 1u) << "a delivery before the restart still counts";
}

TEST_F(QueueTest, TtlExpiresIntoTheDeadLetterQueue) {
  auto o = fast();
  o.ttl_ms = 100;
  ASSERT_TRUE(client_->create_queue("ttl", o).ok());
  const auto id = publish(*client_, "ttl", "short-lived");
  ASSERT_TRUE(test::wait_for([&] { return client_->describe_queue("ttl.dlq")->ready == 1; }));
  auto info = client_->get_message("ttl.dlq", id);
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->history.size(), 1u);
  EXPECT_EQ(info->history[0].outcome, "expired");
  EXPECT_EQ(client_->describe_queue("ttl")->expired, 1u);
  // A per-message ttl overrides the queue's.
  OutgoingMessage m;
  m.ttl_ms = 60000;
  const auto lasting = publish(*client_, "ttl", "longer", m);
  auto qc = consumer(*client_, "ttl");
  auto d = qc->receive(5s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->id(), lasting);
}

TEST_F(QueueTest, DelayedDeliveryWaits) {
  ASSERT_TRUE(client_->create_queue("later").ok());
  OutgoingMessage m;
  m.delay = 300ms;
  const auto before = now_ms();
  const auto id = publish(*client_, "later", "x", m);
  auto info = client_->get_message("later", id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, "delayed");
  EXPECT_GE(info->deadline_ms, before + 300);
  EXPECT_TRUE(client_->peek("later")->empty()) << "not ready yet";
  auto qc = consumer(*client_, "later");
  auto d = receive(*qc);
  EXPECT_EQ(d.id(), id);
  EXPECT_GE(now_ms(), before + 300);
}

TEST_F(QueueTest, HigherPriorityFirstFifoWithinALevel) {
  QueueOptions o;
  o.priorities = 3;
  ASSERT_TRUE(client_->create_queue("prio", o).ok());
  Publisher p(*client_);
  const std::pair<const char*, int> order[] = {{"low-1", 0}, {"high-1", 2}, {"mid", 1}, {"high-2", 2}, {"low-2", 0}};
  for (auto [payload, prio] : order) {
    OutgoingMessage m;
    m.payload = payload;
    m.priority = static_cast<std::uint8_t>(prio);
    ASSERT_TRUE(p.publish_and_wait("prio", m).ok());
  }
  auto peeked = client_->peek("prio", 10);
  ASSERT_TRUE(peeked.ok());
  std::vector<std::string> want = {"high-1", "high-2", "mid", "low-1", "low-2"};
  ASSERT_EQ(peeked->size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ((*peeked)[i].payload, want[i]);
  auto qc = consumer(*client_, "prio", 1);
  for (const auto& w : want) {
    auto d = receive(*qc);
    EXPECT_EQ(d.payload(), w);
    d.ack();
  }
  OutgoingMessage bad;
  bad.payload = "x";
  bad.priority = 3;
  EXPECT_EQ(p.publish_and_wait("prio", bad).code(), errc::invalid_argument);
}

TEST_F(QueueTest, OverflowRejectPublish) {
  QueueOptions o;
  o.max_length = 2;
  ASSERT_TRUE(client_->create_queue("small", o).ok());
  publish(*client_, "small", "1");
  publish(*client_, "small", "2");
  Publisher p(*client_);
  OutgoingMessage m;
  m.payload = "3";
  EXPECT_EQ(p.publish_and_wait("small", m).code(), errc::queue_full);
  EXPECT_EQ(client_->describe_queue("small")->ready, 2u);
}

TEST_F(QueueTest, OverflowDropOldestDeadLetters) {
  QueueOptions o;
  o.max_length = 2;
  o.overflow = Overflow::drop_oldest;
  ASSERT_TRUE(client_->create_queue("ring", o).ok());
  const auto oldest = publish(*client_, "ring", "1");
  publish(*client_, "ring", "2");
  publish(*client_, "ring", "3");
  EXPECT_EQ(client_->describe_queue("ring")->ready, 2u);
  auto info = client_->get_message("ring.dlq", oldest);
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->history.size(), 1u);
  EXPECT_EQ(info->history[0].outcome, "overflow");
}

TEST_F(QueueTest, RedriveKeepsIdsAndHistoryAndRestartsAttempts) {
  auto o = fast();
  o.max_deliveries = 1;
  ASSERT_TRUE(client_->create_queue("red", o).ok());
  const auto a = publish(*client_, "red", "a");
  const auto b = publish(*client_, "red", "b");
  {
    auto qc = consumer(*client_, "red");
    receive(*qc).nack(0ms);
    receive(*qc).nack(0ms);
  }
  ASSERT_TRUE(test::wait_for([&] { return client_->describe_queue("red.dlq")->ready == 2; }));
  RedriveOptions ro;
  ro.ids = {a, a};  // an id asked for twice moves once
  auto moved = client_->redrive("red.dlq", ro);
  ASSERT_TRUE(moved.ok()) << moved.error().to_string();
  EXPECT_EQ(*moved, 1u);
  auto info = client_->get_message("red", a);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->queue, "red");
  EXPECT_EQ(info->state, "ready");
  EXPECT_EQ(info->attempts, 0u);
  ASSERT_EQ(info->history.size(), 2u);
  EXPECT_EQ(info->history[1].outcome, "redriven");
  RedriveOptions all;
  all.all = true;
  all.to = "other";
  EXPECT_EQ(client_->redrive("red.dlq", all).code(), errc::unknown_queue);
  ASSERT_TRUE(client_->create_queue("other").ok());
  EXPECT_EQ(*client_->redrive("red.dlq", all), 1u);
  EXPECT_EQ(client_->get_message("other", b)->id, b);
  auto qc = consumer(*client_, "red");
  auto d = receive(*qc);
  EXPECT_EQ(d.id(), a);
  EXPECT_EQ(d.attempt(), 1u) << "attempts restart after a redrive";
}

TEST_F(QueueTest, AckAndPublishIsAllOrNothing) {
  ASSERT_TRUE(client_->create_queue("in").ok());
  ASSERT_TRUE(client_->create_queue("out").ok());
  ASSERT_TRUE(client_->create_topic({"audit", 1}).ok());
  publish(*client_, "in", "job-1");
  publish(*client_, "in", "job-2");
  auto qc = consumer(*client_, "in");
  auto d1 = receive(*qc);
  auto d2 = receive(*qc);

  AckPublish ok;
  ok.acks = {d1};
  ok.publishes = {{"out", {"result-1"}}};
  ok.appends = {{"audit", 0, {"job-1 done"}}};
  auto r = client_->ack_and_publish(ok);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->message_ids.size(), 1u);
  EXPECT_EQ(r->base_offsets, std::vector<std::int64_t>{0});
  EXPECT_EQ(client_->describe_queue("out")->ready, 1u);
  EXPECT_EQ(client_->get_message("in", d1.id()).code(), errc::unknown_message);

  AckPublish bad;
  bad.acks = {d2};
  bad.publishes = {{"out", {"result-2"}}, {"missing", {"x"}}};
  bad.appends = {{"audit", 0, {"job-2 done"}}};
  EXPECT_EQ(client_->ack_and_publish(bad).code(), errc::unknown_queue);
  EXPECT_EQ(client_->describe_queue("out")->ready, 1u) << "nothing was published";
  EXPECT_EQ(client_->get_message("in", d2.id())->state, "in_flight") << "nothing was acked";
  EXPECT_EQ(*client_->latest_offset("audit", 0), 1) << "nothing was appended";
  AckPublish stale;
  stale.acks = {d1};
  EXPECT_EQ(client_->ack_and_publish(stale).code(), errc::unknown_message);
}

TEST_F(QueueTest, BadRequestsGetTypedErrorsAndChangeNothing) {
  QueueOptions o;
  o.max_deliveries = 0;
  EXPECT_EQ(client_->create_queue("x", o).code(), errc::invalid_argument);
  o = QueueOptions();
  o.priorities = 11;
  EXPECT_EQ(client_->create_queue("x", o).code(), errc::invalid_argument);
  o = QueueOptions();
  o.backoff_multiplier = 0.5;
  EXPECT_EQ(client_->create_queue("x", o).code(), errc::invalid_argument);
  o = QueueOptions();
  o.dead_letter = DeadLetter::named;
  o.dlq = "nope";
  EXPECT_EQ(client_->create_queue("x", o).code(), errc::unknown_queue);
  EXPECT_EQ(client_->create_queue("bad name").code(), errc::invalid_name);
  EXPECT_EQ(client_->describe_queue("x").code(), errc::unknown_queue);
  ASSERT_TRUE(client_->create_queue("x").ok());
  EXPECT_EQ(client_->create_queue("x").code(), errc::queue_exists);
  Publisher p(*client_);
  OutgoingMessage m;
  m.payload = "p";
  EXPECT_EQ(p.publish_and_wait("missing", m).code(), errc::unknown_queue);
  EXPECT_EQ(QueueConsumer::subscribe(*client_, "missing").code(), errc::unknown_queue);
  EXPECT_EQ(QueueConsumer::subscribe(*client_, "x", {0}).code(), errc::invalid_argument);
  EXPECT_EQ(client_->get_message("x", 999).code(), errc::unknown_message);
  RedriveOptions r;
  r.ids = {12345};
  EXPECT_EQ(client_->redrive("x.dlq", r).code(), errc::unknown_message);
  EXPECT_EQ(client_->describe_queue("x")->ready, 0u);
}

TEST_F(QueueTest, PurgeAndDeleteQueue) {
  ASSERT_TRUE(client_->create_queue("p").ok());
  for (int i = 0; i < 5; ++i) publish(*client_, "p", "x");
  EXPECT_EQ(*client_->purge_queue("p"), 5u);
  EXPECT_EQ(client_->describe_queue("p")->ready, 0u);
  publish(*client_, "p", "y");
  ASSERT_TRUE(client_->delete_queue("p").ok());
  EXPECT_EQ(client_->describe_queue("p").code(), errc::unknown_queue);
  ASSERT_TRUE(client_->create_queue("p").ok());
  EXPECT_EQ(client_->describe_queue("p")->ready, 0u) << "a new queue of the same name starts empty";
  auto list = client_->list_queues();
  ASSERT_TRUE(list.ok());
  EXPECT_GE(list->size(), 2u);
}

}  // namespace
}  // namespace wharf
