// Clients that misbehave on purpose, each while a well-behaved client keeps
// working: endless garbage, a consumer that never reads its replies, too
// many requests in flight.
#include <gtest/gtest.h>
#include <malloc.h>

#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include "support/raw_connection.h"
#include "support/test_broker.h"
#include "support/wait_for.h"
#include "wharf/producer.h"
#include "wharf/queue.h"
#include "protocol/frame_builder.h"

namespace wharf {
namespace {

using test::RawConnection;

// Anonymous resident memory (the heap): unlike the whole RSS, it leaves out
// the pages of the LMDB map that reads touch.
std::size_t heap_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::stoull(line.substr(8)) << 10;
  return 0;
}

std::size_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// What a misbehaving client may cost the broker (this test process) at most:
// far below what its requests would take unbounded (gigabytes).
constexpr std::size_t kMemoryBound = 128u << 20;
// A subscriber's share: its output limit (1 MiB here), one group's
// deliveries past it (1 MiB), and the buffers they pass through, which the
// allocator's per-thread arenas keep (9-12 MiB measured on a 2-core
// machine); unbounded, the 32 MiB of messages would all be held at once.
constexpr std::size_t kHeapBound = 20u << 20;
// Sanitizer allocators hold freed memory (ASan's quarantine) or add shadow
// pages (TSan): the heap bound is checked only without them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kHeapMeasurable = false;
#else
constexpr bool kHeapMeasurable = true;
#endif

void fill(Client& c, const std::string& topic, int records, std::size_t size) {
  Producer p(c);
  std::string value(size, 'v');
  ProducerRecord r;
  r.value = value;
  for (int i = 0; i < records; ++i) p.send(topic, 0, r);
  p.flush();
}

std::vector<std::uint8_t> fetch_frame(std::uint64_t corr, const std::string& topic, std::uint32_t max_bytes,
                                      std::uint32_t wait_ms) {
  flatbuffers::FlatBufferBuilder fbb;
  auto t = fbb.CreateString(topic);
  auto body = wire::CreateFetch(fbb, t, 0, 0, max_bytes, wait_ms);
  protocol::finish_frame(fbb, corr, body);
  std::vector<std::uint8_t> out;
  protocol::append_frame(out, fbb);
  return out;
}

TEST(NetHostile, EndlessGarbageIsCutOffAndHarmsNoOne) {
  test::TestBroker tb;
  auto good = tb.client();
  ASSERT_TRUE(good->create_topic({"t", 1}).ok());
  std::atomic<bool> stop{false};
  int connections = 0;
  int cut_off = 0;
  std::thread flood([&] {
    std::mt19937 rng(1);
    std::vector<std::uint8_t> junk(64 << 10);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!stop && std::chrono::steady_clock::now() < until) {
      RawConnection raw(tb.broker().port());
      ++connections;
      for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
      for (int i = 0; i < 16 && raw.send_bytes(junk); ++i) {
      }
      if (raw.closed_by_peer(std::chrono::seconds(2))) ++cut_off;
    }
  });
  Producer p(*good);
  ProducerRecord r;
  r.value = "fine";
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(p.send_and_wait("t", 0, r).ok());
  stop = true;
  flood.join();
  EXPECT_GT(connections, 0);
  EXPECT_EQ(cut_off, connections) << "the broker closes every connection that sends garbage";
  EXPECT_TRUE(tb.broker().health().ok());
  EXPECT_EQ(*good->latest_offset("t", 0), 50);
}

// A broker with a 1 MiB output limit, and a client of it that never reads
// (a receive buffer of the same size), handshake sent.
BrokerOptions lazy_client_limits(std::chrono::milliseconds write_timeout) {
  BrokerOptions o;
  o.max_pending_output_bytes = 1u << 20;
  o.write_timeout = write_timeout;
  return o;
}
std::unique_ptr<RawConnection> lazy_client(test::TestBroker& tb) {
  auto lazy = std::make_unique<RawConnection>(tb.broker().port());
  const int rcvbuf = 1 << 20;
  ::setsockopt(lazy->fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  EXPECT_TRUE(lazy->hello());
  return lazy;
}

TEST(NetHostile, ConsumerThatNeverReadsStaysBoundedAndIsClosed) {
  test::TestBroker tb(lazy_client_limits(std::chrono::milliseconds(500)));
  auto good = tb.client();
  ASSERT_TRUE(good->create_topic({"big", 1}).ok());
  fill(*good, "big", 64, 64 << 10);  // 4 MiB
  const std::size_t before = rss_bytes();
  auto lazy = lazy_client(tb);
  // 2,000 fetches of up to 4 MiB each: 8 GB of replies if nothing bounded them.
  std::vector<std::uint8_t> burst;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    auto f = fetch_frame(i + 10, "big", 4u << 20, 0);
    burst.insert(burst.end(), f.begin(), f.end());
  }
  lazy->send_bytes(burst);  // never read a byte back
  // Everyone else is fine meanwhile.
  Producer p(*good);
  ProducerRecord r;
  r.value = "still here";
  EXPECT_TRUE(p.send_and_wait("big", 0, r).ok());
  // The broker stops reading this client, then drops it when its writes stall.
  EXPECT_TRUE(lazy->peer_hung_up(std::chrono::seconds(10)));
  const std::size_t after = rss_bytes();
  EXPECT_LT(after, before + (kMemoryBound)) << "memory grew by " << (after - before) / (1 << 20) << " MiB";
  EXPECT_TRUE(p.send_and_wait("big", 0, r).ok());
}

