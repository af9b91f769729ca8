// Queue settlements that must be refused, sent as raw frames: each gets a
// typed error and changes nothing.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <vector>

#include "support/raw_connection.h"
#include "support/test_broker.h"
#include "wharf/queue.h"
#include "protocol/frame_builder.h"
#include "protocol/record_batch.h"

namespace wharf {
namespace {

using test::RawConnection;
using namespace std::chrono_literals;

class RawQueueClient {
 public:
  explicit RawQueueClient(std::uint16_t port) : raw_(port) {
    EXPECT_TRUE(raw_.hello());
    EXPECT_TRUE(raw_.read_frame());
  }
  // Subscribes and returns the subscription id.
  std::uint64_t subscribe(const std::string& queue) {
    flatbuffers::FlatBufferBuilder fbb;
    auto q = fbb.CreateString(queue);
    auto body = wire::CreateSubscribe(fbb, q, 10);
    protocol::finish_frame(fbb, next_++, body);
    raw_.send_frame(fbb);
    for (;;) {
      auto reply = raw_.read_frame();
      if (!reply) return 0;
      const auto* f = protocol::verify_frame(*reply);
      if (f->body_type() == wire::Body::SubscribeOk) return f->body_as_SubscribeOk()->subscription();
    }
  }
  // The next delivery pushed to this connection: {message id, tag}.
  std::pair<std::uint64_t, std::uint64_t> next_delivery() {
    for (;;) {
      auto frame = raw_.read_frame();
      if (!frame) return {0, 0};
      const auto* f = protocol::verify_frame(*frame);
      if (f->body_type() != wire::Body::Deliveries) continue;
      const auto* d = f->body_as_Deliveries()->deliveries()->Get(0);
      return {d->message_id(), d->tag()};
    }
  }
  // Sends one settlement and returns its error code (ok if none).
  errc settle(std::uint64_t sub, std::uint64_t id, std::uint64_t tag, wire::SettleKind kind, std::int64_t delay = -1) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<wire::SettleItem>> items = {
        wire::CreateSettleItem(fbb, sub, id, tag, kind, delay, -1)};
    auto v = fbb.CreateVector(items);
    auto body = wire::CreateSettle(fbb, v, true);
    const std::uint64_t corr = next_++;
    protocol::finish_frame(fbb, corr, body);
    raw_.send_frame(fbb);
    for (;;) {
      auto reply = raw_.read_frame();
      if (!reply) return errc::disconnected;
      const auto* f = protocol::verify_frame(*reply);
      if (f->correlation_id() != corr) continue;
      if (f->body_type() == wire::Body::Error) return errc_from_wire(f->body_as_Error()->code());
      const auto* ok = f->body_as_SettleOk();
      if (ok->errors() == nullptr || ok->errors()->size() == 0) return errc::ok;
      return errc_from_wire(ok->errors()->Get(0)->code());
    }
  }

