// The idempotent producer: batches whose answer was lost to a broker
// restart are resent and stored once; a batch that fails for good does not
// stall or reorder the ones behind it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "support/test_broker.h"
#include "support/writer_stall.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

// Every value the topic's partition holds, in offset order.
std::vector<std::string> read_all(Client& client, const std::string& topic) {
  Consumer c(client);
  EXPECT_TRUE(c.assign({{topic, 0}}).ok());
  std::vector<std::string> out;
  const auto end = client.latest_offset(topic, 0).value();
  while (static_cast<std::int64_t>(out.size()) < end) {
    auto records = c.poll(2000ms);
    if (!records.ok() || records->empty()) break;
    for (const auto& r : *records) out.emplace_back(r.value);
  }
  return out;
}

TEST(ClientIdempotentProducer, BatchesCutOffByARestartAreResentAndStoredOnce) {
  TestBroker tb;
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"t", 1}).ok());
  ProducerOptions po;
  po.batch_bytes = 4096;  // many small batches in flight when the broker stops
  Producer p(*client, po);
  ASSERT_TRUE(p.idempotent());
  constexpr int kRecords = 20000;
  std::atomic<int> ok{0}, failed{0};
  std::mutex mu;
  std::map<std::int64_t, int> offsets;  // offset -> record
  std::thread restarts([&] {
    std::this_thread::sleep_for(20ms);
    tb.restart();
    std::this_thread::sleep_for(50ms);
    tb.restart();
  });
  for (int i = 0; i < kRecords; ++i) {
    const std::string v = std::to_string(i);
    ProducerRecord r;
    r.value = v;
    p.send("t", 0, r, [&, i](result<RecordMetadata> m) {
      if (!m.ok()) {
        if (failed++ == 0) ADD_FAILURE() << m.error().to_string();
        return;
      }
      ++ok;
      std::lock_guard lock(mu);
      EXPECT_TRUE(offsets.emplace(m->offset, i).second) << "offset " << m->offset << " confirmed twice";
    });
    if (i % 500 == 0) std::this_thread::sleep_for(1ms);
  }
  restarts.join();
  p.flush();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), kRecords);
  // Stored once each, in the order sent, at the offsets confirmed.
  auto values = read_all(*client, "t");
  ASSERT_EQ(values.size(), static_cast<std::size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) ASSERT_EQ(values[i], std::to_string(i)) << "offset " << i;
  for (const auto& [offset, record] : offsets) ASSERT_EQ(offset, record);
}

TEST(ClientIdempotentProducer, AFailedBatchDoesNotHoldUpOrReorderTheOthers) {
  TestBroker tb;
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"t", 1}).ok());
  ProducerOptions po;
  po.batch_bytes = 1024;
  Producer p(*client, po);
  ASSERT_TRUE(p.idempotent());
  // A record larger than the broker's frame limit fails its batch for good
  // (frame_too_large) while later batches are in flight.
  std::atomic<int> ok{0};
  std::atomic<int> too_large{0};
  std::string big(client->broker_info().max_frame_bytes + 1024, 'x');
  for (int i = 0; i < 300; ++i) {
    const std::string v = i == 100 ? big : std::to_string(i);
    ProducerRecord r;
    r.value = v;
    p.send("t", 0, r, [&](result<RecordMetadata> m) {
      if (m.ok()) {
        ++ok;
      } else {
        EXPECT_EQ(m.error().code(), errc::frame_too_large) << m.error().to_string();
        ++too_large;
      }
    });
  }
  p.flush();
  EXPECT_EQ(too_large.load(), 1);
  EXPECT_EQ(ok.load(), 299);
  auto values = read_all(*client, "t");
  ASSERT_EQ(values.size(), 299u);
  int expected = 0;
  for (const auto& v : values) {
    if (expected == 100) ++expected;
    EXPECT_EQ(v, std::to_string(expected++));
  }
}

// Batches unanswered for longer than delivery_timeout fail with their
// outcome unknown: here the broker's writer stalls, the client gives up, and
// the writer then stores them after all. The partition moves to a new
// epoch, so what is sent next is stored, each record at most once.
TEST(ClientIdempotentProducer, AfterAnUnknownOutcomeLaterRecordsAreStoredOnce) {
  TestBroker tb;
  ClientOptions co;
  co.request_timeout = 100ms;
  auto client = tb.client(co);
  ASSERT_TRUE(client->create_topic({"t", 1}).ok());
  ProducerOptions po;
  po.batch_bytes = 1024;
  po.delivery_timeout = 300ms;
  Producer p(*client, po);
  ASSERT_TRUE(p.idempotent());
  std::atomic<int> ok{0}, failed{0};
  auto send = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string v = std::to_string(i);
      ProducerRecord r;
      r.value = v;
      p.send("t", 0, r, [&](result<RecordMetadata> m) { ++(m.ok() ? ok : failed); });
    }
  };
  {
    WriterStall stall(tb.broker());
    send(0, 500);
    p.flush();  // every batch times out, resends, and fails after 300 ms
  }
  EXPECT_EQ(ok.load(), 0);
  EXPECT_EQ(failed.load(), 500);
  // The writer stores the stalled batches (and answers their resends as
  // repeats); the next records go out under a new epoch.
  send(500, 1000);
  p.flush();
  EXPECT_EQ(ok.load(), 500) << failed.load() - 500 << " later records failed";
  auto values = read_all(*client, "t");
  std::set<std::string> once(values.begin(), values.end());
  EXPECT_EQ(once.size(), values.size()) << "a record was stored twice";
  for (int i = 500; i < 1000; ++i) EXPECT_EQ(once.count(std::to_string(i)), 1u) << i;
}

TEST(ClientIdempotentProducer, CanBeTurnedOff) {
  TestBroker tb;
  auto client = tb.client();
  ProducerOptions po;
  po.idempotent = false;
  Producer p(*client, po);
  EXPECT_FALSE(p.idempotent());
}

}  // namespace
}  // namespace wharf::test
