// The Kafka codec alone: primitive reads that must fail safely, field
// positions that differ by version, old message sets, and the consumer
// group payloads.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "protocol/compression.h"
#include "protocol/kafka/consumer_protocol.h"
#include "protocol/kafka/legacy_records.h"
#include "protocol/kafka/log_messages.h"
#include "protocol/record_batch.h"

namespace wharf::protocol::kafka {
namespace {

std::vector<std::uint8_t> bytes_of(std::initializer_list<int> v) {
  std::vector<std::uint8_t> out;
  for (int b : v) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

TEST(KafkaCodec, ReaderFailsSafelyOnShortNegativeAndOversizedFields) {
  auto b = bytes_of({0, 1});
  Reader r(b);
  EXPECT_EQ(r.i32(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.i16(), 0) << "a failed reader reads zeros";

  auto neg = bytes_of({0xff, 0xfe, 'a'});
  Reader r2(neg);
  EXPECT_FALSE(r2.nullable_string().has_value());
  EXPECT_FALSE(r2.ok()) << "-2 is not a length";

  auto null = bytes_of({0xff, 0xff});
  Reader r3(null);
  EXPECT_EQ(r3.string(), "");
  EXPECT_FALSE(r3.ok()) << "null where a string is required";

  auto huge = bytes_of({0x7f, 0xff, 0xff, 0xff, 0, 0});
  Reader r4(huge);
  EXPECT_EQ(r4.array(4), 0u) << "no allocation for two billion elements in two bytes";
  EXPECT_FALSE(r4.ok());

  auto past = bytes_of({0, 0, 0, 9, 1, 2});
  Reader r5(past);
  EXPECT_FALSE(r5.nullable_bytes().has_value());
  EXPECT_FALSE(r5.ok());
}

TEST(KafkaCodec, MetadataTopicsNullEmptyAndVersionZero) {
  std::vector<std::uint8_t> b;
  Writer w(b);
  w.i32(0);
  MetadataRequest v0;
  Reader r0(b);
  ASSERT_TRUE(decode(r0, 0, &v0));
  EXPECT_FALSE(v0.topics.has_value()) << "v0: empty means every topic";
  MetadataRequest v1;
  Reader r1(b);
  ASSERT_TRUE(decode(r1, 1, &v1));
  ASSERT_TRUE(v1.topics.has_value()) << "v1: empty means none";
  EXPECT_TRUE(v1.topics->empty());
  std::vector<std::uint8_t> n;
  Writer wn(n);
  wn.i32(-1);
  wn.boolean(false);
  MetadataRequest v4;
  Reader r4(n);
  ASSERT_TRUE(decode(r4, 4, &v4));
  EXPECT_FALSE(v4.topics.has_value());
  EXPECT_FALSE(v4.allow_auto_topic_creation);
  Reader r0null(n);
  MetadataRequest bad;
  EXPECT_FALSE(decode(r0null, 0, &bad)) << "v0 has no null array";
}

TEST(KafkaCodec, FetchRequestFieldsMoveWithTheVersion) {
  auto build = [](std::int16_t v) {
    std::vector<std::uint8_t> b;
    Writer w(b);
    w.i32(-1);
    w.i32(500);
    w.i32(7);
    if (v >= 3) w.i32(1000);
    if (v >= 4) w.i8(1);
    if (v >= 7) {
      w.i32(0);
      w.i32(-1);
    }
    w.array(1);
    w.string("t");
    w.array(1);
    w.i32(3);
    if (v >= 9) w.i32(-1);
    w.i64(42);
    if (v >= 5) w.i64(-1);
    w.i32(99);
    if (v >= 7) w.array(0);
    if (v >= 11) w.string("rack");
    return b;
  };
  for (std::int16_t v = 0; v <= 11; ++v) {
    auto b = build(v);
    FetchRequest req;
    Reader r(b);
    ASSERT_TRUE(decode(r, v, &req)) << v;
    EXPECT_EQ(r.remaining(), 0u) << v;
    EXPECT_EQ(req.max_wait_ms, 500);
    EXPECT_EQ(req.min_bytes, 7);
    EXPECT_EQ(req.max_bytes, v >= 3 ? 1000 : std::numeric_limits<std::int32_t>::max());
    ASSERT_EQ(req.topics.size(), 1u);
    EXPECT_EQ(req.topics[0].partitions[0].index, 3) << v;
    EXPECT_EQ(req.topics[0].partitions[0].fetch_offset, 42) << v;
    EXPECT_EQ(req.topics[0].partitions[0].max_bytes, 99) << v;
    // A body cut anywhere fails.
    for (std::size_t cut = 0; cut < b.size(); ++cut) {
      FetchRequest partial;
      Reader rc(std::span<const std::uint8_t>(b).first(cut));
      EXPECT_FALSE(decode(rc, v, &partial)) << "v" << v << " cut at " << cut;
    }
  }
}

TEST(KafkaCodec, ThrottleTimeSitsWhereEachApiPutsIt) {
  ProduceResponse p;
  p.topics.push_back({"t", {{0, Error::none, 5, 0}}});
  std::vector<std::uint8_t> v0, v7;
  Writer w0(v0), w7(v7);
  encode(w0, 0, p);
  encode(w7, 7, p);
  EXPECT_EQ(v7.size(), v0.size() + 8 + 8 + 4) << "log append time, log start, throttle";
  EXPECT_EQ(load_be<std::int32_t>(v7.data() + v7.size() - 4), 0) << "Produce: throttle comes last";
  std::vector<std::uint8_t> f;
  Writer wf(f);
  FetchResponseWriter fw(wf, 11);
  fw.begin(0);
  EXPECT_EQ(f.size(), 4u + 2 + 4 + 4) << "Fetch v7+: throttle, error, session id first";
}

std::uint32_t crc32_ieee(const std::vector<std::uint8_t>& b, std::size_t from) {
  return static_cast<std::uint32_t>(::crc32(0, b.data() + from, static_cast<uInt>(b.size() - from)));
}

// A magic-`magic` message with `value` (and the key "k" when keyed).
void append_message(std::vector<std::uint8_t>& set, std::int8_t magic, std::int8_t attributes, std::int64_t ts,
                    bool keyed, std::span<const std::uint8_t> value) {
  std::vector<std::uint8_t> msg;
  Writer w(msg);
  w.i32(0);  // crc
  w.i8(magic);
  w.i8(attributes);
  if (magic == 1) w.i64(ts);
  if (keyed) {
    w.bytes(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("k"), 1));
  } else {
    w.nullable_bytes(std::nullopt);
  }
  w.bytes(value);
  store_be<std::uint32_t>(msg.data(), crc32_ieee(msg, 4));
  Writer s(set);
  s.i64(0);
  s.i32(static_cast<std::int32_t>(msg.size()));
  s.raw(msg.data(), msg.size());
}

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(KafkaCodec, OldMessageSetsConvertUpIncludingACompressedWrapper) {
  std::vector<std::uint8_t> inner;
  append_message(inner, 1, 0, 7000, true, as_bytes("in-0"));
  append_message(inner, 1, 0, 7001, false, as_bytes("in-1"));
  std::vector<std::uint8_t> packed;
  ASSERT_TRUE(compress(Codec::gzip, inner, &packed).ok());
  std::vector<std::uint8_t> set;
  append_message(set, 0, 0, 0, false, as_bytes("plain-v0"));
  append_message(set, 1, 1, 7002, false, packed);  // gzip wrapper
  auto batch = upconvert_message_set(set, 123456, 1u << 20);
  ASSERT_TRUE(batch.ok()) << batch.error().message();
  batch::BatchInfo info;
  ASSERT_TRUE(batch::validate(*batch, &info).ok());
  EXPECT_EQ(info.record_count, 3u);
  batch::Reader reader(*batch);
  batch::RecordFields rec;
  std::vector<std::string> values;
  std::vector<std::int64_t> times;
  while (reader.next(&rec)) {
    values.emplace_back(rec.value);
    times.push_back(rec.timestamp_ms);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"plain-v0", "in-0", "in-1"}));
  EXPECT_EQ(times, (std::vector<std::int64_t>{123456, 7000, 7001})) << "magic 0 has no time: now";

