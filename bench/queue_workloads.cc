#include "bench/queue_workloads.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/report.h"
#include "bench/workload_common.h"
#include "wharf/queue.h"

namespace wharf::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Counts deliveries across every consumer of a run.
class Arrivals {
 public:
  explicit Arrivals(std::uint64_t expected) : expected_(expected) {}
  void add() {
    if (received_.fetch_add(1, std::memory_order_relaxed) + 1 != expected_) return;
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  // Waits until every message arrived or `limit` passed; returns how many did.
  std::uint64_t wait(std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, limit, [&] { return received_.load() >= expected_; });
    return received_.load();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const std::uint64_t expected_;
  std::atomic<std::uint64_t> received_{0};
};

// Collects one consumer's deliveries on its client's I/O thread: records
// latency from the send time stamped in the payload, acks each one.
class Sink {
 public:
  explicit Sink(Arrivals& arrivals, std::uint64_t expected) : arrivals_(arrivals) { latencies_.reserve(expected); }
  void on_delivery(Delivery d) {
    std::int64_t sent = 0;
    if (d.payload().size() >= sizeof(sent)) std::memcpy(&sent, d.payload().data(), sizeof(sent));
    const double us = static_cast<double>(now_ns() - sent) / 1000.0;
    d.ack();
    {
      std::lock_guard lock(mu_);
      latencies_.add(us);
    }
    arrivals_.add();
  }
  Latencies take() {
    std::lock_guard lock(mu_);
    return std::move(latencies_);
  }

 private:
  Arrivals& arrivals_;
  std::mutex mu_;
  Latencies latencies_;  // guarded by mu_
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
  // Queue k is read by consumers c with c % queues == k; producers spread
  // their messages over every queue.
  const std::uint32_t queues_n = o.partitions;
  if (o.consumers < queues_n) {
    std::fprintf(stderr, "wharf-bench: each of the %u queues needs a consumer (--consumers)\n", queues_n);
    return 1;
  }
  auto admin = target.connect();
  if (!admin) return 1;
  const std::string base = queue_name("queue");
  std::vector<std::string> queues;
  for (std::uint32_t k = 0; k < queues_n; ++k) {
    queues.push_back(queues_n == 1 ? base : fmt::format("{}-{}", base, k));
    if (status st = admin->create_queue(queues.back()); !st.ok()) {
      std::fprintf(stderr, "wharf-bench: %s\n", st.to_string().c_str());
      return 1;
    }
  }
  Report r = base_report("queue", target, *admin, o);
  r.partitions = queues_n;
  r.producers = o.producers;
  r.consumers = o.consumers;
  print_header(r);

  Arrivals arrivals(o.messages);
  std::vector<std::unique_ptr<Client>> consumer_clients;
  std::vector<std::unique_ptr<Sink>> sinks;
  std::vector<std::unique_ptr<QueueConsumer>> consumers;
  for (std::uint32_t c = 0; c < o.consumers; ++c) {
    consumer_clients.push_back(target.connect());
    if (!consumer_clients.back()) return 1;
    sinks.push_back(std::make_unique<Sink>(arrivals, o.messages / o.consumers + 1));
    auto qc = QueueConsumer::subscribe(*consumer_clients.back(), queues[c % queues_n], {o.prefetch});
    if (!qc) {
      std::fprintf(stderr, "wharf-bench: %s\n", qc.error().to_string().c_str());
      return 1;
    }
    Sink* sink = sinks.back().get();
    (*qc)->set_handler([sink](Delivery d) { sink->on_delivery(std::move(d)); });
    consumers.push_back(std::move(*qc));
  }
  std::vector<std::unique_ptr<Client>> producer_clients;
  for (std::uint32_t k = 0; k < o.producers; ++k) {
    producer_clients.push_back(target.connect());
    if (!producer_clients.back()) return 1;
  }
  std::atomic<std::uint64_t> failed{0};
  // A producer's confirm latencies; its completions run on its client's
  // I/O thread, one at a time. A completion holds only a pointer to this
  // and the send time: small enough for std::function to keep in place.
  struct Confirms {
    Latencies latencies;
    std::atomic<std::uint64_t>* failed = nullptr;
  };
  std::vector<Confirms> confirms(o.producers);
  std::vector<std::uint64_t> sent(o.producers, 0);
  const auto start = Clock::now();
  {
    std::vector<std::thread> threads;
    for (std::uint32_t k = 0; k < o.producers; ++k)
      threads.emplace_back([&, k] {
        const std::uint64_t share = o.messages / o.producers + (k < o.messages % o.producers ? 1 : 0);
        Confirms* mine = &confirms[k];
        mine->latencies.reserve(share);
        mine->failed = &failed;
        PublisherOptions po;
        po.buffer_bytes = 4u << 20;
        Publisher publisher(*producer_clients[k], po);
        std::string payload(std::max<std::size_t>(o.size, 8), 'x');
        OutgoingMessage m;
        for (std::uint64_t i = 0; i < share; ++i) {
          const std::int64_t t = now_ns();
          std::memcpy(payload.data(), &t, sizeof(t));
          m.payload = payload;
          publisher.publish(queues[i % queues_n], m, [mine, t](result<std::uint64_t> id) {
            if (!id.ok() && mine->failed->fetch_add(1) == 0)
              std::fprintf(stderr, "wharf-bench: %s\n", id.error().to_string().c_str());
            mine->latencies.add(static_cast<double>(now_ns() - t) / 1000.0);
          });
        }
        publisher.flush();
        sent[k] = share;
      });
    for (auto& t : threads) t.join();
  }
  const std::uint64_t got = arrivals.wait(std::chrono::seconds(120));
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& qc : consumers) qc->close();
  if (failed.load() > 0 || got < o.messages) {
    std::fprintf(stderr, "wharf-bench: %llu of %llu messages arrived\n", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(o.messages));
    return 1;
  }
  for (const auto& q : queues) admin->delete_queue(q);
  Latencies all;
  const bool several = o.producers > 1 || o.consumers > 1;
  for (std::uint32_t c = 0; c < o.consumers; ++c) {
    Latencies mine = sinks[c]->take();
    if (several) r.clients.push_back({"consumer", c, mine.size(), mine.percentiles(), r.latency_name});
    all.merge(mine);
  }
  if (several)
    for (std::uint32_t k = 0; k < o.producers; ++k)
      r.clients.push_back({"producer", k, sent[k], confirms[k].latencies.percentiles(), "publish-to-confirm latency"});
  r.latency = all.percentiles();
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
  Arrivals arrivals(paced.messages);
  Sink sink(arrivals, paced.messages);
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
  const std::uint64_t got = arrivals.wait(std::chrono::seconds(60));
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*qc)->close();
  if (got < paced.messages) {
    std::fprintf(stderr, "wharf-bench: %llu of %llu messages arrived\n", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(paced.messages));
    return 1;
  }
  client->delete_queue(queue);
  r.latency = sink.take().percentiles();
  print_result(r, o.json);
  return 0;
}

}  // namespace wharf::bench
