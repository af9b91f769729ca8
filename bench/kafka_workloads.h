// Kafka-client benchmarks through librdkafka against the Kafka listener:
// kafka-produce (acks=all, client batching) and kafka-consume (a loaded
// topic read back from the beginning).
#pragma once

#include "bench/bench_target.h"
#include "bench/log_workloads.h"

namespace wharf::bench {

int run_kafka_produce(const Target& target, const LogBenchOptions& options);
int run_kafka_consume(const Target& target, const LogBenchOptions& options);

}  // namespace wharf::bench
