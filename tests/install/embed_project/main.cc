// Embeds the installed broker: starts it on a data dir, produces and
// consumes through an in-process client, serves a TCP client at the same
// time, and stops cleanly. Usage: embedder DATA_DIR
#include <wharf/broker.h>
#include <wharf/client.h>
#include <wharf/consumer.h>
#include <wharf/producer.h>
#include <wharf/queue.h>

#include <cstdio>

namespace {

int fail(const char* what, const wharf::status& st) {
  std::fprintf(stderr, "%s: %s\n", what, st.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  wharf::BrokerOptions options;
  options.data_dir = argv[1];
  options.port = 0;
  auto broker = wharf::Broker::start(options);
  if (!broker) return fail("start", broker.error());

  // In-process: no TCP between this program and its broker.
  auto client = wharf::Client::connect((*broker)->client_options());
  if (!client) return fail("in-process connect", client.error());
  if (auto st = (*client)->create_topic({"events"}); !st.ok()) return fail("create topic", st);
  wharf::Producer producer(**client);
  wharf::ProducerRecord record;
  record.value = "hello from inside";
  auto offset = producer.send_and_wait("events", 0, record);
  if (!offset) return fail("produce", offset.error());
  wharf::ConsumerOptions co;
  co.start = wharf::StartFrom::earliest;
  wharf::Consumer consumer(**client, co);
  if (auto st = consumer.assign({{"events", 0}}); !st.ok()) return fail("assign", st);
  auto records = consumer.poll(std::chrono::seconds(5));
  if (!records || records->size() != 1 || (*records)[0].value != "hello from inside") return fail("consume", records.error());

  if (auto st = (*client)->create_queue("jobs"); !st.ok()) return fail("create queue", st);
  wharf::Publisher publisher(**client);
  wharf::OutgoingMessage message;
  message.payload = "job-1";
  if (auto id = publisher.publish_and_wait("jobs", message); !id) return fail("publish", id.error());
  auto jobs = wharf::QueueConsumer::subscribe(**client, "jobs");
  if (!jobs) return fail("subscribe", jobs.error());
  auto delivery = (*jobs)->receive(std::chrono::seconds(5));
  if (!delivery || delivery->payload() != "job-1") return fail("receive", delivery.error());
  if (auto st = delivery->ack_and_wait(); !st.ok()) return fail("ack", st);

  // Over TCP at the same time: another client sees the same data.
  wharf::ClientOptions tcp;
  tcp.broker = (*broker)->address();
  auto remote = wharf::Client::connect(tcp);
  if (!remote) return fail("tcp connect", remote.error());
  auto info = (*remote)->describe_topic("events");
  if (!info || info->partition_info[0].high_watermark != 1) return fail("tcp describe", info.error());

  jobs->reset();
  remote->reset();
  client->reset();
  (*broker)->stop();
  std::printf("ok\n");
  return 0;
}
