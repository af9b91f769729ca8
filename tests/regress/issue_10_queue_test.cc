// Issue 10: queue behaviours that surprised a new user. Each test failed
// before its fix.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "support/test_broker.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

status wait_settled(const std::function<void(Delivery::Done)>& settle) {
  std::promise<status> p;
  settle([&](status st) { p.set_value(std::move(st)); });
  return p.get_future().get();
}

class QueueIssue10 : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = tb_.client();
    ASSERT_TRUE(client_);
  }
  std::uint64_t publish(const std::string& queue, std::string_view payload, OutgoingMessage m = {}) {
    Publisher p(*client_);
    m.payload = payload;
    auto id = p.publish_and_wait(queue, m);
    EXPECT_TRUE(id.ok()) << id.error().to_string();
    return id.ok() ? *id : 0;
  }
  std::uint64_t in_flight(const std::string& queue) { return client_->describe_queue(queue)->in_flight; }

  test::TestBroker tb_;
  std::unique_ptr<Client> client_;
};

QueueOptions no_backoff(std::uint32_t max_deliveries) {
  QueueOptions o;
  o.max_deliveries = max_deliveries;
  o.backoff_initial = 0ms;
  o.backoff_max = 0ms;
  return o;
}

// A prefetched delivery the application never received goes back without
// an attempt; the one it received counts.
TEST_F(QueueIssue10, CloseReleasesUnseenDeliveriesAndChargesSeenOnes) {
  ASSERT_TRUE(client_->create_queue("jobs", no_backoff(2)).ok());
  const auto a = publish("jobs", "a");
  const auto b = publish("jobs", "b");
  {
    auto qc = QueueConsumer::subscribe(*client_, "jobs", {10});
    ASSERT_TRUE(qc.ok());
    ASSERT_TRUE(test::wait_for([&] { return in_flight("jobs") == 2; })) << "both are prefetched";
    auto seen = (*qc)->receive(5s);
    ASSERT_TRUE(seen.ok());
    EXPECT_EQ(seen->id(), a);
  }  // closed with `a` unsettled and `b` never handed out
  auto ia = client_->get_message("jobs", a);
  auto ib = client_->get_message("jobs", b);
  ASSERT_TRUE(ia.ok() && ib.ok());
  EXPECT_EQ(ia->attempts, 1u);
  ASSERT_EQ(ia->history.size(), 1u);
  EXPECT_EQ(ia->history[0].outcome, "disconnected");
  EXPECT_EQ(ib->state, "ready");
  EXPECT_EQ(ib->attempts, 0u) << "a release costs no attempt";
  EXPECT_TRUE(ib->history.empty());

  // With max deliveries 2, `b` now survives one real nack.
  auto qc = QueueConsumer::subscribe(*client_, "jobs", {1});
  ASSERT_TRUE(qc.ok());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    Delivery d;
    do {
      auto r = (*qc)->receive(5s);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      d = *r;
      if (d.id() != b) {
        ASSERT_TRUE(d.ack_and_wait().ok());
      }
    } while (d.id() != b);
    EXPECT_EQ(d.attempt(), static_cast<std::uint32_t>(attempt));
    const status settled = attempt == 1 ? wait_settled([&](auto done) { d.nack(0ms, done); }) : d.ack_and_wait();
    ASSERT_TRUE(settled.ok()) << settled.to_string();
  }
  EXPECT_EQ(client_->describe_queue("jobs.dlq")->ready, 0u) << "nothing reached the dead-letter queue";
}

// A handler sees every delivery as it arrives: all of them count at close.
TEST_F(QueueIssue10, HandlerDeliveriesCountAtClose) {
  ASSERT_TRUE(client_->create_queue("h").ok());
  const auto id = publish("h", "x");
  {
    auto qc = QueueConsumer::subscribe(*client_, "h", {10});
    ASSERT_TRUE(qc.ok());
    std::promise<void> got;
    (*qc)->set_handler([&](Delivery) { got.set_value(); });
    got.get_future().wait();
  }
  auto info = client_->get_message("h", id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->attempts, 1u);
  EXPECT_EQ(info->history.size(), 1u);
}

