// wharf-bench: end-to-end load against an embedded or external broker.
#include <CLI/CLI.hpp>

#include <csignal>

#include "bench/bench_target.h"
#include "bench/kafka_workloads.h"
#include "bench/log_workloads.h"
#include "bench/queue_workloads.h"
#include "wharf/broker.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"wharf-bench - Wharf load generator"};
  app.set_version_flag("--version", "wharf-bench " + std::string(wharf::Broker::version()));
  app.require_subcommand(1);
  wharf::bench::TargetOptions target;
  wharf::bench::LogBenchOptions log;

  auto add_common = [&](CLI::App* sub) {
    auto* b = sub->add_option("--broker", target.broker, "Broker HOST:PORT")->capture_default_str();
    auto* e = sub->add_flag("--embedded", target.embedded, "Run an in-process broker on a temp data dir");
    b->excludes(e);
    sub->add_option("--kafka-broker", target.kafka_broker, "The Kafka listener of --broker (kafka-* workloads)")
        ->capture_default_str()
        ->excludes(e);
    sub->add_option("--durability", target.durability, "Embedded broker durability")
        ->check(CLI::IsMember({"sync", "relaxed"}))
        ->capture_default_str();
    sub->add_option("--data-parent", target.data_parent, "Embedded: folder for the temp data dir")
        ->capture_default_str();
    sub->add_flag("--json", log.json, "Print one JSON object");
  };
  auto add_log = [&](CLI::App* sub) {
    add_common(sub);
    sub->add_option("--messages", log.messages, "Messages to send")->capture_default_str()->check(CLI::PositiveNumber);
    sub->add_option("--size", log.size, "Bytes per message value")->capture_default_str();
    sub->add_option("--partitions", log.partitions, "Partitions of the topic")
        ->capture_default_str()
        ->check(CLI::Range(1u, 10000u));
    sub->add_option("--batch-bytes", log.batch_bytes, "Producer batch size")->capture_default_str();
    sub->add_option("--in-flight", log.max_in_flight, "Producer batches in flight")->capture_default_str();
    sub->add_option("--buffer-bytes", log.buffer_bytes, "Producer buffer (send blocks when full)")
        ->capture_default_str();
  };
  auto* produce = app.add_subcommand("log-produce", "Append messages and wait for every confirm");
  add_log(produce);
  produce->add_option("--producers", log.producers, "Producers, each on its own connection and thread")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  auto* replay = app.add_subcommand("log-replay", "Load a topic, then read it back from offset 0");
  add_log(replay);
  replay->add_option("--consumers", log.consumers, "Consumers, each reading its share of the partitions")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  auto* kproduce =
      app.add_subcommand("kafka-produce", "Produce through librdkafka (acks=all) and wait for every acknowledgement");
  add_log(kproduce);
  auto* kconsume = app.add_subcommand("kafka-consume", "Load a topic, then read it back through librdkafka");
  add_log(kconsume);
  wharf::bench::QueueBenchOptions queue;
  auto add_queue = [&](CLI::App* sub) {
    add_common(sub);
    sub->add_option("--size", queue.size, "Bytes per message (at least 8: a timestamp)")->capture_default_str();
    sub->add_option("--prefetch", queue.prefetch, "Consumer prefetch window")->capture_default_str();
  };
  auto* q = app.add_subcommand("queue", "Publish and consume at once, acking every message on its own");
  add_queue(q);
  q->add_option("--messages", queue.messages, "Messages to send")->capture_default_str()->check(CLI::PositiveNumber);
  q->add_option("--producers", queue.producers, "Publishers, each on its own connection and thread")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  q->add_option("--consumers", queue.consumers, "Consumers, each on its own connection")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  q->add_option("--partitions", queue.partitions, "Queues the messages are spread over (consumer c reads c % N)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  auto* ql = app.add_subcommand("queue-latency", "Publish at a fixed rate; measure publish-to-delivery latency");
  add_queue(ql);
  ql->add_option("--rate", queue.rate, "Messages per second")->capture_default_str()->check(CLI::PositiveNumber);
  ql->add_option("--seconds", queue.seconds, "How long to publish")->capture_default_str()->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  queue.json = log.json;

  auto t = wharf::bench::Target::open(target);
  if (!t) return 1;
  if (produce->parsed()) return wharf::bench::run_log_produce(*t, log);
  if (replay->parsed()) return wharf::bench::run_log_replay(*t, log);
  if (kproduce->parsed()) return wharf::bench::run_kafka_produce(*t, log);
  if (kconsume->parsed()) return wharf::bench::run_kafka_consume(*t, log);
  if (q->parsed()) return wharf::bench::run_queue(*t, queue);
  if (ql->parsed()) return wharf::bench::run_queue_latency(*t, queue);
  return 2;
}
