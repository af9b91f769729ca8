// librdkafka's producer (Debian's librdkafka++ 2.0.2) with idempotence on:
// it asks for a producer id, stamps its batches, and everything it was
// told is delivered is stored exactly once.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>

#include "kafka/kafka_wire_helpers.h"
#include "wharf/consumer.h"

namespace wharf::test {
namespace {

class CountDeliveries : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& m) override {
    if (m.err() == RdKafka::ERR_NO_ERROR) {
      ++delivered;
    } else {
      ++failed;
      last_error = m.errstr();
    }
  }
  int delivered = 0;
  int failed = 0;
  std::string last_error;
};

TEST(RdkafkaProducerTest, AnIdempotentProducerStoresEveryRecordOnce) {
  TestBroker tb(with_kafka());
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"idem", 3}).ok());
  CountDeliveries reports;
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [k, v] : std::map<std::string, std::string>{{"bootstrap.servers", tb.kafka_address()},
                                                               {"enable.idempotence", "true"},
                                                               {"acks", "all"},
                                                               {"linger.ms", "5"},
                                                               {"compression.codec", "lz4"}})
    ASSERT_EQ(conf->set(k, v, err), RdKafka::Conf::CONF_OK) << k << ": " << err;
  ASSERT_EQ(conf->set("dr_cb", &reports, err), RdKafka::Conf::CONF_OK) << err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  ASSERT_NE(producer, nullptr) << err;
  constexpr int kRecords = 3000;
  for (int i = 0; i < kRecords; ++i) {
    std::string v = fmt::format("v{}", i);
    for (;;) {
      auto rc = producer->produce("idem", i % 3, RdKafka::Producer::RK_MSG_COPY, v.data(), v.size(), nullptr, 0, 0,
                                  nullptr);
      if (rc == RdKafka::ERR_NO_ERROR) break;
      ASSERT_EQ(rc, RdKafka::ERR__QUEUE_FULL) << RdKafka::err2str(rc);
      producer->poll(10);
    }
  }
  ASSERT_EQ(producer->flush(30000), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(reports.delivered, kRecords);
  EXPECT_EQ(reports.failed, 0) << reports.last_error;
  // The batches carry the producer id the broker handed out.
  KafkaWire k(tb.kafka_port());
  ASSERT_TRUE(k.send(1, 11, 1, [](pk::Writer& w) { fetch_body(w, "idem", 0, 0, 0, 1); }));
  const auto fetched = read_fetch(*k.read());
  ASSERT_GE(fetched.records.size(), protocol::batch::kHeaderSize);
  const auto stamp = protocol::batch::producer_stamp(fetched.records.data());
  EXPECT_GE(stamp.producer_id, 1000);
  EXPECT_EQ(stamp.epoch, 0);
  EXPECT_EQ(stamp.base_sequence, 0);
  std::int64_t stored = 0;
  for (std::uint32_t p = 0; p < 3; ++p) stored += client->latest_offset("idem", p).value();
  EXPECT_EQ(stored, kRecords);

  Consumer c(*client);
  ASSERT_TRUE(c.assign_topic("idem").ok());
  std::map<std::string, int> seen;
  while (static_cast<int>(seen.size()) < kRecords) {
    auto records = c.poll(std::chrono::milliseconds(2000));
    ASSERT_TRUE(records.ok()) << records.error().to_string();
    if (records->empty()) break;
    for (const auto& r : *records) ++seen[std::string(r.value)];
  }
  EXPECT_EQ(static_cast<int>(seen.size()), kRecords);
  for (const auto& [v, n] : seen) ASSERT_EQ(n, 1) << v;
}

}  // namespace
}  // namespace wharf::test
