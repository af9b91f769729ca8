// Queue settlements that must be refused, sent as raw frames: each gets a
// typed error and changes nothing.
#include <gtest/gtest.h>

#include "support/raw_connection.h"
#include "support/test_broker.h"
#include "wharf/queue.h"
#include "protocol/frame_builder.h"

namespace wharf {
namespace {

using test::RawConnection;

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

}  // namespace
}  // namespace wharf
