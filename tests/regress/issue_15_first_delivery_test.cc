// A first delivery of a message stored as published is recorded by its
// queue's first_delivered_through instead of a rewrite of the message. These
// check that the count it stands for survives a restart, and only for the
// messages it covers.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "support/test_broker.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;
using test::TestBroker;

QueueOptions no_backoff() {
  QueueOptions o;
  o.backoff_initial = 0ms;
  o.backoff_max = 0ms;
  return o;
}

std::uint64_t publish(Client& c, const std::string& queue, std::uint8_t priority = 0) {
  Publisher p(c);
  OutgoingMessage m;
  m.payload = "x";
  m.priority = priority;
  auto id = p.publish_and_wait(queue, m);
  EXPECT_TRUE(id.ok()) << id.error().to_string();
  return id.ok() ? *id : 0;
}

using Deliveries = std::vector<std::pair<std::uint64_t, std::uint32_t>>;  // (id, attempt)

// A clean restart, with the client connected again.
void restart(TestBroker& tb, std::unique_ptr<Client>& c) {
  c.reset();
  tb.restart();
  c = tb.client();
}

// Receives n deliveries and leaves them unsettled.
Deliveries take(QueueConsumer& qc, int n) {
  Deliveries out;
  for (int i = 0; i < n; ++i) {
    auto d = qc.receive(10s);
    EXPECT_TRUE(d.ok()) << d.error().to_string();
    if (!d.ok()) break;
    out.emplace_back(d->id(), d->attempt());
  }
  return out;
}

TEST(Issue15FirstDelivery, DeliveredMessagesCountTheirAttemptAfterARestart) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_queue("q", no_backoff()).ok());
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(publish(*c, "q"));
  {
    auto qc = QueueConsumer::subscribe(*c, "q", {2});
    ASSERT_TRUE(qc.ok());
    EXPECT_EQ(take(**qc, 2), (Deliveries{{ids[0], 1}, {ids[1], 1}}));
  }  // unsettled: back to ready without a rewrite (no backoff)
  restart(tb, c);
  EXPECT_EQ(c->get_message("q", ids[0])->attempts, 1u);
  EXPECT_EQ(c->get_message("q", ids[1])->attempts, 1u);
  EXPECT_EQ(c->get_message("q", ids[2])->attempts, 0u) << "never delivered";
  auto qc = QueueConsumer::subscribe(*c, "q", {10});
  ASSERT_TRUE(qc.ok());
  EXPECT_EQ(take(**qc, 4), (Deliveries{{ids[0], 2}, {ids[1], 2}, {ids[2], 1}, {ids[3], 1}}));
}

TEST(Issue15FirstDelivery, ARedrivenMessageStartsAgainAfterARestart) {
  TestBroker tb;
  auto c = tb.client();
  auto o = no_backoff();
  o.max_deliveries = 1;
  ASSERT_TRUE(c->create_queue("red", o).ok());
  const auto a = publish(*c, "red");
  const auto b = publish(*c, "red");
  {
    auto qc = QueueConsumer::subscribe(*c, "red", {10});
    ASSERT_TRUE(qc.ok());
    for (int i = 0; i < 2; ++i) {
      auto d = (*qc)->receive(10s);
      ASSERT_TRUE(d.ok());
      d->nack(0ms);
    }
  }
  ASSERT_TRUE(test::wait_for([&] { return c->describe_queue("red.dlq")->ready == 2; }));
  RedriveOptions ro;
  ro.ids = {a};
  ASSERT_EQ(*c->redrive("red.dlq", ro), 1u);
  restart(tb, c);
  // a's id is below the queue's mark (b was delivered), but it was
  // rewritten by the redrive: its attempts started again.
  EXPECT_EQ(c->get_message("red", a)->attempts, 0u);
  auto qc = QueueConsumer::subscribe(*c, "red", {10});
  ASSERT_TRUE(qc.ok());
  auto d = (*qc)->receive(10s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->id(), a);
  EXPECT_EQ(d->attempt(), 1u);
  // b shows the one attempt it had in red (issue 21), while its count in
  // the dead-letter queue started again: delivered from there, it is the
  // first attempt, not counted by red's mark.
  EXPECT_EQ(c->get_message("red.dlq", b)->attempts, 1u);
  auto from_dlq = QueueConsumer::subscribe(*c, "red.dlq", {10});
  ASSERT_TRUE(from_dlq.ok());
  auto again = (*from_dlq)->receive(10s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id(), b);
  EXPECT_EQ(again->attempt(), 1u);
}

TEST(Issue15FirstDelivery, QueuesWithPriorityLevelsStillCountAfterARestart) {
  TestBroker tb;
  auto c = tb.client();
  auto o = no_backoff();
  o.priorities = 3;
  ASSERT_TRUE(c->create_queue("p", o).ok());
  const auto low = publish(*c, "p", 0);
  const auto high = publish(*c, "p", 2);
  {
    auto qc = QueueConsumer::subscribe(*c, "p", {1});
    ASSERT_TRUE(qc.ok());
    EXPECT_EQ(take(**qc, 1), (Deliveries{{high, 1}}));
  }
  restart(tb, c);
  EXPECT_EQ(c->get_message("p", high)->attempts, 1u);
  EXPECT_EQ(c->get_message("p", low)->attempts, 0u);
}

}  // namespace
}  // namespace wharf