// Max length holds per message: drop-oldest admits the whole batch.
TEST_F(QueueIssue10, DropOldestAdmitsABatchLargerThanTheRoom) {
  QueueOptions o;
  o.max_length = 2;
  o.overflow = Overflow::drop_oldest;
  ASSERT_TRUE(client_->create_queue("ring", o).ok());
  Publisher p(*client_);
  std::vector<std::promise<result<std::uint64_t>>> done(3);
  for (int i = 0; i < 3; ++i) {
    OutgoingMessage m;
    const std::string payload = "m" + std::to_string(i);
    m.payload = payload;
    p.publish("ring", m, [&, i](result<std::uint64_t> id) { done[i].set_value(std::move(id)); });
  }
  p.flush();
  std::vector<std::uint64_t> ids;
  for (auto& d : done) {
    auto id = d.get_future().get();
    ASSERT_TRUE(id.ok()) << id.error().to_string();
    ids.push_back(*id);
  }
  EXPECT_EQ(client_->describe_queue("ring")->ready, 2u);
  auto peeked = client_->peek("ring", 10);
  ASSERT_TRUE(peeked.ok());
  ASSERT_EQ(peeked->size(), 2u);
  EXPECT_EQ((*peeked)[0].payload, "m1");
  EXPECT_EQ((*peeked)[1].payload, "m2");
  auto dropped = client_->get_message("ring.dlq", ids[0]);
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ(dropped->history.size(), 1u);
  EXPECT_EQ(dropped->history[0].outcome, "overflow");
}

// reject-publish takes what fits and refuses the rest, message by message.
TEST_F(QueueIssue10, RejectPublishRefusesOnlyWhatDoesNotFit) {
  QueueOptions o;
  o.max_length = 1;
  ASSERT_TRUE(client_->create_queue("small", o).ok());
  Publisher p(*client_);
  std::vector<std::promise<result<std::uint64_t>>> done(2);
  for (int i = 0; i < 2; ++i) {
    OutgoingMessage m;
    m.payload = "x";
    p.publish("small", m, [&, i](result<std::uint64_t> id) { done[i].set_value(std::move(id)); });
  }
  p.flush();
  auto first = done[0].get_future().get();
  auto second = done[1].get_future().get();
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(second.code(), errc::queue_full);
  EXPECT_EQ(client_->describe_queue("small")->ready, 1u);
  // In-flight deliveries do not count: with the one message held, there is room.
  auto qc = QueueConsumer::subscribe(*client_, "small", {1});
  ASSERT_TRUE(qc.ok());
  auto held = (*qc)->receive(5s);
  ASSERT_TRUE(held.ok());
  EXPECT_GT(publish("small", "y"), 0u);
  OutgoingMessage m;
  m.payload = "z";
  EXPECT_EQ(p.publish_and_wait("small", m).code(), errc::queue_full);
}

// A nack's backoff and a publish delay survive a restart.
TEST_F(QueueIssue10, DelaysSurviveARestart) {
  ASSERT_TRUE(client_->create_queue("later", no_backoff(5)).ok());
  const auto nacked = publish("later", "nacked");
  OutgoingMessage delayed;
  delayed.delay = 60s;
  const auto published = publish("later", "delayed", delayed);
  std::int64_t nack_due = 0;
  {
    auto qc = QueueConsumer::subscribe(*client_, "later", {1});
    ASSERT_TRUE(qc.ok());
    auto d = (*qc)->receive(5s);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->id(), nacked);
    ASSERT_TRUE(wait_settled([&](auto done) { d->nack(60s, done); }).ok());
    nack_due = client_->get_message("later", nacked)->deadline_ms;
    EXPECT_GE(nack_due, now_ms() + 59000);
  }
  const auto published_due = client_->get_message("later", published)->deadline_ms;
  client_.reset();
  tb_.restart();
  client_ = tb_.client();
  for (auto [id, due] : {std::pair{nacked, nack_due}, std::pair{published, published_due}}) {
    auto info = client_->get_message("later", id);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->state, "delayed") << "message " << id;
    EXPECT_EQ(info->deadline_ms, due);
  }
  auto qc = QueueConsumer::subscribe(*client_, "later", {10});
  ASSERT_TRUE(qc.ok());
  EXPECT_EQ((*qc)->receive(500ms).code(), errc::timeout) << "nothing is due yet";
}

