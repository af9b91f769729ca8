// Issue 10: what a new user of the `wharf` CLI missed or tripped over.
// Each test failed before its fix.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/test_broker.h"

namespace wharf {
namespace {

using test::run_command;

class CliIssue10 : public ::testing::Test {
 protected:
  test::CommandResult wharf(const std::string& args, const std::string& input = "") {
    return run_command(std::string(WHARF_CLI_PATH) + " --broker " + tb_.address() + " " + args, input);
  }
  nlohmann::json json(const std::string& args, const std::string& input = "") {
    auto r = wharf(args, input);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }
  test::TestBroker tb_;
};

TEST_F(CliIssue10, ProduceKeysHeadersTimestampAndConsumeFormats) {
  ASSERT_EQ(wharf("topic create t").exit_code, 0) << "one partition by default";
  auto r = wharf("produce t --key-separator : --header app=cli --header v=2 --timestamp 2026-01-02T03:04:05Z",
                 "user-1:hello\nno key here\nuser-2:a:b\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = wharf("consume t --from-beginning --format '%k %v %o'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "user-1 hello 0\n no key here 1\nuser-2 a:b 2\n");
  r = wharf("consume t --from-beginning --print-key --count 1");
  EXPECT_EQ(r.out, "user-1\thello\n");
  r = wharf("consume t --from-beginning --format '%p/%o %T [%h] %K %S %%'  --count 1");
  EXPECT_EQ(r.out, "0/0 1767323045000 [app=cli,v=2] 6 5 %\n");
  r = wharf("consume t --from-beginning --count 1 --json");
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["key"], "user-1");
  EXPECT_EQ(j["timestamp"], 1767323045000);
  EXPECT_EQ(j["headers"].size(), 2u);
  EXPECT_EQ(wharf("consume t --from-beginning --format '%x'").exit_code, 2);
  EXPECT_EQ(wharf("produce t --key k --key-separator :", "a\n").exit_code, 2);
  EXPECT_EQ(wharf("produce t --header novalue", "a\n").exit_code, 2);
  EXPECT_EQ(wharf("produce t --timestamp yesterday", "a\n").exit_code, 2);
}

TEST_F(CliIssue10, TopicAlterAndDeleteRecords) {
  ASSERT_EQ(wharf("topic create t --partitions 2").exit_code, 0);
  auto j = json("topic alter t --partitions 4 --retention-ms 60000 --json");
  EXPECT_EQ(j["partitions"], 4);
  EXPECT_EQ(j["retention_ms"], 60000);
  auto r = wharf("topic alter t --partitions 3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invalid_argument"), std::string::npos) << r.err;
  EXPECT_EQ(wharf("topic alter t").exit_code, 2) << "nothing to change";
  ASSERT_EQ(wharf("produce t --partition 3", "a\nb\nc\n").exit_code, 0);
  j = json("topic delete-records t --partition 3 --before 2 --json");
  EXPECT_EQ(j["log_start"], 2);
  r = wharf("consume t --partition 3 --from-beginning");
  EXPECT_EQ(r.out, "c\n");
  r = wharf("topic delete-records t --partition 3 --before 9");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("offset_out_of_range"), std::string::npos) << r.err;
}

TEST_F(CliIssue10, UnknownGroupIsAnError) {
  auto r = wharf("group offsets nosuch");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown_group"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  ASSERT_EQ(wharf("topic create t").exit_code, 0);
  ASSERT_EQ(wharf("produce t", "a\n").exit_code, 0);
  ASSERT_EQ(wharf("consume t --group g").exit_code, 0);
  r = wharf("group offsets g");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("t\t0\t1"), std::string::npos) << r.out;
}

TEST_F(CliIssue10, QueueAlterAndDeleteWithItsDeadLetterQueue) {
  ASSERT_EQ(wharf("queue create jobs --max-deliveries 2").exit_code, 0);
  auto j = json("queue alter jobs --max-deliveries 7 --ttl 1h --json");
  EXPECT_EQ(j["options"]["max_deliveries"], 7);
  EXPECT_EQ(j["options"]["ttl_ms"], 3600000);
  EXPECT_EQ(j["options"]["dlq_mode"], "default");
  j = json("queue alter jobs --ttl none --json");
  EXPECT_EQ(j["options"]["ttl_ms"], -1);
  EXPECT_EQ(j["options"]["max_deliveries"], 7) << "what was not given stays";
  EXPECT_EQ(wharf("queue alter jobs --priorities 3").exit_code, 1);
  EXPECT_EQ(wharf("queue alter nope --max-deliveries 1").exit_code, 1);

  j = json("queue delete jobs --json");
  EXPECT_EQ(j["names"], nlohmann::json({"jobs", "jobs.dlq"}));
  EXPECT_EQ(wharf("queue describe jobs.dlq").exit_code, 1);
  ASSERT_EQ(wharf("queue create jobs").exit_code, 0);
  j = json("queue delete jobs --keep-dlq --json");
  EXPECT_EQ(j["names"], nlohmann::json({"jobs"}));
  EXPECT_EQ(wharf("queue describe jobs.dlq").exit_code, 0);
}

