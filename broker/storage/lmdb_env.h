// The one LMDB environment of a data directory, its named tables, and the
// error mapping. Internal to broker/storage/: nothing outside this folder
// includes lmdb.h or sees MDB_* types.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "broker/storage/storage_options.h"
#include "wharf/errors.h"

namespace wharf::storage {

// Named LMDB databases. Key layouts: docs/STORAGE.md.
enum class Table : unsigned {
  meta,
  topics,
  partitions,
  batches,
  time_index,
  deleting_topics,
  group_offsets,
  queues,
  queue_messages,
  queue_history,
  queue_stats,
  deleting_queues,
  producer_states,
  users,
  acls,
  count
};

class LmdbEnv {
 public:
  static result<std::unique_ptr<LmdbEnv>> open(const StorageOptions& options);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  MDB_env* env() const noexcept { return env_; }
  MDB_dbi dbi(Table t) const noexcept { return dbis_[static_cast<unsigned>(t)]; }
  std::uint64_t map_size() const noexcept { return map_size_; }
  std::uint32_t page_size() const noexcept { return page_size_; }
  // Bytes of the map past its high-water mark (never counts free pages).
  std::uint64_t untouched_bytes() const;
  // Free space of the file system holding the data file (for unprivileged
  // users); UINT64_MAX if it cannot be read.
  std::uint64_t disk_free_bytes() const;
  // Size of that file system when the env was opened; UINT64_MAX if it
  // could not be read.
  std::uint64_t disk_size_bytes() const noexcept { return disk_size_; }
  // Clears reader slots left by dead processes.
  void check_readers();
  // Writes a compacted copy of the last committed state to `file` (free
  // pages left out, pages renumbered: the file is as small as the data),
  // flushed to disk before this returns. Runs in a read snapshot of its
  // own, so writes go on meanwhile. `file` must not exist.
  status copy_compacted(const std::filesystem::path& file) const;

 private:
  LmdbEnv() = default;
  MDB_env* env_ = nullptr;
  MDB_dbi dbis_[static_cast<unsigned>(Table::count)] = {};
  std::uint64_t map_size_ = 0;
  std::uint32_t page_size_ = 4096;
  std::string dir_;
  std::uint64_t disk_size_ = UINT64_MAX;
  std::uint64_t read_disk_size() const;
};

// Flushes a directory's entries (after a file in it was created or renamed).
status sync_directory(const std::filesystem::path& dir);

// Maps an LMDB or errno return code to a typed status naming `what` failed.
status lmdb_status(int rc, std::string_view what);

inline MDB_val to_val(std::span<const std::uint8_t> s) {
  return MDB_val{s.size(), const_cast<std::uint8_t*>(s.data())};
}
inline std::span<const std::uint8_t> from_val(const MDB_val& v) {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}

// RAII cursor.
class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi) { rc_ = mdb_cursor_open(txn, dbi, &cursor_); }
  ~Cursor() {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  int open_rc() const noexcept { return rc_; }
  int get(MDB_val* key, MDB_val* value, MDB_cursor_op op) {
    return mdb_cursor_get(cursor_, key, value, op);
  }
  int del() { return mdb_cursor_del(cursor_, 0); }
  MDB_cursor* raw() const noexcept { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
  int rc_ = 0;
};

bool has_prefix(const MDB_val& key, const void* prefix, std::size_t n);

// Calls fn(key, value) for each item of `dbi` whose key starts with
// `prefix`, in key order; fn returns true to go on, false to stop, or an
// error, which ends the scan with it. `what` names the read in LMDB errors.
// `start` (start_n bytes, beginning with the prefix) is where the scan
// begins; scan_prefix starts at the prefix itself.
template <typename Fn>
status scan_prefix_from(MDB_txn* txn, MDB_dbi dbi, const void* start, std::size_t start_n, std::size_t n,
                        std::string_view what, Fn&& fn) {
  Cursor c(txn, dbi);
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), what);
  const void* prefix = start;
  MDB_val key{start_n, const_cast<void*>(start)};
  MDB_val value;
  int rc = c.get(&key, &value, MDB_SET_RANGE);
  for (; rc == 0 && has_prefix(key, prefix, n); rc = c.get(&key, &value, MDB_NEXT)) {
    result<bool> more = fn(key, value);
    if (!more) return more.error();
    if (!*more) return {};
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_status(rc, what);
  return {};
}

template <typename Fn>
status scan_prefix(MDB_txn* txn, MDB_dbi dbi, const void* prefix, std::size_t n, std::string_view what, Fn&& fn) {
  return scan_prefix_from(txn, dbi, prefix, n, n, what, std::forward<Fn>(fn));
}

// Deletes the cursor's item and moves to the next one (re-seeking, which
// does not depend on how LMDB positions a cursor after a delete).
int delete_and_advance(Cursor& c, MDB_val* key, MDB_val* value);

// Deletes every key starting with `prefix`, at most `limit`; *left tells
// whether any remain.
int delete_prefix(MDB_txn* txn, MDB_dbi dbi, std::span<const std::uint8_t> prefix, std::size_t limit,
                  std::size_t* deleted, bool* left);

// Little-endian u64 counters in the meta table; `fallback` when absent.
status get_meta_u64(MDB_txn* txn, MDB_dbi meta, std::string_view key, std::uint64_t fallback,
                    std::uint64_t* out);
status put_meta_u64(MDB_txn* txn, MDB_dbi meta, std::string_view key, std::uint64_t value);

}  // namespace wharf::storage
