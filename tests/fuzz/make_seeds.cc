// Writes the seed corpora of the fuzzers: one real frame payload per
// request type (dispatch), the same as framed bytes plus every prefix of
// one frame (frame), short operation scripts (ops), and Kafka requests
// (kafka: header and body, at the versions clients send), every record
// format and codec among them (v2 batches with each codec; magic 0 and 1
// message sets, plain and as gzip/snappy/lz4/zstd wrappers), and HTTP
// requests for the framing fuzzer (http).
//   make_seeds OUT_DIR
#include <flatbuffers/flatbuffers.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include <zlib.h>

#include "protocol/compression.h"
#include "protocol/frame.h"
#include "protocol/kafka/codec.h"
#include "protocol/record_batch.h"
#include "wharf_generated.h"
#include "protocol/frame_builder.h"

namespace {

using namespace wharf;
using Build = std::function<void(flatbuffers::FlatBufferBuilder&)>;

void write(const std::filesystem::path& p, const std::uint8_t* data, std::size_t n) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n));
}

std::vector<std::uint8_t> batch(protocol::Codec codec = protocol::Codec::none) {
  protocol::batch::Builder b;
  std::vector<Header> headers = {{"k", "v"}};
  ProducerRecord r;
  r.key = "key";
  r.value = "value";
  r.headers = headers;
  b.add(r, 1700000000000);
  b.add(r, 1700000000001);
  auto bytes = b.finish(codec);
  return {bytes->begin(), bytes->end()};
}

// A magic 0/1 message; a compressed one (codec != none) holds `value`, a
// message set, compressed.
std::vector<std::uint8_t> legacy_message(std::int8_t magic, protocol::Codec codec, std::span<const std::uint8_t> value) {
  std::vector<std::uint8_t> packed;
  if (codec != protocol::Codec::none) (void)protocol::compress(codec, value, &packed);
  const std::span<const std::uint8_t> body = codec == protocol::Codec::none ? value : std::span(packed);
  std::vector<std::uint8_t> out;
  protocol::kafka::Writer w(out);
  w.i64(0);
  const auto size_at = w.placeholder_i32();
  const auto crc_at = w.placeholder_i32();
  w.i8(magic);
  w.i8(static_cast<std::int8_t>(codec));
  if (magic == 1) w.i64(1700000000000);
  w.bytes(std::vector<std::uint8_t>{'k'});
  w.bytes(std::vector<std::uint8_t>(body.begin(), body.end()));
  w.patch_i32(size_at, static_cast<std::int32_t>(out.size() - size_at - 4));
  w.patch_i32(crc_at, static_cast<std::int32_t>(::crc32(0, out.data() + crc_at + 4,
                                                        static_cast<uInt>(out.size() - crc_at - 4))));
  return out;
}

// The record sets a produce may carry: v2 batches with each codec, and old
// message sets (magic 0 and 1), plain and wrapped in each codec.
std::vector<std::pair<std::string, std::vector<std::uint8_t>>> record_sets() {
  using protocol::Codec;
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> out;
  for (Codec c : {Codec::none, Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd})
    out.emplace_back("v2_" + std::string(protocol::codec_name(c)), batch(c));
  const std::vector<std::uint8_t> value = {'l', 'e', 'g', 'a', 'c', 'y'};
  for (std::int8_t magic : {0, 1}) {
    auto plain = legacy_message(magic, Codec::none, value);
    plain.insert(plain.end(), plain.begin(), plain.end());  // two messages
    out.emplace_back("magic" + std::to_string(magic) + "_none", plain);
    for (Codec c : {Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd})
      out.emplace_back("magic" + std::to_string(magic) + "_" + std::string(protocol::codec_name(c)),
                       legacy_message(magic, c, plain));
  }
  return out;
}

// Attacks that once worked: small inputs that decompress far past the
// broker's limits (an old-format gzip wrapper and a v2 zstd batch of 32 MiB).
std::vector<std::pair<std::string, std::vector<std::uint8_t>>> with_bombs(
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> sets) {
  using protocol::Codec;
  const std::vector<std::uint8_t> zeros(32u << 20, 0);
  const auto inner = legacy_message(1, Codec::none, zeros);
  sets.emplace_back("magic1_gzip_bomb", legacy_message(1, Codec::gzip, inner));
  protocol::batch::Builder b;
  ProducerRecord r;
  r.value = std::string_view(reinterpret_cast<const char*>(zeros.data()), zeros.size());
  b.add(r, 1700000000000);
  auto bomb = b.finish(Codec::zstd);
  sets.emplace_back("v2_zstd_bomb", std::vector<std::uint8_t>(bomb->begin(), bomb->end()));
  return sets;
}