// A subscriber that never reads: deliveries stop at its output limit (the
// messages stay in the queue, not in memory), it is dropped when its writes
// stall, and its messages go to a consumer that reads.
TEST(NetHostile, SubscriberThatNeverReadsStaysBoundedAndLosesItsMessages) {
  // A write timeout long enough that, unthrottled, every message would pile
  // up before the drop.
  test::TestBroker tb(lazy_client_limits(std::chrono::milliseconds(2000)));
  auto good = tb.client();
  ASSERT_TRUE(good->create_queue("q").ok());
  // 32 MiB of messages, all of which the lazy subscriber's prefetch allows.
  constexpr int kMessages = 8000;
  {
    const std::string payload(4 << 10, 'm');
    Publisher pub(*good);
    OutgoingMessage m;
    m.payload = payload;
    std::atomic<int> confirmed{0};
    for (int i = 0; i < kMessages; ++i)
      pub.publish("q", m, [&](result<std::uint64_t> id) { confirmed += id.ok() ? 1 : 0; });
    pub.flush();
    ASSERT_EQ(confirmed.load(), kMessages);
  }
  ::malloc_trim(0);  // or the freed publish buffers would hide growth
  const std::size_t before = heap_bytes();
  auto lazy = lazy_client(tb);
  flatbuffers::FlatBufferBuilder fbb;
  auto q = fbb.CreateString("q");
  protocol::finish_frame(fbb, 7, wire::CreateSubscribe(fbb, q, 100000));
  ASSERT_TRUE(lazy->send_frame(fbb));
  // Subscribed (or the check below could pass before it is)...
  ASSERT_TRUE(test::wait_for([&] {
    auto info = good->describe_queue("q");
    return info.ok() && info->consumers == 1;
  }));
  // ...then dropped: its subscription goes. (Its socket cannot show the close: the
  // FIN waits behind the bytes it never reads.)
  std::size_t peak = 0;
  EXPECT_TRUE(test::wait_for(
      [&] {
        peak = std::max(peak, heap_bytes());
        auto info = good->describe_queue("q");
        return info.ok() && info->consumers == 0 && info->in_flight == 0;
      },
      std::chrono::seconds(15)));
  if (kHeapMeasurable) {
    EXPECT_LT(peak, before + kHeapBound) << "heap grew by " << (peak - before) / (1 << 20) << " MiB";
  }
  // Every message is delivered to a consumer that reads, and acked.
  auto consumer = QueueConsumer::subscribe(*good, "q", {500});
  ASSERT_TRUE(consumer.ok());
  int got = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (got < kMessages && std::chrono::steady_clock::now() < until) {
    auto d = (*consumer)->receive(std::chrono::seconds(1));
    if (!d) continue;
    d->ack();
    ++got;
  }
  EXPECT_EQ(got, kMessages);
}

TEST(NetHostile, TooManyRequestsInFlightGetTypedErrors) {
  BrokerOptions o;
  o.max_in_flight_per_connection = 8;
  test::TestBroker tb(o);
  auto good = tb.client();
  ASSERT_TRUE(good->create_topic({"quiet", 1}).ok());
  RawConnection raw(tb.broker().port());
  ASSERT_TRUE(raw.hello());
  ASSERT_TRUE(raw.read_frame());
  // Long polls on an empty topic stay in flight for their whole wait.
  for (std::uint64_t i = 0; i < 20; ++i) raw.send_bytes(fetch_frame(100 + i, "quiet", 1 << 20, 5000));
  int refused = 0;
  for (int i = 0; i < 12; ++i) {
    auto reply = raw.read_frame(std::chrono::seconds(3));
    ASSERT_TRUE(reply);
    if (test::error_of(*reply) == errc::too_many_requests) ++refused;
  }
  EXPECT_EQ(refused, 12) << "8 wait, the other 12 are refused at once";
  EXPECT_TRUE(good->list_topics().ok());
}

}  // namespace
}  // namespace wharf
