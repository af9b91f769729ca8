// Limits against greedy or hostile clients: connections per peer, and
// Kafka-style byte-rate quotas per user with the throttle time reported;
// /metrics behind a user or token when auth is on.
#include <gtest/gtest.h>

#include "kafka/kafka_wire_helpers.h"
#include "protocol/sasl/crypto.h"
#include "support/run_command.h"
#include "support/test_broker.h"
#include "support/test_certs.h"
#include "wharf/producer.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;
namespace pk = protocol::kafka;

TEST(Limits, ConnectionsPerPeerAreCapped) {
  BrokerOptions o;
  o.max_connections_per_peer = 2;
  test::TestBroker tb(o);
  ClientOptions co;
  co.broker = tb.address();
  co.auto_reconnect = false;
  auto a = Client::connect(co);
  auto b = Client::connect(co);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = Client::connect(co);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), errc::too_many_connections) << c.error().to_string();
  // In-process clients are not counted against the peer.
  auto in_process = Client::connect(tb.broker().client_options());
  EXPECT_TRUE(in_process.ok());
  a->reset();
  EXPECT_TRUE(test::wait_for([&] { return Client::connect(co).ok(); }));
}

TEST(Limits, ProduceQuotaSlowsTheProducerDown) {
  BrokerOptions o;
  o.produce_quota_bytes_per_second = 64 << 10;
  test::TestBroker tb(o);
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"q", 1}).ok());
  const std::string value(16 << 10, 'x');
  ProducerOptions po;
  po.batch_bytes = 32 << 10;
  Producer producer(*client, po);
  const auto start = std::chrono::steady_clock::now();
  // 256 KiB at 64 KiB/s after a burst of 64 KiB: about 3 s; unthrottled, milliseconds.
  for (int i = 0; i < 16; ++i) {
    ProducerRecord r;
    r.value = value;
    producer.send("q", 0, r, [](result<RecordMetadata> m) { EXPECT_TRUE(m.ok()); });
  }
  producer.flush();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(*client->latest_offset("q", 0), 16);
}

TEST(Limits, KafkaProduceAndFetchReportTheirThrottleTime) {
  BrokerOptions o = test::with_kafka();
  o.produce_quota_bytes_per_second = 16 << 10;
  o.fetch_quota_bytes_per_second = 16 << 10;
  test::TestBroker tb(o);
  ASSERT_TRUE(tb.client()->create_topic({"k", 1}).ok());
  test::KafkaWire wire(tb.kafka_port());
  const auto batch = test::make_batch(std::string(2000, 'v'), 20);  // about 40 KiB: over the 16 KiB burst
  std::int32_t corr = 0;
  std::int32_t produce_throttle = 0;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(wire.send(0, 3, ++corr, [&](pk::Writer& w) { test::produce_body(w, 3, -1, "k", 0, batch); }));
    auto r = wire.read();
    ASSERT_TRUE(r);
    auto rd = r->reader();
    rd.array(0);
    rd.string();
    rd.array(0);
    rd.i32();
    EXPECT_EQ(rd.i16(), 0);
    rd.i64();
    rd.i64();
    produce_throttle = rd.i32();
  }
  EXPECT_GT(produce_throttle, 0);
  ASSERT_TRUE(wire.send(1, 4, ++corr, [](pk::Writer& w) {
    w.i32(-1); w.i32(10); w.i32(1); w.i32(1 << 20); w.i8(0); w.array(1); w.string("k"); w.array(1); w.i32(0);
    w.i64(0); w.i32(1 << 20);
  }));
  auto f = wire.read(60s);
  ASSERT_TRUE(f);
  EXPECT_GT(f->reader().i32(), 0);  // the throttle comes first in Fetch v1+
}

TEST(Limits, MetricsNeedATokenOrAUserOverTlsWhenAuthIsOn) {
  test::TestCerts certs;
  BrokerOptions o;
  o.auth.required = true;
  o.auth.admin_password = "metrics-admin-password";
  o.http.listen = true;
  o.http.token = "scrape-token-123";
  o.tls.cert_file = certs.path("server.pem");
  o.tls.key_file = certs.path("server.key");
  test::TestBroker tb(o);
  const std::string url = "https://127.0.0.1:" + std::to_string(tb.broker().http_port());
  const std::string get = "/usr/bin/python3 -c 'import base64, ssl, sys, urllib.request, urllib.error\n"
                          "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
                          "req = urllib.request.Request(sys.argv[1])\n"
                          "if len(sys.argv) > 3: req.add_header(\"Authorization\", sys.argv[3])\n"
                          "try:\n  print(urllib.request.urlopen(req, context=ctx, timeout=10).status)\n"
                          "except urllib.error.HTTPError as e:\n  print(e.code)' ";
  const std::string ca = " " + certs.path("ca.pem");
  auto status_of = [&](const std::string& path, const std::string& auth = "") {
    auto r = test::run_command(get + url + path + ca + (auth.empty() ? "" : " '" + auth + "'"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(status_of("/livez"), "200\n");
  EXPECT_EQ(status_of("/readyz"), "200\n");
  EXPECT_EQ(status_of("/metrics"), "401\n");
  EXPECT_EQ(status_of("/metrics", "Bearer scrape-token-123"), "200\n");
  EXPECT_EQ(status_of("/metrics", "Bearer wrong"), "401\n");
  const auto basic = [](const std::string& user_password) { return "Basic " + sasl::base64_encode(user_password); };
  EXPECT_EQ(status_of("/metrics", basic("admin:metrics-admin-password")), "200\n");
  EXPECT_EQ(status_of("/metrics", basic("admin:wrong")), "401\n");
  auto admin = Client::connect([&] {
    ClientOptions co;
    co.broker = tb.address();
    co.user = "admin";
    co.password = "metrics-admin-password";
    co.tls.enabled = true;
    co.tls.ca_file = certs.path("ca.pem");
    return co;
  }());
  ASSERT_TRUE(admin.ok()) << admin.error().to_string();
  ASSERT_TRUE((*admin)->create_user("watcher", "watcher-password").ok());
  EXPECT_EQ(status_of("/metrics", basic("watcher:watcher-password")), "401\n");  // no cluster describe yet
  ASSERT_TRUE((*admin)->add_acl({"watcher", "cluster", "cluster", "literal", "describe", "allow"}).ok());
  EXPECT_EQ(status_of("/metrics", basic("watcher:watcher-password")), "200\n");
}

}  // namespace
}  // namespace wharf
