// The Kafka listener spoken to by hand: version negotiation, in-order
// answers to pipelined requests, acks=0, long polls, and what happens to
// requests Kafka would refuse.
#include <gtest/gtest.h>

#include <zlib.h>

#include <thread>

#include "kafka/kafka_wire_helpers.h"
#include "protocol/kafka/api.h"
#include "wharf/producer.h"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;

constexpr std::int16_t kProduce = 0, kFetch = 1, kListOffsets = 2, kMetadata = 3, kApiVersions = 18;

std::uint32_t test_crc32_ieee(const std::uint8_t* p, std::size_t n) {
  return static_cast<std::uint32_t>(::crc32(0, p, static_cast<uInt>(n)));
}

class KafkaSessionTest : public ::testing::Test {
 protected:
  KafkaSessionTest() : tb_(with_kafka()) {}

  // The broker answers a fresh connection, and the native protocol too.
  void expect_broker_healthy() {
    KafkaWire k(tb_.kafka_port());
    ASSERT_TRUE(k.send_empty(kApiVersions, 2, 77));
    auto r = k.read();
    ASSERT_TRUE(r.has_value()) << "a fresh Kafka connection got no answer";
    EXPECT_EQ(r->correlation_id, 77);
    auto c = tb_.client();
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->list_topics().ok());
  }

  TestBroker tb_;
};

TEST_F(KafkaSessionTest, ApiVersionsListsEveryApiAndAnswersTooNewVersionsInTheV0Format) {
  KafkaWire k(tb_.kafka_port());
  for (std::int16_t v = 0; v <= 2; ++v) {
    ASSERT_TRUE(k.send_empty(kApiVersions, v, 10 + v));
    auto r = k.read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->correlation_id, 10 + v);
    auto rd = r->reader();
    EXPECT_EQ(rd.i16(), 0);
    const auto n = rd.i32();
    EXPECT_EQ(static_cast<std::size_t>(n), pk::supported_apis().size());
    bool saw_fetch = false;
    for (std::int32_t i = 0; i < n; ++i) {
      const auto key = rd.i16();
      const auto min = rd.i16();
      const auto max = rd.i16();
      EXPECT_EQ(min, 0) << "key " << key << ": librdkafka needs every API from version 0";
      if (key == kFetch) {
        saw_fetch = true;
        EXPECT_EQ(max, 11);
      }
    }
    EXPECT_TRUE(saw_fetch);
    if (v >= 1) rd.i32();  // throttle
    EXPECT_TRUE(rd.ok());
    EXPECT_EQ(rd.remaining(), 0u);
  }
  // librdkafka opens with v3 (flexible, header v2): the answer is the v0
  // format with UNSUPPORTED_VERSION, and the connection stays open.
  ASSERT_TRUE(k.send(kApiVersions, 3, 5, [](pk::Writer& w) {
    w.i8(0);  // empty tagged fields of header v2
    w.raw("\x08rdkafka\x062.0.2\x00", 15);
  }));
  auto r = k.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->correlation_id, 5);
  auto rd = r->reader();
  EXPECT_EQ(rd.i16(), 35);
  EXPECT_EQ(static_cast<std::size_t>(rd.i32()), pk::supported_apis().size());
  ASSERT_TRUE(k.send_empty(kApiVersions, 0, 6));
  ASSERT_TRUE(k.read().has_value());
}

