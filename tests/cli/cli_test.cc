// The `wharf` command-line tool against a real broker.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/run_command.h"
#include "support/test_broker.h"

namespace wharf {
namespace {

using test::run_command;

class CliTest : public ::testing::Test {
 protected:
  test::CommandResult wharf(const std::string& args, const std::string& input = "") {
    return run_command(std::string(WHARF_CLI_PATH) + " --broker " + tb_.address() + " " + args, input);
  }
  test::TestBroker tb_;
};

TEST_F(CliTest, ProduceAndConsumeRoundTrip) {
  auto r = wharf("topic create events --partitions 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = wharf("produce events --partition 1", "first\nsecond\nthird\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("produced 3 record(s)"), std::string::npos) << r.out;
  r = wharf("consume events --from-beginning");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "first\nsecond\nthird\n");
  r = wharf("consume events --partition 1 --from-offset 1 --count 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["offset"], 1);
  EXPECT_EQ(j["partition"], 1);
  EXPECT_EQ(j["value"], "second");
  EXPECT_TRUE(j["key"].is_null());
  EXPECT_TRUE(j["headers"].is_array());
  EXPECT_GT(j["timestamp"].get<std::int64_t>(), 0);
}

TEST_F(CliTest, CompressedProduceReadsBackAndBadCodecIsAUsageError) {
  ASSERT_EQ(wharf("topic create z").exit_code, 0);
  for (const char* codec : {"gzip", "snappy", "lz4", "zstd"}) {
    auto r = wharf(std::string("produce z --compression ") + codec, std::string(codec) + "-1\n" + codec + "-2\n");
    ASSERT_EQ(r.exit_code, 0) << codec << ": " << r.err;
  }
  auto r = wharf("consume z --from-beginning");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "gzip-1\ngzip-2\nsnappy-1\nsnappy-2\nlz4-1\nlz4-2\nzstd-1\nzstd-2\n");
  r = wharf("produce z --compression brotli", "x\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("brotli"), std::string::npos) << r.err;
}

TEST_F(CliTest, KeyedProduceAndReplayFromTime) {
  ASSERT_EQ(wharf("topic create k --partitions 3").exit_code, 0);
  ASSERT_EQ(wharf("produce k --key user-7", "a\nb\n").exit_code, 0);
  auto r = wharf("consume k --from-time 2000-01-01T00:00:00Z --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  std::set<int> partitions;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["key"], "user-7");
    partitions.insert(j["partition"].get<int>());
    ++n;
  }
  EXPECT_EQ(n, 2);
  EXPECT_EQ(partitions.size(), 1u) << "one key, one partition";
  r = wharf("consume k --from-time 2999-01-01T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, TopicListDescribeDeleteWithJson) {
  ASSERT_EQ(wharf("topic create a --partitions 1 --retention-ms 60000").exit_code, 0);
  ASSERT_EQ(wharf("produce a", "x\n").exit_code, 0);
  auto r = wharf("topic list --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], "a");
  r = wharf("topic describe a --json");
  ASSERT_EQ(r.exit_code, 0);
  auto d = nlohmann::json::parse(r.out);
  EXPECT_EQ(d["retention_ms"], 60000);
  EXPECT_EQ(d["partition_info"][0]["high_watermark"], 1);
  ASSERT_EQ(wharf("topic delete a").exit_code, 0);
  r = wharf("topic describe a");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown_topic"), std::string::npos) << r.err;
}

TEST_F(CliTest, GroupConsumeCommitsAndResumes) {
  ASSERT_EQ(wharf("topic create g --partitions 1").exit_code, 0);
  ASSERT_EQ(wharf("produce g", "1\n2\n3\n4\n").exit_code, 0);
  auto r = wharf("consume g --group readers --from-beginning --count 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n2\n3\n");
  r = wharf("group offsets readers --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["offset"], 3);
  r = wharf("consume g --group readers");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "4\n");
}

TEST_F(CliTest, ErrorsGoToStderrWithNonZeroExit) {
  auto r = wharf("topic create 'bad name' --partitions 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("invalid_name"), std::string::npos);
  r = wharf("consume missing --from-beginning");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown_topic"), std::string::npos);
  r = wharf("consume missing");
  EXPECT_EQ(r.exit_code, 2) << "no start position given";
  r = run_command(std::string(WHARF_CLI_PATH) + " --broker 127.0.0.1:1 topic list");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("connection_failed"), std::string::npos) << r.err;
}

TEST_F(CliTest, BrokerAddressFromEnvironment) {
  auto r = run_command("WHARF_BROKER=" + tb_.address() + " " + WHARF_CLI_PATH + " topic list");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace wharf

namespace wharf {
namespace {

TEST_F(CliTest, QueuePublishConsumeNackRejectRedriveAndLookup) {
  auto r = wharf("queue create jobs --ack-deadline 30s --max-deliveries 10 --backoff 0ms,1,0ms --priorities 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("jobs.dlq"), std::string::npos);
  r = wharf("queue publish jobs --header src=cli", "a\nb\nc\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("published 3 message(s)"), std::string::npos) << r.out;
  r = wharf("queue peek jobs --count 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto first = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(first["payload"], "a");
  EXPECT_EQ(first["headers"]["src"], "cli");
  EXPECT_EQ(wharf("queue consume jobs --count 1").out, "a\n");
  EXPECT_EQ(wharf("queue consume jobs --count 1 --nack").out, "b\n");
  r = wharf("queue consume jobs --count 1 --reject 'bad data' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rejected = nlohmann::json::parse(r.out)["id"].get<std::uint64_t>();
  r = wharf("queue describe jobs.dlq --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ready"], 1);
  r = wharf("message get jobs " + std::to_string(rejected) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto m = nlohmann::json::parse(r.out);
  EXPECT_EQ(m["state"], "dead_lettered");
  ASSERT_GE(m["history"].size(), 1u);
  EXPECT_EQ(m["history"].back()["outcome"], "reject");
  EXPECT_EQ(m["history"].back()["reason"], "bad data");
  r = wharf("queue redrive jobs.dlq --all");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("redrove 1"), std::string::npos);
  r = wharf("queue consume jobs --idle 1s");
  EXPECT_TRUE(r.out == "b\nc\n" || r.out == "c\nb\n") << r.out;
  r = wharf("queue list --json");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 2u);
  EXPECT_EQ(wharf("queue purge jobs").exit_code, 0);
  EXPECT_EQ(wharf("queue delete jobs").exit_code, 0);
  r = wharf("queue describe jobs");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown_queue"), std::string::npos);
}

TEST_F(CliTest, QueueFlagErrorsAreUsageErrors) {
  EXPECT_EQ(wharf("queue create q --ack-deadline soon").exit_code, 2);
  EXPECT_EQ(wharf("queue create q --backoff 1s,2").exit_code, 2);
  EXPECT_EQ(wharf("queue create q --overflow sometimes").exit_code, 2);
  auto r = wharf("queue create q --priorities 50");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invalid_argument"), std::string::npos);
  ASSERT_EQ(wharf("queue create q").exit_code, 0);
  EXPECT_EQ(wharf("queue redrive q.dlq").exit_code, 2) << "needs --ids, --count or --all";
  EXPECT_EQ(wharf("queue publish q --header novalue", "x\n").exit_code, 2);
}

}  // namespace
}  // namespace wharf
