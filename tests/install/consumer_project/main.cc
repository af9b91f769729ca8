// Uses the installed client: create a topic, produce, consume one record.
#include <wharf/client.h>
#include <wharf/consumer.h>
#include <wharf/producer.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const char* topic = argv[2];
  wharf::ClientOptions options;
  options.broker = argv[1];
  auto client = wharf::Client::connect(options);
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().to_string().c_str());
    return 1;
  }
  if (auto st = (*client)->create_topic({topic, 1}); !st.ok()) return 1;
  wharf::Producer producer(**client);
  wharf::ProducerRecord record;
  record.value = "hello from outside";
  auto offset = producer.send_and_wait(topic, 0, record);
  if (!offset) return 1;
  wharf::ConsumerOptions co;
  co.start = wharf::StartFrom::earliest;
  wharf::Consumer consumer(**client, co);
  if (!consumer.assign({{topic, 0}}).ok()) return 1;
  auto records = consumer.poll(std::chrono::seconds(5));
  if (!records || records->size() != 1 || (*records)[0].value != "hello from outside") return 1;
  std::printf("ok\n");
  return 0;
}
