// Micro-benchmarks of storage: group-committed batch appends (synced, as
// the broker runs by default) and cursor scans of stored batches.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "broker/storage/storage.h"
#include "bench/micro/sample_batch.h"
#include "protocol/record_batch.h"

namespace {

using namespace wharf;
using namespace wharf::storage;

class TempStorage {
 public:
  TempStorage() {
    std::string pattern = (std::filesystem::current_path() / "wharf-microbench-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    StorageOptions o;
    o.dir = dir_;
    o.map_size = 16ull << 30;
    storage_ = std::move(*Storage::open(o));
    storage_->writer().start();
  }
  ~TempStorage() {
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }
  Storage& operator*() { return *storage_; }
  Storage* operator->() { return storage_.get(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Storage> storage_;
};

using bench::sample_batch;

class AppendOp final : public WriteOp {
 public:
  AppendOp(Storage& s, const std::vector<std::uint8_t>& batch, std::uint64_t offset)
      : s_(s), batch_(batch), offset_(offset) {}
  status apply(WriteTxn& txn) override { return s_.logs().append_batch(txn, 1, 0, offset_, 0, batch_); }
  void complete(status st) override { done.set_value(st); }
  std::promise<status> done;

 private:
  Storage& s_;
  const std::vector<std::uint8_t>& batch_;
  std::uint64_t offset_;
};

// Appends `batches_per_commit` batches of 1,000 x 128-byte records per
// synced commit: items/s is records made durable per second.
void BM_AppendSynced(benchmark::State& state) {
  TempStorage s;
  auto batch = sample_batch(1000, 128);
  const auto per_commit = static_cast<int>(state.range(0));
  std::uint64_t offset = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<AppendOp>> ops;
    for (int i = 0; i < per_commit; ++i) {
      ops.push_back(std::make_unique<AppendOp>(*s, batch, offset));
      offset += 1000;
    }
    for (auto& op : ops) s->writer().submit(op.get());
    for (auto& op : ops)
      if (!op->done.get_future().get().ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations() * per_commit * 1000);
}
BENCHMARK(BM_AppendSynced)->Arg(1)->Arg(10)->UseRealTime();

// One small write per synced commit, the writer's hand-off included: the
// floor under a durable confirm.
void BM_SyncedCommitOneSmallWrite(benchmark::State& state) {
  TempStorage s;
  class PutOp final : public WriteOp {
   public:
    PutOp(Storage& st, std::uint32_t n) : s_(st), n_(n) {}
    status apply(WriteTxn& txn) override { return s_.logs().put_group_offset(txn, "g", "t", n_ % 64, n_, 0); }
    void complete(status st) override { done.set_value(st); }
    std::promise<status> done;

   private:
    Storage& s_;
    std::uint32_t n_;
  };
  std::uint32_t n = 0;
  for (auto _ : state) {
    PutOp op(*s, n++);
    auto f = op.done.get_future();
    s->writer().submit(&op);
    if (!f.get().ok()) state.SkipWithError("commit failed");
  }
}
BENCHMARK(BM_SyncedCommitOneSmallWrite)->UseRealTime();

void BM_ScanStoredBatches(benchmark::State& state) {
  TempStorage s;
  auto batch = sample_batch(1000, 128);
  std::vector<std::unique_ptr<AppendOp>> ops;
  for (int i = 0; i < 200; ++i) {
    ops.push_back(std::make_unique<AppendOp>(*s, batch, static_cast<std::uint64_t>(i) * 1000));
    s->writer().submit(ops.back().get());
  }
  for (auto& op : ops) op->done.get_future().get();
  std::vector<std::span<const std::uint8_t>> spans;
  for (auto _ : state) {
    auto txn = s->read();
    std::size_t records = 0;
    for (std::uint64_t off = 0; off < 200000;) {
      spans.clear();
      if (!s->logs().read_batches(*txn, 1, 0, off, 1 << 20, &spans).ok()) state.SkipWithError("read failed");
      for (auto b : spans) {
        records += protocol::batch::record_count(b.data());
        off += protocol::batch::record_count(b.data());
      }
    }
    benchmark::DoNotOptimize(records);
  }
  state.SetItemsProcessed(state.iterations() * 200000);
}
BENCHMARK(BM_ScanStoredBatches);

}  // namespace
