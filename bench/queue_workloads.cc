#include "bench/queue_workloads.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/report.h"
#include "wharf/queue.h"

namespace wharf::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// Collects deliveries on the client's I/O thread: records latency from the
// send time stamped in the payload, acks each one.
class Sink {
 public:
  explicit Sink(std::uint64_t expected) : expected_(expected) { latencies_.reserve(expected); }
  void on_delivery(Delivery d) {
    std::int64_t sent = 0;
    if (d.payload().size() >= sizeof(sent)) std::memcpy(&sent, d.payload().data(), sizeof(sent));
    const double us = static_cast<double>(now_ns() - sent) / 1000.0;
    d.ack();
    std::lock_guard lock(mu_);
    latencies_.add(us);
    if (++received_ >= expected_) cv_.notify_all();
  }
  // Waits until every message arrived or `limit` passed; returns how many did.
  std::uint64_t wait(std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, limit, [&] { return received_ >= expected_; });
    return received_;
  }
  std::uint64_t received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  Percentiles percentiles() {
    std::lock_guard lock(mu_);
    return latencies_.percentiles();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t expected_;
  std::uint64_t received_ = 0;  // guarded by mu_
  Latencies latencies_;         // guarded by mu_
};

std::string queue_name(const char* workload) {
  return fmt::format("bench-{}-{}-{}", workload, ::getpid(), now_ns() % 1000000007);
}

Report base_report(const char* workload, const Target& target, Client& c, const QueueBenchOptions& o) {
  Report r;
  r.workload = workload;
  r.messages = o.messages;
  r.size = o.size;
  r.partitions = 1;
  r.target = target.embedded() ? "embedded" : target.address();
  r.durability = c.broker_info().durability;
  r.latency_name = "publish-to-delivery latency";
  return r;
}

}  // namespace

int run_queue(const Target& target, const QueueBenchOptions& o) {
  auto client = target.connect();
  auto consumer_client = target.connect();
  if (!client || !consumer_client) return 1;
  const std::string queue = queue_name("queue");
  if (status st = client->create_queue(queue); !st.ok()) {
    std::fprintf(stderr, "wharf-bench: %s\n", st.to_string().c_str());
    return 1;
  }
  Report r = base_report("queue", target, *client, o);
  print_header(r);
  Sink sink(o.messages);
  auto qc = QueueConsumer::subscribe(*consumer_client, queue, {o.prefetch});
  if (!qc) {
    std::fprintf(stderr, "wharf-bench: %s\n", qc.error().to_string().c_str());
    return 1;
  }
  (*qc)->set_handler([&](Delivery d) { sink.on_delivery(std::move(d)); });
  std::string payload(std::max<std::size_t>(o.size, 8), 'x');
  std::atomic<std::uint64_t> failed{0};
  const auto start = Clock::now();
  {
    PublisherOptions po;
    po.buffer_bytes = 4u << 20;
    Publisher publisher(*client, po);
    OutgoingMessage m;
    for (std::uint64_t i = 0; i < o.messages; ++i) {
      const std::int64_t t = now_ns();
      std::memcpy(payload.data(), &t, sizeof(t));
      m.payload = payload;
      publisher.publish(queue, m, [&](result<std::uint64_t> id) {
        if (!id.ok() && failed.fetch_add(1) == 0)
          std::fprintf(stderr, "wharf-bench: %s\n", id.error().to_string().c_str());
      });
    }
    publisher.flush();
  }
  const std::uint64_t got = sink.wait(std::chrono::seconds(120));
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*qc)->close();
  if (failed.load() > 0 || got < o.messages) {
    std::fprintf(stderr, "wharf-bench: %llu of %llu messages arrived\n", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(o.messages));
    return 1;
  }
  client->delete_queue(queue);
  r.latency = sink.percentiles();
  print_result(r, o.json);
  return 0;
}

int run_queue_latency(const Target& target, const QueueBenchOptions& o) {
  auto client = target.connect();
  auto consumer_client = target.connect();
  if (!client || !consumer_client) return 1;
  const std::string queue = queue_name("latency");
  if (status st = client->create_queue(queue); !st.ok()) {
    std::fprintf(stderr, "wharf-bench: %s\n", st.to_string().c_str());
    return 1;
  }
  QueueBenchOptions paced = o;
  paced.messages = o.rate * o.seconds;
  Report r = base_report("queue-latency", target, *client, paced);
  print_header(r);
  Sink sink(paced.messages);
  auto qc = QueueConsumer::subscribe(*consumer_client, queue, {o.prefetch});
  if (!qc) {
    std::fprintf(stderr, "wharf-bench: %s\n", qc.error().to_string().c_str());
    return 1;
  }
  (*qc)->set_handler([&](Delivery d) { sink.on_delivery(std::move(d)); });
  std::string payload(std::max<std::size_t>(o.size, 8), 'x');
  const auto interval = std::chrono::nanoseconds(1'000'000'000 / std::max<std::uint64_t>(o.rate, 1));
  const auto start = Clock::now();
  {
    Publisher publisher(*client);
    OutgoingMessage m;
    auto next = start;
    for (std::uint64_t i = 0; i < paced.messages; ++i) {
      std::this_thread::sleep_until(next);
      next += interval;
      const std::int64_t t = now_ns();
      std::memcpy(payload.data(), &t, sizeof(t));
      m.payload = payload;
      publisher.publish(queue, m);
      if (i % o.rate == 0 && i > 0)
        std::fprintf(stderr, "  sent %llu / %llu\n", static_cast<unsigned long long>(i),
                     static_cast<unsigned long long>(paced.messages));
    }
    publisher.flush();
  }
  const std::uint64_t got = sink.wait(std::chrono::seconds(60));
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*qc)->close();
  if (got < paced.messages) {
    std::fprintf(stderr, "wharf-bench: %llu of %llu messages arrived\n", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(paced.messages));
    return 1;
  }
  client->delete_queue(queue);
  r.latency = sink.percentiles();
  print_result(r, o.json);
  return 0;
}

}  // namespace wharf::bench