TEST_F(KafkaSessionTest, PipelinedRequestsAreAnsweredInOrderAndAcksZeroGetsNoAnswer) {
  KafkaWire k(tb_.kafka_port());
  // Creates the topic (auto-create).
  ASSERT_TRUE(k.send(kMetadata, 4, 1, [](pk::Writer& w) {
    w.array(1);
    w.string("pipe");
    w.boolean(true);
  }));
  // A long poll on the empty partition, then requests that are ready at
  // once: their answers must still come after the poll's.
  ASSERT_TRUE(k.send(kFetch, 11, 2, [](pk::Writer& w) { fetch_body(w, "pipe", 0, 0, 400, 1); }));
  ASSERT_TRUE(k.send(kProduce, 7, 3, [](pk::Writer& w) { produce_body(w, 7, 0, "pipe", 0, make_batch("zero", 2)); }));
  ASSERT_TRUE(k.send(kProduce, 7, 4, [](pk::Writer& w) { produce_body(w, 7, -1, "pipe", 0, make_batch("all", 3)); }));
  ASSERT_TRUE(k.send_empty(kApiVersions, 2, 5));
  std::vector<std::int32_t> order;
  std::optional<KafkaResponse> fetch, produce;
  for (int i = 0; i < 4; ++i) {
    auto r = k.read();
    ASSERT_TRUE(r.has_value()) << "answer " << i;
    order.push_back(r->correlation_id);
    if (r->correlation_id == 2) fetch = r;
    if (r->correlation_id == 4) produce = r;
  }
  EXPECT_EQ(order, (std::vector<std::int32_t>{1, 2, 4, 5})) << "3 was acks=0: no answer";
  auto f = read_fetch(*fetch);
  EXPECT_EQ(f.error, 0);
  EXPECT_EQ(f.records_size, static_cast<std::int32_t>(f.records.size()));
  EXPECT_FALSE(f.records.empty()) << "the poll woke on the acks=0 produce";
  auto p = read_produce(*produce);
  EXPECT_EQ(p.error, 0);
  EXPECT_EQ(p.base_offset, 2) << "after the two acks=0 records";
  auto info = tb_.client()->describe_topic("pipe");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partition_info[0].high_watermark, 5);
}

TEST_F(KafkaSessionTest, LongPollHonoursMaxWaitAndMinBytesAndEmptyRecordsAreNotNull) {
  KafkaWire k(tb_.kafka_port());
  ASSERT_TRUE(tb_.client()->create_topic({"lp", 1}).ok());
  // Nothing arrives: the answer comes after max wait, with an empty (not
  // null) record set and LastStableOffset = high watermark.
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(k.send(kFetch, 11, 1, [](pk::Writer& w) { fetch_body(w, "lp", 0, 0, 300, 1); }));
  auto r = k.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 290ms);
  auto f = read_fetch(*r);
  EXPECT_EQ(f.records_size, 0);
  EXPECT_EQ(f.high_watermark, 0);
  EXPECT_EQ(f.last_stable, 0);

  // min_bytes larger than one small batch: a first append does not answer,
  // a second that brings it over does.
  const auto small = make_batch("s", 1);
  ASSERT_TRUE(k.send(kFetch, 11, 2, [&](pk::Writer& w) {
    fetch_body(w, "lp", 0, 0, 10000, static_cast<std::int32_t>(small.size() + 1));
  }));
  auto client = tb_.client();
  Producer producer(*client);
  ProducerRecord rec;
  rec.value = "s-0";
  ASSERT_TRUE(producer.send_and_wait("lp", 0, rec).ok());
  EXPECT_FALSE(k.read(300ms).has_value()) << "one batch is below min_bytes";
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(producer.send_and_wait("lp", 0, rec).ok());
  r = k.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  f = read_fetch(*r);
  EXPECT_EQ(f.high_watermark, 2);
  EXPECT_EQ(values_of(f.records).size(), 2u);
}

