// `wharf group list|describe|delete|reset-offsets` against a real broker,
// with a subscribed member of the group in the test process.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>

#include "support/run_command.h"
#include "support/test_broker.h"
#include "wharf/consumer.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;
using test::run_command;

BrokerOptions quick_groups() {
  BrokerOptions o;
  o.groups.initial_rebalance_delay = 100ms;
  return o;
}

class GroupCliTest : public ::testing::Test {
 protected:
  test::CommandResult wharf(const std::string& args, const std::string& input = "") {
    return run_command(std::string(WHARF_CLI_PATH) + " --broker " + tb_.address() + " " + args, input);
  }
  test::TestBroker tb_{quick_groups()};
};

TEST_F(GroupCliTest, DescribeShowsMembersOffsetsAndLagAndResetWaitsForAnEmptyGroup) {
  ASSERT_EQ(wharf("topic create t --partitions 2").exit_code, 0);
  ASSERT_EQ(wharf("produce t --partition 0", "a\nb\nc\n").exit_code, 0);
  ASSERT_EQ(wharf("produce t --partition 1", "d\n").exit_code, 0);
  auto client = tb_.client();
  ConsumerOptions o;
  o.group = "readers";
  o.heartbeat_interval = 100ms;
  o.max_poll_records = 1;
  Consumer member(*client, o);
  ASSERT_TRUE(member.subscribe({"t"}).ok());
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  int read = 0;
  while (read < 2 && std::chrono::steady_clock::now() < deadline) {
    auto records = member.poll(50ms);
    if (records) read += static_cast<int>(records->size());
  }
  ASSERT_EQ(read, 2);
  ASSERT_TRUE(member.commit().ok());

  auto r = wharf("group list --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["group"], "readers");
  EXPECT_EQ(list[0]["state"], "Stable");
  EXPECT_EQ(list[0]["members"], 1);

  r = wharf("group describe readers --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto g = nlohmann::json::parse(r.out);
  EXPECT_EQ(g["state"], "Stable");
  ASSERT_EQ(g["members"].size(), 1u);
  EXPECT_EQ(g["members"][0]["assignment"].size(), 2u);
  ASSERT_EQ(g["partitions"].size(), 2u);
  // Two records read in all, as the poll order chose: lags add up to 2.
  std::int64_t lag = 0;
  for (const auto& p : g["partitions"]) {
    EXPECT_EQ(p["log_end"], p["partition"] == 0 ? 3 : 1);
    EXPECT_EQ(p["member_id"], g["members"][0]["member_id"]);
    lag += p["lag"].get<std::int64_t>();
  }
  EXPECT_EQ(lag, 2);
  r = wharf("group describe readers");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("group readers: Stable"), std::string::npos) << r.out;

  // A member is connected: no reset, no delete.
  r = wharf("group reset-offsets readers --topic t --to-earliest");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("group_not_empty"), std::string::npos) << r.err;
  r = wharf("group delete readers");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("group_not_empty"), std::string::npos) << r.err;

  ASSERT_TRUE(member.unsubscribe().ok());
  r = wharf("group reset-offsets readers --topic t --to-latest --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = wharf("group describe readers --json");
  g = nlohmann::json::parse(r.out);
  EXPECT_EQ(g["state"], "Empty");
  for (const auto& p : g["partitions"]) EXPECT_EQ(p["lag"], 0);
  r = wharf("group reset-offsets readers --topic t --partition 0 --to-offset 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = wharf("consume t --group readers --partition 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "b\nc\n");
  r = wharf("group reset-offsets readers --topic t --to-time 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = wharf("group offsets readers --json");
  for (const auto& o : nlohmann::json::parse(r.out)) EXPECT_EQ(o["offset"], 0);

  EXPECT_EQ(wharf("group reset-offsets readers --topic t").exit_code, 2) << "no target";
  EXPECT_EQ(wharf("group reset-offsets readers --topic t --to-earliest --to-latest").exit_code, 2);
  r = wharf("group reset-offsets readers --topic t --to-offset 99");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("offset_out_of_range"), std::string::npos) << r.err;

  ASSERT_EQ(wharf("group delete readers").exit_code, 0);
  r = wharf("group describe readers");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown_group"), std::string::npos) << r.err;
  r = wharf("group list --json");
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 0u);
}

}  // namespace
}  // namespace wharf
