// Micro-benchmark of the producer's send path without the network: a
// record goes in under the pipeline's mutex (as Producer::send takes it),
// its batch is sealed when full, finished (header, CRC) and framed as it is
// sent, and each record's completion runs when the confirm comes.
#include <benchmark/benchmark.h>
#include <flatbuffers/flatbuffers.h>

#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "client/open_batches.h"
#include "protocol/frame_builder.h"
#include "wharf_generated.h"

namespace {

using namespace wharf;

void BM_ProducerSendPath128B(benchmark::State& state) {
  const std::string value(128, 'x');
  ProducerRecord record;
  record.value = value;
  client::OpenBatches open;
  std::vector<std::unique_ptr<client::ProduceBatch>> sealed;
  Mutex mu;
  flatbuffers::FlatBufferBuilder fbb(256u << 10);
  std::uint64_t confirmed = 0;
  std::int64_t base = 0;
  std::uint64_t i = 0;
  for (auto _ : state) {
    {
      MutexLock lock(mu);
      // Like an application's: a pointer and an index, stored inline.
      // Record i of the single partition gets offset i.
      Producer::Completion done = [c = &confirmed, i](result<RecordMetadata> m) {
        if (m.ok() && m->offset == static_cast<std::int64_t>(i)) ++*c;
      };
      open.add("bench", 0, record, done, 128u << 10, [&](std::unique_ptr<client::ProduceBatch> b) {
        sealed.push_back(std::move(b));
      });
    }
    ++i;
    if (sealed.empty()) continue;
    for (auto& b : sealed) {
      auto bytes = b->builder.finish(protocol::Codec::none, {});
      fbb.Clear();
      auto topic = fbb.CreateString(b->topic);
      auto vec = fbb.CreateVector(bytes->data(), bytes->size());
      protocol::finish_frame(fbb, i, wire::CreateProduce(fbb, topic, b->partition, vec));
      benchmark::DoNotOptimize(fbb.GetBufferPointer());
      b->complete(base);
      base += static_cast<std::int64_t>(b->done.size());
      MutexLock lock(mu);
      open.recycle(*b);
    }
    sealed.clear();
  }
  // The records of the last, unsealed batch have no confirm yet.
  if (confirmed + 200000 < i) state.SkipWithError("completions missing or with the wrong offsets");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProducerSendPath128B);

}  // namespace
