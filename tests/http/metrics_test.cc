// The HTTP listener: probes, and a /metrics scrape parsed by a real
// Prometheus text parser (python3-prometheus-client) whose values match
// known traffic through both the log and the queue engines.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <sstream>

#include "support/run_command.h"
#include "support/test_broker.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf {
namespace {

using namespace std::chrono_literals;

BrokerOptions with_http() {
  BrokerOptions o;
  o.http.listen = true;
  return o;
}

// name{labels} -> value, as parsed by prometheus_client.
std::map<std::string, double> scrape(const test::TestBroker& tb) {
  const auto r = test::run_command("/usr/bin/python3 " WHARF_HTTP_TEST_DIR "/scrape_metrics.py " + tb.http_url() + "/metrics");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, double> samples;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

double sample(const std::map<std::string, double>& s, const std::string& key) {
  auto it = s.find(key);
  if (it == s.end()) {
    ADD_FAILURE() << "no sample " << key;
    return -1;
  }
  return it->second;
}

int http_status(const std::string& url) {
  const auto r = test::run_command("/usr/bin/python3 -c 'import sys, urllib.request, urllib.error\n"
                                   "try:\n  print(urllib.request.urlopen(sys.argv[1], timeout=5).status)\n"
                                   "except urllib.error.HTTPError as e:\n  print(e.code)' " +
                                   url);
  return r.exit_code == 0 ? std::stoi(r.out) : -1;
}

TEST(HttpMetrics, ProbesAnswer) {
  test::TestBroker tb(with_http());
  ASSERT_NE(tb.broker().http_port(), 0);
  EXPECT_EQ(http_status(tb.http_url() + "/livez"), 200);
  EXPECT_EQ(http_status(tb.http_url() + "/readyz"), 200);
  EXPECT_EQ(http_status(tb.http_url() + "/nothing-here"), 404);
}

TEST(HttpMetrics, ScrapeParsesAndCountsKnownTraffic) {
  test::TestBroker tb(with_http());
  auto client = tb.client();
  ASSERT_TRUE(client->create_topic({"orders", 2}).ok());
  {
    Producer producer(*client);
    const std::string value = "order";
    for (int i = 0; i < 10; ++i) {
      ProducerRecord r;
      r.value = value;
      producer.send("orders", 0, r, [](result<RecordMetadata> m) { EXPECT_TRUE(m.ok()); });
    }
    for (int i = 0; i < 3; ++i) {
      ProducerRecord r;
      r.value = "other";
      producer.send("orders", 1, r, [](result<RecordMetadata> m) { EXPECT_TRUE(m.ok()); });
    }
    producer.flush();
  }
  {
    ConsumerOptions co;
    co.start = StartFrom::earliest;
    Consumer consumer(*client, co);
    ASSERT_TRUE(consumer.assign({{"orders", 0}}).ok());
    std::size_t got = 0;
    while (got < 10) {
      auto records = consumer.poll(5s);
      ASSERT_TRUE(records.ok() && !records->empty());
      got += records->size();
    }
  }
  ASSERT_TRUE(client->commit_offsets("billing", "orders", {{0, 4}}).ok());

  QueueOptions qo;
  qo.max_deliveries = 5;
  ASSERT_TRUE(client->create_queue("jobs", qo).ok());
  {
    Publisher p(*client);
    for (int i = 0; i < 6; ++i) {
      OutgoingMessage m;
      m.payload = "job";
      ASSERT_TRUE(p.publish_and_wait("jobs", m).ok());
    }
  }
  {
    auto qc = QueueConsumer::subscribe(*client, "jobs", {1});
    ASSERT_TRUE(qc.ok());
    for (int i = 0; i < 3; ++i) {
      auto d = (*qc)->receive(10s);
      ASSERT_TRUE(d.ok());
      ASSERT_TRUE(d->ack_and_wait().ok());
    }
    auto d = (*qc)->receive(10s);
    ASSERT_TRUE(d.ok());
    std::promise<status> nacked;
    d->nack(1h, [&](status st) { nacked.set_value(st); });
    ASSERT_TRUE(nacked.get_future().get().ok());
    d = (*qc)->receive(10s);
    ASSERT_TRUE(d.ok());
    std::promise<status> rejected;
    d->reject("bad input", [&](status st) { rejected.set_value(st); });
    ASSERT_TRUE(rejected.get_future().get().ok());
    (*qc)->close();
  }

  const auto s = scrape(tb);
  const std::string p0 = "{partition=\"0\",topic=\"orders\"}";
  const std::string p1 = "{partition=\"1\",topic=\"orders\"}";
  EXPECT_EQ(sample(s, "wharf_partition_records_in_total" + p0), 10);
  EXPECT_EQ(sample(s, "wharf_partition_records_in_total" + p1), 3);
  EXPECT_GT(sample(s, "wharf_partition_bytes_in_total" + p0), 10 * 5);
  EXPECT_EQ(sample(s, "wharf_partition_log_start_offset" + p0), 0);
  EXPECT_EQ(sample(s, "wharf_partition_log_end_offset" + p0), 10);
  EXPECT_EQ(sample(s, "wharf_partition_log_end_offset" + p1), 3);
  EXPECT_EQ(sample(s, "wharf_partition_fetch_records_out_total" + p0), 10);
  EXPECT_EQ(sample(s, "wharf_partition_fetch_records_out_total" + p1), 0);
  EXPECT_EQ(sample(s, "wharf_group_committed_offset{group=\"billing\",partition=\"0\",topic=\"orders\"}"), 4);
  EXPECT_EQ(sample(s, "wharf_group_lag_records{group=\"billing\",partition=\"0\",topic=\"orders\"}"), 6);
  EXPECT_EQ(sample(s, "wharf_topics{}"), 1);

  const std::string jobs = "{queue=\"jobs\"}";
  EXPECT_EQ(sample(s, "wharf_queue_published_total" + jobs), 6);
  EXPECT_EQ(sample(s, "wharf_queue_acked_total" + jobs), 3);
  EXPECT_EQ(sample(s, "wharf_queue_nacked_total" + jobs), 1);
  EXPECT_EQ(sample(s, "wharf_queue_rejected_total" + jobs), 1);
  EXPECT_GE(sample(s, "wharf_queue_delivered_total" + jobs), 5);
  EXPECT_EQ(sample(s, "wharf_queue_ready_messages" + jobs), 1);
  EXPECT_EQ(sample(s, "wharf_queue_delayed_messages" + jobs), 1);
  EXPECT_EQ(sample(s, "wharf_queue_in_flight_messages" + jobs), 0);
  EXPECT_EQ(sample(s, "wharf_queue_dead_lettered_total" + jobs), 1);
  EXPECT_EQ(sample(s, "wharf_queue_ready_messages{queue=\"jobs.dlq\"}"), 1);
  EXPECT_GE(sample(s, "wharf_queue_oldest_message_age_seconds" + jobs), 0);

  EXPECT_GE(sample(s, "wharf_requests_total{listener=\"native\",request=\"produce\"}"), 1);
  EXPECT_GE(sample(s, "wharf_requests_total{listener=\"native\",request=\"publish\"}"), 6);
  EXPECT_GE(sample(s, "wharf_connections{listener=\"native\"}"), 1);
  EXPECT_GE(sample(s, "wharf_writer_commits_total{}"), 10);
  EXPECT_EQ(sample(s, "wharf_storage_healthy{}"), 1);
  EXPECT_GT(sample(s, "wharf_storage_used_bytes{}"), 0);
  EXPECT_EQ(sample(s, "wharf_storage_map_size_bytes{}"), static_cast<double>(tb.options().map_size));
  // Histograms: every commit observed once, the +Inf bucket holds them all.
  EXPECT_EQ(sample(s, "wharf_writer_commit_duration_seconds_count{}"),
            sample(s, "wharf_writer_commit_duration_seconds_bucket{le=\"+Inf\"}"));
  EXPECT_EQ(sample(s, "wharf_writer_group_ops_count{}"), sample(s, "wharf_writer_commits_total{}"));
  EXPECT_GE(sample(s, "wharf_writer_sync_duration_seconds_count{}"), 1);

  // A typed error is counted by its code.
  EXPECT_FALSE(client->describe_topic("missing").ok());
  const auto after = scrape(tb);
  EXPECT_EQ(sample(after, "wharf_request_errors_total{error=\"unknown_topic\",listener=\"native\"}"), 1);
}

TEST(HttpMetrics, KafkaRequestsAreCountedByApi) {
  BrokerOptions o = with_http();
  o.kafka.listen = true;
  test::TestBroker tb(o);
  const auto r = test::run_command("kcat -b " + tb.kafka_address() + " -L -t nothing -m 5 2>&1");
  (void)r;
  const auto s = scrape(tb);
  EXPECT_GE(sample(s, "wharf_requests_total{listener=\"kafka\",request=\"metadata\"}"), 1);
  EXPECT_GE(sample(s, "wharf_requests_total{listener=\"kafka\",request=\"api_versions\"}"), 1);
  EXPECT_GE(sample(s, "wharf_connections_accepted_total{listener=\"kafka\"}"), 1);
}

}  // namespace
}  // namespace wharf
