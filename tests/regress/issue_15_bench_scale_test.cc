// wharf-bench with many clients (--producers, --consumers, --partitions):
// every message is counted once across the clients, and the JSON gives
// each client's share and latency.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wharf {
namespace {

#ifdef WHARF_BENCH_PATH

nlohmann::json bench(const std::string& args, int* exit_code = nullptr) {
  test::TempDir dir;
  const auto r = test::run_command(std::string(WHARF_BENCH_PATH) + " " + args + " --embedded --json --data-parent " +
                                   dir.path().string());
  if (exit_code != nullptr) {
    *exit_code = r.exit_code;
    return nullptr;
  }
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

std::uint64_t total(const nlohmann::json& clients, const std::string& role) {
  std::uint64_t n = 0;
  for (const auto& c : clients)
    if (c["role"] == role) n += c["messages"].get<std::uint64_t>();
  return n;
}

TEST(Issue15BenchScale, QueueSpreadsOverProducersConsumersAndQueues) {
  auto j = bench("queue --messages 3001 --producers 3 --consumers 4 --partitions 2");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["producers"], 3);
  EXPECT_EQ(j["consumers"], 4);
  EXPECT_EQ(j["partitions"], 2);
  ASSERT_EQ(j["clients"].size(), 7u);
  EXPECT_EQ(total(j["clients"], "producer"), 3001u);
  EXPECT_EQ(total(j["clients"], "consumer"), 3001u);
  for (const auto& c : j["clients"]) EXPECT_GT(c["latency_us"]["max"].get<double>(), 0) << c;
  EXPECT_GT(j["msgs_per_sec"].get<double>(), 0);
}

TEST(Issue15BenchScale, LogProducersAndReplayConsumers) {
  auto p = bench("log-produce --messages 3001 --producers 3 --partitions 2");
  ASSERT_TRUE(p.is_object());
  EXPECT_EQ(p["producers"], 3);
  ASSERT_EQ(p["clients"].size(), 3u);
  EXPECT_EQ(total(p["clients"], "producer"), 3001u);

  auto r = bench("log-replay --messages 3001 --consumers 2 --partitions 3");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["consumers"], 2);
  ASSERT_EQ(r["clients"].size(), 2u);
  EXPECT_EQ(total(r["clients"], "consumer"), 3001u);
}

TEST(Issue15BenchScale, MoreConsumersThanPartitionsOrQueuesIsRefused) {
  int code = 0;
  bench("log-replay --messages 10 --consumers 3 --partitions 2", &code);
  EXPECT_EQ(code, 1);
  bench("queue --messages 10 --consumers 1 --partitions 2", &code);
  EXPECT_EQ(code, 1);
}

TEST(Issue15BenchScale, OneClientKeepsThePlainReport) {
  auto j = bench("queue --messages 500");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["producers"], 1);
  EXPECT_TRUE(j["clients"].empty());
}

#endif

}  // namespace
}  // namespace wharf
