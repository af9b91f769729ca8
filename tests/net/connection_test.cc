// Hostile and broken input on a real broker: each bad connection gets a
// typed error and/or a close, and a well-behaved client keeps working.
#include <gtest/gtest.h>

#include "protocol/varint.h"
#include "support/raw_connection.h"
#include "support/test_broker.h"
#include "wharf/producer.h"
#include "protocol/frame_builder.h"

namespace wharf {
namespace {

using test::error_of;
using test::RawConnection;
using test::TestBroker;

// A client that must keep working while others misbehave.
void expect_healthy(TestBroker& tb, Client& good) {
  Producer p(good);
  ProducerRecord r;
  r.value = "still fine";
  auto off = p.send_and_wait("healthy", 0, r);
  EXPECT_TRUE(off.ok()) << off.error().to_string();
  EXPECT_TRUE(tb.broker().health().ok());
}

class NetBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = tb_.client();
    ASSERT_TRUE(good_);
    ASSERT_TRUE(good_->create_topic({"healthy", 1}).ok());
  }
  TestBroker tb_;
  std::unique_ptr<Client> good_;
};

TEST_F(NetBadInput, GarbageGetsBadFrameAndClose) {
  RawConnection raw(tb_.broker().port());
  ASSERT_TRUE(raw.connected());
  std::vector<std::uint8_t> garbage(1000);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<std::uint8_t>(i * 7919);
  raw.send_bytes(garbage);
  auto reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::bad_frame);
  EXPECT_TRUE(raw.closed_by_peer());
  expect_healthy(tb_, *good_);
}

TEST_F(NetBadInput, OversizedFrameIsRefusedBeforeItsBody) {
  RawConnection raw(tb_.broker().port());
  ASSERT_TRUE(raw.hello());
  ASSERT_TRUE(raw.read_frame());
  std::uint8_t header[8] = {0, 0, 0, 0, protocol::kMagic0, protocol::kMagic1, protocol::kFrameFormatVersion, 0};
  protocol::store_le<std::uint32_t>(header, 1u << 30);
  raw.send_bytes(header, sizeof(header));
  auto reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::frame_too_large);
  EXPECT_TRUE(raw.closed_by_peer());
  expect_healthy(tb_, *good_);
}

TEST_F(NetBadInput, TruncatedFrameThenDisconnectHarmsNoOne) {
  {
    RawConnection raw(tb_.broker().port());
    ASSERT_TRUE(raw.hello());
    ASSERT_TRUE(raw.read_frame());
    std::uint8_t header[8] = {0, 0, 0, 0, protocol::kMagic0, protocol::kMagic1, protocol::kFrameFormatVersion, 0};
    protocol::store_le<std::uint32_t>(header, 4096);
    raw.send_bytes(header, sizeof(header));
    std::vector<std::uint8_t> half(1000, 0x11);
    raw.send_bytes(half);
  }
  expect_healthy(tb_, *good_);
}

TEST_F(NetBadInput, InvalidFlatBufferInAValidFrameGetsBadFrame) {
  RawConnection raw(tb_.broker().port());
  ASSERT_TRUE(raw.hello());
  ASSERT_TRUE(raw.read_frame());
  std::vector<std::uint8_t> frame(8 + 64, 0xEE);
  const std::uint8_t header[8] = {64, 0, 0, 0, protocol::kMagic0, protocol::kMagic1, protocol::kFrameFormatVersion, 0};
  std::copy(header, header + 8, frame.begin());
  raw.send_bytes(frame);
  auto reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::bad_frame);
  EXPECT_TRUE(raw.closed_by_peer());
  expect_healthy(tb_, *good_);
}

TEST_F(NetBadInput, WrongTypeGetsUnsupportedRequestAndConnectionStays) {
  RawConnection raw(tb_.broker().port());
  ASSERT_TRUE(raw.hello());
  ASSERT_TRUE(raw.read_frame());
  flatbuffers::FlatBufferBuilder fbb;
  auto body = wire::CreateProduceOk(fbb, 1, 1);  // a reply type sent as a request
  protocol::finish_frame(fbb, 7, body);
  raw.send_frame(fbb);
  auto reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::unsupported_request);
  EXPECT_EQ(protocol::verify_frame(*reply)->correlation_id(), 7u);
  // Still usable: a real request gets its answer.
  flatbuffers::FlatBufferBuilder list;
  auto lt = wire::CreateListTopics(list);
  protocol::finish_frame(list, 8, lt);
  raw.send_frame(list);
  reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(protocol::verify_frame(*reply)->body_type(), wire::Body::TopicList);
}