TEST_F(KafkaSessionTest, FetchErrorsAndListOffsets) {
  KafkaWire k(tb_.kafka_port());
  ASSERT_TRUE(tb_.client()->create_topic({"fe", 1}).ok());
  ASSERT_TRUE(k.send(kProduce, 7, 1, [](pk::Writer& w) { produce_body(w, 7, 1, "fe", 0, make_batch("x", 10)); }));
  ASSERT_EQ(read_produce(*k.read()).error, 0);
  ASSERT_TRUE(k.send(kFetch, 11, 2, [](pk::Writer& w) { fetch_body(w, "fe", 0, 11, 0, 1); }));
  auto f = read_fetch(*k.read());
  EXPECT_EQ(f.error, 1) << "OFFSET_OUT_OF_RANGE";
  EXPECT_EQ(f.records_size, 0) << "empty, not null";
  ASSERT_TRUE(k.send(kFetch, 11, 3, [](pk::Writer& w) { fetch_body(w, "nope", 0, 0, 0, 1); }));
  EXPECT_EQ(read_fetch(*k.read()).error, 3) << "UNKNOWN_TOPIC_OR_PARTITION";
  ASSERT_TRUE(k.send(kFetch, 11, 4, [](pk::Writer& w) { fetch_body(w, "fe", 0, 4, 0, 1); }));
  f = read_fetch(*k.read());
  EXPECT_EQ(f.error, 0);
  auto values = values_of(f.records);
  ASSERT_EQ(values.size(), 10u) << "the whole stored batch; the client skips what is before its offset";

  // ListOffsets v2: latest, earliest, by time (records have times 1000..1009).
  for (auto [ts, want_offset, want_ts] : std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>>{
           {-1, 10, -1}, {-2, 0, -1}, {1004, 4, 1004}, {5000, -1, -1}}) {
    ASSERT_TRUE(k.send(kListOffsets, 2, 5, [ts = ts](pk::Writer& w) {
      w.i32(-1);
      w.i8(0);
      w.array(1);
      w.string("fe");
      w.array(1);
      w.i32(0);
      w.i64(ts);
    }));
    auto r = k.read();
    ASSERT_TRUE(r.has_value());
    auto rd = r->reader();
    rd.i32();
    rd.i32();
    rd.string();
    rd.i32();
    rd.i32();
    EXPECT_EQ(rd.i16(), 0);
    EXPECT_EQ(rd.i64(), want_ts) << ts;
    EXPECT_EQ(rd.i64(), want_offset) << ts;
  }
}

TEST_F(KafkaSessionTest, ACorruptBatchIsRefusedAndNothingIsStored) {
  KafkaWire k(tb_.kafka_port());
  ASSERT_TRUE(tb_.client()->create_topic({"crc", 1}).ok());
  auto batch = make_batch("c", 3);
  batch.back() ^= 0xFF;  // the CRC no longer matches
  ASSERT_TRUE(k.send(kProduce, 7, 1, [&](pk::Writer& w) { produce_body(w, 7, -1, "crc", 0, batch); }));
  EXPECT_EQ(read_produce(*k.read()).error, 2) << "CORRUPT_MESSAGE";
  auto two = make_batch("a", 1);
  auto second = make_batch("b", 1);
  two.insert(two.end(), second.begin(), second.end());
  ASSERT_TRUE(k.send(kProduce, 7, 2, [&](pk::Writer& w) { produce_body(w, 7, -1, "crc", 0, two); }));
  EXPECT_EQ(read_produce(*k.read()).error, 2) << "two batches in one partition's record set";
  EXPECT_EQ(tb_.client()->describe_topic("crc")->partition_info[0].high_watermark, 0);
  // acks=0 cannot answer: the connection closes instead, so the client knows.
  ASSERT_TRUE(k.send(kProduce, 7, 3, [&](pk::Writer& w) { produce_body(w, 7, 0, "crc", 0, batch); }));
  EXPECT_TRUE(k.raw().closed_by_peer());
  expect_broker_healthy();
}

TEST_F(KafkaSessionTest, MetadataCreatesUnknownTopicsUnlessTheRequestOrTheBrokerSaysNo) {
  KafkaWire k(tb_.kafka_port());
  auto metadata = [&](std::int16_t version, const std::string& topic, bool allow) {
    EXPECT_TRUE(k.send(kMetadata, version, 1, [&](pk::Writer& w) {
      w.array(1);
      w.string(topic);
      if (version >= 4) w.boolean(allow);
    }));
    auto r = k.read();
    EXPECT_TRUE(r.has_value());
    auto rd = r->reader();
    if (version >= 3) rd.i32();
    EXPECT_EQ(rd.i32(), 1);  // brokers
    EXPECT_EQ(rd.i32(), 0);  // node id
    EXPECT_EQ(rd.string(), "127.0.0.1");
    EXPECT_EQ(rd.i32(), tb_.kafka_port());
    if (version >= 1) rd.nullable_string();
    if (version >= 2) rd.nullable_string();
    if (version >= 1) {
      EXPECT_EQ(rd.i32(), 0);  // controller
    }
    EXPECT_EQ(rd.i32(), 1);
    const auto error = rd.i16();
    EXPECT_EQ(rd.string(), topic);
    return error;
  };
  EXPECT_EQ(metadata(4, "made-by-metadata", false), 3);
  EXPECT_EQ(metadata(4, "made-by-metadata", true), 0);
  EXPECT_EQ(metadata(0, "made-by-v0", true), 0) << "v0-3 always allow it";
  EXPECT_EQ(metadata(4, "bad name!", true), 17) << "INVALID_TOPIC_EXCEPTION";
  EXPECT_TRUE(tb_.client()->describe_topic("made-by-metadata").ok());
}

