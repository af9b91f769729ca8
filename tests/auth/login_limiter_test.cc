#include "broker/auth/login_limiter.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace wharf::auth {
namespace {

using namespace std::chrono_literals;
using Clock = LoginLimiter::Clock;
const Clock::time_point kStart{};

LoginLimiter::Limits limits(std::uint32_t per_user, std::uint32_t per_address) {
  LoginLimiter::Limits l;
  l.failures_per_user = per_user;
  l.failures_per_address = per_address;
  l.window = 60s;
  return l;
}

// Fails one login; false if it was refused before its password was checked.
bool fail(LoginLimiter& l, const std::string& user, const std::string& address, Clock::time_point now = kStart) {
  auto a = l.begin(user, address, now);
  if (!a.allowed()) return false;
  a.failed(now);
  return true;
}

TEST(AuthLoginLimiter, AUserIsLockedOutAfterItsFailuresFromAnyAddress) {
  std::vector<std::string> log;
  LoginLimiter l(limits(3, 100), [&](std::string_view line) { log.emplace_back(line); });
  EXPECT_TRUE(fail(l, "alice", "10.0.0.1"));
  EXPECT_TRUE(fail(l, "alice", "10.0.0.2"));
  EXPECT_TRUE(fail(l, "alice", "10.0.0.3"));
  auto refused = l.begin("alice", "10.0.0.4", kStart);
  EXPECT_FALSE(refused.allowed());
  EXPECT_NE(refused.refusal().find("alice"), std::string::npos) << refused.refusal();
  EXPECT_EQ(l.lockouts(), 1u);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("user 'alice'"), std::string::npos) << log[0];
  // Other users are not affected; the lockout is counted once.
  EXPECT_TRUE(fail(l, "bob", "10.0.0.4"));
  EXPECT_FALSE(l.begin("alice", "10.0.0.5", kStart).allowed());
  EXPECT_EQ(l.lockouts(), 1u);
  // Once the oldest failure leaves the window, one more guess is allowed.
  EXPECT_TRUE(l.begin("alice", "10.0.0.1", kStart + 60s).allowed());
}

TEST(AuthLoginLimiter, AnAddressIsLockedOutWhateverUserItTries) {
  LoginLimiter l(limits(100, 4));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(fail(l, "user" + std::to_string(i), "10.0.0.9"));
  EXPECT_FALSE(l.begin("someone-else", "10.0.0.9", kStart + 1s).allowed());
  EXPECT_TRUE(l.begin("someone-else", "10.0.0.10", kStart + 1s).allowed());
}

// Attempts under way count: many started at once get no more guesses than
// one after the other.
TEST(AuthLoginLimiter, ParallelAttemptsCountFromTheirStart) {
  LoginLimiter l(limits(5, 100));
  std::vector<std::optional<LoginLimiter::Attempt>> running;
  int allowed = 0;
  for (int i = 0; i < 200; ++i) {
    auto a = l.begin("alice", "10.0.0." + std::to_string(i % 50), kStart);
    if (a.allowed()) ++allowed;
    running.emplace_back(std::move(a));
  }
  EXPECT_EQ(allowed, 5);
  for (auto& a : running) a->failed(kStart);
  EXPECT_FALSE(l.begin("alice", "10.0.0.1", kStart).allowed());
  // An attempt dropped unfinished counts as failed.
  LoginLimiter other(limits(1, 100));
  { auto dropped = other.begin("carol", "10.0.0.1", kStart); }
  EXPECT_FALSE(other.begin("carol", "10.0.0.1", kStart).allowed());
}

// The old delay reset on any success from the address: logging in as one's
// own user wiped the count of guesses at another's password.
TEST(AuthLoginLimiter, ASuccessNeverResetsAnotherUsersCount) {
  LoginLimiter l(limits(3, 100));
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(fail(l, "victim", "10.0.0.1"));
    auto own = l.begin("attacker", "10.0.0.1", kStart);
    ASSERT_TRUE(own.allowed());
    own.succeeded();
  }
  EXPECT_FALSE(l.begin("victim", "10.0.0.1", kStart).allowed());
  // A success takes back its own attempt: the user may go on logging in.
  for (int i = 0; i < 10; ++i) {
    auto own = l.begin("attacker", "10.0.0.1", kStart);
    ASSERT_TRUE(own.allowed()) << i;
    own.succeeded();
  }
}

TEST(AuthLoginLimiter, AnswersAreHeldBackLongerWithEachFailureOfTheAddress) {
  LoginLimiter::Limits l = limits(100, 100);
  l.first_delay = 100ms;
  l.max_delay = 1s;
  LoginLimiter limiter(l);
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(limiter.begin("u", "10.0.0.1", kStart).failed(kStart));
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 800ms, 1s, 1s}));
  EXPECT_EQ(limiter.record_failure({}, "10.0.0.2", kStart), 100ms);
  // Failures older than the window no longer count.
  EXPECT_EQ(limiter.begin("u", "10.0.0.1", kStart + 61s).failed(kStart + 61s), 100ms);
}

TEST(AuthLoginLimiter, MemoryStaysBoundedUnderAFloodOfNamesAndAddresses) {
  LoginLimiter::Limits l = limits(3, 3);
  l.max_tracked = 100;
  LoginLimiter limiter(l);
  for (int i = 0; i < 10'000; ++i) fail(limiter, "user" + std::to_string(i), "addr" + std::to_string(i));
  EXPECT_LE(limiter.tracked(), 200u);
}

// A flood of junk names from many addresses does not make the limiter
// forget a locked-out user, and very long names cost no more than short ones.
TEST(AuthLoginLimiter, AFloodOfNewNamesNeitherFreesALockedUserNorGrowsWithNameLength) {
  LoginLimiter::Limits l = limits(3, 3);
  l.max_tracked = 100;
  LoginLimiter limiter(l);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fail(limiter, "admin", "10.0.0." + std::to_string(i)));
  EXPECT_FALSE(fail(limiter, "admin", "10.0.1.1")) << "locked out";
  const auto address = [](int i) { return "192.168." + std::to_string(i / 250) + "." + std::to_string(i % 250); };
  for (int i = 0; i < 10'000; ++i) fail(limiter, "junk" + std::to_string(i), address(i));
  EXPECT_FALSE(fail(limiter, "admin", "10.0.2.1")) << "still locked out after the flood";
  for (int i = 0; i < 10'000; ++i) fail(limiter, std::string(1000, 'a') + std::to_string(i), address(i));
  EXPECT_LE(limiter.tracked(), 200u);
  EXPECT_FALSE(fail(limiter, std::string(LoginLimiter::kMaxKeyBytes + 1, 'a'), "10.0.3.1"));
}

}  // namespace
}  // namespace wharf::auth
