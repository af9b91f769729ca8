// Issue 21, item 14: an online backup, taken while producers keep writing,
// of a broker that is then killed (kill -9): the copy is a data directory
// that wharfd serves, with every record confirmed before the backup began,
// offsets dense, queue messages there, and a manifest whose checksum and
// offsets match the copy.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "support/broker_process.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "wharf/client.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Client> connect(const std::string& address) {
  ClientOptions o;
  o.broker = address;
  auto c = Client::connect(o);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().to_string());
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(Issue21Backup, ABackupUnderLoadOfAKilledBrokerServesEveryRecordConfirmedBeforeIt) {
  test::TempDir dir;
  crash::BrokerProcess source(WHARFD_PATH, dir.path() / "source", dir.path() / "source.log");
  ASSERT_TRUE(source.start());
  auto admin = connect(source.address());
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(admin->create_topic({"events", 2}).ok());
  ASSERT_TRUE(admin->create_queue("jobs").ok());
  {
    Publisher pub(*admin);
    for (int i = 0; i < 50; ++i) {
      const std::string payload = "job-" + std::to_string(i);
      OutgoingMessage m;
      m.payload = payload;
      ASSERT_TRUE(pub.publish_and_wait("jobs", m).ok());
    }
  }
  // Producers write "p<partition>-<n>" in order, and note what is confirmed.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::int64_t confirmed[2] = {-1, -1};
  auto produce = [&](std::uint32_t partition) {
    auto c = connect(source.address());
    if (!c) return;
    Producer p(*c);
    for (int n = 0; !stop && n < 2'000'000; ++n) {
      ProducerRecord r;
      const std::string value = "p" + std::to_string(partition) + "-" + std::to_string(n);
      r.value = value;
      auto offset = p.send_and_wait("events", partition, r);
      if (!offset) return;
      std::lock_guard lock(mu);
      confirmed[partition] = *offset;
    }
  };
  std::thread a(produce, 0);
  std::thread b(produce, 1);
  std::this_thread::sleep_for(1s);
  std::int64_t before[2];
  {
    std::lock_guard lock(mu);
    before[0] = confirmed[0];
    before[1] = confirmed[1];
  }
  ASSERT_GT(before[0], 0);
  ASSERT_GT(before[1], 0);
  const auto backup_dir = dir.path() / "backup";
  auto r = test::run_command(std::string(WHARF_CLI_PATH) + " --broker " + source.address() + " backup " +
                             backup_dir.string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reported = nlohmann::json::parse(r.out);
  // Writes went on during the backup; then the source dies.
  std::this_thread::sleep_for(300ms);
  stop = true;
  a.join();
  b.join();
  source.kill_now();

  // The manifest says what the copy is, before anything opens it.
  std::ifstream in(backup_dir / "backup.json");
  const auto manifest = nlohmann::json::parse(in);
  EXPECT_EQ(manifest["sha256"], reported["sha256"]);
  EXPECT_EQ(manifest["bytes"], std::filesystem::file_size(backup_dir / "data.mdb"));
  auto sum = test::run_command("sha256sum " + (backup_dir / "data.mdb").string());
  ASSERT_EQ(sum.exit_code, 0);
  EXPECT_EQ(sum.out.substr(0, 64), manifest["sha256"].get<std::string>());
  EXPECT_EQ(manifest["queues"], nlohmann::json::array({"jobs", "jobs.dlq"}));
  std::uint64_t held[2] = {0, 0};
  for (const auto& p : manifest["partitions"]) {
    ASSERT_EQ(p["topic"], "events");
    held[p["partition"].get<std::uint32_t>()] = p["next_offset"].get<std::uint64_t>();
  }

  // wharfd serves the copy as it is.
  crash::BrokerProcess restored(WHARFD_PATH, backup_dir, dir.path() / "restored.log");
  ASSERT_TRUE(restored.start());
  auto c = connect(restored.address());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->describe_queue("jobs")->ready, 50u);
  auto topic = c->describe_topic("events");
  ASSERT_TRUE(topic.ok());
  for (std::uint32_t p = 0; p < 2; ++p) {
    const auto hwm = static_cast<std::uint64_t>(topic->partition_info[p].high_watermark);
    EXPECT_EQ(hwm, held[p]) << "the manifest's offsets are the copy's";
    EXPECT_GT(static_cast<std::int64_t>(hwm), before[p]) << "everything confirmed before the backup is in it";
    // Dense, in order, nothing missing or doubled.
    Consumer consumer(*c);
    ASSERT_TRUE(consumer.assign({{"events", p}}).ok());
    ASSERT_TRUE(consumer.seek_to_beginning({"events", p}).ok());
    std::uint64_t next = 0;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (next < hwm && std::chrono::steady_clock::now() < deadline) {
      auto records = consumer.poll(1s);
      ASSERT_TRUE(records.ok()) << records.error().to_string();
      for (const auto& rec : *records) {
        ASSERT_EQ(rec.offset, static_cast<std::int64_t>(next));
        ASSERT_EQ(std::string(rec.value), "p" + std::to_string(p) + "-" + std::to_string(next));
        ++next;
      }
    }
    EXPECT_EQ(next, hwm);
  }
  // A second backup into a directory that is not empty is refused.
  auto again = c->backup(backup_dir.string());
  EXPECT_EQ(again.code(), errc::invalid_argument);
}

}  // namespace
}  // namespace wharf
