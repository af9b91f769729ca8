// Produce and consume through the client against a real broker.
#include <gtest/gtest.h>

#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf {
namespace {

using test::TestBroker;

TEST(ClientLog, ProduceThenConsumeRoundTrip) {
  TestBroker tb;
  auto client = tb.client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->create_topic({"orders", 2}).ok());

  Producer producer(*client);
  std::vector<std::string> values;
  for (int i = 0; i < 1000; ++i) values.push_back("order-" + std::to_string(i));
  std::vector<Header> headers = {{"h", "v"}};
  std::atomic<int> confirmed{0};
  for (int i = 0; i < 1000; ++i) {
    ProducerRecord r;
    r.key = "k";
    r.value = values[i];
    r.headers = headers;
    r.timestamp_ms = 1000 + i;
    producer.send("orders", 1, r, [&, i](result<RecordMetadata> off) {
      EXPECT_TRUE(off.ok()) << off.error().to_string();
      if (off.ok()) {
        EXPECT_EQ(off->offset, i);
        EXPECT_EQ(off->partition, 1u);
      }
      confirmed++;
    });
  }
  producer.flush();
  EXPECT_EQ(confirmed.load(), 1000);

  ConsumerOptions co;
  co.start = StartFrom::earliest;
  Consumer consumer(*client, co);
  ASSERT_TRUE(consumer.assign({{"orders", 1}}).ok());
  std::vector<std::string> got;
  while (got.size() < 1000) {
    auto records = consumer.poll(std::chrono::seconds(5));
    ASSERT_TRUE(records.ok()) << records.error().to_string();
    ASSERT_FALSE(records->empty());
    for (const auto& r : *records) {
      EXPECT_EQ(r.offset, static_cast<std::int64_t>(got.size()));
      EXPECT_EQ(r.timestamp_ms, 1000 + r.offset);
      ASSERT_TRUE(r.key.has_value());
      EXPECT_EQ(*r.key, "k");
      auto h = r.headers();
      ASSERT_EQ(h.size(), 1u);
      EXPECT_EQ(h[0].key, "h");
      got.emplace_back(r.value);
    }
  }
  EXPECT_EQ(got, values);
  auto info = client->describe_topic("orders");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partition_info[1].high_watermark, 1000);
  EXPECT_EQ(info->partition_info[0].high_watermark, 0);
}

}  // namespace
}  // namespace wharf
