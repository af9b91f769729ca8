// Issue 21, items 9 and 13: `wharf queue consume --exec` is a worker that
// runs until interrupted (the README's worker line exited after one idle
// second), and `queue describe` says "unlimited"/"none" instead of -1.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <thread>

#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/test_broker.h"
#include "support/wait_for.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;
using test::run_command;

class CliIssue21 : public ::testing::Test {
 protected:
  std::string cli() const { return std::string(WHARF_CLI_PATH) + " --broker " + tb_.address() + " "; }
  test::CommandResult wharf(const std::string& args, const std::string& input = "") {
    return run_command(cli() + args, input);
  }
  test::TestBroker tb_;
};

TEST_F(CliIssue21, AnExecWorkerRunsUntilInterrupted) {
  test::TempDir dir;
  const std::string out = (dir.path() / "done").string();
  ASSERT_EQ(wharf("queue create jobs").exit_code, 0);
  // Interrupted once the job is done (not at a fixed time a slow machine
  // could reach first); --preserve-status gives the worker's own exit code
  // and the 60 s timeout only guards against a worker that never stops.
  const auto pid_file = dir.path() / "pid";
  test::CommandResult worker;
  std::thread t([&] {
    worker = run_command("echo $$ > " + pid_file.string() + "; exec timeout --preserve-status -s INT 60 " + cli() +
                         "queue consume jobs --exec 'cat >> " + out + "; echo >> " + out + "'");
  });
  ASSERT_TRUE(test::wait_for([&] { return !test::slurp(pid_file).empty(); }, 10s));
  // Idle for well past the old one-second stop, then work arrives.
  std::this_thread::sleep_for(2500ms);
  ASSERT_EQ(wharf("queue publish jobs", "late job\n").exit_code, 0);
  EXPECT_TRUE(test::wait_for([&] { return test::slurp(out) == "late job\n"; }, 20s)) << test::slurp(out);
  ::kill(std::stoi(test::slurp(pid_file)), SIGINT);
  t.join();
  EXPECT_EQ(worker.exit_code, 0) << worker.err;
  EXPECT_EQ(wharf("queue describe jobs --json").exit_code, 0);
  // --idle still stops it when given.
  const auto start = std::chrono::steady_clock::now();
  auto r = wharf("queue consume jobs --idle 300ms --exec 'cat'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(CliIssue21, DescribeSaysUnlimitedAndNoneInsteadOfMinusOne) {
  ASSERT_EQ(wharf("queue create plain").exit_code, 0);
  auto r = wharf("queue describe plain");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max length unlimited"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ttl none"), std::string::npos) << r.out;
  ASSERT_EQ(wharf("queue create bounded --max-length 10 --ttl 5s").exit_code, 0);
  r = wharf("queue describe bounded");
  EXPECT_NE(r.out.find("max length 10 messages"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ttl 5000 ms"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace wharf