using KafkaBody = std::function<void(protocol::kafka::Writer&)>;

void write_kafka_seeds(const std::filesystem::path& dir, const std::vector<std::uint8_t>& b) {
  using protocol::kafka::Writer;
  const std::vector<std::tuple<std::string, std::int16_t, std::int16_t, KafkaBody>> requests = {
      {"api_versions_v0", 18, 0, [](Writer&) {}},
      {"api_versions_v3", 18, 3, [](Writer& w) { w.i8(0); }},
      {"metadata_v4", 3, 4, [](Writer& w) { w.array(1); w.string("t"); w.boolean(true); }},
      {"metadata_v0_all", 3, 0, [](Writer& w) { w.array(0); }},
      {"produce_v7", 0, 7, [&](Writer& w) {
         w.nullable_string(std::nullopt); w.i16(-1); w.i32(1000); w.array(1); w.string("t"); w.array(1); w.i32(0); w.bytes(b);
       }},
      {"produce_v0_acks0", 0, 0, [&](Writer& w) {
         w.i16(0); w.i32(1000); w.array(1); w.string("t"); w.array(1); w.i32(1); w.bytes(b);
       }},
      {"fetch_v11", 1, 11, [](Writer& w) {
         w.i32(-1); w.i32(10); w.i32(1); w.i32(1 << 20); w.i8(0); w.i32(0); w.i32(-1);
         w.array(1); w.string("t"); w.array(1); w.i32(0); w.i32(-1); w.i64(0); w.i64(-1); w.i32(1 << 20);
         w.array(0); w.string("");
       }},
      {"fetch_v2", 1, 2, [](Writer& w) {
         w.i32(-1); w.i32(10); w.i32(1); w.array(1); w.string("t"); w.array(1); w.i32(0); w.i64(0); w.i32(1 << 20);
       }},
      {"list_offsets_v2", 2, 2, [](Writer& w) {
         w.i32(-1); w.i8(0); w.array(1); w.string("t"); w.array(1); w.i32(0); w.i64(-2);
       }},
      {"create_topics_v4", 19, 4, [](Writer& w) {
         w.array(1); w.string("made"); w.i32(3); w.i16(1); w.array(0); w.array(1); w.string("retention.ms");
         w.nullable_string("60000"); w.i32(1000); w.boolean(false);
       }},
      {"delete_records_v1", 21, 1, [](Writer& w) {
         w.array(1); w.string("t"); w.array(1); w.i32(0); w.i64(1); w.i32(1000);
       }},
      {"join_group_v5", 11, 5, [](Writer& w) {
         w.string("g"); w.i32(500); w.i32(500); w.string(""); w.nullable_string(std::nullopt); w.string("consumer");
         w.array(1); w.string("range"); w.bytes(std::vector<std::uint8_t>{0, 0, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff});
       }},
      {"offset_commit_v7", 8, 7, [](Writer& w) {
         w.string("g"); w.i32(-1); w.string(""); w.nullable_string(std::nullopt); w.array(1); w.string("t"); w.array(1);
         w.i32(0); w.i64(0); w.i32(-1); w.nullable_string("");
       }},
      {"offset_fetch_v5", 9, 5, [](Writer& w) { w.string("g"); w.i32(-1); }},
  };
  const auto write_request = [&](const std::string& name, std::int16_t key, std::int16_t version, const KafkaBody& body) {
    std::vector<std::uint8_t> out;
    Writer w(out);
    w.i16(key);
    w.i16(version);
    w.i32(7);
    w.string("seed");
    body(w);
    write(dir / name, out.data(), out.size());
  };
  for (const auto& [name, key, version, body] : requests) write_request(name, key, version, body);
  // Produce of every record format and codec, at a version that carries it.
  for (const auto& entry : with_bombs(record_sets())) {
    const std::string& name = entry.first;
    const std::vector<std::uint8_t>& set = entry.second;
    const std::int16_t version = name.rfind("v2_", 0) == 0 ? 7 : 2;
    write_request("produce_" + name, 0, version, [&set, version](Writer& w) {
      if (version >= 3) w.nullable_string(std::nullopt);
      w.i16(-1); w.i32(1000); w.array(1); w.string("t"); w.array(1); w.i32(0); w.bytes(set);
    });
  }
}

