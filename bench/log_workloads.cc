#include "bench/log_workloads.h"


#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/report.h"
#include "bench/workload_common.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"

namespace wharf::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Prints "label: done/total" to stderr once a second until stopped.
class Progress {
 public:
  Progress(const char* label, const std::atomic<std::uint64_t>& done, std::uint64_t total)
      : thread_([this, label, &done, total] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; }))
            std::fprintf(stderr, "  %s: %llu / %llu\n", label,
                         static_cast<unsigned long long>(done.load()), static_cast<unsigned long long>(total));
        }) {}
  ~Progress() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Every record of a batch is confirmed at once, so timing one record in
// kLatencyEvery gives the same distribution without a clock read and a
// sample per record on the path being measured.
constexpr std::uint64_t kLatencyEvery = 16;

// What a record's completion touches: one pointer and the record's index
// keep the completion small enough to be stored without an allocation.
struct ProduceTally {
  std::vector<std::int64_t> sent;  // per sampled record
  std::vector<float> lat;
  std::atomic<std::uint64_t> confirmed{0};
  std::atomic<std::uint64_t> failed{0};
};

// Produces `messages` records round the partitions; fills latencies with
// the send-to-confirm time of every kLatencyEvery-th record. Returns the
// elapsed seconds, or < 0.
double produce(Client& client, const std::string& topic, const LogBenchOptions& o, Latencies* latencies) {
  ProducerOptions po;
  po.batch_bytes = o.batch_bytes;
  po.max_in_flight = o.max_in_flight;
  po.buffer_bytes = o.buffer_bytes;
  std::string payload(o.size, 'x');
  const std::uint64_t samples = latencies ? (o.messages + kLatencyEvery - 1) / kLatencyEvery : 0;
  ProduceTally tally;
  tally.sent.resize(samples);
  tally.lat.resize(samples);
  const auto start = Clock::now();
  {
    Producer producer(client, po);
    Progress progress("confirmed", tally.confirmed, o.messages);
    ProducerRecord record;
    record.value = payload;
    const std::uint64_t per_partition = (o.messages + o.partitions - 1) / o.partitions;
    for (std::uint64_t i = 0; i < o.messages; ++i) {
      const auto partition = static_cast<std::uint32_t>(i / per_partition);
      if (samples > 0 && i % kLatencyEvery == 0) tally.sent[i / kLatencyEvery] = now_ns();
      producer.send(topic, partition, record, [t = &tally, i](result<RecordMetadata> r) {
        if (!r.ok()) {
          if (t->failed.fetch_add(1) == 0) std::fprintf(stderr, "wharf-bench: %s\n", r.error().to_string().c_str());
        } else if (!t->sent.empty() && i % kLatencyEvery == 0) {
          t->lat[i / kLatencyEvery] = static_cast<float>(now_ns() - t->sent[i / kLatencyEvery]) / 1000.0f;
        }
        t->confirmed.fetch_add(1, std::memory_order_relaxed);
      });
    }
    producer.flush();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (tally.failed.load() > 0) return -1;
  if (latencies) {
    latencies->reserve(samples);
    for (float v : tally.lat) latencies->add(v);
  }
  return seconds;
}

std::string target_name(const Target& target) { return target.embedded() ? "embedded" : target.address(); }

}  // namespace

