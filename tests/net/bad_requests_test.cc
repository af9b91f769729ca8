// Requests with bad values, sent as raw frames so that no client-side check
// stands in the way: names too long or with bad characters, out-of-range
// partitions and offsets, huge record counts, zero and negative sizes. Each
// gets its typed error, stores nothing, and the same connection and a
// well-behaved client keep working.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "protocol/crc32c.h"
#include "protocol/names.h"
#include "protocol/record_batch.h"
#include "support/raw_connection.h"
#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf {
namespace {

using Build = std::function<flatbuffers::Offset<void>(flatbuffers::FlatBufferBuilder&)>;

class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : raw_(port) {
    EXPECT_TRUE(raw_.hello());
    EXPECT_TRUE(raw_.read_frame());
  }
  // Sends one request; returns the error code of its reply (ok if it is
  // not an Error), or disconnected if the broker closed instead.
  errc call(wire::Body type, const Build& build) {
    flatbuffers::FlatBufferBuilder fbb;
    auto body = build(fbb);
    const std::uint64_t corr = next_++;
    fbb.Finish(wire::CreateFrame(fbb, corr, type, body));
    if (!raw_.send_frame(fbb)) return errc::disconnected;
    for (;;) {
      auto reply = raw_.read_frame();
      if (!reply) return errc::disconnected;
      const auto* f = protocol::verify_frame(*reply);
      if (f == nullptr) return errc::bad_frame;
      if (f->correlation_id() != corr) continue;
      return f->body_type() == wire::Body::Error ? errc_from_wire(f->body_as_Error()->code()) : errc::ok;
    }
  }

  errc create_topic(const std::string& name, std::uint32_t partitions, std::int64_t retention_ms = -1,
                    std::int64_t retention_bytes = -1) {
    return call(wire::Body::CreateTopic, [&](auto& fbb) {
      return wire::CreateCreateTopic(fbb, fbb.CreateString(name), partitions, retention_ms, retention_bytes).Union();
    });
  }
  errc produce(const std::string& topic, std::uint32_t partition, const std::vector<std::uint8_t>& batch) {
    return call(wire::Body::Produce, [&](auto& fbb) {
      return wire::CreateProduce(fbb, fbb.CreateString(topic), partition, fbb.CreateVector(batch)).Union();
    });
  }
  errc fetch(const std::string& topic, std::uint32_t partition, std::uint64_t offset, std::uint32_t max_bytes = 0) {
    return call(wire::Body::Fetch, [&](auto& fbb) {
      return wire::CreateFetch(fbb, fbb.CreateString(topic), partition, offset, max_bytes, 0).Union();
    });
  }
  errc commit(const std::string& group, const std::string& topic, std::uint32_t partition, std::uint64_t offset) {
    return call(wire::Body::CommitOffsets, [&](auto& fbb) {
      std::vector<flatbuffers::Offset<wire::PartitionOffset>> offsets = {
          wire::CreatePartitionOffset(fbb, partition, offset)};
      auto g = fbb.CreateString(group);
      auto t = fbb.CreateString(topic);
      return wire::CreateCommitOffsets(fbb, g, t, fbb.CreateVector(offsets)).Union();
    });
  }
  errc create_queue(const std::string& name, const std::function<void(wire::QueueOptionsBuilder&)>& set = {}) {
    return call(wire::Body::CreateQueue, [&](auto& fbb) {
      auto n = fbb.CreateString(name);
      wire::QueueOptionsBuilder o(fbb);
      if (set) set(o);
      auto options = o.Finish();
      return wire::CreateCreateQueue(fbb, n, options).Union();
    });
  }
  errc publish(const std::string& queue, int messages, std::int64_t delay_ms = 0) {
    return call(wire::Body::Publish, [&](auto& fbb) {
      std::vector<flatbuffers::Offset<wire::OutMessage>> out;
      for (int i = 0; i < messages; ++i)
        out.push_back(wire::CreateOutMessage(fbb, fbb.CreateVector(std::vector<std::uint8_t>{'x'}), 0, 0, delay_ms));
      auto q = fbb.CreateString(queue);
      return wire::CreatePublish(fbb, q, fbb.CreateVector(out)).Union();
    });
  }
  errc subscribe(const std::string& queue, std::uint32_t prefetch) {
    return call(wire::Body::Subscribe,
                [&](auto& fbb) { return wire::CreateSubscribe(fbb, fbb.CreateString(queue), prefetch).Union(); });
  }