constexpr std::int16_t kInitProducerId = 22;

// InitProducerId v1 without a transactional id: the new producer id.
std::int64_t init_producer(KafkaWire& k, std::int32_t corr) {
  EXPECT_TRUE(k.send(kInitProducerId, 1, corr, [](pk::Writer& w) {
    w.nullable_string(std::nullopt);
    w.i32(60000);
  }));
  auto r = k.read();
  EXPECT_TRUE(r.has_value());
  if (!r) return -1;
  auto rd = r->reader();
  rd.i32();
  EXPECT_EQ(rd.i16(), 0);
  const std::int64_t id = rd.i64();
  EXPECT_EQ(rd.i16(), 0) << "epoch";
  EXPECT_TRUE(rd.ok());
  return id;
}

ProduceResult produce_batch(KafkaWire& k, std::int32_t corr, const std::string& topic,
                            const std::vector<std::uint8_t>& batch) {
  EXPECT_TRUE(k.send(kProduce, 7, corr, [&](pk::Writer& w) { produce_body(w, 7, -1, topic, 0, batch); }));
  auto r = k.read();
  EXPECT_TRUE(r.has_value());
  return r ? read_produce(*r) : ProduceResult{};
}

// InitProducerId, then batches stamped with the id: a retry is answered
// with its first offset and stored once, a gap and an old epoch refused.
TEST_F(KafkaSessionTest, IdempotentProducersRetriesAreStoredOnce) {
  KafkaWire k(tb_.kafka_port());
  const std::int64_t pid = init_producer(k, 1);
  EXPECT_GE(pid, 0);
  EXPECT_NE(init_producer(k, 2), pid) << "every producer gets its own id";
  auto produce = [&](std::int32_t corr, const std::vector<std::uint8_t>& batch) {
    return produce_batch(k, corr, "idem", batch);
  };
  ASSERT_TRUE(tb_.client()->create_topic({"idem", 1}).ok());
  EXPECT_EQ(produce(3, stamped(make_batch("a", 3), pid, 0, 0)).base_offset, 0);
  EXPECT_EQ(produce(4, stamped(make_batch("b", 2), pid, 0, 3)).base_offset, 3);
  // The first batch again (a retry after a lost answer): its offset, no write.
  auto again = produce(5, stamped(make_batch("a", 3), pid, 0, 0));
  EXPECT_EQ(again.error, 0);
  EXPECT_EQ(again.base_offset, 0);
  EXPECT_EQ(produce(6, stamped(make_batch("c", 1), pid, 0, 9)).error, 45) << "OUT_OF_ORDER_SEQUENCE_NUMBER";
  // A newer epoch starts at 0, and fences the older one.
  EXPECT_EQ(produce(7, stamped(make_batch("d", 1), pid, 1, 0)).base_offset, 5);
  EXPECT_EQ(produce(8, stamped(make_batch("e", 1), pid, 0, 5)).error, 47) << "INVALID_PRODUCER_EPOCH";
  // Batches without a producer id are never deduplicated.
  EXPECT_EQ(produce(9, make_batch("f", 1)).base_offset, 6);
  EXPECT_EQ(produce(10, make_batch("f", 1)).base_offset, 7);
  EXPECT_EQ(tb_.client()->latest_offset("idem", 0).value(), 8);

  // The state is durable: after a restart a retry is still recognised.
  tb_.restart();
  KafkaWire k2(tb_.kafka_port());
  ASSERT_TRUE(k2.send(kProduce, 7, 1, [&](pk::Writer& w) {
    produce_body(w, 7, -1, "idem", 0, stamped(make_batch("d", 1), pid, 1, 0));
  }));
  auto after = read_produce(*k2.read());
  EXPECT_EQ(after.error, 0);
  EXPECT_EQ(after.base_offset, 5);
  EXPECT_EQ(tb_.client()->latest_offset("idem", 0).value(), 8);

  // Transactions are not offered.
  ASSERT_TRUE(k2.send(kInitProducerId, 1, 2, [](pk::Writer& w) {
    w.nullable_string("tx");
    w.i32(60000);
  }));
  auto refused = k2.read();
  ASSERT_TRUE(refused.has_value());
  auto tx = refused->reader();
  tx.i32();
  EXPECT_EQ(tx.i16(), 42) << "INVALID_REQUEST";
}

