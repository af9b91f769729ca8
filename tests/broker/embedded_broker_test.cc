// A broker inside the test's own process, reached through in-process
// clients (no TCP) and over TCP at the same time.
#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "wharf/broker.h"
#include "wharf/client.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;

BrokerOptions quiet_options(const test::TempDir& dir) {
  BrokerOptions o;
  o.port = 0;
  o.data_dir = dir.path() / "data";
  o.log = [](LogLevel, std::string_view) {};
  return o;
}

void produce_and_read_back(Client& client, const std::string& topic) {
  ASSERT_TRUE(client.create_topic({topic, 1}).ok());
  Producer producer(client);
  ProducerRecord r;
  r.value = "hello";
  ASSERT_TRUE(producer.send_and_wait(topic, 0, r).ok());
  ConsumerOptions co;
  co.start = StartFrom::earliest;
  Consumer consumer(client, co);
  ASSERT_TRUE(consumer.assign({{topic, 0}}).ok());
  auto records = consumer.poll(5s);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].value, "hello");
}

TEST(BrokerEmbedded, InProcessClientsWithoutAListener) {
  test::TempDir dir;
  auto options = quiet_options(dir);
  options.listen = false;
  auto broker = Broker::start(options);
  ASSERT_TRUE(broker.ok()) << broker.error().to_string();
  EXPECT_EQ((*broker)->port(), 0);
  auto client = Client::connect((*broker)->client_options());
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  EXPECT_EQ((*client)->broker_info().version, Broker::version());
  produce_and_read_back(**client, "t");

  // Queues too: a pushed delivery arrives over the socket pair.
  ASSERT_TRUE((*client)->create_queue("jobs").ok());
  Publisher publisher(**client);
  OutgoingMessage m;
  m.payload = "job";
  ASSERT_TRUE(publisher.publish_and_wait("jobs", m).ok());
  auto qc = QueueConsumer::subscribe(**client, "jobs");
  ASSERT_TRUE(qc.ok());
  auto d = (*qc)->receive(5s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->payload(), "job");
  EXPECT_TRUE(d->ack_and_wait().ok());
  qc->reset();

  // Once the broker stops, requests fail with a typed error, and the
  // client may outlive the broker.
  (*broker)->stop();
  EXPECT_FALSE((*client)->list_topics().ok());
  EXPECT_EQ((*client)->list_topics().code(), errc::connection_failed);
  broker->reset();
}

TEST(BrokerEmbedded, ServesInProcessAndTcpClientsAtOnce) {
  test::TempDir dir;
  auto broker = Broker::start(quiet_options(dir));
  ASSERT_TRUE(broker.ok()) << broker.error().to_string();
  auto local = Client::connect((*broker)->client_options());
  ClientOptions tcp_options;
  tcp_options.broker = (*broker)->address();
  auto remote = Client::connect(tcp_options);
  ASSERT_TRUE(local.ok() && remote.ok());
  produce_and_read_back(**local, "shared");
  // What one writes, the other reads.
  auto info = (*remote)->describe_topic("shared");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partition_info[0].high_watermark, 1);
  ASSERT_TRUE((*remote)->create_queue("q").ok());
  EXPECT_TRUE((*local)->describe_queue("q").ok());
  // Restarting the in-process client's connection works like a TCP reconnect.
  ASSERT_TRUE((*local)->reconnect().ok());
  EXPECT_TRUE((*local)->describe_queue("q").ok());
  remote->reset();
  local->reset();
  (*broker)->stop();
}

}  // namespace
}  // namespace wharf