 private:
  test::RawConnection raw_;
  std::uint64_t next_ = 10;
};

std::vector<std::uint8_t> one_record_batch() {
  protocol::batch::Builder b;
  ProducerRecord r;
  r.value = "v";
  b.add(r, 1000);
  auto bytes = b.finish();
  return {bytes.begin(), bytes.end()};
}

// A well-formed batch whose header claims `count` records, CRC fixed up so
// that only the count is wrong.
std::vector<std::uint8_t> batch_claiming(std::uint32_t count) {
  auto batch = one_record_batch();
  protocol::store_be<std::uint32_t>(batch.data() + protocol::batch::kRecordCount, count);
  const std::uint32_t crc =
      protocol::crc32c(batch.data() + protocol::batch::kAttributes, batch.size() - protocol::batch::kAttributes);
  protocol::store_be<std::uint32_t>(batch.data() + protocol::batch::kCrc, crc);
  return batch;
}

// The good client's view stays what it was: one topic with one record per
// partition written by it, one queue.
void expect_unharmed(test::TestBroker& tb) {
  auto c = tb.client();
  Producer p(*c);
  ProducerRecord r;
  r.value = "good";
  auto offset = p.send_and_wait("t", 1, r);
  ASSERT_TRUE(offset.ok()) << offset.error().to_string();
  EXPECT_EQ(*offset, 0) << "nothing bad was stored in partition 1";
  auto end = c->latest_offset("t", 0);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 1) << "only the good record is in partition 0";
  auto topics = c->list_topics();
  ASSERT_TRUE(topics.ok());
  EXPECT_EQ(topics->size(), 1u);
  auto queues = c->list_queues();
  ASSERT_TRUE(queues.ok());
  EXPECT_EQ(queues->size(), 2u) << "q and q.dlq";
  auto q = c->describe_queue("q");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->ready, 0u);
}

class NetBadRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = tb_.client();
    ASSERT_TRUE(c->create_topic({"t", 2}).ok());
    ASSERT_TRUE(c->create_queue("q").ok());
    Producer p(*c);
    ProducerRecord r;
    r.value = "first";
    ASSERT_TRUE(p.send_and_wait("t", 0, r).ok());
  }
  void TearDown() override {
    // The connection that sent the bad requests still works.
    EXPECT_EQ(raw_.fetch("t", 0, 0), errc::ok);
    expect_unharmed(tb_);
  }
  test::TestBroker tb_;
  RawClient raw_{tb_.broker().port()};
};

TEST_F(NetBadRequests, BadNames) {
  const std::string too_long(protocol::kMaxNameLength + 1, 'n');
  for (const std::string& name : {std::string(), too_long, std::string("a/b"), std::string("a b"),
                                  std::string(".."), std::string("bad\x01"), std::string("\xff\xfe")}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(raw_.create_topic(name, 1), errc::invalid_name);
    EXPECT_EQ(raw_.create_queue(name), errc::invalid_name);
    EXPECT_EQ(raw_.produce(name, 0, one_record_batch()), errc::invalid_name);
    EXPECT_EQ(raw_.commit(name, "t", 0, 0), errc::invalid_name);
    EXPECT_EQ(raw_.publish(name, 1), errc::invalid_name);
  }
  EXPECT_EQ(raw_.create_topic(std::string(protocol::kMaxNameLength, 'n'), 1), errc::ok) << "the longest name is fine";
  EXPECT_EQ(raw_.call(wire::Body::DeleteTopic,
                      [&](auto& fbb) {
                        return wire::CreateDeleteTopic(fbb, fbb.CreateString(std::string(protocol::kMaxNameLength, 'n')))
                            .Union();
                      }),
            errc::ok);
}

