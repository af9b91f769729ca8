#include "protocol/varint.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace wharf::protocol {
namespace {

TEST(ProtocolVarint, RoundTripsEdgeValues) {
  const std::int64_t values[] = {0, 1, -1, 63, -64, 64, -65, 300, -300, 1 << 20,
                                 std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::min(),
                                 std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()};
  for (std::int64_t v : values) {
    std::uint8_t buf[kMaxVarint64Bytes];
    std::uint8_t* end = write_varint(buf, v);
    EXPECT_EQ(static_cast<std::size_t>(end - buf), varint_size(v)) << v;
    std::int64_t out = 0;
    EXPECT_EQ(read_varint(buf, end, &out), end) << v;
    EXPECT_EQ(out, v);
  }
}

TEST(ProtocolVarint, ZigZagMatchesProtobuf) {
  EXPECT_EQ(zigzag_encode(0), 0u);
  EXPECT_EQ(zigzag_encode(-1), 1u);
  EXPECT_EQ(zigzag_encode(1), 2u);
  EXPECT_EQ(zigzag_encode(-2), 3u);
}

TEST(ProtocolVarint, RejectsTruncatedAndOverlong) {
  std::uint8_t buf[kMaxVarint64Bytes];
  std::uint8_t* end = write_varint(buf, 1 << 30);
  std::int64_t out = 0;
  for (std::uint8_t* cut = buf; cut < end; ++cut) EXPECT_EQ(read_varint(buf, cut, &out), nullptr);
  std::vector<std::uint8_t> overlong(11, 0x80);
  EXPECT_EQ(read_varint(overlong.data(), overlong.data() + overlong.size(), &out), nullptr);
}

}  // namespace
}  // namespace wharf::protocol
