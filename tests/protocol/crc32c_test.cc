#include "protocol/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace wharf::protocol {
namespace {

TEST(ProtocolCrc32c, KnownVectors) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  std::vector<unsigned char> zeros(32, 0);
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
  std::vector<unsigned char> ones(32, 0xff);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(ProtocolCrc32c, HardwareAndPortableAgreeOnAllLengthsAndAlignments) {
  std::mt19937 rng(7);
  std::vector<unsigned char> buf(300);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  for (std::size_t start = 0; start < 9; ++start)
    for (std::size_t len = 0; len + start <= buf.size(); len += 7)
      ASSERT_EQ(crc32c(buf.data() + start, len), crc32c_portable(buf.data() + start, len)) << start << " " << len;
}

// Long inputs take the three-stream paths (blocks of 3 x 4096 and 3 x 128
// bytes) and their combination; lengths around each boundary.
TEST(ProtocolCrc32c, HardwareAndPortableAgreeOnLongInputs) {
  std::mt19937 rng(11);
  std::vector<unsigned char> buf(3 * 4096 * 3 + 3 * 128 * 2 + 64);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  std::vector<std::size_t> lengths;
  for (std::size_t edge : {3 * 128, 3 * 4096, 2 * 3 * 4096, 3 * 4096 + 3 * 128})
    for (std::size_t d = 0; d < 17; ++d) lengths.push_back(edge - 8 + d);
  lengths.push_back(buf.size() - 8);
  for (std::size_t start = 0; start < 8; start += 3)
    for (std::size_t len : lengths) {
      ASSERT_EQ(crc32c(buf.data() + start, len), crc32c_portable(buf.data() + start, len)) << start << " " << len;
      ASSERT_EQ(crc32c(buf.data() + start, len, 0x12345678u), crc32c_portable(buf.data() + start, len, 0x12345678u))
          << start << " " << len;
    }
}

TEST(ProtocolCrc32c, ExtendsIncrementally) {
  const std::string s = "hello, wharf";
  const auto whole = crc32c(s.data(), s.size());
  const auto part = crc32c(s.data() + 5, s.size() - 5, crc32c(s.data(), 5));
  EXPECT_EQ(whole, part);
}

}  // namespace
}  // namespace wharf::protocol
