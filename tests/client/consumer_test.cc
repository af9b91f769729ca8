// Replay, seek, long poll and group offsets through the client on a real broker.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <thread>

#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf {
namespace {

using test::TestBroker;

// Appends `n` records "v<i>" with timestamps ts0 + i to partition p.
void fill(Client& c, const std::string& topic, std::uint32_t p, int n, std::int64_t ts0, int first = 0) {
  Producer producer(c);
  std::vector<std::string> values;
  // fmt, not "v" + std::to_string: GCC 12 at -O3 warns (-Wrestrict) on the latter.
  for (int i = 0; i < n; ++i) values.push_back(fmt::format("v{}", first + i));
  for (int i = 0; i < n; ++i) {
    ProducerRecord r;
    r.value = values[i];
    r.timestamp_ms = ts0 + i;
    producer.send(topic, p, r);
  }
  producer.flush();
}

std::vector<ConsumerRecord> read_n(Consumer& consumer, std::size_t n, std::vector<Records>* keep) {
  std::vector<ConsumerRecord> out;
  while (out.size() < n) {
    auto r = consumer.poll(std::chrono::seconds(10));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (!r.ok() || r->empty()) break;
    for (const auto& rec : *r) out.push_back(rec);
    keep->push_back(std::move(*r));
  }
  return out;
}

TEST(ClientConsumer, ReplayFromOffsetAndFromTime) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"t", 1}).ok());
  fill(*c, "t", 0, 100, 10'000);
  Consumer consumer(*c);
  ASSERT_TRUE(consumer.assign({{"t", 0}}).ok());
  std::vector<Records> keep;

  ASSERT_TRUE(consumer.seek({"t", 0}, 42).ok());
  auto recs = read_n(consumer, 58, &keep);
  ASSERT_EQ(recs.size(), 58u);
  EXPECT_EQ(recs.front().offset, 42);
  EXPECT_EQ(recs.front().value, "v42");
  EXPECT_EQ(recs.back().offset, 99);

  ASSERT_TRUE(consumer.seek_to_time({"t", 0}, 10'070).ok());
  recs = read_n(consumer, 30, &keep);
  ASSERT_EQ(recs.size(), 30u);
  EXPECT_EQ(recs.front().offset, 70);
  EXPECT_EQ(recs.front().timestamp_ms, 10'070);

  EXPECT_EQ(consumer.seek({"t", 0}, 101).code(), errc::offset_out_of_range);
  EXPECT_EQ(consumer.seek({"t", 9}, 0).code(), errc::unknown_partition);
  EXPECT_EQ(*c->offset_for_time("t", 0, 99'999), 100) << "no record that late: the end";
}

TEST(ClientConsumer, CompressedBatchesAreStoredAsSentAndReadBackWithEveryCodec) {
  TestBroker tb;
  auto c = tb.client();
  const std::pair<Compression, const char*> codecs[] = {
      {Compression::gzip, "gzip"}, {Compression::snappy, "snappy"}, {Compression::lz4, "lz4"}, {Compression::zstd, "zstd"}};
  for (const auto& [codec, name] : codecs) {
    ASSERT_TRUE(c->create_topic({name, 1}).ok());
    ProducerOptions po;
    po.compression = codec;
    Producer producer(*c, po);
    std::vector<std::string> values;
    for (int i = 0; i < 1000; ++i) values.push_back(fmt::format("{}-{}-{}", name, i, std::string(200, 'z')));
    const std::vector<Header> headers = {{"h", "x"}};
    for (int i = 0; i < 1000; ++i) {
      ProducerRecord r;
      r.value = values[i];
      r.headers = headers;
      r.timestamp_ms = 50'000 + i;
      producer.send(name, 0, r);
    }
    producer.flush();
    auto info = c->describe_topic(name);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->partition_info[0].high_watermark, 1000);
    EXPECT_LT(info->partition_info[0].bytes, 1000u * 200 / 4) << name << ": stored compressed";

    Consumer consumer(*c);
    ASSERT_TRUE(consumer.assign({{name, 0}}).ok());
    ASSERT_TRUE(consumer.seek({name, 0}, 10).ok());
    std::vector<Records> keep;
    auto recs = read_n(consumer, 990, &keep);
    ASSERT_EQ(recs.size(), 990u) << name;
    for (std::size_t i = 0; i < recs.size(); ++i) {
      ASSERT_EQ(recs[i].offset, static_cast<std::int64_t>(i + 10));
      ASSERT_EQ(recs[i].value, values[i + 10]);
      ASSERT_EQ(recs[i].headers().size(), 1u);
    }
    // The time index looks inside compressed batches too.
    EXPECT_EQ(*c->offset_for_time(name, 0, 50'500), 500) << name;
  }
}

TEST(ClientConsumer, LongPollWakesOnAppend) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"live", 1}).ok());
  ConsumerOptions o;
  o.start = StartFrom::latest;
  // The fetch would wait 30 s and poll gives up after 20 s: only a wake-up
  // on append can deliver the record.
  o.fetch_max_wait = std::chrono::seconds(30);
  Consumer consumer(*c, o);
  ASSERT_TRUE(consumer.assign({{"live", 0}}).ok());
  auto empty = consumer.poll(std::chrono::milliseconds(50));  // starts the long poll
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  std::thread producer([&] {
    auto pc = tb.client();
    fill(*pc, "live", 0, 1, 1);
  });
  auto r = consumer.poll(std::chrono::seconds(20));
  producer.join();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].value, "v0");
}

