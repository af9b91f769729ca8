#include "protocol/frame.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include "protocol/varint.h"
#include "wharf_generated.h"
#include "protocol/frame_builder.h"

namespace wharf::protocol {
namespace {

std::vector<std::uint8_t> hello_frame(std::uint64_t corr) {
  flatbuffers::FlatBufferBuilder fbb;
  auto id = fbb.CreateString("test");
  auto hello = wire::CreateHello(fbb, kProtocolVersion, id);
  protocol::finish_frame(fbb, corr, hello);
  std::vector<std::uint8_t> out;
  append_frame(out, fbb);
  return out;
}

TEST(ProtocolFrame, EncodesAlignedAndDecodes) {
  auto bytes = hello_frame(42);
  ASSERT_EQ(bytes.size() % kFrameAlignment, 0u);
  auto d = decode_frame(bytes, kDefaultMaxFrameBytes);
  ASSERT_EQ(d.state, DecodeState::complete);
  EXPECT_EQ(d.payload.size() + kFrameHeaderSize, bytes.size());
  const wire::Frame* f = verify_frame(d.payload);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->correlation_id(), 42u);
  EXPECT_EQ(f->body_type(), wire::Body::Hello);
}

TEST(ProtocolFrame, EveryPrefixNeedsMore) {
  auto bytes = hello_frame(1);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_EQ(decode_frame({bytes.data(), n}, kDefaultMaxFrameBytes).state, DecodeState::need_more) << n;
}

TEST(ProtocolFrame, TwoFramesBackToBack) {
  auto a = hello_frame(1);
  auto b = hello_frame(2);
  a.insert(a.end(), b.begin(), b.end());
  auto d1 = decode_frame(a, kDefaultMaxFrameBytes);
  ASSERT_EQ(d1.state, DecodeState::complete);
  std::span<const std::uint8_t> rest(a.data() + kFrameHeaderSize + d1.payload.size(),
                                     a.size() - kFrameHeaderSize - d1.payload.size());
  auto d2 = decode_frame(rest, kDefaultMaxFrameBytes);
  ASSERT_EQ(d2.state, DecodeState::complete);
  EXPECT_EQ(verify_frame(d2.payload)->correlation_id(), 2u);
}

TEST(ProtocolFrame, RejectsBadMagicVersionAndReserved) {
  for (std::size_t i : {4u, 5u, 6u, 7u}) {
    auto bytes = hello_frame(1);
    bytes[i] ^= 0xff;
    auto d = decode_frame(bytes, kDefaultMaxFrameBytes);
    EXPECT_EQ(d.state, DecodeState::bad) << i;
    EXPECT_EQ(d.error.code(), errc::bad_frame);
  }
}

TEST(ProtocolFrame, RejectsOversizedBeforeTheBodyArrives) {
  std::uint8_t header[kFrameHeaderSize] = {0, 0, 0, 0, kMagic0, kMagic1, kFrameFormatVersion, 0};
  store_le<std::uint32_t>(header, 1u << 30);
  auto d = decode_frame({header, sizeof(header)}, kDefaultMaxFrameBytes);
  EXPECT_EQ(d.state, DecodeState::bad);
  EXPECT_EQ(d.error.code(), errc::frame_too_large);
}

TEST(ProtocolFrame, RejectsZeroAndUnalignedLengths) {
  for (std::uint32_t len : {0u, 3u, 17u}) {
    std::uint8_t header[kFrameHeaderSize] = {0, 0, 0, 0, kMagic0, kMagic1, kFrameFormatVersion, 0};
    store_le<std::uint32_t>(header, len);
    EXPECT_EQ(decode_frame({header, sizeof(header)}, kDefaultMaxFrameBytes).state, DecodeState::bad) << len;
  }
}

TEST(ProtocolFrame, VerifierRejectsGarbageAndTruncatedPayloads) {
  std::vector<std::uint8_t> garbage(64);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<std::uint8_t>(i * 37 + 11);
  EXPECT_EQ(verify_frame(garbage), nullptr);
  auto bytes = hello_frame(9);
  std::span<const std::uint8_t> payload(bytes.data() + kFrameHeaderSize, bytes.size() - kFrameHeaderSize);
  for (std::size_t n = 0; n + 8 < payload.size(); ++n)
    EXPECT_EQ(verify_frame(payload.first(n)), nullptr) << n;
}

}  // namespace
}  // namespace wharf::protocol
