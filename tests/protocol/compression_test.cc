#include "protocol/compression.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/crc32c.h"
#include "protocol/record_batch.h"
#include "protocol/varint.h"

namespace wharf::protocol {
namespace {

const Codec kCodecs[] = {Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd};

std::vector<std::uint8_t> sample(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245 + 12345;
    // Half repetitive, half noise: compressible, but not trivially.
    v[i] = (i / 64) % 2 == 0 ? static_cast<std::uint8_t>('a' + i % 7) : static_cast<std::uint8_t>(x >> 24);
  }
  return v;
}

TEST(ProtocolCompression, EveryCodecRoundTripsSmallLargeAndEmpty) {
  for (Codec c : kCodecs) {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{3u << 20}}) {
      const auto in = sample(n);
      std::vector<std::uint8_t> packed = {9, 9};  // output is appended
      ASSERT_TRUE(compress(c, in, &packed).ok()) << codec_name(c);
      ASSERT_EQ(packed[0], 9);
      std::vector<std::uint8_t> out = {7};
      auto st = decompress(c, std::span(packed).subspan(2), &out);
      ASSERT_TRUE(st.ok()) << codec_name(c) << " " << n << ": " << st.message();
      ASSERT_EQ(out.size(), n + 1);
      EXPECT_EQ(out[0], 7);
      EXPECT_TRUE(std::equal(in.begin(), in.end(), out.begin() + 1)) << codec_name(c) << " " << n;
      if (n == (3u << 20)) {
        EXPECT_LT(packed.size(), n) << codec_name(c);
      }
    }
  }
}

TEST(ProtocolCompression, GarbageAndTruncatedInputAreCorruptAndLeaveTheOutputAlone) {
  const auto in = sample(100000);
  for (Codec c : kCodecs) {
    std::vector<std::uint8_t> packed;
    ASSERT_TRUE(compress(c, in, &packed).ok());
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, packed.size() / 2, packed.size() - 1}) {
      std::vector<std::uint8_t> out = {1, 2, 3};
      auto st = decompress(c, std::span(packed).first(cut), &out);
      EXPECT_EQ(st.code(), errc::corrupt_batch) << codec_name(c) << " cut at " << cut;
      EXPECT_EQ(out.size(), 3u) << codec_name(c);
    }
    std::vector<std::uint8_t> garbage(500, 0xA5);
    std::vector<std::uint8_t> out;
    EXPECT_EQ(decompress(c, garbage, &out).code(), errc::corrupt_batch) << codec_name(c);
    EXPECT_TRUE(out.empty());
  }
}

TEST(ProtocolCompression, OutputPastTheLimitIsRefused) {
  std::vector<std::uint8_t> zeros(8u << 20, 0);
  for (Codec c : kCodecs) {
    std::vector<std::uint8_t> packed;
    ASSERT_TRUE(compress(c, zeros, &packed).ok());
    ASSERT_LT(packed.size(), 1u << 20) << codec_name(c);  // a small input that expands a lot
    std::vector<std::uint8_t> out;
    auto st = decompress(c, packed, &out, 1u << 20);
    EXPECT_EQ(st.code(), errc::batch_too_large) << codec_name(c);
    EXPECT_NE(st.message().find("more than"), std::string::npos) << st.message();
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(decompress(c, packed, &out, 8u << 20).ok()) << codec_name(c);  // exactly the limit fits
  }
}

// A reader holds a window, never the whole output: any window size gives
// the same bytes, and no read writes past its window.
TEST(ProtocolCompression, TheDecompressorStreamsThroughAnyWindow) {
  const auto in = sample(300000);
  for (Codec c : {Codec::none, Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd}) {
    std::vector<std::uint8_t> packed;
    ASSERT_TRUE(compress(c, in, &packed).ok());
    for (std::size_t window : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{1u << 20}}) {
      Decompressor d(c, packed, in.size());
      std::vector<std::uint8_t> out;
      std::vector<std::uint8_t> buf(window + 1, 0xEE);
      while (!d.done()) {
        auto n = d.read(std::span(buf).first(window));
        ASSERT_TRUE(n.ok()) << codec_name(c) << " " << window << ": " << n.error().to_string();
        ASSERT_LE(*n, window);
        ASSERT_EQ(buf[window], 0xEE) << "wrote past the window";
        out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
      }
      EXPECT_EQ(out, in) << codec_name(c) << " window " << window;
      EXPECT_EQ(d.produced(), in.size());
    }
    // One byte less than the output is over the limit, found while streaming.
    Decompressor small(c, packed, in.size() - 1);
    std::vector<std::uint8_t> buf(64u << 10);
    status st;
    while (!small.done()) {
      auto n = small.read(buf);
      if (!n) {
        st = n.error();
        break;
      }
    }
    EXPECT_EQ(st.code(), errc::batch_too_large) << codec_name(c);
    EXPECT_LE(small.produced(), in.size()) << codec_name(c);
  }
}

// zstd frames name the window their decoder must hold: a frame asking for
// more than the limit needs is refused, not allocated.
TEST(ProtocolCompression, ZstdFramesAskingForAHugeWindowAreRefused) {
  // Magic, a descriptor without content size, window log 26 (64 MiB, which
  // zstd's own default would allocate), then one last, empty raw block.
  const std::vector<std::uint8_t> frame = {0x28, 0xB5, 0x2F, 0xFD, 0x00, (26 - 10) << 3, 0x01, 0x00, 0x00};
  std::vector<std::uint8_t> out;
  EXPECT_EQ(decompress(Codec::zstd, frame, &out, 8u << 20).code(), errc::corrupt_batch);
  EXPECT_TRUE(out.empty());
  // The same frame with a window the limit allows reads as empty.
  std::vector<std::uint8_t> fine = frame;
  fine[5] = (20 - 10) << 3;
  EXPECT_TRUE(decompress(Codec::zstd, fine, &out, 8u << 20).ok());
  EXPECT_TRUE(out.empty());
}

