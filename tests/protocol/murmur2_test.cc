#include "protocol/murmur2.h"

#include <gtest/gtest.h>

namespace wharf::protocol {
namespace {

// Kafka's own test vectors (UtilsTest.testMurmur2): keys must land on the
// same partition as with a Kafka producer.
TEST(ProtocolMurmur2, MatchesKafkaVectors) {
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2("abc"), 479470107);
}

TEST(ProtocolMurmur2, PartitionIsPositiveModulo) {
  // (-790332482 & 0x7fffffff) % 10 == 6
  EXPECT_EQ(partition_for_key("foobar", 10), 6u);
  for (std::uint32_t n = 1; n < 50; ++n) EXPECT_LT(partition_for_key("some-key", n), n);
}

}  // namespace
}  // namespace wharf::protocol
