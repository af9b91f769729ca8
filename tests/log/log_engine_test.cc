// The log engine on real storage, without the network.
#include "broker/log/log_engine.h"

#include <gtest/gtest.h>

#include <future>
#include <limits>
#include <thread>
#include <memory>

#include "protocol/record_batch.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"

namespace wharf::log {
namespace {

std::vector<std::uint8_t> batch_of(int records, std::int64_t ts = 1000) {
  protocol::batch::Builder b;
  for (int i = 0; i < records; ++i) {
    ProducerRecord r;
    r.value = "record";
    b.add(r, ts + i);
  }
  auto bytes = b.finish();
  return {bytes.begin(), bytes.end()};
}

class Engine {
 public:
  explicit Engine(const std::filesystem::path& dir) {
    storage::StorageOptions o;
    o.dir = dir;
    o.map_size = 64u << 20;
    auto s = storage::Storage::open(o);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    storage_ = std::move(*s);
    auto e = LogEngine::open(*storage_);
    EXPECT_TRUE(e.ok()) << e.error().to_string();
    engine_ = std::move(*e);
    storage_->writer().start();
  }
  ~Engine() { storage_->writer().stop(); }
  LogEngine& operator*() { return *engine_; }
  LogEngine* operator->() { return engine_.get(); }

  status create(const std::string& name, std::uint32_t partitions, std::int64_t retention_ms = -1,
                std::int64_t retention_bytes = -1) {
    std::promise<status> p;
    engine_->create_topic({name, partitions, retention_ms, retention_bytes}, [&](status st) { p.set_value(st); });
    return p.get_future().get();
  }
  result<std::uint64_t> produce(const std::string& topic, std::uint32_t partition, int records,
                                std::int64_t ts = 1000) {
    std::promise<result<std::uint64_t>> p;
    engine_->produce(this, topic, partition, batch_of(records, ts), [&](result<std::uint64_t> r) { p.set_value(r); });
    return p.get_future().get();
  }

