// Storage faults on a real broker: a failed flush or write confirms nothing,
// stops all writes (sticky, logged, typed), leaves reads working, and a
// restart finds consistent data. A full disk is not sticky.
#include <gtest/gtest.h>

#include <cerrno>
#include <mutex>

#include "broker/broker_impl.h"
#include "support/fault_fs.h"
#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using test::FsCall;

struct LogCapture {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(LogLevel, std::string_view)> sink() {
    return [this](LogLevel, std::string_view l) {
      std::lock_guard lock(mu);
      lines.emplace_back(l);
    };
  }
  bool contains(std::string_view what) {
    std::lock_guard lock(mu);
    for (const auto& l : lines)
      if (l.find(what) != std::string::npos) return true;
    return false;
  }
};

// Not idempotent: a producer id costs a commit of its own, which would
// shift the Nth storage call the tests fail.
result<std::int64_t> produce(Client& c, const std::string& value) {
  ProducerOptions po;
  po.idempotent = false;
  Producer p(c, po);
  ProducerRecord r;
  r.value = value;
  return p.send_and_wait("t", 0, r);
}

// Reads partition 0 of "t" from the start; returns the values in offset order.
std::vector<std::string> read_all(Client& c) {
  std::vector<std::string> out;
  auto end = c.latest_offset("t", 0);
  if (!end) return out;
  ConsumerOptions co;
  co.start = StartFrom::earliest;
  Consumer consumer(c, co);
  if (!consumer.assign({{"t", 0}}).ok()) return out;
  while (static_cast<std::int64_t>(out.size()) < *end) {
    auto recs = consumer.poll(std::chrono::seconds(5));
    if (!recs || recs->empty()) break;
    for (const auto& r : *recs) {
      EXPECT_EQ(r.offset, static_cast<std::int64_t>(out.size()));
      out.emplace_back(r.value);
    }
  }
  return out;
}

// Publishes `n` messages to "q"; returns their ids.
std::vector<std::uint64_t> publish(Client& c, int n) {
  Publisher p(c);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < n; ++i) {
    const std::string payload = "m-" + std::to_string(i);
    OutgoingMessage m;
    m.payload = payload;
    auto id = p.publish_and_wait("q", m);
    EXPECT_TRUE(id.ok()) << id.error().to_string();
    if (id.ok()) ids.push_back(*id);
  }
  return ids;
}

// The queue's messages are all there and readable: by id, by peek, counted.
void expect_queue_readable(Client& c, const std::vector<std::uint64_t>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto m = c.get_message("q", ids[i]);
    ASSERT_TRUE(m.ok()) << m.error().to_string();
    EXPECT_EQ(m->payload, "m-" + std::to_string(i));
  }
  auto peeked = c.peek("q", 100);
  ASSERT_TRUE(peeked.ok()) << peeked.error().to_string();
  EXPECT_GE(peeked->size(), ids.size());
  auto info = c.describe_queue("q");
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_GE(info->ready, ids.size());
}

class BrokerFaults : public ::testing::TestWithParam<std::pair<FsCall, int>> {
 protected:
  void TearDown() override { test::fs_clear(); }
};

TEST_P(BrokerFaults, FailedFlushOrWriteIsStickyAndConfirmsNothing) {
  const auto [call, error] = GetParam();
  LogCapture log;
  BrokerOptions o;
  o.log = log.sink();
  test::TestBroker tb(o);
  auto c = tb.client();
  ASSERT_TRUE(c->create_queue("q").ok());
  const auto ids = publish(*c, 3);
  ASSERT_EQ(ids.size(), 3u);
  ASSERT_TRUE(c->create_topic({"t", 1}).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(produce(*c, "ok-" + std::to_string(i)).ok());

  test::fs_fail(call, 1, error);
  auto failed = produce(*c, "lost");
  test::fs_clear();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), errc::storage_failed) << failed.error().to_string();
  EXPECT_GE(test::fs_failures(call), 1);
  EXPECT_EQ(tb.broker().health().code(), errc::storage_failed);
  EXPECT_TRUE(log.contains("storage failed"));
  // Sticky: the fault is gone but writes stay refused until a restart.
  EXPECT_EQ(produce(*c, "after").code(), errc::storage_failed);
  EXPECT_EQ(c->create_topic({"u", 1}).code(), errc::storage_failed);
  OutgoingMessage m;
  m.payload = "refused";
  EXPECT_EQ(Publisher(*c).publish_and_wait("q", m).code(), errc::storage_failed);
  // Reads keep working, on logs and queues.
  auto values = read_all(*c);
  ASSERT_GE(values.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(values[i], "ok-" + std::to_string(i));
  expect_queue_readable(*c, ids);

  c.reset();
  tb.restart();
  c = tb.client();
  values = read_all(*c);
  ASSERT_GE(values.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(values[i], "ok-" + std::to_string(i));
  EXPECT_LE(values.size(), 6u) << "at most the unconfirmed record, whose outcome was unknown";
  expect_queue_readable(*c, ids);
  auto next = produce(*c, "resumed");
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(*next, static_cast<std::int64_t>(values.size())) << "offsets stay dense";
}

INSTANTIATE_TEST_SUITE_P(Storage, BrokerFaults,
                         ::testing::Values(std::make_pair(FsCall::fdatasync, EIO),
                                           std::make_pair(FsCall::pwrite, EIO),
                                           std::make_pair(FsCall::writev, EIO)));

// Opening or reading the data file fails at start: a typed error naming the
// file, and the next start finds everything as it was.
class BrokerStartFaults : public ::testing::TestWithParam<std::pair<FsCall, int>> {
 protected:
  void TearDown() override { test::fs_clear(); }
};

TEST_P(BrokerStartFaults, FailedOpenOrReadOfTheDataFileIsATypedErrorAndChangesNothing) {
  const auto [call, error] = GetParam();
  test::TestBroker tb;
  {
    auto c = tb.client();
    ASSERT_TRUE(c->create_topic({"t", 1}).ok());
    ASSERT_TRUE(produce(*c, "kept").ok());
  }
  tb.stop();
  const int failures = test::fs_failures(call);
  test::fs_fail(call, 1, error);
  auto refused = Broker::start(tb.options());
  test::fs_clear();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), errc::storage_failed);
  EXPECT_NE(refused.error().to_string().find("data.mdb"), std::string::npos) << refused.error().to_string();
  EXPECT_EQ(test::fs_failures(call), failures + 1);
  tb.start();
  auto c = tb.client();
  EXPECT_EQ(read_all(*c), std::vector<std::string>{"kept"});
}

