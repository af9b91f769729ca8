#include "broker/storage/storage.h"

#include "broker/storage/function_op.h"
#include "broker/storage/lmdb_env.h"

namespace wharf::storage {

result<std::unique_ptr<Storage>> Storage::open(const StorageOptions& options) {
  std::unique_ptr<Storage> self(new Storage());
  self->options_ = options;
  auto lock = DataDirLock::acquire(options.dir);
  if (!lock) return lock.error();
  self->lock_ = std::move(*lock);
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

Storage::~Storage() {
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
