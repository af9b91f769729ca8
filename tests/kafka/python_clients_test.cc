// The Python Kafka clients Debian ships, run by Debian's own interpreter
// (/usr/bin/python3: the one that sees python3-kafka and
// python3-confluent-kafka) against a real broker.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "kafka/kafka_wire_helpers.h"
#include "support/run_command.h"

namespace wharf::test {
namespace {

CommandResult run_script(const TestBroker& tb, const std::string& script) {
  return run_command(fmt::format("timeout 180 /usr/bin/python3 {}/{} {}", WHARF_KAFKA_PYTHON_DIR, script,
                                 tb.kafka_address()));
}

BrokerOptions python_broker() {
  BrokerOptions o = with_kafka();
  o.groups.initial_rebalance_delay = std::chrono::milliseconds(200);
  return o;
}

TEST(KafkaPythonClients, KafkaPythonAdminsProducesAndConsumesInAGroup) {
  TestBroker tb(python_broker());
  auto r = run_script(tb, "kafka_python_clients.py");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("kafka-python: ok"), std::string::npos) << r.out << r.err;
}

TEST(KafkaPythonClients, ConfluentKafkaAdminsProducesAndConsumesInAGroup) {
  TestBroker tb(python_broker());
  auto r = run_script(tb, "confluent_kafka_clients.py");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("confluent-kafka: ok"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace wharf::test
