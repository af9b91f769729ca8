#include "protocol/record_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/crc32c.h"
#include "protocol/varint.h"

namespace wharf::protocol::batch {
namespace {

std::vector<std::uint8_t> build(int n, std::int64_t ts0 = 1000) {
  Builder b;
  std::vector<std::string> values;
  std::vector<Header> headers = {{"trace", "abc"}, {"empty", ""}};
  for (int i = 0; i < n; ++i) values.push_back("value-" + std::to_string(i));
  for (int i = 0; i < n; ++i) {
    ProducerRecord r;
    if (i % 2 == 0) r.key = "key";
    r.value = values[i];
    if (i == 0) r.headers = headers;
    b.add(r, ts0 + (i % 3 == 0 ? i : -i));
  }
  auto bytes = b.finish();
  return {bytes.begin(), bytes.end()};
}

TEST(ProtocolRecordBatch, BuildValidateAndReadBack) {
  auto bytes = build(50);
  BatchInfo info;
  ASSERT_TRUE(validate(bytes, &info).ok());
  EXPECT_EQ(info.record_count, 50u);
  EXPECT_EQ(info.base_timestamp, 1000);
  EXPECT_EQ(info.max_timestamp, 1000 + 48);
  EXPECT_EQ(total_size(bytes.data()), bytes.size());
  set_base_offset(bytes.data(), 500);  // outside the CRC: still valid
  EXPECT_TRUE(validate(bytes, &info).ok());
  Reader reader(bytes);
  EXPECT_TRUE(reader.check().ok());
  RecordFields rec;
  int i = 0;
  while (reader.next(&rec)) {
    EXPECT_EQ(rec.offset, 500 + i);
    EXPECT_EQ(rec.value, "value-" + std::to_string(i));
    EXPECT_EQ(rec.key.has_value(), i % 2 == 0);
    EXPECT_EQ(rec.timestamp_ms, 1000 + (i % 3 == 0 ? i : -i));
    if (i == 0) {
      auto h = decode_headers(rec.headers, rec.headers_end, rec.header_count);
      ASSERT_EQ(h.size(), 2u);
      EXPECT_EQ(h[0].key, "trace");
      EXPECT_EQ(h[0].value, "abc");
      EXPECT_EQ(h[1].value, "");
    }
    ++i;
  }
  EXPECT_TRUE(reader.ok());
  EXPECT_EQ(i, 50);
}

TEST(ProtocolRecordBatch, SizeWithIsAnUpperBound) {
  Builder b;
  const std::string value(1000, 'v');
  ProducerRecord r;
  r.value = value;
  for (int i = 0; i < 100; ++i) {
    const auto predicted = b.size_with(r);
    b.add(r, 123456789);
    EXPECT_LE(b.size(), predicted);
  }
}

TEST(ProtocolRecordBatch, RejectsEverySingleByteCorruption) {
  const auto good = build(3);
  BatchInfo info;
  // Bytes covered by the CRC or the structural checks; the base offset
  // (0-7) and leader epoch (12-15) may legitimately change.
  for (std::size_t i = 0; i < good.size(); ++i) {
    if (i < 8 || (i >= 12 && i < 16)) continue;
    auto bad = good;
    bad[i] ^= 0x5a;
    EXPECT_EQ(validate(bad, &info).code(), errc::corrupt_batch) << "byte " << i;
  }
}

TEST(ProtocolRecordBatch, RejectsTruncationAndTrailingBytes) {
  const auto good = build(4);
  BatchInfo info;
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
    EXPECT_EQ(validate(cut, &info).code(), errc::corrupt_batch) << n;
  }
  auto longer = good;
  longer.push_back(0);
  EXPECT_EQ(validate(longer, &info).code(), errc::corrupt_batch);
}

// A well-formed header and CRC around records whose framing lies.
TEST(ProtocolRecordBatch, RejectsLyingRecordCountWithValidCrc) {
  auto bytes = build(3);
  store_be<std::int32_t>(bytes.data() + kRecordCount, 1000000);
  store_be<std::int32_t>(bytes.data() + kLastOffsetDelta, 999999);
  store_be<std::uint32_t>(bytes.data() + kCrc, crc32c(bytes.data() + kAttributes, bytes.size() - kAttributes));
  BatchInfo info;
  EXPECT_EQ(validate(bytes, &info).code(), errc::corrupt_batch);
}

TEST(ProtocolRecordBatch, ABatchMarkedCompressedWhosePayloadIsNotIsCorrupt) {
  auto bytes = build(2);
  store_be<std::int16_t>(bytes.data() + kAttributes, 1);  // gzip
  store_be<std::uint32_t>(bytes.data() + kCrc, crc32c(bytes.data() + kAttributes, bytes.size() - kAttributes));
  BatchInfo info;
  auto st = validate(bytes, &info);
  EXPECT_EQ(st.code(), errc::corrupt_batch);
  EXPECT_NE(st.message().find("gzip"), std::string_view::npos) << st.message();
}

TEST(ProtocolRecordBatch, RejectsTransactionalAndControlBatches) {
  for (std::int16_t attributes : {0x10, 0x20, 0x30}) {
    auto bytes = build(2);
    store_be<std::int16_t>(bytes.data() + kAttributes, attributes);
    store_be<std::uint32_t>(bytes.data() + kCrc, crc32c(bytes.data() + kAttributes, bytes.size() - kAttributes));
    BatchInfo info;
    auto st = validate(bytes, &info);
    EXPECT_EQ(st.code(), errc::corrupt_batch);
    EXPECT_NE(st.message().find("transactions"), std::string_view::npos) << st.message();
  }
}

TEST(ProtocolRecordBatch, NextBatchSplitsConcatenation) {
  auto a = build(2);
  auto b = build(5);
  std::vector<std::uint8_t> all(a);
  all.insert(all.end(), b.begin(), b.end());
  all.push_back(1);  // a partial trailing batch is ignored
  std::span<const std::uint8_t> rest(all);
  EXPECT_EQ(next_batch(&rest).size(), a.size());
  EXPECT_EQ(next_batch(&rest).size(), b.size());
  EXPECT_TRUE(next_batch(&rest).empty());
}

}  // namespace
}  // namespace wharf::protocol::batch