void write_http_seeds(const std::filesystem::path& dir) {
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"get", "GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
      {"post", "POST /api/v1/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"},
      {"chunked", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\n{}\r\n0\r\nT: 1\r\n\r\n"},
      {"pipelined", "GET / HTTP/1.1\r\n\r\nGET /metrics HTTP/1.0\r\nConnection: close\r\n\r\n"},
      {"bad_length", "POST /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n"},
  };
  // The attack of many tiny chunks with long lines (framing past the body limit).
  std::string flood = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 100; ++i) flood += "1;" + std::string(1000, 'e') + "\r\nx\r\n";
  write(dir / "chunk_flood", reinterpret_cast<const std::uint8_t*>(flood.data()), flood.size());
  for (const auto& [name, text] : requests)
    write(dir / name, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path out = argv[1];
  for (const char* d : {"frame", "dispatch", "ops", "kafka", "http"}) std::filesystem::create_directories(out / d);
  const auto b = batch();
  std::vector<std::pair<std::string, Build>> requests = {
      {"hello", [](auto& f) { protocol::finish_frame(f, 1, wire::CreateHello(f, 1)); }},
      {"create_topic", [](auto& f) { protocol::finish_frame(f, 2, wire::CreateCreateTopic(f, f.CreateString("s"), 2)); }},
      {"produce", [&](auto& f) { protocol::finish_frame(f, 3, wire::CreateProduce(f, f.CreateString("t"), 0, f.CreateVector(b))); }},
      {"fetch", [](auto& f) { protocol::finish_frame(f, 4, wire::CreateFetch(f, f.CreateString("t"), 0, 0, 4096, 0)); }},
      {"list_offsets", [](auto& f) { protocol::finish_frame(f, 5, wire::CreateListOffsets(f, f.CreateString("t"), 1, wire::OffsetSpec::Timestamp, 5)); }},
      {"commit_offsets", [](auto& f) {
         std::vector<flatbuffers::Offset<wire::PartitionOffset>> o = {wire::CreatePartitionOffset(f, 0, 1)};
         protocol::finish_frame(f, 6, wire::CreateCommitOffsets(f, f.CreateString("g"), f.CreateString("t"), f.CreateVector(o)));
       }},
      {"fetch_offsets", [](auto& f) { protocol::finish_frame(f, 7, wire::CreateFetchOffsets(f, f.CreateString("g"))); }},
      {"describe_topic", [](auto& f) { protocol::finish_frame(f, 8, wire::CreateDescribeTopic(f, f.CreateString("t"))); }},
      {"create_queue", [](auto& f) { protocol::finish_frame(f, 9, wire::CreateCreateQueue(f, f.CreateString("r"), wire::CreateQueueOptions(f))); }},
      {"publish", [](auto& f) {
         std::vector<flatbuffers::Offset<wire::OutMessage>> m = {wire::CreateOutMessage(f, f.CreateVector(std::vector<std::uint8_t>{1, 2, 3}))};
         protocol::finish_frame(f, 10, wire::CreatePublish(f, f.CreateString("q"), f.CreateVector(m)));
       }},
      {"subscribe", [](auto& f) { protocol::finish_frame(f, 11, wire::CreateSubscribe(f, f.CreateString("q"), 4)); }},
      {"settle", [](auto& f) {
         std::vector<flatbuffers::Offset<wire::SettleItem>> i = {wire::CreateSettleItem(f, 1, 1, 1, wire::SettleKind::Nack, 0)};
         protocol::finish_frame(f, 12, wire::CreateSettle(f, f.CreateVector(i), true));
       }},
      {"peek", [](auto& f) { protocol::finish_frame(f, 13, wire::CreatePeekQueue(f, f.CreateString("q"), 5)); }},
      {"get_message", [](auto& f) { protocol::finish_frame(f, 14, wire::CreateGetMessage(f, f.CreateString("q"), 1)); }},
      {"redrive", [](auto& f) { protocol::finish_frame(f, 15, wire::CreateRedrive(f, f.CreateString("q.dlq"), 0, wire::RedriveSelect::All)); }},
      {"purge", [](auto& f) { protocol::finish_frame(f, 16, wire::CreatePurgeQueue(f, f.CreateString("r"))); }},
      {"alter_topic", [](auto& f) { protocol::finish_frame(f, 17, wire::CreateAlterTopic(f, f.CreateString("t"), 3, 60000)); }},
      {"delete_records", [](auto& f) { protocol::finish_frame(f, 18, wire::CreateDeleteRecords(f, f.CreateString("t"), 0, 1)); }},
      {"alter_queue", [](auto& f) { protocol::finish_frame(f, 19, wire::CreateAlterQueue(f, f.CreateString("q"), wire::CreateQueueOptions(f, 1000, 2))); }},
      {"join_group", [](auto& f) {
         std::vector<flatbuffers::Offset<flatbuffers::String>> t = {f.CreateString("t")};
         protocol::finish_frame(f, 20, wire::CreateJoinGroup(f, f.CreateString("g"), 0, f.CreateVector(t), 500, 500));
       }},
      {"group_heartbeat", [](auto& f) { protocol::finish_frame(f, 21, wire::CreateGroupHeartbeat(f, f.CreateString("g"), 1, f.CreateString("m"))); }},
      {"leave_group", [](auto& f) { protocol::finish_frame(f, 22, wire::CreateLeaveGroup(f, f.CreateString("g"), f.CreateString("m"))); }},
      {"list_groups", [](auto& f) { protocol::finish_frame(f, 23, wire::CreateListGroups(f)); }},
      {"describe_group", [](auto& f) { protocol::finish_frame(f, 24, wire::CreateDescribeGroup(f, f.CreateString("g"))); }},
      {"delete_group", [](auto& f) { protocol::finish_frame(f, 25, wire::CreateDeleteGroup(f, f.CreateString("g"))); }},
      {"init_producer", [](auto& f) { protocol::finish_frame(f, 26, wire::CreateInitProducer(f)); }},
      {"unsubscribe", [](auto& f) { protocol::finish_frame(f, 20, wire::CreateUnsubscribe(f, 1, 2)); }},
      {"delete_queue", [](auto& f) { protocol::finish_frame(f, 21, wire::CreateDeleteQueue(f, f.CreateString("r"), true)); }},
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
  for (const auto& [name, set] : with_bombs(record_sets())) {
    write(out / "frame" / ("batch_" + name), set.data(), set.size());
    if (name.rfind("v2_", 0) != 0) continue;
    flatbuffers::FlatBufferBuilder fbb;
    protocol::finish_frame(fbb, 3, wire::CreateProduce(fbb, fbb.CreateString("t"), 0, fbb.CreateVector(set)));
    write(out / "dispatch" / ("produce_" + name), fbb.GetBufferPointer(), fbb.GetSize());
    // The same batch appended through an AckPublish, checked on the same path.
    flatbuffers::FlatBufferBuilder ack;
    const auto append = wire::CreateLogAppend(ack, ack.CreateString("t"), 0, ack.CreateVector(set));
    const auto appends = ack.CreateVector(std::vector<flatbuffers::Offset<wire::LogAppend>>{append});
    protocol::finish_frame(ack, 3, wire::CreateAckPublish(ack, 0, 0, appends));
    write(out / "dispatch" / ("ack_publish_" + name), ack.GetBufferPointer(), ack.GetSize());
  }
  write_http_seeds(out / "http");
  // Ops scripts: bytes select operations; a few shapes to start from.
  const std::vector<std::vector<std::uint8_t>> scripts = {
      {0, 0, 2, 'a', 'b', 1, 0, 0, 8, 1, 1, 0},
      {3, 2, 3, 'x', 4, 0, 5, 1, 6, 2, 7, 8},
      {0, 1, 5, 1, 2, 3, 4, 5, 2, 1, 1, 8, 1, 1, 0, 3, 1, 1, 'p', 4, 0, 8},
  };
  for (std::size_t i = 0; i < scripts.size(); ++i)
    write(out / "ops" / ("script_" + std::to_string(i)), scripts[i].data(), scripts[i].size());
  write_kafka_seeds(out / "kafka", b);
  std::printf("seeds written to %s\n", out.c_str());
  return 0;
}