TEST(KafkaListener, IdleProducersAreForgottenAfterTheirTtl) {
  BrokerOptions o = with_kafka();
  o.producer_state_ttl = 200ms;
  o.retention_interval = 20ms;
  TestBroker tb(o);
  ASSERT_TRUE(tb.client()->create_topic({"ttl", 1}).ok());
  KafkaWire k(tb.kafka_port());
  const std::int64_t pid = init_producer(k, 1);
  const auto batch = stamped(make_batch("a", 3), pid, 0, 0);
  EXPECT_EQ(produce_batch(k, 2, "ttl", batch).base_offset, 0);
  EXPECT_EQ(produce_batch(k, 3, "ttl", batch).base_offset, 0) << "a retry while remembered";
  // Once forgotten, the same batch is a new producer's first: stored again.
  std::int64_t base = 0;
  for (int i = 0; i < 100 && base == 0; ++i) {
    std::this_thread::sleep_for(50ms);
    base = produce_batch(k, 4 + i, "ttl", batch).base_offset;
  }
  EXPECT_EQ(base, 3);
}

TEST(KafkaListener, AutoCreationCanBeTurnedOff) {
  BrokerOptions o = with_kafka();
  o.kafka.auto_create_topics = false;
  TestBroker tb(o);
  KafkaWire k(tb.kafka_port());
  ASSERT_TRUE(k.send(kProduce, 7, 1, [](pk::Writer& w) { produce_body(w, 7, -1, "absent", 0, make_batch("x", 1)); }));
  EXPECT_EQ(read_produce(*k.read()).error, 3);
  EXPECT_EQ(tb.client()->describe_topic("absent").code(), errc::unknown_topic);
}

