#include "broker/storage/lmdb_env.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace wharf::storage {
namespace {

constexpr const char* kTableNames[] = {
    "meta",   "topics",         "partitions",    "batches",     "time_index",      "deleting_topics",
    "group_offsets", "queues", "queue_messages", "queue_history", "queue_stats", "deleting_queues",
    "producer_states", "users", "acls"};
static_assert(std::size(kTableNames) == static_cast<std::size_t>(Table::count));

}  // namespace

status lmdb_status(int rc, std::string_view what) {
  if (rc == 0) return {};
  const std::string detail = fmt::format("{}: {}", what, mdb_strerror(rc));
  switch (rc) {
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case ENOSPC:
      return {errc::storage_full, detail};
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return {errc::storage_corrupt, detail};
    case MDB_READERS_FULL:
      return {errc::too_many_requests, detail};
    default:
      return {errc::storage_failed, detail};
  }
}

result<std::unique_ptr<LmdbEnv>> LmdbEnv::open(const StorageOptions& options) {
  std::unique_ptr<LmdbEnv> self(new LmdbEnv());
  if (int rc = mdb_env_create(&self->env_); rc != 0) return lmdb_status(rc, "mdb_env_create");
  mdb_env_set_maxdbs(self->env_, static_cast<MDB_dbi>(Table::count) + 8);
  mdb_env_set_maxreaders(self->env_, options.max_readers);
  if (int rc = mdb_env_set_mapsize(self->env_, options.map_size); rc != 0)
    return lmdb_status(rc, "mdb_env_set_mapsize");
  // Both modes flush data pages in the commit and write the meta page
  // without a flush: `relaxed` stops there; `sync` confirms only after the
  // meta page is flushed too (Writer::flush_meta).
  const unsigned flags = MDB_NOTLS | MDB_NOSUBDIR | MDB_NOMETASYNC;
  const std::string path = (options.dir / "data.mdb").string();
  if (int rc = mdb_env_open(self->env_, path.c_str(), flags, 0644); rc != 0)
    return lmdb_status(rc, fmt::format("opening {}", path));

  MDB_envinfo info{};
  MDB_stat st{};
  mdb_env_info(self->env_, &info);
  mdb_env_stat(self->env_, &st);
  self->map_size_ = info.me_mapsize;
  self->dir_ = options.dir.string();
  // Read once: reserve_space asks for it on every write, and a file
  // system's size does not change under a running broker.
  self->disk_size_ = self->read_disk_size();
  self->page_size_ = st.ms_psize;
  // LMDB trusts its file: a file shorter than the pages its meta claims
  // would fault on first read, so refuse it here.
  struct stat file {};
  if (::stat(path.c_str(), &file) == 0) {
    const std::uint64_t needed = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
    if (static_cast<std::uint64_t>(file.st_size) < needed)
      return status(errc::storage_corrupt,
                    fmt::format("{} is {} bytes but its metadata needs {}: the file was truncated",
                                path, file.st_size, needed));
  }
  self->check_readers();

  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(self->env_, nullptr, 0, &txn); rc != 0)
    return lmdb_status(rc, "opening tables");
  for (unsigned i = 0; i < static_cast<unsigned>(Table::count); ++i) {
    if (int rc = mdb_dbi_open(txn, kTableNames[i], MDB_CREATE, &self->dbis_[i]); rc != 0) {
      mdb_txn_abort(txn);
      return lmdb_status(rc, fmt::format("opening table {}", kTableNames[i]));
    }
  }
  if (int rc = mdb_txn_commit(txn); rc != 0) return lmdb_status(rc, "opening tables");
  return self;
}

status LmdbEnv::copy_compacted(const std::filesystem::path& file) const {
  if (int rc = mdb_env_copy2(env_, file.c_str(), MDB_CP_COMPACT); rc != 0)
    return lmdb_status(rc, fmt::format("copying the data file to {}", file.string()));
  // LMDB writes the copy without flushing it.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return status(errc::io_error, fmt::format("flushing {}: {}", file.string(), std::strerror(err)));
  }
  ::close(fd);
  return sync_directory(file.parent_path());
}

status sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return status(errc::io_error, fmt::format("flushing directory {}: {}", dir.string(), std::strerror(err)));
  }
  ::close(fd);
  return {};
}

LmdbEnv::~LmdbEnv() {
  if (env_ != nullptr) mdb_env_close(env_);
}

std::uint64_t LmdbEnv::untouched_bytes() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  const std::uint64_t used = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * page_size_;
  return used >= map_size_ ? 0 : map_size_ - used;
}

bool has_prefix(const MDB_val& key, const void* prefix, std::size_t n) {
  return key.mv_size >= n && std::memcmp(key.mv_data, prefix, n) == 0;
}

int delete_and_advance(Cursor& c, MDB_val* key, MDB_val* value) {
  std::uint8_t saved[512];
  const std::size_t n = std::min(key->mv_size, sizeof(saved));
  std::memcpy(saved, key->mv_data, n);
  if (int rc = c.del(); rc != 0) return rc;
  *key = MDB_val{n, saved};
  return c.get(key, value, MDB_SET_RANGE);
}

int delete_prefix(MDB_txn* txn, MDB_dbi dbi, std::span<const std::uint8_t> prefix, std::size_t limit,
                  std::size_t* deleted, bool* left) {
  Cursor c(txn, dbi);
  if (c.open_rc() != 0) return c.open_rc();
  MDB_val key = to_val(prefix);
  MDB_val value;
  int rc = c.get(&key, &value, MDB_SET_RANGE);
  *left = false;
  while (rc == 0 && has_prefix(key, prefix.data(), prefix.size())) {
    if (*deleted >= limit) {
      *left = true;
      return 0;
    }
    ++*deleted;
    rc = delete_and_advance(c, &key, &value);
  }
  return rc == MDB_NOTFOUND ? 0 : rc;
}

status get_meta_u64(MDB_txn* txn, MDB_dbi meta, std::string_view key, std::uint64_t fallback,
                    std::uint64_t* out) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v;
  const int rc = mdb_get(txn, meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    *out = fallback;
    return {};
  }
  if (rc != 0) return lmdb_status(rc, "reading a counter");
  if (v.mv_size != 8) return {errc::storage_corrupt, fmt::format("counter {} is damaged", key)};
  std::memcpy(out, v.mv_data, 8);
  return {};
}

status put_meta_u64(MDB_txn* txn, MDB_dbi meta, std::string_view key, std::uint64_t value) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{8, &value};
  return lmdb_status(mdb_put(txn, meta, &k, &v, 0), "writing a counter");
}

std::uint64_t LmdbEnv::disk_free_bytes() const {
  struct statvfs fs {};
  if (::statvfs(dir_.c_str(), &fs) != 0) return UINT64_MAX;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

std::uint64_t LmdbEnv::read_disk_size() const {
  struct statvfs fs {};
  if (::statvfs(dir_.c_str(), &fs) != 0) return UINT64_MAX;
  return static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
}

void LmdbEnv::check_readers() {
  int dead = 0;
  mdb_reader_check(env_, &dead);
}

}  // namespace wharf::storage
