#include "broker/storage/log_store.h"

#include <gtest/gtest.h>

#include <memory>

#include "protocol/record_batch.h"
#include "storage/storage_test_util.h"
#include "support/temp_dir.h"

namespace wharf::storage {
namespace {

using test::write;

std::vector<std::uint8_t> make_batch(int records, std::int64_t ts, std::size_t value_size = 10) {
  protocol::batch::Builder b;
  std::string value(value_size, 'v');
  for (int i = 0; i < records; ++i) {
    ProducerRecord r;
    r.value = value;
    b.add(r, ts + i);
  }
  auto bytes = b.finish();
  return {bytes.begin(), bytes.end()};
}

struct Fixture {
  wharf::test::TempDir dir;
  std::unique_ptr<Storage> storage;
  explicit Fixture(std::uint64_t map_size = 64u << 20) {
    StorageOptions o;
    o.dir = dir.path();
    o.map_size = map_size;
    auto s = Storage::open(o);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    storage = std::move(*s);
    storage->writer().start();
  }
  LogStore& logs() { return storage->logs(); }
  // Appends batches of `records` records at offsets 0, records, 2*records...
  void append(int batches, int records, std::int64_t ts0) {
    for (int i = 0; i < batches; ++i) {
      auto batch = make_batch(records, ts0 + i * 100);
      ASSERT_TRUE(write(*storage, [&](WriteTxn& txn) {
                    status st = logs().append_batch(txn, 1, 0, static_cast<std::uint64_t>(i * records), 0, batch);
                    if (!st.ok()) return st;
                    return logs().put_time_index(txn, 1, 0, ts0 + i * 100 + records - 1,
                                                 static_cast<std::uint64_t>(i * records));
                  }).ok());
    }
  }
};

TEST(StorageLogStore, ReadBatchesFromAnyOffsetInsideABatch) {
  Fixture f;
  f.append(5, 10, 1000);
  auto txn = f.storage->read();
  ASSERT_TRUE(txn.ok());
  for (std::uint64_t offset : {0u, 5u, 10u, 49u}) {
    std::vector<std::span<const std::uint8_t>> spans;
    ASSERT_TRUE(f.logs().read_batches(*txn, 1, 0, offset, 1 << 20, &spans).ok()) << offset;
    ASSERT_FALSE(spans.empty());
    const auto base = protocol::batch::base_offset(spans[0].data());
    EXPECT_EQ(base, static_cast<std::int64_t>(offset / 10 * 10)) << offset;
    EXPECT_EQ(spans.size(), 5 - offset / 10);
  }
  std::vector<std::span<const std::uint8_t>> one;
  ASSERT_TRUE(f.logs().read_batches(*txn, 1, 0, 0, 1, &one).ok());
  EXPECT_EQ(one.size(), 1u) << "max_bytes smaller than a batch still returns one";
}

TEST(StorageLogStore, OffsetForTimeFindsFirstRecordAtOrAfter) {
  Fixture f;
  f.append(3, 10, 1000);  // batch i: timestamps 1000+100i .. 1009+100i
  auto txn = f.storage->read();
  ASSERT_TRUE(txn.ok());
  auto at = [&](std::int64_t ts) { return *f.logs().offset_for_time(*txn, 1, 0, ts, 0, 30); };
  EXPECT_EQ(at(0), 0u);
  EXPECT_EQ(at(1000), 0u);
  EXPECT_EQ(at(1005), 5u);
  EXPECT_EQ(at(1009), 9u);
  EXPECT_EQ(at(1010), 10u);
  EXPECT_EQ(at(1107), 17u);
  EXPECT_EQ(at(1209), 29u);
  EXPECT_EQ(at(5000), 30u) << "past the newest record: the end";
}

TEST(StorageLogStore, RetentionDeletesWholeBatchesAndKeepsTimeLookupsRight) {
  Fixture f;
  f.append(4, 10, 1000);
  std::uint64_t bytes = 0;
  std::uint64_t batches = 0;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                return f.logs().delete_batches_before(txn, 1, 0, 20, &bytes, &batches);
              }).ok());
  EXPECT_EQ(batches, 2u);
  EXPECT_GT(bytes, 0u);
  auto txn = f.storage->read();
  ASSERT_TRUE(txn.ok());
  std::vector<BatchSummary> oldest;
  ASSERT_TRUE(f.logs().oldest_batches(*txn, 1, 0, 10, &oldest).ok());
  ASSERT_EQ(oldest.size(), 2u);
  EXPECT_EQ(oldest[0].base_offset, 20u);
  // Times of deleted batches now map to the new log start.
  EXPECT_EQ(*f.logs().offset_for_time(*txn, 1, 0, 1000, 20, 40), 20u);
  EXPECT_EQ(*f.logs().offset_for_time(*txn, 1, 0, 1203, 20, 40), 23u);
}