TEST_F(NetBadInput, BodyTypeWithoutBodyGetsBadFrame) {
  RawConnection raw(tb_.broker().port());
  ASSERT_TRUE(raw.hello());
  ASSERT_TRUE(raw.read_frame());
  flatbuffers::FlatBufferBuilder fbb;
  wire::FrameBuilder fb(fbb);
  fb.add_correlation_id(9);
  fb.add_body_type(wire::Body::Produce);
  fbb.Finish(fb.Finish());
  raw.send_frame(fbb);
  auto reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::bad_frame);
  expect_healthy(tb_, *good_);
}

TEST_F(NetBadInput, RequestBeforeHelloIsRefused) {
  RawConnection raw(tb_.broker().port());
  flatbuffers::FlatBufferBuilder fbb;
  auto lt = wire::CreateListTopics(fbb);
  protocol::finish_frame(fbb, 3, lt);
  raw.send_frame(fbb);
  auto reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::handshake_required);
  EXPECT_TRUE(raw.closed_by_peer());
}

TEST_F(NetBadInput, WrongProtocolVersionIsRefused) {
  RawConnection raw(tb_.broker().port());
  ASSERT_TRUE(raw.hello(999));
  auto reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::unsupported_version);
  EXPECT_TRUE(raw.closed_by_peer());
}

TEST_F(NetBadInput, CorruptBatchGetsTypedErrorAndStoresNothing) {
  RawConnection raw(tb_.broker().port());
  ASSERT_TRUE(raw.hello());
  ASSERT_TRUE(raw.read_frame());
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<std::uint8_t> junk(100, 0x42);
  auto topic = fbb.CreateString("healthy");
  auto batch = fbb.CreateVector(junk);
  auto body = wire::CreateProduce(fbb, topic, 0, batch);
  protocol::finish_frame(fbb, 11, body);
  raw.send_frame(fbb);
  auto reply = raw.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::corrupt_batch);
  EXPECT_EQ(good_->latest_offset("healthy", 0).value(), 0);
}

TEST(NetLimits, HandshakeAndFrameTimeoutsCloseStalledConnections) {
  BrokerOptions o;
  o.handshake_timeout = std::chrono::milliseconds(200);
  o.frame_timeout = std::chrono::milliseconds(200);
  TestBroker tb(o);
  RawConnection silent(tb.broker().port());
  EXPECT_TRUE(silent.closed_by_peer(std::chrono::seconds(5)));
  RawConnection stalled(tb.broker().port());
  ASSERT_TRUE(stalled.hello());
  ASSERT_TRUE(stalled.read_frame());
  std::uint8_t header[8] = {64, 0, 0, 0, protocol::kMagic0, protocol::kMagic1, protocol::kFrameFormatVersion, 0};
  stalled.send_bytes(header, sizeof(header));
  EXPECT_TRUE(stalled.closed_by_peer(std::chrono::seconds(5)));
  auto good = tb.client();
  ASSERT_TRUE(good);
  EXPECT_TRUE(good->list_topics().ok());
}

TEST(NetLimits, ConnectionLimitGivesTypedError) {
  BrokerOptions o;
  o.max_connections = 2;
  TestBroker tb(o);
  RawConnection a(tb.broker().port());
  RawConnection b(tb.broker().port());
  ASSERT_TRUE(test::wait_for([&] { return a.hello() && b.hello(); }));
  ASSERT_TRUE(a.read_frame());
  ASSERT_TRUE(b.read_frame());
  RawConnection c(tb.broker().port());
  auto reply = c.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(error_of(*reply), errc::too_many_connections);
  EXPECT_TRUE(c.closed_by_peer());
}

}  // namespace
}  // namespace wharf