  set[set.size() - 1] ^= 1;  // CRC mismatch
  EXPECT_EQ(upconvert_message_set(set, 0, 1u << 20).code(), errc::corrupt_batch);
  EXPECT_EQ(upconvert_message_set({}, 0, 1u << 20).code(), errc::corrupt_batch);
}

TEST(KafkaCodec, StoredBatchesConvertDownAndBackFromAnOffset) {
  batch::Builder b;
  std::vector<std::string> values = {"a", "bb", "ccc", "dddd"};
  for (std::size_t i = 0; i < values.size(); ++i) {
    ProducerRecord r;
    r.value = values[i];
    if (i == 1) r.key = "key";
    b.add(r, 9000 + static_cast<std::int64_t>(i));
  }
  auto plain = b.finish(Codec::lz4);
  ASSERT_TRUE(plain.ok());
  std::vector<std::uint8_t> stored(plain->begin(), plain->end());
  batch::set_base_offset(stored.data(), 100);
  for (std::int8_t magic : {0, 1}) {
    std::vector<std::uint8_t> set;
    Writer w(set);
    ASSERT_TRUE(downconvert_batch(stored, magic, 101, w).ok());
    EXPECT_EQ(record_set_magic(set), magic);
    EXPECT_EQ(load_be<std::int64_t>(set.data()), 101) << "offsets kept";
    auto back = upconvert_message_set(set, 1, 1u << 20);
    ASSERT_TRUE(back.ok());
    batch::Reader reader(*back);
    batch::RecordFields rec;
    std::vector<std::string> got;
    while (reader.next(&rec)) {
      got.emplace_back(rec.value);
      if (got.size() == 1) {
        EXPECT_EQ(rec.key.value_or(""), "key");
        EXPECT_EQ(rec.timestamp_ms, magic == 1 ? 9001 : 1);
      }
    }
    EXPECT_EQ(got, (std::vector<std::string>{"bb", "ccc", "dddd"}));
  }
}

TEST(KafkaCodec, ConsumerProtocolPayloadsRoundTripAndLaterVersionsDecode) {
  auto sub = encode_subscription({"a", "b"});
  EXPECT_EQ(decode_subscription(sub), (std::vector<std::string>{"a", "b"}));
  auto asg = encode_assignment({{"a", {0, 2}}, {"b", {1}}});
  auto decoded = decode_assignment(asg);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].partitions, (std::vector<std::int32_t>{0, 2}));
  EXPECT_TRUE(decode_assignment({})->empty());
  // Version 1 adds owned partitions after the user data: still readable.
  std::vector<std::uint8_t> v1;
  Writer w(v1);
  w.i16(1);
  w.array(1);
  w.string("t");
  w.bytes(as_bytes("userdata"));
  w.array(1);
  w.string("t");
  w.array(1);
  w.i32(0);
  EXPECT_EQ(decode_subscription(v1), (std::vector<std::string>{"t"}));
  EXPECT_FALSE(decode_subscription(bytes_of({0, 0, 0, 0, 0, 5})).has_value());
}

}  // namespace
}  // namespace wharf::protocol::kafka
