// Fuzzes the broker's verify-and-dispatch path: each input is sent as the
// payload of one frame, after a handshake, to an in-process broker (data on
// a tmpfs when one is there). The broker must answer or close, and must
// never crash or stop serving a well-behaved request.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "protocol/frame.h"
#include "protocol/varint.h"
#include "wharf/broker.h"
#include "wharf/client.h"
#include "wharf_generated.h"
#include "protocol/frame_builder.h"
#include "tests/fuzz/fuzz_connection.h"

namespace {

using namespace wharf;

std::unique_ptr<Broker> g_broker;
fuzz::FuzzConnection g_conn("dispatch_fuzzer");
// Reads until the reply with `corr` (true) or the connection closes (false).
bool await_reply(std::uint64_t corr) {
  auto& buf = g_conn.in();
  for (;;) {
    for (;;) {
      auto d = protocol::decode_frame(buf, 1u << 30);
      if (d.state != protocol::DecodeState::complete) break;
      const auto* f = protocol::verify_frame(d.payload);
      if (f == nullptr) std::abort();  // the broker must only send valid frames
      const bool mine = f->correlation_id() == corr;
      buf.erase(buf.begin(), buf.begin() + static_cast<long>(protocol::kFrameHeaderSize + d.payload.size()));
      if (mine) return true;
    }
    if (!g_conn.receive(std::chrono::seconds(10))) return false;
  }
}

std::vector<std::uint8_t> frame_of(const flatbuffers::FlatBufferBuilder& fbb) {
  std::vector<std::uint8_t> out;
  protocol::append_frame(out, fbb);
  return out;
}

void reconnect() {
  g_conn.reconnect(g_broker->port());
  flatbuffers::FlatBufferBuilder fbb;
  auto hello = wire::CreateHello(fbb, protocol::kProtocolVersion);
  protocol::finish_frame(fbb, 1, hello);
  if (!g_conn.send_all(frame_of(fbb)) || !await_reply(1)) std::abort();
}

void start() {
  const char* shm = "/dev/shm";
  std::string base = std::filesystem::exists(shm) ? shm : std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/wharf-fuzz-XXXXXX";
  const std::string dir = ::mkdtemp(pattern.data());
  BrokerOptions o;
  o.port = 0;
  o.data_dir = dir + "/data";
  o.map_size = 256u << 20;
  o.io_threads = 1;
  // Groups settle fast: a join waits for the members earlier connections
  // left behind until their sessions expire, so sessions are short.
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
  // The data lives in RAM when on /dev/shm: remove it on a normal exit.
  static std::string data_dir = dir;
  std::atexit([] {
    g_broker->stop();
    std::filesystem::remove_all(data_dir);
  });
  ClientOptions co;
  co.broker = g_broker->address();
  auto c = Client::connect(co);
  (*c)->create_topic({"t", 2});
  (*c)->create_queue("q");
  reconnect();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!g_broker) start();
  if (size > (1u << 20)) return 0;
  // The input is a Frame payload; the harness adds header and padding.
  std::vector<std::uint8_t> frame(protocol::framed_size(size), 0);
  protocol::store_le<std::uint32_t>(frame.data(), static_cast<std::uint32_t>(protocol::padded_size(size)));
  frame[4] = protocol::kMagic0;
  frame[5] = protocol::kMagic1;
  frame[6] = protocol::kFrameFormatVersion;
  if (size > 0) std::memcpy(frame.data() + protocol::kFrameHeaderSize, data, size);
  // A well-behaved request right behind it must still be answered, unless
  // the fuzzed frame made the broker close the connection.
  // Its id changes with every input: a fuzzed frame that learned one (from
  // the comparison in await_reply) would have its reply taken for the probe's.
  static std::uint64_t probe_id = 0xC0FFEE0000;
  ++probe_id;
  flatbuffers::FlatBufferBuilder fbb;
  auto body = wire::CreateListTopics(fbb);
  protocol::finish_frame(fbb, probe_id, body);
  auto probe = frame_of(fbb);
  frame.insert(frame.end(), probe.begin(), probe.end());
  if (!g_conn.send_all(frame) || !await_reply(probe_id)) reconnect();
  if (!g_broker->health().ok()) std::abort();
  return 0;
}
