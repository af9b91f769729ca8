#include "broker/storage/writer.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "broker/storage/fault_injector.h"
#include "storage/storage_test_util.h"
#include "support/temp_dir.h"

namespace wharf::storage {
namespace {

using test::submit;
using test::write;

struct Fixture {
  wharf::test::TempDir dir;
  FaultInjector faults;
  std::vector<std::string> log;
  std::unique_ptr<Storage> storage;

  explicit Fixture(std::uint64_t map_size = 64u << 20, bool start = true) {
    StorageOptions o;
    o.dir = dir.path();
    o.map_size = map_size;
    o.faults = &faults;
    o.log = [this](std::string_view line) { log.emplace_back(line); };
    auto s = Storage::open(o);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    storage = std::move(*s);
    if (start) storage->writer().start();
  }
};

TEST(StorageWriter, GroupsConcurrentOpsIntoFewCommits) {
  Fixture f;
  const auto before = f.storage->writer().stats().commits;
  // Hold the writer busy so the next ops queue up behind it.
  std::promise<void> release;
  auto gate = release.get_future().share();
  auto blocked = submit(f.storage->writer(), [gate](WriteTxn&) {
    gate.wait();
    return status();
  });
  std::vector<std::future<status>> done;
  for (int i = 0; i < 100; ++i) {
    done.push_back(submit(f.storage->writer(), [&f, i](WriteTxn& txn) {
      return f.storage->logs().put_group_offset(txn, "g", "t", static_cast<std::uint32_t>(i), 1, 0);
    }));
  }
  release.set_value();
  EXPECT_TRUE(blocked.get().ok());
  for (auto& d : done) EXPECT_TRUE(d.get().ok());
  // The blocker's group, then at most a couple for the hundred.
  EXPECT_LE(f.storage->writer().stats().commits - before, 3u);
  auto txn = f.storage->read();
  ASSERT_TRUE(txn.ok());
  auto offsets = f.storage->logs().group_offsets(*txn, "g", "");
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(offsets->size(), 100u);
}

TEST(StorageWriter, RequestErrorFailsOnlyThatOp) {
  Fixture f;
  auto b = submit(f.storage->writer(), [](WriteTxn&) { return status(errc::unknown_topic, "nope"); });
  auto g = submit(f.storage->writer(),
                  [&f](WriteTxn& txn) { return f.storage->logs().put_group_offset(txn, "g", "t", 0, 7, 0); });
  EXPECT_EQ(b.get().code(), errc::unknown_topic);
  EXPECT_TRUE(g.get().ok());
  EXPECT_TRUE(f.storage->writer().health().ok());
}

TEST(StorageWriter, FailedCommitIsStickyConfirmsNothingAndReadsWork) {
  Fixture f;
  ASSERT_TRUE(write(*f.storage, [&](WriteTxn& txn) {
                return f.storage->logs().put_group_offset(txn, "g", "t", 0, 1, 0);
              }).ok());
  f.faults.fail_commit(1, EIO);
  auto st = write(*f.storage, [&](WriteTxn& txn) { return f.storage->logs().put_group_offset(txn, "g", "t", 0, 2, 0); });
  EXPECT_EQ(st.code(), errc::storage_failed);
  f.faults.clear();
  // Sticky: even with the fault gone, writes fail until a restart.
  st = write(*f.storage, [&](WriteTxn& txn) { return f.storage->logs().put_group_offset(txn, "g", "t", 0, 3, 0); });
  EXPECT_EQ(st.code(), errc::storage_failed);
  EXPECT_EQ(f.storage->writer().health().code(), errc::storage_failed);
  ASSERT_FALSE(f.log.empty());
  EXPECT_NE(f.log[0].find("storage failed"), std::string::npos);
  auto txn = f.storage->read();
  ASSERT_TRUE(txn.ok());
  auto offsets = f.storage->logs().group_offsets(*txn, "g", "t");
  ASSERT_TRUE(offsets.ok());
  ASSERT_EQ(offsets->size(), 1u);
  EXPECT_EQ((*offsets)[0].offset, 1u);  // the failed commit left nothing behind
}

// Without start(), run_once() is the writer: it applies what is queued on
// the calling thread, one round per call, and stop() drains the rest.
TEST(StorageWriter, RunOnceAppliesQueuedOpsOnTheCallingThread) {
  Fixture f(64u << 20, /*start=*/false);
  Writer& w = f.storage->writer();
  EXPECT_FALSE(w.run_once());  // nothing queued
  const auto caller = std::this_thread::get_id();
  std::thread::id applied_on;
  auto done = submit(w, [&](WriteTxn& txn) {
    applied_on = std::this_thread::get_id();
    return f.storage->logs().put_group_offset(txn, "g", "t", 0, 1, 0);
  });
  EXPECT_EQ(done.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);  // nobody ran it
  EXPECT_TRUE(w.run_once());
  ASSERT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_TRUE(done.get().ok());
  EXPECT_EQ(applied_on, caller);
  auto second_done = submit(w, [&](WriteTxn& txn) { return f.storage->logs().put_group_offset(txn, "g", "t", 0, 2, 0); });
  w.stop();
  EXPECT_TRUE(second_done.get().ok());
  auto txn = f.storage->read();
  ASSERT_TRUE(txn.ok());
  auto offsets = f.storage->logs().group_offsets(*txn, "g", "");
  ASSERT_TRUE(offsets.ok());
  ASSERT_EQ(offsets->size(), 1u);
  EXPECT_EQ((*offsets)[0].offset, 2u);
}

}  // namespace
}  // namespace wharf::storage
