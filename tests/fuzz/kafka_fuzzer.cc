// Fuzzes what reads untrusted Kafka bytes. Each input is one request (its
// header and body, without the size): first every decoder that could read
// it runs on it alone (the request struct of its key at every version, the
// record set conversion, the group payloads); then it is sent, framed, to
// an in-process broker's Kafka listener with an ApiVersions request behind
// it. The broker must answer in order or close the connection, never
// crash, and keep serving.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
          if (p.records) (void)pk::upconvert_message_set(*p.records, 0);
  }
  (void)pk::upconvert_message_set(body, 0);
  (void)pk::decode_subscription(body);
  (void)pk::decode_assignment(body);
  protocol::batch::BatchInfo info;
  if (protocol::batch::validate(body, &info).ok()) {
    std::vector<std::uint8_t> out;
    pk::Writer w(out);
    (void)pk::downconvert_batch(body, 0, 0, w);
    (void)pk::downconvert_batch(body, 1, 0, w);
  }
}

std::unique_ptr<Broker> g_broker;
int g_fd = -1;
std::vector<std::uint8_t> g_in;  // received bytes not yet taken as responses

bool send_all(const std::vector<std::uint8_t>& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(g_fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// libFuzzer's -timeout arms a periodic SIGALRM: only the deadline means
// "no answer".
bool readable_within(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{g_fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

// Reads responses until the one with `corr` (true) or a close (false).
// Responses come in request order, so the probe's is the last.
bool await_response(std::int32_t corr, std::int32_t fuzzed_corr) {
  std::uint8_t chunk[65536];
  for (;;) {
    while (g_in.size() >= 8) {
      const auto size = protocol::load_be<std::int32_t>(g_in.data());
      if (size < 4) std::abort();  // the broker must frame its responses
      if (g_in.size() < 4 + static_cast<std::size_t>(size)) break;
      const auto got = protocol::load_be<std::int32_t>(g_in.data() + 4);
      if (got != corr && got != fuzzed_corr) std::abort();  // an answer to nothing that was asked
      g_in.erase(g_in.begin(), g_in.begin() + 4 + size);
      if (got == corr) return true;
    }
    // Fetches long-poll for at most max_fetch_wait.
    if (!readable_within(std::chrono::seconds(10))) std::abort();
    const ssize_t n = ::recv(g_fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    g_in.insert(g_in.end(), chunk, chunk + n);
  }
}

void reconnect() {
  if (g_fd >= 0) {
    linger reset{1, 0};
    ::setsockopt(g_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    ::close(g_fd);
  }
  g_in.clear();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_broker->kafka_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    g_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(g_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) break;
    const int err = errno;
    ::close(g_fd);
    if ((err != EINTR && err != EADDRNOTAVAIL && err != EAGAIN) || std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "kafka_fuzzer: connect: %s\n", std::strerror(err));
      std::abort();
    }
    ::usleep(1000);
  }
  int one = 1;
  ::setsockopt(g_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

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
  o.max_fetch_wait = std::chrono::milliseconds(50);
  o.log = [](std::string_view) {};
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
  constexpr std::int32_t kProbe = 0x7EADBEEF;
  const std::size_t probe_at = w.placeholder_i32();
  w.i16(18);  // ApiVersions v0
  w.i16(0);
  w.i32(kProbe);
  w.string("probe");
  w.patch_i32(probe_at, static_cast<std::int32_t>(bytes.size() - probe_at - 4));
  if (!send_all(bytes) || !await_response(kProbe, has_header ? h.correlation_id : kProbe)) reconnect();
  if (!g_broker->health().ok()) std::abort();
  return 0;
}