TEST_F(KafkaSessionTest, RequestsKafkaWouldRefuseCloseTheConnectionAndHarmNothing) {
  struct Case {
    const char* what;
    std::vector<std::uint8_t> bytes;
  };
  auto request = [](std::int16_t key, std::int16_t version, const std::vector<std::uint8_t>& body) {
    std::vector<std::uint8_t> out;
    pk::Writer w(out);
    w.i32(static_cast<std::int32_t>(10 + body.size()));
    w.i16(key);
    w.i16(version);
    w.i32(9);
    w.i16(-1);
    w.raw(body.data(), body.size());
    return out;
  };
  std::vector<std::uint8_t> negative_count;
  {
    pk::Writer w(negative_count);
    w.i32(-1);
    w.i32(100);
    w.i32(1);
    w.i32(1 << 20);
    w.i8(0);
    w.i32(0);
    w.i32(-1);
    w.i32(-5);  // topics
  }
  std::vector<std::uint8_t> huge_count;
  {
    pk::Writer w(huge_count);
    w.i32(1);  // metadata v1: topics count
    w.i32(0);
    huge_count[0] = 0x7f;  // 2 billion topics in a few bytes
  }
  const std::vector<Case> cases = {
      {"unknown API key", request(999, 0, {})},
      {"unsupported version", request(kFetch, 12, {})},
      {"version below the range", request(kMetadata, -1, {})},
      {"negative size", {0xff, 0xff, 0xff, 0xf0, 0, 0}},
      {"size past the frame limit", {0x7f, 0xff, 0xff, 0xff, 0, 0}},
      {"size too small for a header", {0, 0, 0, 3, 1, 2, 3}},
      {"garbage (an HTTP request)", {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'}},
      {"truncated body", request(kFetch, 11, {0, 0, 0, 1})},
      {"negative array count", request(kFetch, 11, negative_count)},
      {"array count past the bytes", request(kMetadata, 1, huge_count)},
      {"negative string length", request(kMetadata, 1, {0, 0, 0, 1, 0xff, 0xf0})},
  };
  for (const auto& c : cases) {
    KafkaWire k(tb_.kafka_port());
    ASSERT_TRUE(k.raw().send_bytes(c.bytes)) << c.what;
    EXPECT_TRUE(k.raw().closed_by_peer()) << c.what;
  }
  expect_broker_healthy();
}

TEST(KafkaListener, AnIdleConnectionThatNeverSpeaksIsClosed) {
  BrokerOptions o = with_kafka();
  o.handshake_timeout = 200ms;
  TestBroker tb(o);
  KafkaWire quiet(tb.kafka_port());
  EXPECT_TRUE(quiet.raw().closed_by_peer(3s));
  KafkaWire talker(tb.kafka_port());
  ASSERT_TRUE(talker.send_empty(kApiVersions, 0, 1));
  ASSERT_TRUE(talker.read().has_value());
  EXPECT_FALSE(talker.raw().peer_hung_up(500ms)) << "one that spoke may then idle";
}

TEST_F(KafkaSessionTest, OldMessageFormatsAreConvertedBothWays) {
  // Produce v2 carries a magic-1 message set; Fetch v2 wants one back.
  KafkaWire k(tb_.kafka_port());
  ASSERT_TRUE(tb_.client()->create_topic({"old", 1}).ok());
  std::vector<std::uint8_t> set;
  for (int i = 0; i < 3; ++i) {
    pk::Writer w(set);
    w.i64(0);
    const auto size_at = w.placeholder_i32();
    const auto crc_at = w.placeholder_i32();
    w.i8(1);
    w.i8(0);
    w.i64(5000 + i);
    w.nullable_bytes(std::nullopt);
    const std::string v = "legacy-" + std::to_string(i);
    w.bytes({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()});
    w.patch_i32(size_at, static_cast<std::int32_t>(set.size() - size_at - 4));
    w.patch_i32(crc_at, static_cast<std::int32_t>(test_crc32_ieee(set.data() + crc_at + 4, set.size() - crc_at - 4)));
  }
  ASSERT_TRUE(k.send(kProduce, 2, 1, [&](pk::Writer& w) { produce_body(w, 2, 1, "old", 0, set); }));
  auto p = read_produce(*k.read());
  EXPECT_EQ(p.error, 0);
  EXPECT_EQ(p.base_offset, 0);
  ASSERT_TRUE(k.send(kFetch, 2, 2, [](pk::Writer& w) { fetch_v2_body(w, "old", 0, 1, 1 << 20); }));
  auto r = k.read();
  ASSERT_TRUE(r.has_value());
  auto rd = r->reader();
  std::int16_t error = -1;
  std::int64_t high_watermark = 0;
  const auto size = read_fetch_v2_head(rd, &error, &high_watermark);
  EXPECT_EQ(error, 0);
  EXPECT_EQ(high_watermark, 3);
  EXPECT_GT(size, 0);
  // Offsets 1 and 2 only, as magic-1 messages with their timestamps.
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(rd.i64(), i);
    rd.i32();
    rd.i32();
    EXPECT_EQ(rd.i8(), 1);
    EXPECT_EQ(rd.i8(), 0);
    EXPECT_EQ(rd.i64(), 5000 + i);
    EXPECT_FALSE(rd.nullable_bytes().has_value());
    auto v = rd.bytes();
    EXPECT_EQ(std::string(v.begin(), v.end()), "legacy-" + std::to_string(i));
  }
  EXPECT_TRUE(rd.ok());
  EXPECT_EQ(rd.remaining(), 0u);
}

}  // namespace
}  // namespace wharf::test
