// Micro-benchmarks of storage: group-committed batch appends (synced, as
// the broker runs by default) and cursor scans of stored batches.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "broker/storage/function_op.h"
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

// Appends one batch at `offset` in a write op; the future gets its outcome.
std::future<status> submit_append(Storage& s, const std::vector<std::uint8_t>& batch, std::uint64_t offset) {
  auto done = std::make_shared<std::promise<status>>();
  auto f = done->get_future();
  s.writer().submit(make_op(
      [&s, &batch, offset](WriteTxn& txn) -> result<bool> {
        if (status st = s.logs().append_batch(txn, 1, 0, offset, 0, batch); !st.ok()) return st;
        return true;
      },
      [done](result<bool> r) { done->set_value(r.error()); }));
  return f;
}

// Appends `batches_per_commit` batches of 1,000 x 128-byte records per
// synced commit: items/s is records made durable per second.
void BM_AppendSynced(benchmark::State& state) {
  TempStorage s;
  auto batch = sample_batch(1000, 128);
  const auto per_commit = static_cast<int>(state.range(0));
  std::uint64_t offset = 0;
  for (auto _ : state) {
    std::vector<std::future<status>> done;
    for (int i = 0; i < per_commit; ++i) {
      done.push_back(submit_append(*s, batch, offset));
      offset += 1000;
    }
    for (auto& d : done)
      if (!d.get().ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations() * per_commit * 1000);
}
BENCHMARK(BM_AppendSynced)->Arg(1)->Arg(10)->UseRealTime();

// One small write per synced commit, the writer's hand-off included: the
// floor under a durable confirm.
void BM_SyncedCommitOneSmallWrite(benchmark::State& state) {
  TempStorage s;
  std::uint32_t n = 0;
  for (auto _ : state) {
    std::promise<status> done;
    auto f = done.get_future();
    const std::uint32_t i = n++;
    s->writer().submit(make_op(
        [&s, i](WriteTxn& txn) -> result<bool> {
          if (status st = s->logs().put_group_offset(txn, "g", "t", i % 64, i, 0); !st.ok()) return st;
          return true;
        },
        [&done](result<bool> r) { done.set_value(r.error()); }));
    if (!f.get().ok()) state.SkipWithError("commit failed");
  }
}
BENCHMARK(BM_SyncedCommitOneSmallWrite)->UseRealTime();

void BM_ScanStoredBatches(benchmark::State& state) {
  TempStorage s;
  auto batch = sample_batch(1000, 128);
  std::vector<std::future<status>> done;
  for (int i = 0; i < 200; ++i) done.push_back(submit_append(*s, batch, static_cast<std::uint64_t>(i) * 1000));
  for (auto& d : done) d.get();
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