TEST(StorageLogStore, FullMapGivesStorageFullReadsWorkAndDeletesFreeSpace) {
  Fixture f(2u << 20);
  auto batch = make_batch(1, 0, 60u << 10);
  std::uint64_t next = 0;
  status st;
  for (int i = 0; i < 200; ++i, ++next) {
    st = write(*f.storage, [&](WriteTxn& txn) { return f.logs().append_batch(txn, 1, 0, next, 0, batch); });
    if (!st.ok()) break;
  }
  ASSERT_EQ(st.code(), errc::storage_full);
  ASSERT_GT(next, 5u);
  EXPECT_TRUE(f.storage->writer().health().ok()) << "storage_full is not sticky";
  {
    auto txn = f.storage->read();
    ASSERT_TRUE(txn.ok());
    std::vector<std::span<const std::uint8_t>> spans;
    EXPECT_TRUE(f.logs().read_batches(*txn, 1, 0, 0, 1 << 20, &spans).ok());
  }
  std::uint64_t bytes = 0;
  std::uint64_t batches = 0;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                return f.logs().delete_batches_before(txn, 1, 0, next, &bytes, &batches);
              }).ok());
  EXPECT_EQ(batches, next);
  // LMDB reuses freed pages two commits later (the previous meta page may
  // still point at them); one more commit makes them available.
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) { return f.logs().put_group_offset(txn, "g", "t", 0, 0, 0); }).ok());
  st = write(*f.storage, [&](WriteTxn& txn) { return f.logs().append_batch(txn, 1, 0, next, 0, batch); });
  EXPECT_TRUE(st.ok()) << st.to_string();
}

TEST(StorageLogStore, PurgeDeletedTopicInChunks) {
  Fixture f;
  f.append(20, 1, 0);
  TopicRecord t{"doomed", 1, 1, -1, -1, 0};
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) { return f.logs().put_topic(txn, t); }).ok());
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) { return f.logs().erase_topic(txn, t); }).ok());
  bool done = false;
  int rounds = 0;
  while (!done && rounds < 100) {
    ++rounds;
    ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) { return f.logs().purge_deleted_topic(txn, 1, 1, 7, &done); }).ok());
  }
  EXPECT_TRUE(done);
  EXPECT_GE(rounds, 4);  // 40 keys, 7 per round
  auto txn = f.storage->read();
  ASSERT_TRUE(txn.ok());
  std::vector<BatchSummary> left;
  ASSERT_TRUE(f.logs().oldest_batches(*txn, 1, 0, 100, &left).ok());
  EXPECT_TRUE(left.empty());
  EXPECT_TRUE(f.logs().load_deleting(*txn)->empty());
  EXPECT_TRUE(f.logs().load_topics(*txn)->empty());
}

TEST(StorageDataDir, SecondOpenIsRefusedWithTheHolder) {
  wharf::test::TempDir dir;
  StorageOptions o;
  o.dir = dir.path();
  o.map_size = 16u << 20;
  auto first = Storage::open(o);
  ASSERT_TRUE(first.ok());
  auto second = Storage::open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), errc::data_dir_locked);
  EXPECT_NE(second.error().message().find("pid"), std::string_view::npos);
}

TEST(StorageDataDir, RefusesATruncatedDataFile) {
  wharf::test::TempDir dir;
  StorageOptions o;
  o.dir = dir.path();
  o.map_size = 16u << 20;
  {
    auto s = Storage::open(o);
    ASSERT_TRUE(s.ok());
    (*s)->writer().start();
    auto batch = make_batch(1, 0, 200u << 10);
    ASSERT_TRUE(write(**s, [&](WriteTxn& txn) { return (*s)->logs().append_batch(txn, 1, 0, 0, 0, batch); }).ok());
  }
  std::filesystem::resize_file(dir.path() / "data.mdb", 8192);
  auto s = Storage::open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), errc::storage_corrupt);
}

}  // namespace
}  // namespace wharf::storage
