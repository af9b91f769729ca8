// Micro-benchmarks of the wire and batch codecs: what every produce and
// fetch pays per byte and per record.
#include <benchmark/benchmark.h>
#include <flatbuffers/flatbuffers.h>

#include <string>
#include <vector>

#include "protocol/crc32c.h"
#include "protocol/frame.h"
#include "bench/micro/sample_batch.h"
#include "protocol/record_batch.h"
#include "wharf_generated.h"
#include "protocol/frame_builder.h"

namespace {

using namespace wharf;

using bench::sample_batch;

void BM_Crc32c(benchmark::State& state) {
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(state.range(0)), 0x5a);
  for (auto _ : state) benchmark::DoNotOptimize(protocol::crc32c(buf.data(), buf.size()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(4096)->Arg(128 << 10);

void BM_BatchBuild128B(benchmark::State& state) {
  std::string value(128, 'x');
  ProducerRecord r;
  r.value = value;
  protocol::batch::Builder b;
  for (auto _ : state) {
    b.clear();
    for (int i = 0; i < 1000; ++i) b.add(r, 1700000000000 + i);
    benchmark::DoNotOptimize(b.finish().data());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_BatchBuild128B);

void BM_BatchValidate128B(benchmark::State& state) {
  auto batch = sample_batch(1000, 128);
  protocol::batch::BatchInfo info;
  for (auto _ : state) benchmark::DoNotOptimize(protocol::batch::validate(batch, &info).ok());
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
}
BENCHMARK(BM_BatchValidate128B);

void BM_BatchRead128B(benchmark::State& state) {
  auto batch = sample_batch(1000, 128);
  for (auto _ : state) {
    protocol::batch::Reader reader(batch);
    protocol::batch::RecordFields rec;
    std::size_t n = 0;
    while (reader.next(&rec)) n += rec.value.size();
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_BatchRead128B);

void BM_FrameDecodeAndVerifyProduce(benchmark::State& state) {
  auto batch = sample_batch(1000, 128);
  flatbuffers::FlatBufferBuilder fbb;
  auto topic = fbb.CreateString("bench");
  auto vec = fbb.CreateVector(batch);
  auto body = wire::CreateProduce(fbb, topic, 0, vec);
  protocol::finish_frame(fbb, 1, body);
  std::vector<std::uint8_t> frame;
  protocol::append_frame(frame, fbb);
  for (auto _ : state) {
    auto d = protocol::decode_frame(frame, protocol::kDefaultMaxFrameBytes);
    benchmark::DoNotOptimize(protocol::verify_frame(d.payload));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(BM_FrameDecodeAndVerifyProduce);

}  // namespace
