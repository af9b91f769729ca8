#include "bench/kafka_workloads.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "bench/report.h"
#include "bench/workload_common.h"

namespace wharf::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<RdKafka::Conf> kafka_conf(const std::map<std::string, std::string>& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : settings)
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      std::fprintf(stderr, "wharf-bench: librdkafka %s: %s\n", k.c_str(), err.c_str());
      return nullptr;
    }
  return conf;
}

// Each record's send-to-acknowledgement time; the record's index rides in
// the message's opaque pointer.
class Acks : public RdKafka::DeliveryReportCb {
 public:
  explicit Acks(std::uint64_t n) : sent(n), latency_us(n) {}
  void dr_cb(RdKafka::Message& m) override {
    const auto i = reinterpret_cast<std::uintptr_t>(m.msg_opaque());
    if (m.err() != RdKafka::ERR_NO_ERROR) {
      if (failed++ == 0) std::fprintf(stderr, "wharf-bench: delivery failed: %s\n", m.errstr().c_str());
    } else {
      latency_us[i] = static_cast<float>(now_ns() - sent[i]) / 1000.0f;
    }
    ++acked;
  }
  std::vector<std::int64_t> sent;
  std::vector<float> latency_us;
  std::uint64_t acked = 0;
  std::uint64_t failed = 0;
};

std::string target_name(const Target& target) {
  return target.embedded() ? "embedded (Kafka listener)" : target.kafka_address();
}

// Produces o.messages records round the partitions with acks=all; returns
// the seconds it took until the last acknowledgement, or < 0.
double kafka_produce(const Target& target, const std::string& topic, const LogBenchOptions& o, Latencies* out) {
  Acks acks(o.messages);
  auto conf = kafka_conf({{"bootstrap.servers", target.kafka_address()},
                          {"acks", "all"},
                          {"linger.ms", "5"},
                          {"batch.size", std::to_string(o.batch_bytes)},
                          {"queue.buffering.max.messages", "1000000"},
                          {"queue.buffering.max.kbytes", "1048576"},
                          {"max.in.flight.requests.per.connection", std::to_string(o.max_in_flight)}});
  if (!conf) return -1;
  std::string err;
  conf->set("dr_cb", &acks, err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  if (!producer) {
    std::fprintf(stderr, "wharf-bench: %s\n", err.c_str());
    return -1;
  }
  std::string payload(o.size, 'x');
  const std::uint64_t per_partition = (o.messages + o.partitions - 1) / o.partitions;
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < o.messages; ++i) {
    const auto partition = static_cast<std::int32_t>(i / per_partition);
    acks.sent[i] = now_ns();
    for (;;) {
      auto rc = producer->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY, payload.data(), payload.size(),
                                  nullptr, 0, 0, reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)));
      if (rc == RdKafka::ERR_NO_ERROR) break;
      if (rc != RdKafka::ERR__QUEUE_FULL) {
        std::fprintf(stderr, "wharf-bench: produce: %s\n", RdKafka::err2str(rc).c_str());
        return -1;
      }
      producer->poll(1);
    }
    if ((i & 1023) == 0) producer->poll(0);
  }
  if (producer->flush(120000) != RdKafka::ERR_NO_ERROR) {
    std::fprintf(stderr, "wharf-bench: flush timed out with %d unacknowledged\n", producer->outq_len());
    return -1;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (acks.failed > 0 || acks.acked != o.messages) return -1;
  if (out) {
    out->reserve(o.messages);
    for (float v : acks.latency_us) out->add(v);
  }
  return seconds;
}

}  // namespace

int run_kafka_produce(const Target& target, const LogBenchOptions& o) {
  auto client = target.connect();
  if (!client) return 1;
  const auto created = create_run_topic(*client, "kafka-produce", o.partitions);
  if (!created) return 1;
  const std::string& topic = *created;
  Report r = log_report("kafka-produce", target_name(target), *client, o);
  r.latency_name = "ack latency";
  print_header(r);
  Latencies latencies;
  r.seconds = kafka_produce(target, topic, o, &latencies);
  client->delete_topic(topic);
  if (r.seconds < 0) return 1;
  r.latency = latencies.percentiles();
  print_result(r, o.json);
  return 0;
}

int run_kafka_consume(const Target& target, const LogBenchOptions& o) {
  auto client = target.connect();
  if (!client) return 1;
  const auto created = create_run_topic(*client, "kafka-consume", o.partitions);
  if (!created) return 1;
  const std::string& topic = *created;
  Report r = log_report("kafka-consume", target_name(target), *client, o);
  r.latency_name = "batch consume call latency";
  print_header(r);
  std::fprintf(stderr, "  loading %llu messages...\n", static_cast<unsigned long long>(o.messages));
  if (kafka_produce(target, topic, o, nullptr) < 0) return 1;

  auto conf = kafka_conf({{"bootstrap.servers", target.kafka_address()},
                          {"group.id", "wharf-bench"},
                          {"enable.auto.commit", "false"},
                          {"enable.partition.eof", "false"},
                          {"fetch.max.bytes", "52428800"},
                          {"queued.min.messages", "1000000"}});
  if (!conf) return 1;
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) {
    std::fprintf(stderr, "wharf-bench: %s\n", err.c_str());
    return 1;
  }
  std::vector<RdKafka::TopicPartition*> parts;
  for (std::uint32_t p = 0; p < o.partitions; ++p)
    parts.push_back(RdKafka::TopicPartition::create(topic, static_cast<int>(p), RdKafka::Topic::OFFSET_BEGINNING));
  consumer->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  // Batches through the C API: one queue lock per batch, not per record,
  // as a throughput-minded application would read.
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer->c_ptr());
  std::vector<rd_kafka_message_t*> batch(10000);
  Latencies calls;
  std::uint64_t read = 0;
  std::uint64_t bytes = 0;
  const auto start = Clock::now();
  auto last_record = start;
  status failure;
  while (read < o.messages && failure.ok()) {
    const auto t0 = Clock::now();
    const ssize_t n = rd_kafka_consume_batch_queue(queue, 1000, batch.data(), batch.size());
    const auto t1 = Clock::now();
    calls.add(std::chrono::duration<double, std::micro>(t1 - t0).count());
    if (n < 0) {
      failure = status(errc::internal, rd_kafka_err2str(rd_kafka_last_error()));
      break;
    }
    if (n == 0 && t1 - last_record > std::chrono::seconds(10))
      failure = status(errc::timeout, fmt::format("no records for 10 s after {}", read));
    for (ssize_t i = 0; i < n; ++i) {
      if (batch[i]->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (failure.ok()) failure = status(errc::internal, rd_kafka_message_errstr(batch[i]));
      } else {
        bytes += batch[i]->len;
        ++read;
      }
      rd_kafka_message_destroy(batch[i]);
    }
    if (n > 0) last_record = t1;
  }
  rd_kafka_queue_destroy(queue);
  if (!failure.ok()) {
    std::fprintf(stderr, "wharf-bench: consume: %s\n", failure.to_string().c_str());
    return 1;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  consumer->close();
  // Destroyed before the topic goes: librdkafka 2.0.2 can hang in destroy
  // when a topic it knew disappears first (its issue #3470).
  consumer.reset();
  client->delete_topic(topic);
  if (bytes != o.messages * o.size) {
    std::fprintf(stderr, "wharf-bench: read %llu value bytes, expected %llu\n", static_cast<unsigned long long>(bytes),
                 static_cast<unsigned long long>(o.messages * o.size));
    return 1;
  }
  r.latency = calls.percentiles();
  print_result(r, o.json);
  return 0;
}

}  // namespace wharf::bench
