// Delays after failed logins: growth, cap, reset, forgetting, bounded memory.
#include "broker/auth/failure_delay.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace wharf::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const AuthFailureDelay::Clock::time_point kStart{};

TEST(AuthFailureDelay, GrowsByDoublingUpToTheCap) {
  AuthFailureDelay delays;
  const std::vector<milliseconds> expected = {milliseconds(100),  milliseconds(200),  milliseconds(400),
                                              milliseconds(800),  milliseconds(1600), milliseconds(3200),
                                              milliseconds(5000), milliseconds(5000), milliseconds(5000)};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(delays.on_failure("10.0.0.1", kStart + seconds(i)), expected[i]) << "failure " << i + 1;
  }
  for (int i = 0; i < 1000; ++i) delays.on_failure("10.0.0.1", kStart + seconds(10));
  EXPECT_EQ(delays.on_failure("10.0.0.1", kStart + seconds(10)), seconds(5));
}

TEST(AuthFailureDelay, SuccessResets) {
  AuthFailureDelay delays;
  delays.on_failure("10.0.0.1", kStart);
  delays.on_failure("10.0.0.1", kStart);
  EXPECT_EQ(delays.on_failure("10.0.0.1", kStart), milliseconds(400));
  delays.on_success("10.0.0.1");
  EXPECT_EQ(delays.tracked_peers(), 0u);
  EXPECT_EQ(delays.on_failure("10.0.0.1", kStart), milliseconds(100));
  delays.on_success("never-failed");  // harmless
  EXPECT_EQ(delays.tracked_peers(), 1u);
}

TEST(AuthFailureDelay, PeersAreIndependent) {
  AuthFailureDelay delays;
  delays.on_failure("10.0.0.1", kStart);
  delays.on_failure("10.0.0.1", kStart);
  EXPECT_EQ(delays.on_failure("10.0.0.2", kStart), milliseconds(100));
  EXPECT_EQ(delays.on_failure("10.0.0.1", kStart), milliseconds(400));
  delays.on_success("10.0.0.2");
  EXPECT_EQ(delays.on_failure("10.0.0.1", kStart), milliseconds(800));
}

TEST(AuthFailureDelay, FailuresAreForgottenAfterTheWindow) {
  AuthFailureDelay delays;
  delays.on_failure("10.0.0.1", kStart);
  delays.on_failure("10.0.0.2", kStart + minutes(5));
  EXPECT_EQ(delays.on_failure("10.0.0.1", kStart + minutes(9)), milliseconds(200));  // within 10 min of the last
  // Just under ten minutes after its last failure it is still remembered...
  EXPECT_EQ(delays.on_failure("10.0.0.1", kStart + minutes(19) - milliseconds(1)), milliseconds(400));
  // ...and ten minutes after it, forgotten; 10.0.0.2 went stale long ago.
  EXPECT_EQ(delays.on_failure("10.0.0.1", kStart + minutes(29)), milliseconds(100));
  EXPECT_EQ(delays.tracked_peers(), 1u);
}

TEST(AuthFailureDelay, ConstantsAreConfigurable) {
  AuthFailureDelay delays(milliseconds(10), milliseconds(30), seconds(1), 2);
  EXPECT_EQ(delays.on_failure("a", kStart), milliseconds(10));
  EXPECT_EQ(delays.on_failure("a", kStart), milliseconds(20));
  EXPECT_EQ(delays.on_failure("a", kStart), milliseconds(30));
  EXPECT_EQ(delays.on_failure("a", kStart + seconds(2)), milliseconds(10));
}

TEST(AuthFailureDelay, SizeIsBoundedAndTheOldestIsEvicted) {
  AuthFailureDelay delays(milliseconds(100), seconds(5), minutes(10), 3);
  delays.on_failure("a", kStart);
  delays.on_failure("a", kStart + seconds(1));
  delays.on_failure("b", kStart + seconds(2));
  delays.on_failure("c", kStart + seconds(3));
  delays.on_failure("a", kStart + seconds(4));  // a is now the most recent
  delays.on_failure("d", kStart + seconds(5));  // evicts b, the oldest
  EXPECT_EQ(delays.tracked_peers(), 3u);
  EXPECT_EQ(delays.on_failure("a", kStart + seconds(6)), milliseconds(800));
  EXPECT_EQ(delays.on_failure("b", kStart + seconds(7)), milliseconds(100));  // forgotten; evicts c
  EXPECT_EQ(delays.on_failure("d", kStart + seconds(8)), milliseconds(200));
  EXPECT_EQ(delays.on_failure("c", kStart + seconds(9)), milliseconds(100));
  EXPECT_EQ(delays.tracked_peers(), 3u);
}

TEST(AuthFailureDelay, AFloodOfPeersStaysWithinTheBound) {
  AuthFailureDelay delays;
  for (int i = 0; i < 25'000; ++i) delays.on_failure("peer" + std::to_string(i), kStart + milliseconds(i));
  EXPECT_EQ(delays.tracked_peers(), 10'000u);
}

TEST(AuthFailureDelay, ManyThreadsShareOneInstance) {
  AuthFailureDelay delays;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&delays, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string peer = "peer" + std::to_string((t * 2000 + i) % 50);
        if (i % 7 == 0) {
          delays.on_success(peer);
        } else {
          const milliseconds delay = delays.on_failure(peer, kStart + milliseconds(i));
          EXPECT_GE(delay, milliseconds(100));
          EXPECT_LE(delay, seconds(5));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(delays.tracked_peers(), 50u);
}

}  // namespace
}  // namespace wharf::auth
