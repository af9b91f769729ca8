// Clients that misbehave on purpose, each while a well-behaved client keeps
// working: endless garbage, a consumer that never reads its replies, too
// many requests in flight.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

#include "support/raw_connection.h"
#include "support/test_broker.h"
#include "wharf/producer.h"

namespace wharf {
namespace {

using test::RawConnection;

std::size_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

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
  fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::Fetch, body.Union()));
  std::vector<std::uint8_t> out;
  protocol::append_frame(out, fbb);
  return out;
}

TEST(NetHostile, EndlessGarbageIsCutOffAndHarmsNoOne) {
  test::TestBroker tb;
  auto good = tb.client();
  ASSERT_TRUE(good->create_topic({"t", 1}).ok());
  std::atomic<bool> stop{false};
  std::thread flood([&] {
    std::mt19937 rng(1);
    std::vector<std::uint8_t> junk(64 << 10);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!stop && std::chrono::steady_clock::now() < until) {
      RawConnection raw(tb.broker().port());
      for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
      for (int i = 0; i < 16 && raw.send_bytes(junk); ++i) {
      }
    }
  });
  Producer p(*good);
  ProducerRecord r;
  r.value = "fine";
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(p.send_and_wait("t", 0, r).ok());
  stop = true;
  flood.join();
  EXPECT_TRUE(tb.broker().health().ok());
  EXPECT_EQ(*good->latest_offset("t", 0), 50);
}

TEST(NetHostile, ConsumerThatNeverReadsStaysBoundedAndIsClosed) {
  BrokerOptions o;
  o.max_pending_output_bytes = 1u << 20;
  o.write_timeout = std::chrono::milliseconds(500);
  test::TestBroker tb(o);
  auto good = tb.client();
  ASSERT_TRUE(good->create_topic({"big", 1}).ok());
  fill(*good, "big", 64, 64 << 10);  // 4 MiB
  const std::size_t before = rss_bytes();
  RawConnection lazy(tb.broker().port());
  ::setsockopt(lazy.fd(), SOL_SOCKET, SO_RCVBUF, &o.max_pending_output_bytes, sizeof(int));
  ASSERT_TRUE(lazy.hello());
  // 2,000 fetches of up to 4 MiB each: 8 GB of replies if nothing bounded them.
  std::vector<std::uint8_t> burst;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    auto f = fetch_frame(i + 10, "big", 4u << 20, 0);
    burst.insert(burst.end(), f.begin(), f.end());
  }
  lazy.send_bytes(burst);  // never read a byte back
  // The broker stops reading this client, then drops it when its writes stall.
  EXPECT_TRUE(lazy.peer_hung_up(std::chrono::seconds(10)));
  const std::size_t after = rss_bytes();
  EXPECT_LT(after, before + (128u << 20)) << "broker memory grew by " << (after - before) / (1 << 20) << " MiB";
  // Everyone else is fine.
  Producer p(*good);
  ProducerRecord r;
  r.value = "still here";
  EXPECT_TRUE(p.send_and_wait("big", 0, r).ok());
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