TEST_F(QueueIssue10, DeletingAQueueDeletesItsDefaultDeadLetterQueue) {
  ASSERT_TRUE(client_->create_queue("a", no_backoff(1)).ok());
  const auto id = publish("a", "poison");
  {
    auto qc = QueueConsumer::subscribe(*client_, "a", {1});
    auto d = (*qc)->receive(5s);
    ASSERT_TRUE(wait_settled([&](auto done) { d->reject("bad", done); }).ok());
  }
  ASSERT_EQ(client_->describe_queue("a.dlq")->ready, 1u);
  ASSERT_TRUE(client_->delete_queue("a").ok());
  EXPECT_EQ(client_->describe_queue("a.dlq").code(), errc::unknown_queue);
  ASSERT_TRUE(client_->create_queue("a").ok());
  EXPECT_EQ(client_->describe_queue("a.dlq")->ready, 0u) << "a new queue gets a new, empty dead-letter queue";
  EXPECT_EQ(client_->get_message("a.dlq", id).code(), errc::unknown_message);

  // --keep-dlq keeps it.
  ASSERT_TRUE(client_->delete_queue("a", true).ok());
  EXPECT_TRUE(client_->describe_queue("a.dlq").ok());

  // A dead-letter queue named at creation is never deleted with its queue.
  QueueOptions no_dlq;
  no_dlq.dead_letter = DeadLetter::none;
  ASSERT_TRUE(client_->create_queue("graveyard", no_dlq).ok());
  QueueOptions named;
  named.dead_letter = DeadLetter::named;
  named.dlq = "graveyard";
  ASSERT_TRUE(client_->create_queue("b", named).ok());
  ASSERT_TRUE(client_->delete_queue("b").ok());
  EXPECT_TRUE(client_->describe_queue("graveyard").ok());

  // Nor is a default one that another queue names as its own.
  ASSERT_TRUE(client_->create_queue("c").ok());
  named.dlq = "c.dlq";
  ASSERT_TRUE(client_->create_queue("d", named).ok());
  ASSERT_TRUE(client_->delete_queue("c").ok());
  EXPECT_TRUE(client_->describe_queue("c.dlq").ok());
  EXPECT_EQ(client_->describe_queue("d")->options.dead_letter, DeadLetter::named);
}

// A long job extends its lease twice and is not redelivered. No wait here
// races a deadline: the extensions follow the delivery at once (the lease
// is 2 s) and last a minute, and the test then waits for at least as long
// as the first lease would have lasted, so a slow machine makes it
// slower, never wrong.
TEST_F(QueueIssue10, ExtendKeepsALongJobFromBeingRedelivered) {
  QueueOptions o = no_backoff(5);
  o.ack_deadline = 2s;
  ASSERT_TRUE(client_->create_queue("slow", o).ok());
  const auto id = publish("slow", "job");
  auto qc = QueueConsumer::subscribe(*client_, "slow", {5});
  ASSERT_TRUE(qc.ok());
  auto d = (*qc)->receive(5s);
  ASSERT_TRUE(d.ok());
  const std::int64_t first_deadline = d->deadline_ms();
  std::int64_t deadline = first_deadline;
  for (const auto extra : {60s, 120s}) {
    ASSERT_TRUE(wait_settled([&](auto done) { d->extend(extra, done); }).ok());
    auto info = client_->get_message("slow", id);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->state, "in_flight");
    EXPECT_GT(info->deadline_ms, deadline) << "each extension pushes the deadline on";
    deadline = info->deadline_ms;
  }
  while (now_ms() <= first_deadline + 500) std::this_thread::sleep_for(50ms);
  EXPECT_EQ((*qc)->receive(0ms).code(), errc::timeout) << "not redelivered";
  auto info = client_->get_message("slow", id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, "in_flight");
  EXPECT_EQ(info->attempts, 1u);
  EXPECT_EQ(info->deadline_ms, deadline) << "still the lease of the last extension";
  EXPECT_TRUE(d->ack_and_wait().ok());
  EXPECT_TRUE(client_->get_message("slow", id).code() == errc::unknown_message);
}