// Sends messages/producers records from each producer at once, each on
// its own connection and thread; per-producer latencies in r->clients.
double produce_from_all(const Target& target, const std::string& topic, const LogBenchOptions& o, Report* r,
                        Latencies* all) {
  const std::uint32_t n = o.producers;
  std::vector<std::unique_ptr<Client>> clients;
  for (std::uint32_t k = 0; k < n; ++k) {
    clients.push_back(target.connect());
    if (!clients.back()) return -1;
  }
  std::vector<Latencies> latencies(n);
  std::vector<double> seconds(n, -1);
  auto share_of = [&](std::uint32_t k) { return o.messages / n + (k < o.messages % n ? 1 : 0); };
  const auto start = Clock::now();
  {
    std::vector<std::thread> threads;
    for (std::uint32_t k = 0; k < n; ++k)
      threads.emplace_back([&, k] {
        LogBenchOptions share = o;
        share.messages = share_of(k);
        seconds[k] = produce(*clients[k], topic, share, &latencies[k]);
      });
    for (auto& t : threads) t.join();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (std::uint32_t k = 0; k < n; ++k) {
    if (seconds[k] < 0) return -1;
    if (n > 1) r->clients.push_back({"producer", k, share_of(k), latencies[k].percentiles(), r->latency_name});
    all->merge(latencies[k]);
  }
  return elapsed;
}

int run_log_produce(const Target& target, const LogBenchOptions& o) {
  auto client = target.connect();
  if (!client) return 1;
  const auto created = create_run_topic(*client, "produce", o.partitions);
  if (!created) return 1;
  const std::string& topic = *created;
  Report r = log_report("log-produce", target_name(target), *client, o);
  r.producers = o.producers;
  r.latency_name = "confirm latency (every " + std::to_string(kLatencyEvery) + "th record)";
  print_header(r);
  Latencies latencies;
  r.seconds = o.producers == 1 ? produce(*client, topic, o, &latencies)
                               : produce_from_all(target, topic, o, &r, &latencies);
  client->delete_topic(topic);
  if (r.seconds < 0) return 1;
  r.latency = latencies.percentiles();
  print_result(r, o.json);
  return 0;
}

int run_log_replay(const Target& target, const LogBenchOptions& o) {
  if (o.consumers > o.partitions) {
    std::fprintf(stderr, "wharf-bench: %u consumers need at least as many partitions\n", o.consumers);
    return 1;
  }
  auto client = target.connect();
  if (!client) return 1;
  const auto created = create_run_topic(*client, "replay", o.partitions);
  if (!created) return 1;
  const std::string& topic = *created;
  Report r = log_report("log-replay", target_name(target), *client, o);
  r.latency_name = "poll latency";
  r.consumers = o.consumers;
  print_header(r);
  std::fprintf(stderr, "  loading %llu messages...\n", static_cast<unsigned long long>(o.messages));
  if (produce(*client, topic, o, nullptr) < 0) return 1;

  // Consumer c reads the partitions p with p % consumers == c, on its own
  // connection and thread.
  const std::uint32_t n = o.consumers;
  std::vector<std::unique_ptr<Client>> clients;
  for (std::uint32_t c = 0; c < n; ++c) {
    clients.push_back(n == 1 ? nullptr : target.connect());
    if (n > 1 && !clients.back()) return 1;
  }
  std::atomic<std::uint64_t> read{0};
  std::atomic<std::uint64_t> checksum{0};
  std::atomic<bool> failed{false};
  std::vector<Latencies> polls(n);
  std::vector<std::uint64_t> counts(n, 0);
  const auto start = Clock::now();
  {
    Progress progress("read", read, o.messages);
    auto read_share = [&](std::uint32_t c) {
      ConsumerOptions co;
      co.start = StartFrom::earliest;
      Consumer consumer(n == 1 ? *client : *clients[c], co);
      std::vector<TopicPartition> mine;
      for (std::uint32_t p = c; p < o.partitions; p += n) mine.push_back({topic, p});
      if (status st = consumer.assign(mine); !st.ok()) {
        std::fprintf(stderr, "wharf-bench: %s\n", st.to_string().c_str());
        failed = true;
        return;
      }
      const std::uint64_t per_partition = (o.messages + o.partitions - 1) / o.partitions;
      std::uint64_t expected = 0;
      for (const auto& tp : mine)
        expected += std::min<std::uint64_t>(per_partition, o.messages - std::min(o.messages, tp.partition * per_partition));
      std::uint64_t sum = 0;
      while (counts[c] < expected && !failed) {
        const auto t0 = Clock::now();
        auto records = consumer.poll(std::chrono::seconds(10));
        polls[c].add(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!records.ok() || records->empty()) {
          std::fprintf(stderr, "wharf-bench: consumer %u: %s after %llu\n", c,
                       records.ok() ? "no records for 10 s" : records.error().to_string().c_str(),
                       static_cast<unsigned long long>(counts[c]));
          failed = true;
          return;
        }
        for (const auto& rec : *records) sum += rec.value.size();
        counts[c] += records->size();
        read.fetch_add(records->size(), std::memory_order_relaxed);
      }
      checksum.fetch_add(sum);
    };
    std::vector<std::thread> threads;
    for (std::uint32_t c = 0; c < n; ++c) threads.emplace_back(read_share, c);
    for (auto& t : threads) t.join();
  }
  if (failed) return 1;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  client->delete_topic(topic);
  if (checksum.load() != o.messages * o.size) {
    std::fprintf(stderr, "wharf-bench: read %llu value bytes, expected %llu\n",
                 static_cast<unsigned long long>(checksum.load()),
                 static_cast<unsigned long long>(o.messages * o.size));
    return 1;
  }
  Latencies all;
  for (std::uint32_t c = 0; c < n; ++c) {
    if (n > 1) r.clients.push_back({"consumer", c, counts[c], polls[c].percentiles(), r.latency_name});
    all.merge(polls[c]);
  }
  r.latency = all.percentiles();
  print_result(r, o.json);
  return 0;
}

}  // namespace wharf::bench
