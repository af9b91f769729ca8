// Issue 10: topics can grow partitions, change retention and drop their
// oldest records.
#include <gtest/gtest.h>

#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;

class LogIssue10 : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = tb_.client();
    ASSERT_TRUE(client_);
  }
  void produce(const std::string& topic, std::uint32_t partition, int n) {
    Producer p(*client_);
    for (int i = 0; i < n; ++i) {
      ProducerRecord r;
      const std::string value = "v" + std::to_string(i);
      r.value = value;
      ASSERT_TRUE(p.send_and_wait(topic, partition, r).ok());
    }
  }
  test::TestBroker tb_;
  std::unique_ptr<Client> client_;
};

TEST_F(LogIssue10, AlterAddsPartitionsAndChangesRetention) {
  ASSERT_TRUE(client_->create_topic({"t", 2}).ok());
  produce("t", 1, 3);
  ASSERT_TRUE(client_->alter_topic("t", {.partitions = 5, .retention_ms = 60000}).ok());
  auto info = client_->describe_topic("t");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partitions, 5u);
  ASSERT_EQ(info->partition_info.size(), 5u);
  EXPECT_EQ(info->partition_info[1].high_watermark, 3) << "existing records stay";
  EXPECT_EQ(info->retention_ms, 60000);
  EXPECT_EQ(info->retention_bytes, -1) << "what was not asked for stays";
  produce("t", 4, 2);
  EXPECT_EQ(*client_->latest_offset("t", 4), 2);

  EXPECT_EQ(client_->alter_topic("t", {.partitions = 3}).code(), errc::invalid_argument) << "only up";
  EXPECT_EQ(client_->alter_topic("t", {.retention_bytes = 0}).code(), errc::invalid_argument);
  EXPECT_EQ(client_->alter_topic("nope", {.partitions = 3}).code(), errc::unknown_topic);

  client_.reset();
  tb_.restart();
  client_ = tb_.client();
  info = client_->describe_topic("t");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partitions, 5u);
  EXPECT_EQ(info->partition_info[4].high_watermark, 2);
  EXPECT_EQ(info->retention_ms, 60000);
  ASSERT_TRUE(client_->delete_topic("t").ok());
  EXPECT_EQ(client_->describe_topic("t").code(), errc::unknown_topic);
}

TEST_F(LogIssue10, DeleteRecordsAdvancesTheLogStart) {
  ASSERT_TRUE(client_->create_topic({"d", 1}).ok());
  // Ten records in one stored batch.
  AckPublish one_batch;
  one_batch.appends = {{"d", 0, {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}};
  ASSERT_TRUE(client_->ack_and_publish(one_batch).ok());
  ASSERT_EQ(client_->describe_topic("d")->partition_info[0].batches, 1u);
  auto start = client_->delete_records("d", 0, 4);
  ASSERT_TRUE(start.ok()) << start.error().to_string();
  EXPECT_EQ(*start, 4);
  ASSERT_TRUE(test::wait_for([&] { return *client_->earliest_offset("d", 0) == 4; }));
  // A consumer from the beginning starts at 4, even inside a stored batch.
  ConsumerOptions co;
  co.start = StartFrom::earliest;
  Consumer c(*client_, co);
  ASSERT_TRUE(c.assign({{"d", 0}}).ok());
  std::vector<std::int64_t> offsets;
  for (int i = 0; i < 20 && offsets.size() < 6; ++i) {
    auto records = c.poll(1s);
    ASSERT_TRUE(records.ok());
    for (const auto& r : *records) offsets.push_back(r.offset);
  }
  ASSERT_EQ(offsets.size(), 6u);
  EXPECT_EQ(offsets.front(), 4);
  EXPECT_EQ(c.seek({"d", 0}, 3).code(), errc::offset_out_of_range);
  EXPECT_EQ(*client_->delete_records("d", 0, 2), 4) << "never goes back";
  EXPECT_EQ(client_->delete_records("d", 0, 11).code(), errc::offset_out_of_range);
  EXPECT_EQ(client_->delete_records("d", 1, 1).code(), errc::unknown_partition);
  EXPECT_EQ(*client_->delete_records("d", 0, 10), 10) << "up to the end";
  ASSERT_TRUE(test::wait_for([&] { return client_->describe_topic("d")->partition_info[0].bytes == 0; }));
  client_.reset();
  tb_.restart();
  client_ = tb_.client();
  EXPECT_EQ(*client_->earliest_offset("d", 0), 10);
  EXPECT_EQ(*client_->latest_offset("d", 0), 10);
}

}  // namespace
}  // namespace wharf
