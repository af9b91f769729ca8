// The idempotent producer's sequence rules, alone.
#include <gtest/gtest.h>

#include <limits>

#include "broker/log/producer_sequence.h"

namespace wharf::log {
namespace {

protocol::batch::ProducerStamp stamp(std::int16_t epoch, std::int32_t first, std::int32_t records) {
  return {1000, epoch, first, records - 1};
}

TEST(ProducerSequence, ANewProducerStartsAnywhereAndThenMustContinue) {
  std::optional<storage::ProducerStateRecord> none;
  EXPECT_TRUE(check_sequence(none, stamp(0, 0, 3)).error.ok());
  auto s = next_state(none, stamp(0, 0, 3), 100, 0);
  EXPECT_TRUE(check_sequence(s, stamp(0, 3, 2)).error.ok());
  EXPECT_EQ(check_sequence(s, stamp(0, 4, 1)).error.code(), errc::out_of_order_sequence) << "a gap";
  EXPECT_EQ(check_sequence(s, stamp(0, 1, 1)).error.code(), errc::out_of_order_sequence) << "not a whole batch";
}

TEST(ProducerSequence, ARetryOfARecentBatchIsADuplicateAtItsOriginalOffset) {
  std::optional<storage::ProducerStateRecord> s;
  std::uint64_t offset = 0;
  for (int i = 0; i < 7; ++i) {
    s = next_state(s, stamp(0, i * 10, 10), offset, 0);
    offset += 10;
  }
  ASSERT_EQ(s->recent.size(), kProducerBatchesKept);
  auto v = check_sequence(s, stamp(0, 60, 10));
  ASSERT_TRUE(v.error.ok());
  EXPECT_EQ(v.duplicate_of, 60u);
  v = check_sequence(s, stamp(0, 20, 10));
  EXPECT_EQ(v.duplicate_of, 20u) << "the oldest batch kept";
  EXPECT_EQ(check_sequence(s, stamp(0, 10, 10)).error.code(), errc::out_of_order_sequence) << "forgotten";
  EXPECT_FALSE(check_sequence(s, stamp(0, 70, 10)).duplicate_of.has_value());
}

TEST(ProducerSequence, EpochsFenceOldProducersAndANewEpochStartsAtZero) {
  auto s = next_state(std::nullopt, stamp(3, 0, 5), 0, 0);
  EXPECT_EQ(check_sequence(s, stamp(2, 5, 1)).error.code(), errc::invalid_producer_epoch);
  EXPECT_EQ(check_sequence(s, stamp(4, 5, 1)).error.code(), errc::out_of_order_sequence);
  EXPECT_TRUE(check_sequence(s, stamp(4, 0, 1)).error.ok());
  s = next_state(s, stamp(4, 0, 1), 5, 0);
  EXPECT_EQ(s.epoch, 4);
  EXPECT_EQ(s.recent.size(), 1u);
}

TEST(ProducerSequence, SequencesWrapAfterTheLargestInt32) {
  const std::int32_t max = std::numeric_limits<std::int32_t>::max();
  auto s = next_state(std::nullopt, stamp(0, max - 1, 2), 0, 0);
  EXPECT_EQ(s.recent.back().last_sequence, max);
  EXPECT_TRUE(check_sequence(s, stamp(0, 0, 1)).error.ok());
  s = next_state(std::nullopt, stamp(0, max, 3), 0, 0);
  EXPECT_EQ(s.recent.back().last_sequence, 1);
  EXPECT_TRUE(check_sequence(s, stamp(0, 2, 1)).error.ok());
}

TEST(ProducerSequence, ABatchWithoutSequenceIsRefused) {
  EXPECT_EQ(check_sequence(std::nullopt, {1000, 0, -1, 0}).error.code(), errc::corrupt_batch);
  EXPECT_EQ(check_sequence(std::nullopt, {1000, -1, 0, 0}).error.code(), errc::corrupt_batch);
}

}  // namespace
}  // namespace wharf::log
