// A data directory: its lock, its LMDB environment, the writer thread and
// the typed stores. The narrow door between the engines and LMDB.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "base/mutex.h"
#include "broker/storage/backup.h"
#include "broker/storage/data_dir_lock.h"
#include "broker/storage/log_store.h"
#include "broker/storage/producer_store.h"
#include "broker/storage/queue_store.h"
#include "broker/storage/security_store.h"
#include "broker/storage/storage_options.h"
#include "broker/storage/txn.h"
#include "broker/storage/writer.h"
#include "wharf/errors.h"

namespace wharf::storage {

class LmdbEnv;

class Storage {
 public:
  // Locks the directory (data_dir_locked if another broker has it), opens or
  // creates the environment and checks the format version.
  static result<std::unique_ptr<Storage>> open(const StorageOptions& options);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // A read snapshot; fails with storage_failed after a fatal LMDB error.
  result<ReadTxn> read();
  Writer& writer() noexcept { return *writer_; }
  LogStore& logs() noexcept { return *logs_; }
  ProducerStore& producers() noexcept { return *producers_; }
  SecurityStore& security() noexcept { return *security_; }
  QueueStore& queues() noexcept { return *queues_; }
  const StorageOptions& options() const noexcept { return options_; }
  std::uint64_t map_size() const noexcept;
  // Bytes of the map in use up to its high-water mark (free pages inside
  // it are reused before the file grows).
  std::uint64_t used_bytes() const noexcept;
  // Clears stale reader slots; call now and then.
  void check_readers();
  // With compact_on_start: the data file's size before and after.
  struct Compaction {
    std::uint64_t bytes_before = 0;
    std::uint64_t bytes_after = 0;
  };
  const std::optional<Compaction>& compacted() const noexcept { return compacted_; }

  // Writes an online backup of the data directory to `dir` (backup.h) on a
  // thread of its own while writes go on, then calls `done` there. One at
  // a time: too_many_requests while one runs.
  void backup(std::filesystem::path dir, std::function<void(result<BackupSummary>)> done);

 private:
  Storage() = default;
  StorageOptions options_;
  std::unique_ptr<DataDirLock> lock_;
  std::unique_ptr<LmdbEnv> env_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<ProducerStore> producers_;
  std::unique_ptr<SecurityStore> security_;
  std::unique_ptr<QueueStore> queues_;
  std::unique_ptr<Writer> writer_;
  std::optional<Compaction> compacted_;
  std::atomic<bool> backup_running_{false};
  Mutex backup_mu_;
  std::thread backup_thread_ WHARF_GUARDED_BY(backup_mu_);
};

}  // namespace wharf::storage