 private:
  RawConnection raw_;
  std::uint64_t next_ = 100;
};

TEST(NetQueueRequests, BadSettlementsAreRefusedAndChangeNothing) {
  test::TestBroker tb;
  auto c = tb.client();
  ASSERT_TRUE(c->create_queue("q").ok());
  Publisher p(*c);
  OutgoingMessage m;
  m.payload = "x";
  const auto id = *p.publish_and_wait("q", m);

  RawQueueClient owner(tb.broker().port());
  const auto sub = owner.subscribe("q");
  ASSERT_NE(sub, 0u);
  const auto [mid, tag] = owner.next_delivery();
  ASSERT_EQ(mid, id);

  EXPECT_EQ(owner.settle(sub, 999999, tag, wire::SettleKind::Ack), errc::unknown_message);
  EXPECT_EQ(owner.settle(sub, mid, tag + 1000, wire::SettleKind::Ack), errc::lease_expired);
  EXPECT_EQ(owner.settle(sub, mid, tag, wire::SettleKind::Nack, -5), errc::invalid_argument);
  EXPECT_EQ(owner.settle(sub + 1000, mid, tag, wire::SettleKind::Ack), errc::not_subscribed);
  RawQueueClient stranger(tb.broker().port());
  EXPECT_EQ(stranger.settle(sub, mid, tag, wire::SettleKind::Ack), errc::not_subscribed)
      << "another connection cannot settle this delivery";
  auto info = c->get_message("q", id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, "in_flight");
  EXPECT_TRUE(info->history.empty());
  EXPECT_EQ(owner.settle(sub, mid, tag, wire::SettleKind::Ack), errc::ok);
  EXPECT_EQ(c->get_message("q", id).code(), errc::unknown_message);
}

// Compressed log batches in an AckPublish are checked off the I/O thread,
// where a Produce's are, and keep their order with the connection's
// produces; a bomb among them is refused with batch_too_large.
TEST(NetQueueRequests, CompressedAppendsOfAnAckPublishKeepTheirOrderAndLimits) {
  test::TestBroker tb;
  ASSERT_TRUE(tb.client()->create_topic({"t", 1}).ok());
  RawConnection raw(tb.broker().port());
  ASSERT_TRUE(raw.hello());
  ASSERT_TRUE(raw.read_frame());
  const auto batch_of = [](int records, std::size_t value_bytes, protocol::Codec codec) {
    protocol::batch::Builder b;
    for (int i = 0; i < records; ++i) b.add(ProducerRecord{.value = std::string(value_bytes, 'v')}, 1000);
    auto bytes = b.finish(codec);
    EXPECT_TRUE(bytes.ok());
    return std::vector<std::uint8_t>(bytes->begin(), bytes->end());
  };
  const auto send_ack_publish = [&](std::uint64_t corr, const std::vector<std::uint8_t>& batch) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto append = wire::CreateLogAppend(fbb, fbb.CreateString("t"), 0, fbb.CreateVector(batch));
    const auto appends = fbb.CreateVector(std::vector<flatbuffers::Offset<wire::LogAppend>>{append});
    protocol::finish_frame(fbb, corr, wire::CreateAckPublish(fbb, 0, 0, appends));
    raw.send_frame(fbb);
  };
  // A compressed append, then a plain produce behind it, sent together.
  send_ack_publish(1, batch_of(3, 100, protocol::Codec::zstd));
  {
    flatbuffers::FlatBufferBuilder fbb;
    const auto plain = batch_of(1, 10, protocol::Codec::none);
    protocol::finish_frame(fbb, 2, wire::CreateProduce(fbb, fbb.CreateString("t"), 0, fbb.CreateVector(plain)));
    raw.send_frame(fbb);
  }
  // A bomb: 32 MiB of zeros in one zstd record, four times the limit.
  send_ack_publish(3, batch_of(1, 32u << 20, protocol::Codec::zstd));
  std::map<std::uint64_t, const wire::Frame*> replies;
  std::deque<std::vector<std::uint8_t>> kept;  // a deque: the frames stay where they are
  while (replies.size() < 3) {
    auto frame = raw.read_frame(30s);
    ASSERT_TRUE(frame);
    kept.push_back(std::move(*frame));
    const auto* f = protocol::verify_frame(kept.back());
    ASSERT_NE(f, nullptr);
    replies[f->correlation_id()] = f;
  }
  ASSERT_EQ(replies[1]->body_type(), wire::Body::AckPublishOk);
  EXPECT_EQ(replies[1]->body_as_AckPublishOk()->base_offsets()->Get(0), 0u);
  ASSERT_EQ(replies[2]->body_type(), wire::Body::ProduceOk);
  EXPECT_EQ(replies[2]->body_as_ProduceOk()->base_offset(), 3u) << "stored after the AckPublish's three records";
  ASSERT_EQ(replies[3]->body_type(), wire::Body::Error);
  EXPECT_EQ(errc_from_wire(replies[3]->body_as_Error()->code()), errc::batch_too_large);
}

}  // namespace
}  // namespace wharf