TEST(ClientConsumer, OffsetsAndDataSurviveRestart) {
  TestBroker tb;
  {
    auto c = tb.client();
    ASSERT_TRUE(c->create_topic({"durable", 2}).ok());
    fill(*c, "durable", 1, 50, 1);
    ConsumerOptions o;
    o.group = "g";
    o.start = StartFrom::earliest;
    Consumer consumer(*c, o);
    ASSERT_TRUE(consumer.assign({{"durable", 1}}).ok());
    std::vector<Records> keep;
    ASSERT_EQ(read_n(consumer, 20, &keep).size() >= 20, true);
    ASSERT_TRUE(consumer.seek({"durable", 1}, 20).ok());
    ASSERT_TRUE(consumer.commit().ok());
  }
  tb.restart();
  auto c = tb.client();
  auto committed = c->committed_offsets("g");
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->size(), 1u);
  EXPECT_EQ((*committed)[0].offset, 20);
  // Appends continue densely after the restart.
  Producer producer(*c);
  ProducerRecord r;
  r.value = "after";
  EXPECT_EQ(*producer.send_and_wait("durable", 1, r), 50);
  // A group consumer resumes at the committed offset and sees intact data.
  ConsumerOptions o;
  o.group = "g";
  Consumer consumer(*c, o);
  ASSERT_TRUE(consumer.assign({{"durable", 1}}).ok());
  std::vector<Records> keep;
  auto recs = read_n(consumer, 31, &keep);
  ASSERT_EQ(recs.size(), 31u);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(recs[i].offset, 20 + i);
    EXPECT_EQ(recs[i].value, "v" + std::to_string(20 + i));
  }
  EXPECT_EQ(recs[30].value, "after");
}

TEST(ClientConnection, DropFailsPendingWithTypedErrorThenReconnects) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_topic({"t", 1}).ok());
  ConsumerOptions o;
  o.start = StartFrom::latest;
  o.fetch_max_wait = std::chrono::seconds(30);
  Consumer consumer(*c, o);
  ASSERT_TRUE(consumer.assign({{"t", 0}}).ok());
  ASSERT_TRUE(consumer.poll(std::chrono::milliseconds(20)).ok());  // a long poll is now pending
  tb.stop();
  auto r = consumer.poll(std::chrono::seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.code() == errc::disconnected || r.code() == errc::shutting_down) << r.error().to_string();
  tb.start();
  // The next request reconnects on its own.
  EXPECT_TRUE(test::wait_for([&] { return c->list_topics().ok(); }));
  EXPECT_TRUE(c->connected());
}

}  // namespace
}  // namespace wharf
