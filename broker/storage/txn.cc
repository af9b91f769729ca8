#include "broker/storage/txn.h"

#include <algorithm>

#include "broker/storage/lmdb_env.h"

namespace wharf::storage {
namespace {

// Free pages LMDB could reuse (its free list, table 0, as of the last
// commit). An upper bound: pages still pinned by a reader, or freed by the
// last commit (LMDB reuses a page only two commits later), count too; a
// wrong guess ends in MDB_MAP_FULL, which the writer handles.
std::uint64_t free_list_pages(MDB_env* env) {
  // LMDB refuses a cursor on table 0 inside a write transaction.
  MDB_txn* txn = nullptr;
  if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) != 0) return 0;
  struct Abort {
    MDB_txn* t;
    ~Abort() { mdb_txn_abort(t); }
  } abort{txn};
  Cursor cursor(txn, 0);
  if (cursor.open_rc() != 0) return 0;
  std::uint64_t pages = 0;
  MDB_val key;
  MDB_val value;
  for (int rc = cursor.get(&key, &value, MDB_FIRST); rc == 0;
       rc = cursor.get(&key, &value, MDB_NEXT)) {
    if (value.mv_size >= sizeof(std::size_t)) pages += *static_cast<const std::size_t*>(value.mv_data);
  }
  return pages;
}

}  // namespace

result<ReadTxn> ReadTxn::begin(LmdbEnv& env) {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env.env(), nullptr, MDB_RDONLY, &txn); rc != 0)
    return lmdb_status(rc, "beginning a read transaction");
  return ReadTxn(&env, txn);
}

ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

status WriteTxn::reserve_space(std::size_t bytes) {
  // Kept free for deletes: a share of what the data file can ever hold.
  const std::uint64_t capacity = std::min(env_->map_size(), env_->disk_size_bytes());
  const std::uint64_t headroom = std::clamp<std::uint64_t>(capacity / 32, 64u << 10, 64u << 20);
  // B-tree and overflow-page overhead on top of the payload.
  const std::uint64_t need = bytes + bytes / 8 + 2ull * env_->page_size();
  if (!space_known_) {
    // Room = pages free inside the file + what the file may still grow:
    // bounded by the map size and by the free space of the disk.
    const std::uint64_t untouched = env_->untouched_bytes();
    const std::uint64_t disk = env_->disk_free_bytes();
    space_left_ = std::min(untouched, disk);
    limited_by_disk_ = disk < untouched;
    // Only count the free list when the growth room is not enough: the
    // scan costs a walk of table 0.
    if (space_left_ < headroom + (64ull << 20))
      space_left_ += free_list_pages(env_->env()) * env_->page_size();
    space_known_ = true;
  }
  if (space_left_ < headroom + need) {
    space_refused_ = true;
    return {errc::storage_full, limited_by_disk_ ? "the disk holding the data dir is full"
                                                 : "the data file has reached its map size (--map-size)"};
  }
  space_left_ -= need;
  return {};
}

}  // namespace wharf::storage