INSTANTIATE_TEST_SUITE_P(Storage, BrokerStartFaults,
                         ::testing::Values(std::make_pair(FsCall::open, EACCES), std::make_pair(FsCall::open, EIO),
                                           std::make_pair(FsCall::pread, EIO)));

TEST(BrokerFaultsOnce, LaterFlushFailureOnTheNthCall) {
  BrokerOptions o;
  test::TestBroker tb(o);
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"t", 1}).ok());
  test::fs_fail(FsCall::fdatasync, 3, EIO);
  int ok = 0;
  result<std::int64_t> r = 0;
  for (int i = 0; i < 10; ++i) {
    r = produce(*c, "v" + std::to_string(i));
    if (!r.ok()) break;
    ++ok;
  }
  test::fs_clear();
  EXPECT_EQ(r.code(), errc::storage_failed);
  EXPECT_GE(ok, 1);
  EXPECT_LE(ok, 3);
}

TEST(BrokerFaultsOnce, NoSpaceOnWriteIsNotSticky) {
  test::TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"t", 1}).ok());
  ASSERT_TRUE(produce(*c, "before").ok());
  // A large record, so the commit has to grow the file.
  const std::string big(300000, 'b');
  // The first write that grows the data file fails, as on a full disk.
  test::fs_fail(FsCall::pwrite, 1, ENOSPC);
  test::fs_fail(FsCall::writev, 1, ENOSPC);
  auto full = produce(*c, big);
  test::fs_clear();
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.code(), errc::storage_full) << full.error().to_string();
  EXPECT_TRUE(tb.broker().health().ok());
  auto after = produce(*c, "after");
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(read_all(*c).back(), "after");
}

TEST(BrokerFaultsOnce, InjectedCommitFailureThroughTheCommitSeam) {
  LogCapture log;
  BrokerOptions o;
  o.log = log.sink();
  test::TestBroker tb(o);
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"t", 1}).ok());
  ASSERT_TRUE(produce(*c, "kept").ok());
  tb.broker().impl().faults.fail_commit(1, EIO);
  EXPECT_EQ(produce(*c, "x").code(), errc::storage_failed);
  EXPECT_EQ(tb.broker().health().code(), errc::storage_failed);
  EXPECT_TRUE(log.contains("storage failed"));
  EXPECT_EQ(read_all(*c), std::vector<std::string>{"kept"});
  c.reset();
  tb.restart();
  c = tb.client();
  // The commit never happened: the record is not there.
  EXPECT_EQ(read_all(*c), std::vector<std::string>{"kept"});
}

// An ack whose commit fails is not confirmed, and the message is still there
// after a restart; the queue stays readable meanwhile.
TEST(BrokerFaultsOnce, FailedAckCommitKeepsTheMessage) {
  test::TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_queue("q").ok());
  const auto ids = publish(*c, 2);
  ASSERT_EQ(ids.size(), 2u);
  {
    auto consumer = QueueConsumer::subscribe(*c, "q", {1});
    ASSERT_TRUE(consumer.ok());
    auto d = (*consumer)->receive(std::chrono::seconds(5));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    tb.broker().impl().faults.fail_commit(1, EIO);
    EXPECT_EQ(d->ack_and_wait().code(), errc::storage_failed);
    EXPECT_TRUE(c->get_message("q", d->id()).ok()) << "the failed ack did not remove it";
  }
  c.reset();
  tb.restart();
  c = tb.client();
  expect_queue_readable(*c, ids);
}

}  // namespace
}  // namespace wharf
