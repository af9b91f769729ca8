// Issue 21, items 7 and 8: a dead letter shows the attempts it really had,
// and a message whose lease expired goes to another ready consumer rather
// than back to the one that let it expire; and durations the queue clock
// cannot hold are refused.
#include <gtest/gtest.h>

#include <future>
#include <limits>

#include "support/test_broker.h"
#include "support/wait_for.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;

std::uint64_t publish(Client& c, const std::string& queue, const std::string& payload) {
  Publisher p(c);
  OutgoingMessage m;
  m.payload = payload;
  auto id = p.publish_and_wait(queue, m);
  EXPECT_TRUE(id.ok()) << id.error().to_string();
  return id.ok() ? *id : 0;
}

// Found by the dispatch fuzzer (UBSan): a delay of 2^51 ms made the writer
// compute its next wake-up in nanoseconds past the range of the clock, and
// nearer INT64_MAX a deadline overflowed the addition itself. Durations past
// 100 years are refused; the broker stays healthy.
TEST(Issue21Queue, AbsurdDurationsAreRefused) {
  test::TestBroker tb;
  auto c = tb.client();
  const auto huge = std::chrono::milliseconds(std::int64_t{1} << 51);
  QueueOptions o;
  o.ack_deadline = huge;
  EXPECT_EQ(c->create_queue("a", o).code(), errc::invalid_argument);
  o = {};
  o.backoff_max = huge;
  EXPECT_EQ(c->create_queue("b", o).code(), errc::invalid_argument);
  o = {};
  o.ttl_ms = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(c->create_queue("c", o).code(), errc::invalid_argument);
  ASSERT_TRUE(c->create_queue("jobs").ok());
  Publisher p(*c);
  OutgoingMessage m;
  m.payload = "later";
  m.delay = huge;
  EXPECT_EQ(p.publish_and_wait("jobs", m).code(), errc::invalid_argument);
  m.delay = 0ms;
  m.ttl_ms = std::numeric_limits<std::int64_t>::max() - 1;
  EXPECT_EQ(p.publish_and_wait("jobs", m).code(), errc::invalid_argument);
  m.ttl_ms = -1;
  ASSERT_TRUE(p.publish_and_wait("jobs", m).ok());
  auto qc = QueueConsumer::subscribe(*c, "jobs", {.prefetch = 1});
  ASSERT_TRUE(qc.ok());
  auto d = (*qc)->receive(10s);
  ASSERT_TRUE(d.ok());
  std::promise<status> extended;
  d->extend(huge, [&](status st) { extended.set_value(st); });
  EXPECT_EQ(extended.get_future().get().code(), errc::invalid_argument);
  std::promise<status> nacked;
  d->nack(huge, [&](status st) { nacked.set_value(st); });
  EXPECT_EQ(nacked.get_future().get().code(), errc::invalid_argument);
  EXPECT_TRUE(d->ack_and_wait().ok());
  EXPECT_TRUE(tb.broker().health().ok());
}

TEST(Issue21Queue, ADeadLetterShowsTheAttemptsItHad) {
  test::TestBroker tb;
  auto c = tb.client();
  QueueOptions o;
  o.max_deliveries = 3;
  o.backoff_initial = 0ms;
  o.backoff_max = 0ms;
  ASSERT_TRUE(c->create_queue("jobs", o).ok());
  const auto id = publish(*c, "jobs", "poison");
  {
    auto qc = QueueConsumer::subscribe(*c, "jobs", {.prefetch = 1});
    ASSERT_TRUE(qc.ok());
    for (int attempt = 1; attempt <= 3; ++attempt) {
      auto d = (*qc)->receive(10s);
      ASSERT_TRUE(d.ok()) << d.error().to_string();
      EXPECT_EQ(d->attempt(), static_cast<std::uint32_t>(attempt));
      d->nack();
    }
  }
  result<MessageInfo> info = errc::unknown_message;
  ASSERT_TRUE(test::wait_for([&] {
    info = c->get_message("jobs.dlq", id);
    return info.ok() && info->state == "dead_lettered";
  }));
  EXPECT_EQ(info->history.size(), 3u);
  EXPECT_EQ(info->attempts, 3u) << "attempts must match the history, not restart at 0";
  // Found through the original queue, and listed in the dead-letter queue, alike.
  EXPECT_EQ(c->get_message("jobs", id)->attempts, 3u);
  auto listed = c->peek("jobs.dlq");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].attempts, 3u);
  // Delivered from the dead-letter queue, it is one attempt more.
  auto dlq = QueueConsumer::subscribe(*c, "jobs.dlq", {.prefetch = 1});
  ASSERT_TRUE(dlq.ok());
  auto d = (*dlq)->receive(10s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(c->get_message("jobs.dlq", id)->attempts, 4u);
}

// One consumer freezes holding a message; a healthy one subscribes. When
// the lease ends, the healthy one gets the message: before, the frozen one
// (with room again) got it back, so a max-deliveries 2 queue would
// dead-letter it unseen by anyone who could handle it.
TEST(Issue21Queue, AnExpiredLeaseGoesToAnotherReadyConsumer) {
  test::TestBroker tb;
  auto frozen_client = tb.client();
  auto healthy_client = tb.client();
  QueueOptions o;
  o.ack_deadline = 300ms;
  o.max_deliveries = 2;
  o.backoff_initial = 0ms;
  o.backoff_max = 0ms;
  ASSERT_TRUE(frozen_client->create_queue("work", o).ok());
  const auto id = publish(*frozen_client, "work", "job");
  auto frozen = QueueConsumer::subscribe(*frozen_client, "work", {.prefetch = 1});
  ASSERT_TRUE(frozen.ok());
  auto first = (*frozen)->receive(10s);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->id(), id);
  // The frozen consumer never settles; the healthy one comes along.
  auto healthy = QueueConsumer::subscribe(*healthy_client, "work", {.prefetch = 1});
  ASSERT_TRUE(healthy.ok());
  auto second = (*healthy)->receive(10s);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(second->id(), id);
  EXPECT_EQ(second->attempt(), 2u);
  second->ack();
  // The frozen one was not given it again.
  auto again = (*frozen)->receive(500ms);
  EXPECT_FALSE(again.ok());
  // With nobody else ready, the same consumer does get it back.
  (void)(*frozen)->close();
  const auto id2 = publish(*frozen_client, "work", "job 2");
  auto mine = (*healthy)->receive(10s);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->id(), id2);
  EXPECT_EQ(mine->attempt(), 1u);
  auto back = (*healthy)->receive(10s);
  ASSERT_TRUE(back.ok()) << "the lease expired and only this consumer is left";
  EXPECT_EQ(back->id(), id2);
  EXPECT_EQ(back->attempt(), 2u);
  back->ack();
}

}  // namespace
}  // namespace wharf
