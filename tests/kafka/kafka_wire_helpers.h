// Request bodies and response readers for the Kafka APIs the session tests
// speak by hand, at the versions librdkafka uses.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/crc32c.h"
#include "protocol/kafka/codec.h"
#include "protocol/varint.h"
#include "protocol/record_batch.h"
#include "support/kafka_wire.h"
#include "support/test_broker.h"

namespace wharf::test {

namespace pk = protocol::kafka;

inline BrokerOptions with_kafka(BrokerOptions o = {}) {
  o.kafka.listen = true;
  return o;
}

// A v2 batch of records "prefix-<i>".
inline std::vector<std::uint8_t> make_batch(const std::string& prefix, int n,
                                            protocol::Codec codec = protocol::Codec::none) {
  protocol::batch::Builder b;
  std::vector<std::string> values;
  for (int i = 0; i < n; ++i) values.push_back(prefix + "-" + std::to_string(i));
  for (int i = 0; i < n; ++i) {
    ProducerRecord r;
    r.value = values[i];
    b.add(r, 1000 + i);
  }
  auto bytes = b.finish(codec);
  return {bytes->begin(), bytes->end()};
}

// Stamps a v2 batch as an idempotent producer's and fixes its CRC.
inline std::vector<std::uint8_t> stamped(std::vector<std::uint8_t> batch, std::int64_t producer_id,
                                         std::int16_t epoch, std::int32_t base_sequence) {
  namespace pb = protocol::batch;
  protocol::store_be<std::int64_t>(batch.data() + pb::kProducerId, producer_id);
  protocol::store_be<std::int16_t>(batch.data() + pb::kProducerEpoch, epoch);
  protocol::store_be<std::int32_t>(batch.data() + pb::kBaseSequence, base_sequence);
  protocol::store_be<std::uint32_t>(batch.data() + pb::kCrc,
                                    protocol::crc32c(batch.data() + pb::kAttributes, batch.size() - pb::kAttributes));
  return batch;
}

// Produce v7 (or `version`) of one batch to one partition.
inline void produce_body(pk::Writer& w, std::int16_t version, std::int16_t acks, const std::string& topic,
                         std::int32_t partition, const std::vector<std::uint8_t>& records) {
  if (version >= 3) w.nullable_string(std::nullopt);
  w.i16(acks);
  w.i32(5000);
  w.array(1);
  w.string(topic);
  w.array(1);
  w.i32(partition);
  w.bytes(records);
}

struct ProduceResult {
  std::int16_t error = 0;
  std::int64_t base_offset = -1;
};

// Reads a Produce v2+ response of one topic and partition.
inline ProduceResult read_produce(const KafkaResponse& r) {
  auto rd = r.reader();
  EXPECT_EQ(rd.i32(), 1);
  rd.string();
  EXPECT_EQ(rd.i32(), 1);
  rd.i32();
  ProduceResult out;
  out.error = rd.i16();
  out.base_offset = rd.i64();
  EXPECT_TRUE(rd.ok());
  return out;
}

// Fetch v11 of one partition.
inline void fetch_body(pk::Writer& w, const std::string& topic, std::int32_t partition, std::int64_t offset,
                       std::int32_t max_wait_ms, std::int32_t min_bytes, std::int32_t max_bytes = 1 << 20) {
  w.i32(-1);
  w.i32(max_wait_ms);
  w.i32(min_bytes);
  w.i32(max_bytes);
  w.i8(0);
  w.i32(0);
  w.i32(-1);
  w.array(1);
  w.string(topic);
  w.array(1);
  w.i32(partition);
  w.i32(-1);
  w.i64(offset);
  w.i64(-1);
  w.i32(max_bytes);
  w.array(0);
  w.string("");
}

// Fetch v2 (what clients older than Kafka 0.11 send: magic 1 back) of one
// partition.
inline void fetch_v2_body(pk::Writer& w, const std::string& topic, std::int32_t partition, std::int64_t offset,
                          std::int32_t max_bytes) {
  w.i32(-1);
  w.i32(0);
  w.i32(1);
  w.array(1);
  w.string(topic);
  w.array(1);
  w.i32(partition);
  w.i64(offset);
  w.i32(max_bytes);
}

// Reads a Fetch v2 response of one partition up to its record set's size;
// the reader is left at the record set.
inline std::int32_t read_fetch_v2_head(pk::Reader& rd, std::int16_t* error, std::int64_t* high_watermark) {
  rd.i32();  // throttle
  rd.i32();
  rd.string();
  rd.i32();
  rd.i32();
  *error = rd.i16();
  *high_watermark = rd.i64();
  return rd.i32();
}

struct FetchedPartition {
  std::int16_t error = 0;
  std::int64_t high_watermark = 0;
  std::int64_t last_stable = 0;
  std::int64_t log_start = 0;
  std::int32_t records_size = -2;
  std::vector<std::uint8_t> records;
};

// Reads a Fetch v11 response of one topic and partition.
inline FetchedPartition read_fetch(const KafkaResponse& r) {
  auto rd = r.reader();
  rd.i32();  // throttle
  EXPECT_EQ(rd.i16(), 0);
  rd.i32();  // session
  EXPECT_EQ(rd.i32(), 1);
  rd.string();
  EXPECT_EQ(rd.i32(), 1);
  rd.i32();
  FetchedPartition p;
  p.error = rd.i16();
  p.high_watermark = rd.i64();
  p.last_stable = rd.i64();
  p.log_start = rd.i64();
  EXPECT_EQ(rd.i32(), 0);   // aborted transactions
  EXPECT_EQ(rd.i32(), -1);  // preferred read replica
  p.records_size = rd.i32();
  if (p.records_size > 0) {
    for (std::int32_t i = 0; i < p.records_size; ++i) p.records.push_back(static_cast<std::uint8_t>(rd.i8()));
  }
  EXPECT_TRUE(rd.ok());
  EXPECT_EQ(rd.remaining(), 0u);
  return p;
}

// The values of every record in a fetched record set of v2 batches.
inline std::vector<std::string> values_of(const std::vector<std::uint8_t>& records) {
  std::vector<std::string> out;
  std::span<const std::uint8_t> rest(records);
  for (auto b = protocol::batch::next_batch(&rest); !b.empty(); b = protocol::batch::next_batch(&rest)) {
    std::vector<std::uint8_t> scratch;
    protocol::batch::Reader reader(b, &scratch);
    protocol::batch::RecordFields rec;
    while (reader.next(&rec)) out.emplace_back(rec.value);
    EXPECT_TRUE(reader.ok());
  }
  return out;
}

}  // namespace wharf::test