 private:
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<LogEngine> engine_;
};

TEST(LogEngine, OffsetsAreDenseAndSurviveRestart) {
  test::TempDir dir;
  {
    Engine e(dir.path());
    ASSERT_TRUE(e.create("t", 2).ok());
    EXPECT_EQ(*e.produce("t", 0, 3), 0u);
    EXPECT_EQ(*e.produce("t", 0, 5), 3u);
    EXPECT_EQ(*e.produce("t", 1, 2), 0u);
  }
  Engine e(dir.path());
  EXPECT_EQ(*e.produce("t", 0, 1), 8u);
  EXPECT_EQ(*e.produce("t", 1, 1), 2u);
  auto d = e->describe_topic("t");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->partitions[0].high_watermark, 9u);
  EXPECT_EQ(d->partitions[0].batches, 3u);
}

TEST(LogEngine, TypedErrorsForBadRequests) {
  test::TempDir dir;
  Engine e(dir.path());
  ASSERT_TRUE(e.create("t", 1).ok());
  EXPECT_EQ(e.create("t", 1).code(), errc::topic_exists);
  EXPECT_EQ(e.create("bad/name", 1).code(), errc::invalid_name);
  EXPECT_EQ(e.create("zero", 0).code(), errc::invalid_argument);
  EXPECT_EQ(e.create("huge", 10001).code(), errc::invalid_argument);
  EXPECT_EQ(e.create("neg", 1, -5).code(), errc::invalid_argument);
  EXPECT_EQ(e.produce("nope", 0, 1).code(), errc::unknown_topic);
  EXPECT_EQ(e.produce("t", 1, 1).code(), errc::unknown_partition);
  std::promise<result<std::uint64_t>> p;
  e->produce(&p, "t", 0, {1, 2, 3}, [&](result<std::uint64_t> r) { p.set_value(r); });
  EXPECT_EQ(p.get_future().get().code(), errc::corrupt_batch);
  auto err = e->fetch("t", 0, 5, 1 << 20, [](const FetchView&) { FAIL() << "no data expected"; });
  EXPECT_EQ(err.error.code(), errc::offset_out_of_range);
  EXPECT_EQ(err.high_watermark, 0u);
}

// Runs retention passes (what the broker's background thread does) until
// `cond` holds.
bool retain_until(LogEngine& e, const std::function<bool()>& cond) {
  return test::wait_for([&] {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    e.enforce_retention(now);
    e.purge_deleted_topics();
    return cond();
  });
}

TEST(LogEngine, RetentionBySizeDeletesOldestBatches) {
  test::TempDir dir;
  Engine e(dir.path());
  ASSERT_TRUE(e.create("r", 1, -1, 1000).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(e.produce("r", 0, 5).ok());
  ASSERT_TRUE(retain_until(*e, [&] { return e->describe_topic("r")->partitions[0].bytes <= 1000; }));
  auto d = *e->describe_topic("r");
  EXPECT_GT(d.partitions[0].log_start, 0u);
  EXPECT_EQ(d.partitions[0].high_watermark, 100u);
  EXPECT_EQ(d.partitions[0].log_start % 5, 0u) << "whole batches only";
  // Old offsets are gone with a typed error; new appends continue densely.
  auto err = e->fetch("r", 0, 0, 1 << 20, [](const FetchView&) {});
  EXPECT_EQ(err.error.code(), errc::offset_out_of_range);
  EXPECT_EQ(err.log_start, d.partitions[0].log_start);
  EXPECT_EQ(*e.produce("r", 0, 1), 100u);
}

// Issue 21: a limit smaller than one batch emptied the partition.
TEST(LogEngine, RetentionBySizeAlwaysKeepsTheNewestBatch) {
  test::TempDir dir;
  Engine e(dir.path());
  ASSERT_TRUE(e.create("small", 1, -1, 100).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(e.produce("small", 0, 50).ok());  // each batch far over 100 bytes
  ASSERT_TRUE(retain_until(*e, [&] { return e->describe_topic("small")->partitions[0].log_start == 100; }));
  // More passes change nothing: the newest batch stays.
  for (int i = 0; i < 5; ++i) {
    e->enforce_retention(std::numeric_limits<std::int64_t>::max() / 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto d = *e->describe_topic("small");
  EXPECT_EQ(d.partitions[0].log_start, 100u);
  EXPECT_EQ(d.partitions[0].high_watermark, 150u);
  EXPECT_GT(d.partitions[0].bytes, 100u);
  std::size_t records = 0;
  EXPECT_TRUE(e->fetch("small", 0, 100, 1 << 20, [&](const FetchView& v) { records = v.batches.size(); }).error.ok());
  EXPECT_EQ(records, 1u);
}

TEST(LogEngine, RetentionByAgeEmptiesThePartitionButKeepsOffsets) {
  test::TempDir dir;
  {
    Engine e(dir.path());
    ASSERT_TRUE(e.create("old", 1, 1).ok());  // 1 ms
    ASSERT_TRUE(e.produce("old", 0, 3).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(retain_until(*e, [&] { return e->describe_topic("old")->partitions[0].batches == 0; }));
    auto d = *e->describe_topic("old");
    EXPECT_EQ(d.partitions[0].log_start, 3u);
    EXPECT_EQ(d.partitions[0].high_watermark, 3u);
  }
  Engine e(dir.path());
  EXPECT_EQ(*e.produce("old", 0, 1), 3u) << "an emptied partition never reuses offsets";
}

TEST(LogEngine, DeleteTopicRemovesDataAndNameCanBeReused) {
  test::TempDir dir;
  Engine e(dir.path());
  ASSERT_TRUE(e.create("d", 1).ok());
  ASSERT_TRUE(e.produce("d", 0, 10).ok());
  std::promise<status> committed;
  e->commit_offsets("g", "d", {{0, 5}}, [&](status st) { committed.set_value(st); });
  ASSERT_TRUE(committed.get_future().get().ok());
  std::promise<status> deleted;
  e->delete_topic("d", [&](status st) { deleted.set_value(st); });
  ASSERT_TRUE(deleted.get_future().get().ok());
  EXPECT_EQ(e->describe_topic("d").code(), errc::unknown_topic);
  EXPECT_TRUE(e->group_offsets("g", "")->empty());
  ASSERT_TRUE(retain_until(*e, [&] { return !e->purge_deleted_topics(); }));
  ASSERT_TRUE(e.create("d", 1).ok());
  EXPECT_EQ(*e.produce("d", 0, 1), 0u) << "a new topic of the same name starts fresh";
}

TEST(LogEngine, ListOffsetsByTime) {
  test::TempDir dir;
  Engine e(dir.path());
  ASSERT_TRUE(e.create("t", 1).ok());
  ASSERT_TRUE(e.produce("t", 0, 10, 1000).ok());  // 1000..1009
  ASSERT_TRUE(e.produce("t", 0, 10, 2000).ok());  // 2000..2009
  EXPECT_EQ(*e->list_offset("t", 0, OffsetSpec::timestamp, 1500), 10u);
  EXPECT_EQ(*e->list_offset("t", 0, OffsetSpec::timestamp, 2005), 15u);
  EXPECT_EQ(*e->list_offset("t", 0, OffsetSpec::timestamp, 9999), 20u);
  EXPECT_EQ(*e->list_offset("t", 0, OffsetSpec::earliest, 0), 0u);
  EXPECT_EQ(*e->list_offset("t", 0, OffsetSpec::latest, 0), 20u);
}

}  // namespace
}  // namespace wharf::log
