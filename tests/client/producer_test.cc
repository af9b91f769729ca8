// The producer on a real broker: offsets, partitioning, full storage, and
// what send() does while the buffer stays full.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <thread>

#include "protocol/murmur2.h"
#include "support/test_broker.h"
#include "support/writer_stall.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf {
namespace {

using test::TestBroker;
using namespace std::chrono_literals;

TEST(ClientProducer, ConcurrentProducersGetDenseUniqueOffsets) {
  TestBroker tb;
  auto setup = tb.client();
  ASSERT_TRUE(setup->create_topic({"shared", 1}).ok());
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  std::vector<std::vector<std::int64_t>> offsets(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = tb.client();
      Producer p(*c);
      std::mutex mu;
      ProducerRecord r;
      r.value = "x";
      for (int i = 0; i < kEach; ++i)
        p.send("shared", 0, r, [&](result<RecordMetadata> off) {
          ASSERT_TRUE(off.ok());
          std::lock_guard lock(mu);
          offsets[t].push_back(off->offset);
        });
      p.flush();
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::int64_t> all;
  for (auto& v : offsets) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<std::int64_t>(i));
}

TEST(ClientProducer, KeyedRecordsLandWhereKafkaWouldPutThem) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"keyed", 6}).ok());
  Producer p(*c);
  ProducerRecord r;
  r.key = "foobar";
  r.value = "x";
  std::promise<result<RecordMetadata>> done;
  p.send("keyed", r, [&](result<RecordMetadata> off) { done.set_value(off); });
  p.flush();
  auto stored = done.get_future().get();
  ASSERT_TRUE(stored.ok());
  const auto expected = protocol::partition_for_key("foobar", 6);
  EXPECT_EQ(stored->partition, expected);
  EXPECT_EQ(stored->offset, 0);
  EXPECT_EQ(*c->latest_offset("keyed", expected), 1);
  std::promise<result<RecordMetadata>> missing;
  p.send("no-such-topic", r, [&](result<RecordMetadata> off) { missing.set_value(off); });
  EXPECT_EQ(missing.get_future().get().code(), errc::unknown_topic);
}

TEST(ClientProducer, FullStorageGivesStorageFullAndReadsStillWork) {
  BrokerOptions o;
  o.map_size = 4u << 20;
  TestBroker tb(o);
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"big", 1}).ok());
  Producer p(*c);
  std::string value(100'000, 'z');
  ProducerRecord r;
  r.value = value;
  result<std::int64_t> last = 0;
  int stored = 0;
  for (int i = 0; i < 200; ++i) {
    last = p.send_and_wait("big", 0, r);
    if (!last.ok()) break;
    ++stored;
  }
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.code(), errc::storage_full);
  EXPECT_GT(stored, 5);
  EXPECT_TRUE(tb.broker().health().ok());
  Consumer consumer(*c);
  ASSERT_TRUE(consumer.assign({{"big", 0}}).ok());
  ASSERT_TRUE(consumer.seek_to_beginning({"big", 0}).ok());
  auto got = consumer.poll(std::chrono::seconds(5));
  ASSERT_TRUE(got.ok());
  ASSERT_FALSE(got->empty());
  EXPECT_EQ((*got)[0].value.size(), value.size());
}

// With the broker's writer stalled nothing is confirmed: once buffer_bytes
// are taken, send() waits max_block and then fails the record with timeout.
// What was sent before is confirmed once the writer moves again.
TEST(ClientProducer, SendFailsAfterMaxBlockWhileTheBufferStaysFull) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"t", 1}).ok());
  ProducerOptions o;
  o.buffer_bytes = 4096;
  o.max_block = 200ms;
  Producer p(*c, o);
  std::string big(8192, 'b');
  ProducerRecord r;
  r.value = big;
  test::WriterStall stall(tb.broker());
  std::promise<result<RecordMetadata>> first;
  p.send("t", 0, r, [&](result<RecordMetadata> m) { first.set_value(m); });
  std::promise<result<RecordMetadata>> second;
  const auto before = std::chrono::steady_clock::now();
  p.send("t", 0, r, [&](result<RecordMetadata> m) { second.set_value(m); });
  const auto waited = std::chrono::steady_clock::now() - before;
  EXPECT_EQ(second.get_future().get().code(), errc::timeout);
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 5s);
  stall.release();
  auto stored = first.get_future().get();
  ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  EXPECT_EQ(stored->offset, 0);
  p.flush();
  EXPECT_EQ(*c->latest_offset("t", 0), 1) << "the timed-out record was never sent";
}

}  // namespace
}  // namespace wharf