// `--count 1` stops after one message: the others cost no attempt (it asks
// for no more than it uses, and what it held unseen goes back as it was).
TEST_F(CliIssue10, ConsumeCountChargesOnlyWhatItPrinted) {
  ASSERT_EQ(wharf("queue create q --max-deliveries 2 --backoff 0s,1,0s").exit_code, 0);
  ASSERT_EQ(wharf("queue publish q", "1\n2\n3\n").exit_code, 0);
  auto r = wharf("queue consume q --count 1 --nack --prefetch 100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
  auto peeked = wharf("queue peek q --count 10 --json");
  std::istringstream lines(peeked.out);
  std::string line;
  std::map<std::string, int> attempts;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    attempts[j["payload"].get<std::string>()] = j["attempts"].get<int>();
  }
  EXPECT_EQ(attempts, (std::map<std::string, int>{{"1", 1}, {"2", 0}, {"3", 0}}));
}

TEST_F(CliIssue10, ConsumeExecAcksNacksAndExtendsWhileItRuns) {
  test::TempDir dir;
  ASSERT_EQ(wharf("queue create work --ack-deadline 300ms --backoff 0s,1,0s --max-deliveries 3").exit_code, 0);
  ASSERT_EQ(wharf("queue publish work", "first\n").exit_code, 0);
  // A slow job: runs three ack deadlines long, reads its payload from stdin.
  const std::string out = (dir.path() / "got").string();
  auto r = wharf("queue consume work --count 1 --json --exec 'sleep 1; cat > " + out +
                 "; echo \"$WHARF_QUEUE $WHARF_ATTEMPT\" >> " + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["outcome"], "ack");
  EXPECT_EQ(j["attempt"], 1);
  EXPECT_EQ(test::slurp(out), "firstwork 1\n") << "payload on stdin, queue and attempt in the environment";
  EXPECT_EQ(json("queue describe work --json")["ready"], 0);
  EXPECT_EQ(json("queue describe work --json")["in_flight"], 0) << "acked, never redelivered";

  // A failing command nacks; a command over its time limit is stopped and nacks.
  ASSERT_EQ(wharf("queue publish work", "second\n").exit_code, 0);
  r = wharf("queue consume work --count 1 --json --exec 'exit 3'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["outcome"], "nack");
  r = wharf("queue consume work --count 1 --json --exec 'sleep 30' --exec-timeout 200ms");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["timed_out"].get<bool>());
  EXPECT_EQ(j["outcome"], "nack");
  EXPECT_EQ(j["attempt"], 2);
  EXPECT_EQ(wharf("queue consume work --exec-timeout 1s").exit_code, 2) << "--exec-timeout needs --exec";
}

TEST_F(CliIssue10, JsonFromEveryCommandThatPrintsAResult) {
  EXPECT_EQ(json("topic create t --json")["name"], "t");
  auto j = json("produce t --json", "a\nb\n");
  EXPECT_EQ(j["produced"], 2);
  EXPECT_EQ(j["partitions"][0]["last_offset"], 1);
  EXPECT_EQ(json("topic delete t --json")["deleted"], "topic");
  EXPECT_EQ(json("queue create q --max-deliveries 1 --json")["name"], "q");
  j = json("queue publish q --json", "x\ny\n");
  EXPECT_EQ(j["published"], 2);
  EXPECT_EQ(j["last_id"].get<std::uint64_t>(), j["first_id"].get<std::uint64_t>() + 1);
  ASSERT_EQ(wharf("queue consume q --count 2 --reject bad").exit_code, 0);
  EXPECT_EQ(json("queue redrive q.dlq --all --json")["moved"], 2);
  EXPECT_EQ(json("queue purge q --json")["purged"], 2);
}

TEST_F(CliIssue10, VersionOnEveryProgram) {
  auto r = run_command(std::string(WHARF_CLI_PATH) + " --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "wharf " + std::string(Broker::version()) + "\n");
  r = run_command(std::string(WHARFD_PATH) + " --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "wharfd " + std::string(Broker::version()) + "\n");
#ifdef WHARF_BENCH_PATH
  r = run_command(std::string(WHARF_BENCH_PATH) + " --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "wharf-bench " + std::string(Broker::version()) + "\n");
#endif
}

// Progress on a terminal (a pseudo-terminal from script(1)), none in a pipe.
TEST_F(CliIssue10, ProgressOnATerminalOnly) {
  ASSERT_EQ(wharf("topic create t").exit_code, 0);
  std::string lines;
  for (int i = 0; i < 2000; ++i) lines += "record " + std::to_string(i) + "\n";
  test::TempDir dir;
  const auto input = dir.path() / "in";
  std::ofstream(input) << lines;
  const std::string produce = std::string(WHARF_CLI_PATH) + " --broker " + tb_.address() + " produce t < " +
                              input.string();
  auto on_tty = run_command("script -qec '" + produce + "' /dev/null");
  ASSERT_EQ(on_tty.exit_code, 0) << on_tty.err;
  EXPECT_NE(on_tty.out.find("\rproduced "), std::string::npos) << on_tty.out;
  EXPECT_NE(on_tty.out.find(" records ("), std::string::npos) << on_tty.out;
  EXPECT_NE(on_tty.out.find("produced 2000 record(s)"), std::string::npos) << "the result still follows";
  auto piped = wharf("produce t", lines);
  ASSERT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.err, "") << "no progress when not on a terminal";
  EXPECT_EQ(piped.out.find('\r'), std::string::npos);
}

}  // namespace
}  // namespace wharf
