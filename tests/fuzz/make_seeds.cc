// Writes the seed corpora of the fuzzers: one real frame payload per
// request type (dispatch), the same as framed bytes plus every prefix of
// one frame (frame), and short operation scripts (ops).
//   make_seeds OUT_DIR
#include <flatbuffers/flatbuffers.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "protocol/frame.h"
#include "protocol/record_batch.h"
#include "wharf_generated.h"

namespace {

using namespace wharf;
using Build = std::function<void(flatbuffers::FlatBufferBuilder&)>;

void write(const std::filesystem::path& p, const std::uint8_t* data, std::size_t n) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n));
}

std::vector<std::uint8_t> batch() {
  protocol::batch::Builder b;
  std::vector<Header> headers = {{"k", "v"}};
  ProducerRecord r;
  r.key = "key";
  r.value = "value";
  r.headers = headers;
  b.add(r, 1700000000000);
  b.add(r, 1700000000001);
  auto bytes = b.finish();
  return {bytes.begin(), bytes.end()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path out = argv[1];
  for (const char* d : {"frame", "dispatch", "ops"}) std::filesystem::create_directories(out / d);
  const auto b = batch();
  std::vector<std::pair<std::string, Build>> requests = {
      {"hello", [](auto& f) { f.Finish(wire::CreateFrame(f, 1, wire::Body::Hello, wire::CreateHello(f, 1).Union())); }},
      {"create_topic", [](auto& f) { f.Finish(wire::CreateFrame(f, 2, wire::Body::CreateTopic, wire::CreateCreateTopic(f, f.CreateString("s"), 2).Union())); }},
      {"produce", [&](auto& f) { f.Finish(wire::CreateFrame(f, 3, wire::Body::Produce, wire::CreateProduce(f, f.CreateString("t"), 0, f.CreateVector(b)).Union())); }},
      {"fetch", [](auto& f) { f.Finish(wire::CreateFrame(f, 4, wire::Body::Fetch, wire::CreateFetch(f, f.CreateString("t"), 0, 0, 4096, 0).Union())); }},
      {"list_offsets", [](auto& f) { f.Finish(wire::CreateFrame(f, 5, wire::Body::ListOffsets, wire::CreateListOffsets(f, f.CreateString("t"), 1, wire::OffsetSpec::Timestamp, 5).Union())); }},
      {"commit_offsets", [](auto& f) {
         std::vector<flatbuffers::Offset<wire::PartitionOffset>> o = {wire::CreatePartitionOffset(f, 0, 1)};
         f.Finish(wire::CreateFrame(f, 6, wire::Body::CommitOffsets, wire::CreateCommitOffsets(f, f.CreateString("g"), f.CreateString("t"), f.CreateVector(o)).Union()));
       }},
      {"fetch_offsets", [](auto& f) { f.Finish(wire::CreateFrame(f, 7, wire::Body::FetchOffsets, wire::CreateFetchOffsets(f, f.CreateString("g")).Union())); }},
      {"describe_topic", [](auto& f) { f.Finish(wire::CreateFrame(f, 8, wire::Body::DescribeTopic, wire::CreateDescribeTopic(f, f.CreateString("t")).Union())); }},
      {"create_queue", [](auto& f) { f.Finish(wire::CreateFrame(f, 9, wire::Body::CreateQueue, wire::CreateCreateQueue(f, f.CreateString("r"), wire::CreateQueueOptions(f)).Union())); }},
      {"publish", [](auto& f) {
         std::vector<flatbuffers::Offset<wire::OutMessage>> m = {wire::CreateOutMessage(f, f.CreateVector(std::vector<std::uint8_t>{1, 2, 3}))};
         f.Finish(wire::CreateFrame(f, 10, wire::Body::Publish, wire::CreatePublish(f, f.CreateString("q"), f.CreateVector(m)).Union()));
       }},
      {"subscribe", [](auto& f) { f.Finish(wire::CreateFrame(f, 11, wire::Body::Subscribe, wire::CreateSubscribe(f, f.CreateString("q"), 4).Union())); }},
      {"settle", [](auto& f) {
         std::vector<flatbuffers::Offset<wire::SettleItem>> i = {wire::CreateSettleItem(f, 1, 1, 1, wire::SettleKind::Nack, 0)};
         f.Finish(wire::CreateFrame(f, 12, wire::Body::Settle, wire::CreateSettle(f, f.CreateVector(i), true).Union()));
       }},
      {"peek", [](auto& f) { f.Finish(wire::CreateFrame(f, 13, wire::Body::PeekQueue, wire::CreatePeekQueue(f, f.CreateString("q"), 5).Union())); }},
      {"get_message", [](auto& f) { f.Finish(wire::CreateFrame(f, 14, wire::Body::GetMessage, wire::CreateGetMessage(f, f.CreateString("q"), 1).Union())); }},
      {"redrive", [](auto& f) { f.Finish(wire::CreateFrame(f, 15, wire::Body::Redrive, wire::CreateRedrive(f, f.CreateString("q.dlq"), 0, wire::RedriveSelect::All).Union())); }},
      {"purge", [](auto& f) { f.Finish(wire::CreateFrame(f, 16, wire::Body::PurgeQueue, wire::CreatePurgeQueue(f, f.CreateString("r")).Union())); }},
      {"alter_topic", [](auto& f) { f.Finish(wire::CreateFrame(f, 17, wire::Body::AlterTopic, wire::CreateAlterTopic(f, f.CreateString("t"), 3, 60000).Union())); }},
      {"delete_records", [](auto& f) { f.Finish(wire::CreateFrame(f, 18, wire::Body::DeleteRecords, wire::CreateDeleteRecords(f, f.CreateString("t"), 0, 1).Union())); }},
      {"alter_queue", [](auto& f) { f.Finish(wire::CreateFrame(f, 19, wire::Body::AlterQueue, wire::CreateAlterQueue(f, f.CreateString("q"), wire::CreateQueueOptions(f, 1000, 2)).Union())); }},
      {"unsubscribe", [](auto& f) { f.Finish(wire::CreateFrame(f, 20, wire::Body::Unsubscribe, wire::CreateUnsubscribe(f, 1, 2).Union())); }},
      {"delete_queue", [](auto& f) { f.Finish(wire::CreateFrame(f, 21, wire::Body::DeleteQueue, wire::CreateDeleteQueue(f, f.CreateString("r"), true).Union())); }},
  };
  std::vector<std::uint8_t> stream;
  for (const auto& [name, build] : requests) {
    flatbuffers::FlatBufferBuilder fbb;
    build(fbb);
    write(out / "dispatch" / name, fbb.GetBufferPointer(), fbb.GetSize());
    std::vector<std::uint8_t> framed;
    protocol::append_frame(framed, fbb);
    write(out / "frame" / name, framed.data(), framed.size());
    stream.insert(stream.end(), framed.begin(), framed.end());
    if (name == "produce")
      for (std::size_t cut = 1; cut < framed.size(); ++cut)
        write(out / "frame" / ("produce_prefix_" + std::to_string(cut)), framed.data(), cut);
  }
  write(out / "frame" / "all_requests", stream.data(), stream.size());
  write(out / "frame" / "batch", b.data(), b.size());
  // Ops scripts: bytes select operations; a few shapes to start from.
  const std::vector<std::vector<std::uint8_t>> scripts = {
      {0, 0, 2, 'a', 'b', 1, 0, 0, 8, 1, 1, 0},
      {3, 2, 3, 'x', 4, 0, 5, 1, 6, 2, 7, 8},
      {0, 1, 5, 1, 2, 3, 4, 5, 2, 1, 1, 8, 1, 1, 0, 3, 1, 1, 'p', 4, 0, 8},
  };
  for (std::size_t i = 0; i < scripts.size(); ++i)
    write(out / "ops" / ("script_" + std::to_string(i)), scripts[i].data(), scripts[i].size());
  std::printf("seeds written to %s\n", out.c_str());
  return 0;
}
