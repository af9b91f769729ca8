#include "bench/log_workloads.h"


#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
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

// Produces `messages` records round the partitions; fills latencies with
// each record's send-to-confirm time. Returns the elapsed seconds, or < 0.
double produce(Client& client, const std::string& topic, const LogBenchOptions& o, Latencies* latencies) {
  ProducerOptions po;
  po.batch_bytes = o.batch_bytes;
  po.max_in_flight = o.max_in_flight;
  po.buffer_bytes = o.buffer_bytes;
  std::string payload(o.size, 'x');
  std::vector<std::int64_t> sent(latencies ? o.messages : 0);
  std::vector<float> lat(latencies ? o.messages : 0);
  std::atomic<std::uint64_t> confirmed{0};
  std::atomic<std::uint64_t> failed{0};
  const auto start = Clock::now();
  {
    Producer producer(client, po);
    Progress progress("confirmed", confirmed, o.messages);
    ProducerRecord record;
    record.value = payload;
    const std::uint64_t per_partition = (o.messages + o.partitions - 1) / o.partitions;
    for (std::uint64_t i = 0; i < o.messages; ++i) {
      const auto partition = static_cast<std::uint32_t>(i / per_partition);
      if (latencies) sent[i] = now_ns();
      producer.send(topic, partition, record, [&, i](result<RecordMetadata> r) {
        if (!r.ok()) {
          if (failed.fetch_add(1) == 0) std::fprintf(stderr, "wharf-bench: %s\n", r.error().to_string().c_str());
        } else if (latencies) {
          lat[i] = static_cast<float>(now_ns() - sent[i]) / 1000.0f;
        }
        confirmed.fetch_add(1, std::memory_order_relaxed);
      });
    }
    producer.flush();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed.load() > 0) return -1;
  if (latencies) {
    latencies->reserve(o.messages);
    for (float v : lat) latencies->add(v);
  }
  return seconds;
}

std::string target_name(const Target& target) { return target.embedded() ? "embedded" : target.address(); }

}  // namespace

int run_log_produce(const Target& target, const LogBenchOptions& o) {
  auto client = target.connect();
  if (!client) return 1;
  const auto created = create_run_topic(*client, "produce", o.partitions);
  if (!created) return 1;
  const std::string& topic = *created;
  Report r = log_report("log-produce", target_name(target), *client, o);
  print_header(r);
  Latencies latencies;
  r.seconds = produce(*client, topic, o, &latencies);
  client->delete_topic(topic);
  if (r.seconds < 0) return 1;
  r.latency = latencies.percentiles();
  print_result(r, o.json);
  return 0;
}

int run_log_replay(const Target& target, const LogBenchOptions& o) {
  auto client = target.connect();
  if (!client) return 1;
  const auto created = create_run_topic(*client, "replay", o.partitions);
  if (!created) return 1;
  const std::string& topic = *created;
  Report r = log_report("log-replay", target_name(target), *client, o);
  r.latency_name = "poll latency";
  print_header(r);
  std::fprintf(stderr, "  loading %llu messages...\n", static_cast<unsigned long long>(o.messages));
  if (produce(*client, topic, o, nullptr) < 0) return 1;

  ConsumerOptions co;
  co.start = StartFrom::earliest;
  Consumer consumer(*client, co);
  if (status st = consumer.assign_topic(topic); !st.ok()) {
    std::fprintf(stderr, "wharf-bench: %s\n", st.to_string().c_str());
    return 1;
  }
  std::atomic<std::uint64_t> read{0};
  Latencies polls;
  std::uint64_t checksum = 0;
  const auto start = Clock::now();
  {
    Progress progress("read", read, o.messages);
    while (read.load(std::memory_order_relaxed) < o.messages) {
      const auto t0 = Clock::now();
      auto records = consumer.poll(std::chrono::seconds(10));
      polls.add(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      if (!records.ok()) {
        std::fprintf(stderr, "wharf-bench: %s\n", records.error().to_string().c_str());
        return 1;
      }
      if (records->empty()) {
        std::fprintf(stderr, "wharf-bench: no records for 10 s after %llu\n",
                     static_cast<unsigned long long>(read.load()));
        return 1;
      }
      for (const auto& rec : *records) checksum += rec.value.size();
      read.fetch_add(records->size(), std::memory_order_relaxed);
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  client->delete_topic(topic);
  if (checksum != o.messages * o.size) {
    std::fprintf(stderr, "wharf-bench: read %llu value bytes, expected %llu\n",
                 static_cast<unsigned long long>(checksum), static_cast<unsigned long long>(o.messages * o.size));
    return 1;
  }
  r.latency = polls.percentiles();
  print_result(r, o.json);
  return 0;
}

}  // namespace wharf::bench