TEST_F(NetBadRequests, OutOfRangePartitionsAndOffsets) {
  for (std::uint32_t p : {2u, 1000u, 0xffffffffu}) {
    SCOPED_TRACE(p);
    EXPECT_EQ(raw_.produce("t", p, one_record_batch()), errc::unknown_partition);
    EXPECT_EQ(raw_.fetch("t", p, 0), errc::unknown_partition);
    EXPECT_EQ(raw_.commit("g", "t", p, 0), errc::unknown_partition);
  }
  EXPECT_EQ(raw_.fetch("t", 0, 2), errc::offset_out_of_range);
  EXPECT_EQ(raw_.fetch("t", 0, ~0ull), errc::offset_out_of_range);
  EXPECT_EQ(raw_.commit("g", "t", 0, ~0ull), errc::offset_out_of_range);
  EXPECT_EQ(raw_.produce("nope", 0, one_record_batch()), errc::unknown_topic);
}

TEST_F(NetBadRequests, HugeCountsAndZeroOrNegativeSizes) {
  EXPECT_EQ(raw_.produce("t", 0, batch_claiming(0x7fffffff)), errc::corrupt_batch);
  EXPECT_EQ(raw_.produce("t", 0, batch_claiming(0xffffffff)), errc::corrupt_batch);
  EXPECT_EQ(raw_.produce("t", 0, batch_claiming(0)), errc::corrupt_batch);
  EXPECT_EQ(raw_.produce("t", 0, {}), errc::corrupt_batch);
  EXPECT_EQ(raw_.create_topic("u", 0), errc::invalid_argument);
  EXPECT_EQ(raw_.create_topic("u", protocol::kMaxPartitions + 1), errc::invalid_argument);
  EXPECT_EQ(raw_.create_topic("u", 0xffffffffu), errc::invalid_argument);
  EXPECT_EQ(raw_.create_topic("u", 1, 0), errc::invalid_argument);
  EXPECT_EQ(raw_.create_topic("u", 1, -7), errc::invalid_argument);
  EXPECT_EQ(raw_.create_topic("u", 1, -1, 0), errc::invalid_argument);
  EXPECT_EQ(raw_.create_topic("u", 1, -1, -7), errc::invalid_argument);
  EXPECT_EQ(raw_.create_queue("u", [](auto& o) { o.add_max_deliveries(0); }), errc::invalid_argument);
  EXPECT_EQ(raw_.create_queue("u", [](auto& o) { o.add_ack_deadline_ms(0); }), errc::invalid_argument);
  EXPECT_EQ(raw_.create_queue("u", [](auto& o) { o.add_ack_deadline_ms(-1); }), errc::invalid_argument);
  EXPECT_EQ(raw_.create_queue("u", [](auto& o) { o.add_backoff_initial_ms(-1); }), errc::invalid_argument);
  EXPECT_EQ(raw_.create_queue("u", [](auto& o) { o.add_max_length(0); }), errc::invalid_argument);
  EXPECT_EQ(raw_.create_queue("u", [](auto& o) { o.add_priorities(0); }), errc::invalid_argument);
  EXPECT_EQ(raw_.create_queue("u", [](auto& o) { o.add_priorities(11); }), errc::invalid_argument);
  EXPECT_EQ(raw_.publish("q", 0), errc::invalid_argument);
  EXPECT_EQ(raw_.publish("q", 3, -1), errc::invalid_argument);
  EXPECT_EQ(raw_.subscribe("q", 0), errc::invalid_argument);
  EXPECT_EQ(raw_.subscribe("q", 0xffffffffu), errc::invalid_argument);
}

}  // namespace
}  // namespace wharf
