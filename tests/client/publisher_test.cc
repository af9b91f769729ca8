// The publisher on a real broker: batching and pipelining with one
// completion per message, refusals per message, and max_block.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>

#include "support/test_broker.h"
#include "support/writer_stall.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using test::TestBroker;
using namespace std::chrono_literals;

TEST(ClientPublisher, EveryMessageGetsItsOwnIdThroughFewRequests) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_queue("q").ok());
  constexpr int kMessages = 5000;
  std::mutex mu;
  std::set<std::uint64_t> ids;
  std::atomic<int> failed{0};
  {
    PublisherOptions o;
    o.batch_bytes = 64u << 10;
    Publisher p(*c, o);
    for (int i = 0; i < kMessages; ++i) {
      OutgoingMessage m;
      const std::string payload = "m" + std::to_string(i);
      m.payload = payload;
      p.publish("q", m, [&](result<std::uint64_t> id) {
        if (!id.ok()) {
          ++failed;
          return;
        }
        std::lock_guard lock(mu);
        ids.insert(*id);
      });
    }
    p.flush();
    // flush() returned: every completion ran.
    std::lock_guard lock(mu);
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kMessages));
  }
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(c->describe_queue("q")->ready, static_cast<std::uint64_t>(kMessages));
  // Batched: far fewer write ops than messages reached the broker's writer.
  const auto ops = tb.broker().impl().storage->writer().stats().ops;
  EXPECT_LT(ops, static_cast<std::uint64_t>(kMessages) / 10) << ops << " ops";
}

TEST(ClientPublisher, PublishFailsAfterMaxBlockWhileTheBufferStaysFull) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_queue("q").ok());
  PublisherOptions o;
  o.buffer_bytes = 4096;
  o.max_block = 200ms;
  Publisher p(*c, o);
  const std::string big(8192, 'b');
  OutgoingMessage m;
  m.payload = big;
  test::WriterStall stall(tb.broker());
  std::promise<result<std::uint64_t>> first;
  p.publish("q", m, [&](result<std::uint64_t> id) { first.set_value(id); });
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(p.publish_and_wait("q", m).code(), errc::timeout);
  const auto waited = std::chrono::steady_clock::now() - before;
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 5s);
  stall.release();
  EXPECT_TRUE(first.get_future().get().ok());
  p.flush();
  EXPECT_EQ(c->describe_queue("q")->ready, 1u);
}

// A completion runs on the client's I/O thread, before the buffer space of
// its batch is given back: publishing from it while the buffer is full
// fails at once (too_many_requests) instead of blocking that thread.
TEST(ClientPublisher, PublishFromACompletionNeverBlocks) {
  TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_queue("q").ok());
  PublisherOptions o;
  o.buffer_bytes = 1;
  Publisher p(*c, o);
  OutgoingMessage m;
  m.payload = "x";
  std::promise<status> inner;
  p.publish("q", m, [&](result<std::uint64_t> first) {
    EXPECT_TRUE(first.ok());
    p.publish("q", m, [&](result<std::uint64_t> r) { inner.set_value(r.error()); });
  });
  EXPECT_EQ(inner.get_future().get().code(), errc::too_many_requests);
  p.flush();
}

}  // namespace
}  // namespace wharf