TEST(ProtocolCompression, SnappyReadsJavaClientsXerialFraming) {
  // Header, then two blocks of [length][raw snappy], as Java producers write.
  const auto a = sample(70000);
  const auto b = sample(5000);
  std::vector<std::uint8_t> framed = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  for (const auto* part : {&a, &b}) {
    std::vector<std::uint8_t> block;
    ASSERT_TRUE(compress(Codec::snappy, *part, &block).ok());
    std::uint8_t len[4];
    store_be<std::uint32_t>(len, static_cast<std::uint32_t>(block.size()));
    framed.insert(framed.end(), len, len + 4);
    framed.insert(framed.end(), block.begin(), block.end());
  }
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(decompress(Codec::snappy, framed, &out).ok());
  std::vector<std::uint8_t> want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(out, want);
  framed.resize(framed.size() - 3);  // a block cut short
  out.clear();
  EXPECT_EQ(decompress(Codec::snappy, framed, &out).code(), errc::corrupt_batch);
}

TEST(ProtocolCompression, GzipReadsConcatenatedMembers) {
  const auto a = sample(3000);
  const auto b = sample(100);
  std::vector<std::uint8_t> two;
  ASSERT_TRUE(compress(Codec::gzip, a, &two).ok());
  ASSERT_TRUE(compress(Codec::gzip, b, &two).ok());
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(decompress(Codec::gzip, two, &out).ok());
  EXPECT_EQ(out.size(), a.size() + b.size());
}

TEST(ProtocolCompression, NamesRoundTrip) {
  for (std::uint8_t c = 0; c <= kMaxCodec; ++c) {
    auto codec = static_cast<Codec>(c);
    EXPECT_EQ(codec_from_name(codec_name(codec)), codec);
  }
  EXPECT_FALSE(codec_from_name("brotli").has_value());
}

// A batch of n records compressed with `c`.
std::vector<std::uint8_t> compressed_batch(Codec c, int n) {
  batch::Builder b;
  std::vector<std::string> values;
  for (int i = 0; i < n; ++i) values.push_back("value-" + std::to_string(i) + std::string(100, 'x'));
  for (int i = 0; i < n; ++i) {
    ProducerRecord r;
    r.key = "k";
    r.value = values[i];
    b.add(r, 1000 + i);
  }
  auto bytes = b.finish(c);
  EXPECT_TRUE(bytes.ok());
  return {bytes->begin(), bytes->end()};
}

TEST(ProtocolCompression, CompressedBatchesValidateAndReadBackThroughScratch) {
  for (Codec c : kCodecs) {
    auto bytes = compressed_batch(c, 200);
    EXPECT_EQ(batch::codec(bytes.data()), c);
    EXPECT_LT(bytes.size(), 200u * 100) << codec_name(c);
    batch::BatchInfo info;
    auto st = batch::validate(bytes, &info);
    ASSERT_TRUE(st.ok()) << codec_name(c) << ": " << st.message();
    EXPECT_EQ(info.record_count, 200u);
    EXPECT_EQ(info.max_timestamp, 1199);
    batch::set_base_offset(bytes.data(), 40);

    batch::Reader plain_only(bytes);
    batch::RecordFields rec;
    EXPECT_FALSE(plain_only.next(&rec));
    EXPECT_EQ(plain_only.error().code(), errc::corrupt_batch);

    std::vector<std::uint8_t> scratch;
    batch::Reader reader(bytes, &scratch);
    int i = 0;
    while (reader.next(&rec)) {
      EXPECT_EQ(rec.offset, 40 + i);
      EXPECT_EQ(rec.value, "value-" + std::to_string(i) + std::string(100, 'x'));
      ++i;
    }
    EXPECT_TRUE(reader.ok());
    EXPECT_EQ(i, 200);
  }
}

TEST(ProtocolCompression, ABatchWhoseCompressedRecordsAreMalformedFailsValidation) {
  // Valid CRC over a payload that decompresses to bytes that are not records.
  batch::Builder b;
  ProducerRecord r;
  r.value = "v";
  b.add(r, 1);
  auto plain = b.finish();
  std::vector<std::uint8_t> bytes(plain.begin(), plain.begin() + batch::kHeaderSize);
  std::vector<std::uint8_t> junk(50, 0xFF);
  ASSERT_TRUE(compress(Codec::zstd, junk, &bytes).ok());
  store_be<std::int32_t>(bytes.data() + batch::kBatchLength, static_cast<std::int32_t>(bytes.size() - 12));
  store_be<std::uint16_t>(bytes.data() + batch::kAttributes, 4);
  store_be<std::uint32_t>(bytes.data() + batch::kCrc,
                          crc32c(bytes.data() + batch::kAttributes, bytes.size() - batch::kAttributes));
  batch::BatchInfo info;
  auto st = batch::validate(bytes, &info);
  EXPECT_EQ(st.code(), errc::corrupt_batch);
  EXPECT_NE(st.message().find("malformed"), std::string::npos) << st.message();
}

TEST(ProtocolCompression, UnknownCodecNumbersAreRejected) {
  auto bytes = compressed_batch(Codec::none, 3);
  for (std::uint16_t codec = 5; codec <= 7; ++codec) {
    auto copy = bytes;
    store_be<std::uint16_t>(copy.data() + batch::kAttributes, codec);
    batch::BatchInfo info;
    auto st = batch::validate(copy, &info);
    EXPECT_EQ(st.code(), errc::corrupt_batch);
  }
}

}  // namespace
}  // namespace wharf::protocol
