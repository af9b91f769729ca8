// Fuzzes what reads untrusted Kafka bytes. Each input is one request (its
// header and body, without the size): first every decoder that could read
// it runs on it alone (the request struct of its key at every version, the
// record set conversion, the group payloads); then it is sent, framed, to
// an in-process broker's Kafka listener with an ApiVersions request behind
// it. The broker must answer in order or close the connection, never
// crash, and keep serving.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "protocol/kafka/admin_messages.h"
#include "protocol/kafka/consumer_protocol.h"
#include "protocol/kafka/group_messages.h"
#include "protocol/kafka/header.h"
#include "protocol/kafka/legacy_records.h"
#include "protocol/kafka/log_messages.h"
#include "protocol/record_batch.h"
#include "wharf/broker.h"
#include "wharf/client.h"
#include "tests/fuzz/fuzz_connection.h"

namespace {

using namespace wharf;
namespace pk = protocol::kafka;

template <typename Request>
void try_decode(std::span<const std::uint8_t> body, std::int16_t version) {
  pk::Reader r(body);
  Request req;
  (void)pk::decode(r, version, &req);
}

// Every decoder, at every version, on the body: none may read out of bounds.
void decode_everything(std::span<const std::uint8_t> body) {
  for (std::int16_t v = 0; v <= 11; ++v) {
    try_decode<pk::MetadataRequest>(body, v);
    try_decode<pk::FetchRequest>(body, v);
    try_decode<pk::ListOffsetsRequest>(body, v);
    try_decode<pk::FindCoordinatorRequest>(body, v);
    try_decode<pk::JoinGroupRequest>(body, v);
    try_decode<pk::SyncGroupRequest>(body, v);
    try_decode<pk::HeartbeatRequest>(body, v);
    try_decode<pk::LeaveGroupRequest>(body, v);
    try_decode<pk::OffsetCommitRequest>(body, v);
    try_decode<pk::OffsetFetchRequest>(body, v);
    try_decode<pk::DescribeGroupsRequest>(body, v);
    try_decode<pk::DeleteGroupsRequest>(body, v);
    try_decode<pk::CreateTopicsRequest>(body, v);
    try_decode<pk::DeleteTopicsRequest>(body, v);
    try_decode<pk::DeleteRecordsRequest>(body, v);
    try_decode<pk::InitProducerIdRequest>(body, v);
    pk::Reader r(body);
    pk::ProduceRequest produce;
    if (pk::decode(r, v, &produce))
      for (const auto& t : produce.topics)
        for (const auto& p : t.partitions)
          if (p.records) (void)pk::upconvert_message_set(*p.records, 0, 1u << 20);
  }
  (void)pk::upconvert_message_set(body, 0, 1u << 20);
  (void)pk::decode_subscription(body);
  (void)pk::decode_assignment(body);
  protocol::batch::BatchInfo info;
  if (protocol::batch::validate(body, &info, 8u << 20).ok()) {
    std::vector<std::uint8_t> out;
    pk::Writer w(out);
    (void)pk::downconvert_batch(body, 0, 0, w);
    (void)pk::downconvert_batch(body, 1, 0, w);
  }
}

std::unique_ptr<Broker> g_broker;
fuzz::FuzzConnection g_conn("kafka_fuzzer");

// Reads responses until the probe's (true) or a close (false). Responses
// come in request order and nothing follows the probe, so the probe's is
// the last; before it, only the fuzzed request may have been answered.
bool await_response(std::int32_t probe, std::int32_t fuzzed) {
  auto& buf = g_conn.in();
  int answers_to_fuzzed = 0;
  for (;;) {
    while (buf.size() >= 8) {
      const auto size = protocol::load_be<std::int32_t>(buf.data());
      if (size < 4) std::abort();  // the broker must frame its responses
      if (buf.size() < 4 + static_cast<std::size_t>(size)) break;
      const auto got = protocol::load_be<std::int32_t>(buf.data() + 4);
      const bool asked = got == probe || (got == fuzzed && ++answers_to_fuzzed == 1);
      if (!asked) {
        std::fprintf(stderr, "kafka_fuzzer: a response to %d, which was not asked (or once more)\n", got);
        std::abort();
      }
      buf.erase(buf.begin(), buf.begin() + 4 + size);
      if (got != probe) continue;
      if (!buf.empty()) {
        std::fprintf(stderr, "kafka_fuzzer: %zu bytes after the probe's response\n", buf.size());
        std::abort();
      }
      return true;
    }
    // Fetches long-poll for at most max_fetch_wait.
    if (!g_conn.receive(std::chrono::seconds(10))) return false;
  }
}

void reconnect() { g_conn.reconnect(g_broker->kafka_port()); }

void start() {
  const char* shm = "/dev/shm";
  std::string base = std::filesystem::exists(shm) ? shm : std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/wharf-kafka-fuzz-XXXXXX";
  const std::string dir = ::mkdtemp(pattern.data());
  BrokerOptions o;
  o.listen = false;
  o.kafka.listen = true;
  o.kafka.port = 0;
  o.data_dir = dir + "/data";
  o.map_size = 256u << 20;
  o.io_threads = 1;
  // Groups settle fast: a join waits for the members earlier connections
  // left behind until their sessions expire, so sessions are short (with
  // up to 1 s, joins made runs swing between 300 and 2,400 inputs/s).
  o.groups.initial_rebalance_delay = std::chrono::milliseconds(0);
  o.groups.min_session_timeout = std::chrono::milliseconds(10);
  o.groups.max_session_timeout = std::chrono::milliseconds(100);
  // Inputs per second matter more than each one's durability: no long
  // polls, no flush per commit.
  o.max_fetch_wait = std::chrono::milliseconds(0);
  o.durability = Durability::relaxed;
  o.log = [](LogLevel, std::string_view) {};
  auto b = Broker::start(o);
  if (!b) std::abort();
  g_broker = std::move(*b);
  static std::string data_dir = dir;
  std::atexit([] {
    g_broker->stop();
    std::filesystem::remove_all(data_dir);
  });
  auto c = Client::connect(g_broker->client_options());
  (*c)->create_topic({"t", 2});
  reconnect();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return 0;
  std::span<const std::uint8_t> input(data, size);
  pk::Reader header_reader(input);
  pk::RequestHeader h;
  const bool has_header = pk::read_request_header(header_reader, &h);
  decode_everything(has_header ? input.subspan(size - header_reader.remaining()) : input);

  if (!g_broker) start();
  std::vector<std::uint8_t> bytes;
  pk::Writer w(bytes);
  w.i32(static_cast<std::int32_t>(size));
  w.raw(data, size);
  // The probe's correlation id differs from the fuzzed request's (the
  // fuzzer learns the constant from the comparisons above and copies it in).
  constexpr std::int32_t kProbe = 0x7EADBEEF;
  const std::int32_t probe = has_header && h.correlation_id == kProbe ? kProbe + 1 : kProbe;
  const std::size_t probe_at = w.placeholder_i32();
  w.i16(18);  // ApiVersions v0
  w.i16(0);
  w.i32(probe);
  w.string("probe");
  w.patch_i32(probe_at, static_cast<std::int32_t>(bytes.size() - probe_at - 4));
  if (!g_conn.send_all(bytes) || !await_response(probe, has_header ? h.correlation_id : probe)) reconnect();
  if (!g_broker->health().ok()) std::abort();
  return 0;
}
