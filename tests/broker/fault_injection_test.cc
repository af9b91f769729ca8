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

namespace wharf {
namespace {

using test::FsCall;

struct LogCapture {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view l) {
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

result<std::int64_t> produce(Client& c, const std::string& value) {
  Producer p(c);
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
  // Reads keep working.
  auto values = read_all(*c);
  ASSERT_GE(values.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(values[i], "ok-" + std::to_string(i));

  c.reset();
  tb.restart();
  c = tb.client();
  values = read_all(*c);
  ASSERT_GE(values.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(values[i], "ok-" + std::to_string(i));
  EXPECT_LE(values.size(), 6u) << "at most the unconfirmed record, whose outcome was unknown";
  auto next = produce(*c, "resumed");
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(*next, static_cast<std::int64_t>(values.size())) << "offsets stay dense";
}

INSTANTIATE_TEST_SUITE_P(Storage, BrokerFaults,
                         ::testing::Values(std::make_pair(FsCall::fdatasync, EIO),
                                           std::make_pair(FsCall::pwrite, EIO),
                                           std::make_pair(FsCall::writev, EIO)));

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
  EXPECT_FALSE(r.ok());
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
  test::TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"t", 1}).ok());
  tb.broker().impl().faults.fail_commit(1, EIO);
  EXPECT_EQ(produce(*c, "x").code(), errc::storage_failed);
  EXPECT_EQ(tb.broker().health().code(), errc::storage_failed);
}

}  // namespace
}  // namespace wharf
