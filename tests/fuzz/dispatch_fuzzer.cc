// Fuzzes the broker's verify-and-dispatch path: each input is sent as the
// payload of one frame, after a handshake, to an in-process broker (data on
// a tmpfs when one is there). The broker must answer or close, and must
// never crash or stop serving a well-behaved request.
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

#include "protocol/frame.h"
#include "protocol/varint.h"
#include "wharf/broker.h"
#include "wharf/client.h"
#include "wharf_generated.h"
#include "protocol/frame_builder.h"

namespace {

using namespace wharf;

std::unique_ptr<Broker> g_broker;
int g_fd = -1;
std::vector<std::uint8_t> g_in;  // bytes received and not yet framed (kept across inputs)

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

// libFuzzer's -timeout arms a periodic SIGALRM, so poll() can return EINTR
// long before the deadline: only the deadline means "no answer".
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

// Reads until the reply with `corr` (true) or the connection closes (false).
bool await_reply(std::uint64_t corr) {
  auto& buf = g_in;
  std::uint8_t chunk[65536];
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
    if (!readable_within(std::chrono::seconds(10))) std::abort();  // a request got no answer
    const ssize_t n = ::recv(g_fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.insert(buf.end(), chunk, chunk + n);
  }
}

std::vector<std::uint8_t> frame_of(const flatbuffers::FlatBufferBuilder& fbb) {
  std::vector<std::uint8_t> out;
  protocol::append_frame(out, fbb);
  return out;
}

// Millions of inputs mean hundreds of thousands of reconnects: close with a
// reset (no TIME_WAIT held here), and retry a connect that a signal
// interrupted or that found every ephemeral port still in TIME_WAIT.
void reconnect() {
  if (g_fd >= 0) {
    linger reset{1, 0};
    ::setsockopt(g_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    ::close(g_fd);
  }
  g_in.clear();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_broker->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    g_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(g_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) break;
    const int err = errno;
    ::close(g_fd);
    if ((err != EINTR && err != EADDRNOTAVAIL && err != EAGAIN) || std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "dispatch_fuzzer: connect: %s\n", std::strerror(err));
      std::abort();
    }
    ::usleep(1000);
  }
  int one = 1;
  ::setsockopt(g_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  flatbuffers::FlatBufferBuilder fbb;
  auto hello = wire::CreateHello(fbb, protocol::kProtocolVersion);
  protocol::finish_frame(fbb, 1, hello);
  if (!send_all(frame_of(fbb)) || !await_reply(1)) std::abort();
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
  o.log = [](std::string_view) {};
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
  flatbuffers::FlatBufferBuilder fbb;
  auto body = wire::CreateListTopics(fbb);
  protocol::finish_frame(fbb, 0xC0FFEE, body);
  auto probe = frame_of(fbb);
  frame.insert(frame.end(), probe.begin(), probe.end());
  if (!send_all(frame) || !await_reply(0xC0FFEE)) reconnect();
  if (!g_broker->health().ok()) std::abort();
  return 0;
}
