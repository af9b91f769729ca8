// With durability `sync` the writer confirms an op only once its commit's
// meta page is flushed: by the next commit's data flush, or by a flush of
// its own. Checked by failing the flush that has to come next.
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <future>
#include <memory>
#include <vector>

#include "broker/storage/storage.h"
#include "storage/storage_test_util.h"
#include "support/fault_fs.h"
#include "support/temp_dir.h"

namespace wharf::storage {
namespace {

using test::submit;
using wharf::test::FsCall;

struct Fixture {
  wharf::test::TempDir dir;
  std::unique_ptr<Storage> storage;

  Fixture() {
    StorageOptions o;
    o.dir = dir.path();
    o.map_size = 64u << 20;
    auto s = Storage::open(o);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    storage = std::move(*s);
    storage->writer().start();
  }
  ~Fixture() { wharf::test::fs_clear(); }
};

status put_offset(Storage& s, WriteTxn& txn, std::int64_t offset) {
  return s.logs().put_group_offset(txn, "g", "t", 0, offset, 0);
}

// LMDB skips the writes and the flush of a transaction that changed
// nothing, so such a commit must not count as flushing the one before it.
TEST(WriterDurability, CommitThatChangedNothingConfirmsNothingEarlier) {
  Fixture f;
  Writer& w = f.storage->writer();
  const int failures = wharf::test::fs_failures(FsCall::fdatasync);
  // Call 1 flushes `wrote`'s data pages; call 2 must be its meta page.
  wharf::test::fs_fail(FsCall::fdatasync, 2, EIO);
  // Queues `nothing` from inside its own group, so that group runs next,
  // before anything could flush this one's meta page.
  std::future<status> nothing_done;
  auto wrote_done = submit(w, [&](WriteTxn& txn) {
    nothing_done = submit(w, [](WriteTxn&) { return status(); });
    return put_offset(*f.storage, txn, 1);
  });
  const status outcome = wrote_done.get();
  EXPECT_EQ(outcome.code(), errc::storage_failed)
      << "confirmed before its meta page was flushed: " << outcome.to_string();
  EXPECT_EQ(nothing_done.get().code(), errc::storage_failed);
  EXPECT_EQ(wharf::test::fs_failures(FsCall::fdatasync), failures + 1);
}

// Back-to-back commits: each one's data flush carries the meta page of the
// one before, and the last one, with no commit after it, still gets a meta
// flush of its own before its confirm.
TEST(WriterDurability, EachConfirmFollowsTheFlushOfItsMetaPage) {
  Fixture f;
  Writer& w = f.storage->writer();
  constexpr int kOps = 20;
  std::vector<std::future<status>> done(kOps);
  // Each op queues the next one, the next group, before its own ends.
  std::function<void(int)> submit_from = [&](int i) {
    done[i] = submit(w, [&, i](WriteTxn& txn) {
      if (i + 1 < kOps) submit_from(i + 1);
      return put_offset(*f.storage, txn, i);
    });
  };
  const int failures = wharf::test::fs_failures(FsCall::fdatasync);
  // kOps data flushes, then the last commit's meta page.
  wharf::test::fs_fail(FsCall::fdatasync, kOps + 1, EIO);
  submit_from(0);
  for (int i = 0; i + 1 < kOps; ++i) EXPECT_TRUE(done[i].get().ok()) << i;
  EXPECT_EQ(done[kOps - 1].get().code(), errc::storage_failed);
  EXPECT_EQ(wharf::test::fs_failures(FsCall::fdatasync), failures + 1);
}

}  // namespace
}  // namespace wharf::storage