// A Delivery that outlives its consumer settles to a typed error, never
// into freed memory (run under ASan).
TEST_F(QueueIssue10, SettlingAfterTheConsumerIsGoneIsClosed) {
  ASSERT_TRUE(client_->create_queue("q").ok());
  const auto id = publish("q", "x");
  Delivery kept;
  {
    auto qc = QueueConsumer::subscribe(*client_, "q", {1});
    ASSERT_TRUE(qc.ok());
    auto d = (*qc)->receive(5s);
    ASSERT_TRUE(d.ok());
    kept = *d;
    ASSERT_TRUE((*qc)->close().ok());
    EXPECT_EQ((*qc)->receive(0ms).code(), errc::closed);
    EXPECT_EQ(wait_settled([&](auto done) { kept.ack(done); }).code(), errc::closed) << "closed, not yet destroyed";
  }
  EXPECT_EQ(kept.payload(), "x") << "the bytes live as long as the Delivery";
  EXPECT_EQ(kept.ack_and_wait().code(), errc::closed);
  EXPECT_EQ(wait_settled([&](auto done) { kept.nack(0ms, done); }).code(), errc::closed);
  EXPECT_EQ(client_->get_message("q", id)->state, "ready") << "the message went back to the queue";
}

TEST_F(QueueIssue10, AlterChangesOptionsButNotPriorities) {
  ASSERT_TRUE(client_->create_queue("alt").ok());
  auto info = client_->describe_queue("alt");
  ASSERT_TRUE(info.ok());
  QueueOptions o = info->options;
  EXPECT_EQ(o.dead_letter, DeadLetter::default_queue);
  o.max_deliveries = 9;
  o.ack_deadline = 5s;
  o.max_length = 3;
  o.overflow = Overflow::drop_oldest;
  ASSERT_TRUE(client_->alter_queue("alt", o).ok());
  auto after = client_->describe_queue("alt");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->options.max_deliveries, 9u);
  EXPECT_EQ(after->options.ack_deadline, 5s);
  EXPECT_EQ(after->options.max_length, 3);
  EXPECT_EQ(after->options.overflow, Overflow::drop_oldest);
  // New deliveries follow the new deadline.
  publish("alt", "x");
  auto qc = QueueConsumer::subscribe(*client_, "alt", {1});
  auto d = (*qc)->receive(5s);
  ASSERT_TRUE(d.ok());
  EXPECT_LE(d->deadline_ms(), now_ms() + 5000);
  EXPECT_GT(d->deadline_ms(), now_ms() + 4000);
  // Restart keeps the change.
  qc->reset();
  client_.reset();
  tb_.restart();
  client_ = tb_.client();
  EXPECT_EQ(client_->describe_queue("alt")->options.max_deliveries, 9u);
  QueueOptions bad = o;
  bad.priorities = 3;
  EXPECT_EQ(client_->alter_queue("alt", bad).code(), errc::invalid_argument);
  bad = o;
  bad.dead_letter = DeadLetter::named;
  bad.dlq = "missing";
  EXPECT_EQ(client_->alter_queue("alt", bad).code(), errc::unknown_queue);
  EXPECT_EQ(client_->alter_queue("nope", o).code(), errc::unknown_queue);
  EXPECT_EQ(client_->describe_queue("alt")->options.dead_letter, DeadLetter::default_queue) << "nothing changed";
}

}  // namespace
}  // namespace wharf
