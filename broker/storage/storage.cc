#include "broker/storage/storage.h"

#include <fmt/format.h>

#include "broker/storage/function_op.h"
#include "broker/storage/lmdb_env.h"

namespace wharf::storage {
namespace {

constexpr const char* kDataFile = "data.mdb";
constexpr const char* kCompactingFile = "data.mdb.compacting";

// Rewrites the data file compacted: LMDB reuses freed pages but never
// returns them, so after large deletes the file stays as big as it ever
// was. The copy is complete and flushed before it replaces the original
// (a rename), so a crash at any point leaves one whole data file.
result<Storage::Compaction> compact(const StorageOptions& options) {
  const auto data = options.dir / kDataFile;
  const auto copy = options.dir / kCompactingFile;
  std::error_code ec;
  Storage::Compaction sizes;
  sizes.bytes_before = std::filesystem::file_size(data, ec);
  if (ec) return status(errc::io_error, fmt::format("reading the size of {}: {}", data.string(), ec.message()));
  {
    auto env = LmdbEnv::open(options);
    if (!env) return env.error();
    if (status st = (*env)->copy_compacted(copy); !st.ok()) {
      std::filesystem::remove(copy, ec);
      return st;
    }
  }
  std::filesystem::rename(copy, data, ec);
  if (ec) return status(errc::io_error, fmt::format("replacing {}: {}", data.string(), ec.message()));
  if (status st = sync_directory(options.dir); !st.ok()) return st;
  sizes.bytes_after = std::filesystem::file_size(data, ec);
  return sizes;
}

}  // namespace

result<std::unique_ptr<Storage>> Storage::open(const StorageOptions& options) {
  std::unique_ptr<Storage> self(new Storage());
  self->options_ = options;
  auto lock = DataDirLock::acquire(options.dir);
  if (!lock) return lock.error();
  self->lock_ = std::move(*lock);
  // A compaction cut short by a crash left its partial copy.
  std::error_code ignored;
  std::filesystem::remove(options.dir / kCompactingFile, ignored);
  if (options.compact_on_start && std::filesystem::exists(options.dir / kDataFile)) {
    auto sizes = compact(options);
    if (!sizes) return sizes.error();
    self->compacted_ = *sizes;
  }
  auto env = LmdbEnv::open(options);
  if (!env) return env.error();
  self->env_ = std::move(*env);
  self->logs_ = std::make_unique<LogStore>(*self->env_);
  self->producers_ = std::make_unique<ProducerStore>(*self->env_);
  self->security_ = std::make_unique<SecurityStore>(*self->env_);
  self->queues_ = std::make_unique<QueueStore>(*self->env_);
  self->writer_ = std::make_unique<Writer>(*self->env_, self->options_);
  // The format check goes through the writer like every write.
  self->writer_->start();
  status init;
  LogStore* logs = self->logs_.get();
  self->writer_->submit(make_op([logs](WriteTxn& txn) -> result<bool> {
                                  if (status st = logs->init_format(txn); !st.ok()) return st;
                                  return true;
                                },
                                [&init](result<bool> r) { init = r.error(); }));
  self->writer_->stop();
  if (!init.ok()) return init;
  self->writer_ = std::make_unique<Writer>(*self->env_, self->options_);
  return self;
}

void Storage::backup(std::filesystem::path dir, std::function<void(result<BackupSummary>)> done) {
  if (backup_running_.exchange(true))
    return done(status(errc::too_many_requests, "a backup is already being written; try again when it is done"));
  MutexLock lock(backup_mu_);
  if (backup_thread_.joinable()) backup_thread_.join();  // the last one, finished
  backup_thread_ = std::thread([this, dir = std::move(dir), done = std::move(done)] {
    auto summary = write_backup(*env_, options_, dir);
    backup_running_.store(false);
    done(std::move(summary));
  });
}

Storage::~Storage() {
  {
    MutexLock lock(backup_mu_);
    if (backup_thread_.joinable()) backup_thread_.join();
  }
  if (writer_) writer_->stop();
  writer_.reset();
  logs_.reset();
  queues_.reset();
  env_.reset();
  lock_.reset();
}

result<ReadTxn> Storage::read() { return ReadTxn::begin(*env_); }

std::uint64_t Storage::map_size() const noexcept { return env_->map_size(); }

std::uint64_t Storage::used_bytes() const noexcept { return env_->map_size() - env_->untouched_bytes(); }

void Storage::check_readers() { env_->check_readers(); }

}  // namespace wharf::storage
