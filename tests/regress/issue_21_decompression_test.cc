// Issue 21, items 1 and 2: compressed input that expands past the broker's
// batch limit is refused while it streams (old and new Kafka formats, all
// four codecs, and the native protocol), zstd in the old format is refused
// as Kafka refuses it, old-format fetches keep to max_bytes, and a flood of
// compressed batches leaves an unrelated producer's latency alone.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "kafka/kafka_wire_helpers.h"
#include "protocol/compression.h"
#include "protocol/frame_builder.h"
#include "support/raw_connection.h"

namespace wharf::test {
namespace {

using namespace std::chrono_literals;
namespace pb = protocol::batch;
using protocol::Codec;

constexpr std::int16_t kProduce = 0, kFetch = 1;
constexpr std::int16_t kMessageTooLarge = 10, kUnsupportedCompressionType = 76;
constexpr std::size_t kLimit = 8u << 20;  // BrokerOptions::max_batch_bytes by default
constexpr std::size_t kBomb = 32u << 20;  // what each bomb expands to: four times the limit

const Codec kCodecs[] = {Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kMemoryMeasurable = false;  // the sanitizers' allocators keep freed memory
#else
constexpr bool kMemoryMeasurable = true;
#endif

std::size_t status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(std::string(field).size()));
  return 0;
}
// The peak resident size from now on starts at the current one.
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// One magic-1 message; a compressed one (attributes != 0) holds a message
// set as its value.
std::vector<std::uint8_t> legacy_message(std::int8_t attributes, std::span<const std::uint8_t> value) {
  std::vector<std::uint8_t> out;
  pk::Writer w(out);
  w.i64(0);
  const auto size_at = w.placeholder_i32();
  const auto crc_at = w.placeholder_i32();
  w.i8(1);
  w.i8(attributes);
  w.i64(1000);
  w.nullable_bytes(std::nullopt);
  w.bytes(value);
  w.patch_i32(size_at, static_cast<std::int32_t>(out.size() - size_at - 4));
  w.patch_i32(crc_at, static_cast<std::int32_t>(::crc32(0, out.data() + crc_at + 4,
                                                        static_cast<uInt>(out.size() - crc_at - 4))));
  return out;
}

// A compressed wrapper whose inner set is one message of `value_bytes` zeros.
std::vector<std::uint8_t> legacy_wrapper(Codec codec, std::size_t value_bytes) {
  const std::vector<std::uint8_t> zeros(value_bytes, 0);
  const auto inner = legacy_message(0, zeros);
  std::vector<std::uint8_t> packed;
  EXPECT_TRUE(protocol::compress(codec, inner, &packed).ok());
  return legacy_message(static_cast<std::int8_t>(codec), packed);
}

// A v2 batch of `records` records of `value_bytes` zeros each, compressed.
std::vector<std::uint8_t> v2_batch(Codec codec, int records, std::size_t value_bytes) {
  pb::Builder b;
  const std::string value(value_bytes, '\0');
  for (int i = 0; i < records; ++i) b.add(ProducerRecord{.value = value}, 1000);
  auto bytes = b.finish(codec);
  EXPECT_TRUE(bytes.ok());
  return {bytes->begin(), bytes->end()};
}

// Produce v7 of one record set to each of `partitions` partitions (the same
// set to each); returns the per-partition error codes.
std::vector<std::int16_t> produce(KafkaWire& k, std::int16_t version, const std::string& topic,
                                  const std::vector<std::uint8_t>& records, int partitions = 1,
                                  std::int32_t correlation_id = 1) {
  EXPECT_TRUE(k.send(kProduce, version, correlation_id, [&](pk::Writer& w) {
    if (version >= 3) w.nullable_string(std::nullopt);
    w.i16(-1);
    w.i32(30000);
    w.array(1);
    w.string(topic);
    w.array(partitions);
    for (int p = 0; p < partitions; ++p) {
      w.i32(p);
      w.bytes(records);
    }
  }));
  auto r = k.read(60s);
  std::vector<std::int16_t> errors;
  if (!r) return errors;
  auto rd = r->reader();
  rd.i32();
  rd.string();
  const auto n = rd.i32();
  for (std::int32_t i = 0; i < n && rd.ok(); ++i) {
    rd.i32();
    errors.push_back(rd.i16());
    rd.i64();
    if (version >= 2) rd.i64();
    if (version >= 5) rd.i64();
  }
  return errors;
}

class Issue21Decompression : public ::testing::Test {
 protected:
  Issue21Decompression() : tb_(with_kafka()) {}
  std::int64_t high_watermark(const std::string& topic, int partition = 0) {
    return tb_.client()->describe_topic(topic)->partition_info[partition].high_watermark;
  }
  TestBroker tb_;
};

// A Fetch v2 (magic 1 back) of partition 0 from offset 0: the partition's
// error, high watermark, record set size and the offsets of its messages.
struct OldFormatFetch {
  std::int16_t error = -1;
  std::int64_t high_watermark = 0;
  std::int32_t size = 0;
  std::vector<std::int64_t> offsets;
};
OldFormatFetch fetch_v2(KafkaWire& k, const std::string& topic, std::int32_t max_bytes) {
  OldFormatFetch f;
  EXPECT_TRUE(k.send(kFetch, 2, 9, [&](pk::Writer& w) { fetch_v2_body(w, topic, 0, 0, max_bytes); }));
  auto r = k.read();
  EXPECT_TRUE(r.has_value());
  if (!r) return f;
  auto rd = r->reader();
  f.size = read_fetch_v2_head(rd, &f.error, &f.high_watermark);
  for (std::int32_t read = 0; read < f.size && rd.ok();) {
    f.offsets.push_back(rd.i64());
    read += 12 + static_cast<std::int32_t>(rd.bytes().size());
  }
  return f;
}

TEST_F(Issue21Decompression, AnOldFormatGzipBombIsRefusedWhileItStreams) {
  ASSERT_TRUE(tb_.client()->create_topic({"bomb", 1}).ok());
  const auto set = legacy_wrapper(Codec::gzip, kBomb);
  ASSERT_LT(set.size(), 64u << 10);  // tens of kilobytes that would become 32 MiB
  KafkaWire k(tb_.kafka_port());
  reset_peak_rss();
  const std::size_t before = status_kib("VmRSS:");
  EXPECT_EQ(produce(k, 2, "bomb", set), std::vector<std::int16_t>{kMessageTooLarge});
  const std::size_t peak = status_kib("VmHWM:");
  EXPECT_EQ(high_watermark("bomb"), 0);
  // At most the limit is ever decompressed (plus the broker's usual churn);
  // unbounded, the request took the expansion twice (value and batch).
  if (kMemoryMeasurable) {
    EXPECT_LT((peak - before) << 10, 3 * kLimit) << "peak growth in KiB: " << peak - before;
  }
}

TEST_F(Issue21Decompression, OldFormatWrappersCannotAddUpPastTheLimit) {
  ASSERT_TRUE(tb_.client()->create_topic({"many", 1}).ok());
  // Six wrappers of 3 MiB each: every one under the limit, 18 MiB together.
  std::vector<std::uint8_t> set;
  for (int i = 0; i < 6; ++i) {
    const auto wrapper = legacy_wrapper(Codec::snappy, 3u << 20);
    set.insert(set.end(), wrapper.begin(), wrapper.end());
  }
  KafkaWire k(tb_.kafka_port());
  EXPECT_EQ(produce(k, 2, "many", set), std::vector<std::int16_t>{kMessageTooLarge});
  EXPECT_EQ(high_watermark("many"), 0);
  // One wrapper alone fits, and is stored.
  EXPECT_EQ(produce(k, 2, "many", legacy_wrapper(Codec::lz4, 3u << 20), 1, 2), std::vector<std::int16_t>{0});
  EXPECT_EQ(high_watermark("many"), 1);
}

TEST_F(Issue21Decompression, ZstdInTheOldFormatIsRefusedAsKafkaRefusesIt) {
  ASSERT_TRUE(tb_.client()->create_topic({"z", 1}).ok());
  KafkaWire k(tb_.kafka_port());
  const std::string value = "small and harmless";
  EXPECT_EQ(produce(k, 2, "z", legacy_wrapper(Codec::zstd, 100)), std::vector<std::int16_t>{kUnsupportedCompressionType});
  EXPECT_EQ(produce(k, 2, "z", legacy_wrapper(Codec::gzip, 100), 1, 2), std::vector<std::int16_t>{0});
  EXPECT_EQ(high_watermark("z"), 1);
}

TEST_F(Issue21Decompression, NewFormatBombsAreRefusedForEveryCodecAndShape) {
  ASSERT_TRUE(tb_.client()->create_topic({"v2", 1}).ok());
  KafkaWire k(tb_.kafka_port());
  test::RawConnection native(tb_.broker().port());
  ASSERT_TRUE(native.hello());
  ASSERT_TRUE(native.read_frame());
  std::uint64_t corr = 0;
  const auto native_produce = [&](const std::vector<std::uint8_t>& batch) -> std::optional<errc> {
    flatbuffers::FlatBufferBuilder fbb;
    auto body = wire::CreateProduce(fbb, fbb.CreateString("v2"), 0, fbb.CreateVector(batch));
    fbb.Finish(wire::CreateFrame(fbb, ++corr, wire::Body::Produce, body.Union()));
    if (!native.send_frame(fbb)) return std::nullopt;
    auto reply = native.read_frame(60s);
    if (!reply) return std::nullopt;
    return error_of(*reply).value_or(errc::ok);
  };
  for (Codec c : kCodecs) {
    SCOPED_TRACE(std::string(protocol::codec_name(c)));
    // Many records that add up past the limit, and one record past it.
    const auto many = v2_batch(c, 32, kBomb / 32);
    const auto one = v2_batch(c, 1, kBomb);
    EXPECT_EQ(produce(k, 7, "v2", many), std::vector<std::int16_t>{kMessageTooLarge});
    EXPECT_EQ(produce(k, 7, "v2", one), std::vector<std::int16_t>{kMessageTooLarge});
    EXPECT_EQ(native_produce(many), errc::batch_too_large);
    EXPECT_EQ(native_produce(one), errc::batch_too_large);
    // Just under the limit is fine.
    EXPECT_EQ(produce(k, 7, "v2", v2_batch(c, 7, 1u << 20)), std::vector<std::int16_t>{0});
  }
  EXPECT_EQ(high_watermark("v2"), 4 * 7);
}

TEST_F(Issue21Decompression, OldFormatFetchesKeepToMaxBytes) {
  ASSERT_TRUE(tb_.client()->create_topic({"big", 1}).ok());
  KafkaWire k(tb_.kafka_port());
  // One stored batch of five 100 KB records, lz4-compressed to a few KB.
  ASSERT_EQ(produce(k, 7, "big", v2_batch(Codec::lz4, 5, 100'000)), std::vector<std::int16_t>{0});
  // Fetch v2 asks for messages of magic 1 and at most 250 KB.
  const auto f = fetch_v2(k, "big", 250'000);
  EXPECT_EQ(f.error, 0);
  EXPECT_EQ(f.high_watermark, 5);
  EXPECT_GT(f.size, 100'000) << "at least one message";
  EXPECT_LE(f.size, 250'000) << "two of the five messages fit";
}

// An old message set is converted on the checker's thread; a v2 batch
// sent behind it on the same connection must still be stored after it
// (the converted set once queued again behind the later batch).
TEST_F(Issue21Decompression, OldAndNewFormatsFromOneConnectionKeepTheirOrder) {
  ASSERT_TRUE(tb_.client()->create_topic({"mixed", 1}).ok());
  KafkaWire k(tb_.kafka_port());
  const auto send_produce = [&](std::int16_t version, std::int32_t correlation_id,
                                const std::vector<std::uint8_t>& records) {
    return k.send(kProduce, version, correlation_id, [&](pk::Writer& w) {
      if (version >= 3) w.nullable_string(std::nullopt);
      w.i16(-1);
      w.i32(30000);
      w.array(1);
      w.string("mixed");
      w.array(1);
      w.i32(0);
      w.bytes(records);
    });
  };
  const auto base_offset = [&](std::int32_t correlation_id) -> std::int64_t {
    auto r = k.read(60s);
    if (!r) return -1;
    EXPECT_EQ(r->correlation_id, correlation_id);
    auto rd = r->reader();
    rd.i32();
    rd.string();
    rd.i32();
    rd.i32();
    EXPECT_EQ(rd.i16(), 0);
    return rd.i64();
  };
  for (int round = 0; round < 5; ++round) {
    // A few MB to convert, then one small v2 record, back to back.
    ASSERT_TRUE(send_produce(2, 10, legacy_wrapper(Codec::gzip, 4u << 20)));
    ASSERT_TRUE(send_produce(7, 11, v2_batch(Codec::none, 1, 10)));
    EXPECT_EQ(base_offset(10), 2 * round);
    EXPECT_EQ(base_offset(11), 2 * round + 1);
  }
}

// A batch cut short at max_bytes ends the message set: a message of the
// next batch behind it made old consumers go on from there and skip the
// rest of the cut one.
TEST_F(Issue21Decompression, AnOldFormatFetchCutShortSkipsNothing) {
  ASSERT_TRUE(tb_.client()->create_topic({"cut", 1}).ok());
  KafkaWire k(tb_.kafka_port());
  ASSERT_EQ(produce(k, 7, "cut", v2_batch(Codec::lz4, 5, 100'000)), std::vector<std::int16_t>{0});
  ASSERT_EQ(produce(k, 7, "cut", v2_batch(Codec::none, 1, 10), 1, 2), std::vector<std::int16_t>{0});
  const auto f = fetch_v2(k, "cut", 250'000);
  EXPECT_EQ(f.error, 0);
  EXPECT_EQ(f.high_watermark, 6);
  // The messages sent: offsets 0 and 1, nothing after.
  EXPECT_EQ(f.offsets, (std::vector<std::int64_t>{0, 1}));
}

// Item 2: sixteen zstd batches per request, each expanding past the limit,
// sent back to back for three seconds on two connections, while another
// client produces one small batch at a time with acks=all.
TEST_F(Issue21Decompression, AFloodOfCompressedBombsLeavesOtherProducersFast) {
  ASSERT_TRUE(tb_.client()->create_topic({"attack", 16}).ok());
  ASSERT_TRUE(tb_.client()->create_topic({"good", 1}).ok());
  const auto bomb = v2_batch(Codec::zstd, 64, (250u << 20) / 64);  // 250 MiB once decompressed
  ASSERT_LT(bomb.size(), 64u << 10);
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  const auto attack = [&] {
    KafkaWire a(tb_.kafka_port());
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    for (std::int32_t corr = 1; !stop && std::chrono::steady_clock::now() < deadline; ++corr) {
      const auto errors = produce(a, 7, "attack", bomb, 16, corr);
      if (errors.size() != 16) return;
      refused += static_cast<int>(std::count(errors.begin(), errors.end(), kMessageTooLarge));
    }
  };
  std::thread attacker1(attack);
  std::thread attacker2(attack);
  KafkaWire good(tb_.kafka_port());
  std::vector<double> latencies_ms;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  for (std::int32_t corr = 1; std::chrono::steady_clock::now() < deadline && corr <= 2000; ++corr) {
    const auto start = std::chrono::steady_clock::now();
    const auto errors = produce(good, 7, "good", make_batch("g", 1), 1, corr);
    ASSERT_EQ(errors, std::vector<std::int16_t>{0});
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  stop = true;
  attacker1.join();
  attacker2.join();
  ASSERT_GE(latencies_ms.size(), 20u);
  EXPECT_GE(refused.load(), 16) << "the attack ran";
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const double p99 = latencies_ms[latencies_ms.size() * 99 / 100];
  EXPECT_LT(p99, 100.0) << refused.load() << " refused; " << latencies_ms.size() << " sends, median " << latencies_ms[latencies_ms.size() / 2] << " ms";
  EXPECT_EQ(high_watermark("good"), static_cast<std::int64_t>(latencies_ms.size()));
  EXPECT_EQ(high_watermark("attack", 0), 0);
}

}  // namespace
}  // namespace wharf::test
