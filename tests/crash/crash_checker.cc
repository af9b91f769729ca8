// Crash checker: runs wharfd as a child, drives log producers (Wharf's and
// librdkafka's, acks=all, idempotent, through the Kafka listener), an offset
// committer, a queue publisher and an acking consumer, kills the broker with
// SIGKILL at a random moment, restarts it, and checks that nothing
// confirmed was lost:
//   - every confirmed record is at its confirmed offset, exactly once, and
//     offsets are dense;
//   - committed group offsets are never behind what was confirmed;
//   - every confirmed message is still in the queue or its dead-letter
//     queue unless its ack was confirmed; a message whose ack was confirmed
//     is never delivered again and is gone from the broker;
//   - a message's delivery count never goes backwards;
//   - a message delayed at publish or by a nack's backoff (confirmed) is not
//     delivered before its time and stays delayed across the restart.
// Every message confirmed (published or acked) in a cycle is checked after
// the kill that ends it; older ones are checked by sample.
//
//   crash_checker --wharfd PATH [--cycles N] [--seed S] [--max-run-ms MS]
// Prints the seed; the same seed replays the same kill schedule.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

#include "support/broker_process.h"
#include "wharf/client.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace wharf::crash {
namespace {

constexpr const char* kTopic = "crash-log";
constexpr const char* kKafkaTopic = "crash-kafka";
constexpr const char* kQueue = "crash-queue";
constexpr const char* kDlq = "crash-queue.dlq";
constexpr const char* kGroup = "crash-group";
constexpr std::uint32_t kPartitions = 2;
constexpr std::uint32_t kMaxDeliveries = 3;
// Longer than any run, so a delayed message must never be delivered.
constexpr std::chrono::milliseconds kLongDelay{3600 * 1000};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the broker confirmed, over all cycles.
struct Ledger {
  std::mutex mu;
  std::map<std::uint32_t, std::map<std::int64_t, std::string>> records;  // partition -> offset -> value
  std::map<std::uint32_t, std::map<std::int64_t, std::string>> kafka_records;  // the same, through Kafka
  std::map<std::uint32_t, std::int64_t> committed;                       // partition -> offset
  std::map<std::uint64_t, std::string> published;                        // id -> payload
  std::set<std::uint64_t> acked;
  std::set<std::uint64_t> ack_sent;  // acks whose outcome may be unknown (the broker died first)
  std::map<std::uint64_t, std::uint32_t> attempts;  // highest attempt seen
  std::set<std::uint64_t> unchecked;                // confirmed since the last verify
  std::uint64_t commits = 0, rejects = 0;
  std::uint64_t found_in_dlq = 0;  // by verify
  std::map<std::uint64_t, std::int64_t> delayed_until;  // confirmed delays: not deliverable before
  std::uint64_t delays_checked = 0;                     // by verify
};

std::atomic<int> failures{0};

template <typename... Args>
void fail(fmt::format_string<Args...> f, Args&&... args) {
  std::fprintf(stderr, "VIOLATION: %s\n", fmt::format(f, std::forward<Args>(args)...).c_str());
  ++failures;
}

std::unique_ptr<Client> connect(const std::string& address) {
  ClientOptions o;
  o.broker = address;
  o.auto_reconnect = false;
  o.request_timeout = std::chrono::seconds(10);
  auto c = Client::connect(o);
  return c ? std::move(*c) : nullptr;
}

// Records librdkafka reports delivered (acks=all: after the durable commit).
class KafkaLedger : public RdKafka::DeliveryReportCb {
 public:
  explicit KafkaLedger(Ledger& ledger) : ledger_(ledger) {}
  void dr_cb(RdKafka::Message& m) override {
    if (m.err() != RdKafka::ERR_NO_ERROR) return;
    const std::string value(static_cast<const char*>(m.payload()), m.len());
    std::lock_guard lock(ledger_.mu);
    auto [it, fresh] = ledger_.kafka_records[static_cast<std::uint32_t>(m.partition())].emplace(m.offset(), value);
    if (!fresh && it->second != value)
      fail("kafka partition {}: offset {} confirmed for {} and for {}", m.partition(), m.offset(), it->second, value);
  }

 private:
  Ledger& ledger_;
};

// librdkafka's idempotent producer, acks=all, until `stop`.
void run_kafka_producer(const std::string& kafka_address, int cycle, Ledger& ledger, std::atomic<bool>& stop) {
  KafkaLedger reports(ledger);
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [k, v] : std::map<std::string, std::string>{{"bootstrap.servers", kafka_address},
                                                               {"acks", "all"},
                                                               {"enable.idempotence", "true"},
                                                               {"linger.ms", "1"},
                                                               {"message.timeout.ms", "1000"},
                                                               {"log_level", "0"}})
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) return fail("librdkafka {}: {}", k, err);
  conf->set("dr_cb", &reports, err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  if (!producer) return fail("librdkafka: {}", err);
  for (std::uint64_t seq = 0; !stop.load(); ++seq) {
    const std::string value = fmt::format("k{}-{}", cycle, seq);
    producer->produce(kKafkaTopic, static_cast<std::int32_t>(seq % kPartitions), RdKafka::Producer::RK_MSG_COPY,
                      const_cast<char*>(value.data()), value.size(), nullptr, 0, 0, nullptr);
    producer->poll(0);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // The broker is dead: what is not confirmed by now never will be.
  producer->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer->flush(100);
}

// One cycle's load; stops when the broker dies or `stop` is set.
void run_load(const std::string& address, const std::string& kafka_address, int cycle, Ledger& ledger,
              std::atomic<bool>& stop) {
  std::vector<std::thread> workers;
  workers.emplace_back([&] { run_kafka_producer(kafka_address, cycle, ledger, stop); });
  workers.emplace_back([&] {  // log producer
    auto c = connect(address);
    if (!c) return;
    // A restarted broker listens on another port: resending cannot reach
    // it, so batches fail at once, as before producers resent.
    ProducerOptions po;
    po.delivery_timeout = std::chrono::milliseconds(0);
    Producer p(*c, po);
    for (std::uint64_t seq = 0; !stop.load(); ++seq) {
      const auto partition = static_cast<std::uint32_t>(seq % kPartitions);
      auto value = std::make_shared<std::string>(fmt::format("c{}-{}", cycle, seq));
      ProducerRecord r;
      r.value = *value;
      p.send(kTopic, partition, r, [&ledger, value](result<RecordMetadata> m) {
        if (!m.ok()) return;
        std::lock_guard lock(ledger.mu);
        auto [it, fresh] = ledger.records[m->partition].emplace(m->offset, *value);
        if (!fresh && it->second != *value)
          fail("partition {}: offset {} confirmed for {} and for {}", m->partition, m->offset, it->second, *value);
      });
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  workers.emplace_back([&] {  // offset committer
    auto c = connect(address);
    if (!c) return;
    for (std::uint32_t i = 0; !stop.load(); ++i) {
      const std::uint32_t partition = i % kPartitions;
      std::int64_t offset = 0;
      {
        std::lock_guard lock(ledger.mu);
        auto& recs = ledger.records[partition];
        if (!recs.empty()) offset = recs.rbegin()->first + 1;
      }
      if (c->commit_offsets(kGroup, kTopic, {{partition, offset}}).ok()) {
        std::lock_guard lock(ledger.mu);
        auto& best = ledger.committed[partition];
        best = std::max(best, offset);
        ++ledger.commits;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  workers.emplace_back([&] {  // queue publisher
    auto c = connect(address);
    if (!c) return;
    Publisher p(*c);
    for (std::uint64_t seq = 0; !stop.load(); ++seq) {
      auto payload = std::make_shared<std::string>(fmt::format("m{}-{}", cycle, seq));
      OutgoingMessage m;
      m.payload = *payload;
      // Some messages are published with a delay.
      const std::int64_t not_before = seq % 16 == 5 ? now_ms() + kLongDelay.count() : 0;
      if (not_before != 0) m.delay = kLongDelay;
      p.publish(kQueue, m, [&ledger, payload, not_before](result<std::uint64_t> id) {
        if (!id.ok()) return;
        std::lock_guard lock(ledger.mu);
        ledger.published[*id] = *payload;
        ledger.unchecked.insert(*id);
        if (not_before != 0) ledger.delayed_until[*id] = not_before;
      });
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  workers.emplace_back([&] {  // acking consumer
    auto c = connect(address);
    if (!c) return;
    auto qc = QueueConsumer::subscribe(*c, kQueue, {20});
    if (!qc) return;
    std::mt19937 rng(static_cast<unsigned>(cycle));
    while (!stop.load()) {
      auto d = (*qc)->receive(std::chrono::milliseconds(20));
      if (!d) {
        if (d.code() != errc::timeout) break;
        continue;
      }
      {
        std::lock_guard lock(ledger.mu);
        if (ledger.acked.count(d->id()) > 0) fail("message {} delivered again after its ack was confirmed", d->id());
        auto& a = ledger.attempts[d->id()];
        if (d->attempt() < a) fail("message {} delivered as attempt {} after attempt {}", d->id(), d->attempt(), a);
        a = std::max(a, d->attempt());
        if (auto it = ledger.delayed_until.find(d->id()); it != ledger.delayed_until.end() && it->second > now_ms())
          fail("message {} delivered {} ms before its delay ends", d->id(), it->second - now_ms());
      }
      // Acks, nacks (redelivered at once) and rejects (to the DLQ); with
      // max_deliveries 3, nacks dead-letter messages too.
      const auto roll = rng() % 20;
      if (roll < 12) {
        {
          std::lock_guard lock(ledger.mu);
          ledger.ack_sent.insert(d->id());
        }
        if (d->ack_and_wait().ok()) {
          std::lock_guard lock(ledger.mu);
          ledger.acked.insert(d->id());
          ledger.unchecked.insert(d->id());
        }
      } else if (roll < 17) {
        d->nack(std::chrono::milliseconds(0));
      } else if (roll < 18 && d->attempt() < kMaxDeliveries) {
        // A long backoff (not the last attempt, which dead-letters): the
        // message must stay away, restarts included.
        const std::int64_t not_before = now_ms() + kLongDelay.count();
        const std::uint64_t id = d->id();
        d->nack(kLongDelay, [&ledger, id, not_before](status st) {
          if (!st.ok()) return;
          std::lock_guard lock(ledger.mu);
          ledger.delayed_until[id] = not_before;
          ledger.unchecked.insert(id);
        });
      } else if (roll < 18) {
        d->nack(std::chrono::milliseconds(0));
      } else {
        d->reject("crash checker");
        std::lock_guard lock(ledger.mu);
        ++ledger.rejects;
      }
    }
  });
  for (auto& w : workers) w.join();
}

// A log topic holds dense offsets, and every confirmed record at its
// offset, exactly once.
void check_log(Client& c, const char* topic, const std::map<std::uint32_t, std::map<std::int64_t, std::string>>& confirmed) {
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    auto end = c.latest_offset(topic, p);
    if (!end) return fail("latest_offset: {}", end.error().to_string());
    ConsumerOptions co;
    co.start = StartFrom::earliest;
    co.fetch_max_wait = std::chrono::milliseconds(10);
    Consumer consumer(c, co);
    if (!consumer.assign({{topic, p}}).ok()) return fail("assign failed");
    std::map<std::string, int> seen;
    std::map<std::int64_t, std::string> stored;
    std::int64_t next = 0;
    while (next < *end) {
      auto recs = consumer.poll(std::chrono::seconds(5));
      if (!recs || recs->empty()) return fail("{}/{} unreadable at offset {}", topic, p, next);
      for (const auto& r : *recs) {
        if (r.offset != next) fail("{}/{}: offset {} follows {}", topic, p, r.offset, next - 1);
        next = r.offset + 1;
        stored[r.offset] = std::string(r.value);
        ++seen[std::string(r.value)];
      }
    }
    auto it_partition = confirmed.find(p);
    if (it_partition == confirmed.end()) continue;
    for (const auto& [offset, value] : it_partition->second) {
      auto it = stored.find(offset);
      if (it == stored.end() || it->second != value)
        fail("{}/{}: confirmed {} at offset {} is {}", topic, p, value, offset,
             it == stored.end() ? "missing" : it->second);
      if (seen[value] != 1) fail("{}/{}: {} stored {} times", topic, p, value, seen[value]);
    }
  }
}

void verify(Client& c, Ledger& ledger, std::mt19937_64& rng) {
  std::lock_guard lock(ledger.mu);
  // Logs: dense offsets, confirmed records at their offsets, exactly once.
  check_log(c, kTopic, ledger.records);
  check_log(c, kKafkaTopic, ledger.kafka_records);
  // Group offsets never behind a confirmed commit.
  auto committed = c.committed_offsets(kGroup, kTopic);
  if (!committed) return fail("committed_offsets: {}", committed.error().to_string());
  for (const auto& [p, want] : ledger.committed) {
    std::int64_t have = -1;
    for (const auto& o : *committed)
      if (o.partition == p) have = o.offset;
    if (have < want) fail("group offset of partition {} is {}, confirmed {}", p, have, want);
  }
  // Queue: every message confirmed since the last check (asking for all of
  // them each time is too slow one by one), plus a sample of older ones.
  std::vector<std::uint64_t> ids(ledger.unchecked.begin(), ledger.unchecked.end());
  ledger.unchecked.clear();
  std::vector<std::pair<const std::uint64_t, std::string>> older;
  std::sample(ledger.published.begin(), ledger.published.end(), std::back_inserter(older), 300, rng);
  for (const auto& [id, payload] : older) ids.push_back(id);
  std::vector<std::pair<const std::uint64_t, std::int64_t>> delayed;
  std::sample(ledger.delayed_until.begin(), ledger.delayed_until.end(), std::back_inserter(delayed), 100, rng);
  for (const auto& [id, until] : delayed) ids.push_back(id);
  for (std::uint64_t id : ids) {
    auto m = c.get_message(kQueue, id);  // finds dead-lettered messages too
    if (!m.ok() && m.error().code() != errc::unknown_message) return fail("get_message: {}", m.error().to_string());
    if (ledger.acked.count(id) > 0) {
      if (m.ok()) fail("message {} is back in {} after its ack was confirmed", id, m->queue);
      continue;
    }
    if (!ledger.published.count(id)) continue;
    if (!m.ok() && ledger.ack_sent.count(id) > 0) continue;  // acked; the reply was lost with the broker
    if (!m.ok()) {
      fail("confirmed message {} is gone: {}", id, m.error().to_string());
      continue;
    }
    if (m->queue != kQueue && m->queue != kDlq) fail("message {} is in queue {}", id, m->queue);
    if (m->queue == kDlq) ++ledger.found_in_dlq;
    if (m->payload != ledger.published[id]) fail("message {} payload changed", id);
    if (auto delayed = ledger.delayed_until.find(id); delayed != ledger.delayed_until.end()) {
      ++ledger.delays_checked;
      if (m->state != "delayed" || m->deadline_ms < delayed->second)
        fail("message {} is {} (due {}) after a restart; its delay ends at {}", id, m->state, m->deadline_ms,
             delayed->second);
    }
    auto seen = ledger.attempts.find(id);
    // A dead-lettered message's attempts start again.
    if (m->queue == kQueue && seen != ledger.attempts.end() && m->attempts < seen->second)
      fail("message {} has {} attempts after {} were seen", id, m->attempts, seen->second);
  }
}

// A run in which some kind of work never got confirmed checked nothing about it.
void check_progress(Ledger& ledger) {
  std::lock_guard lock(ledger.mu);
  std::size_t records = 0;
  for (const auto& [p, recs] : ledger.records) records += recs.size();
  if (records == 0) fail("no record was confirmed");
  std::size_t kafka_records = 0;
  for (const auto& [p, recs] : ledger.kafka_records) kafka_records += recs.size();
  if (kafka_records == 0) fail("no record was confirmed to the Kafka producer");
  if (ledger.commits == 0) fail("no offset commit was confirmed");
  if (ledger.published.empty()) fail("no message was confirmed");
  if (ledger.acked.empty()) fail("no ack was confirmed");
  if (ledger.found_in_dlq == 0) fail("no message was found in the dead-letter queue");
  if (ledger.delays_checked == 0) fail("no delayed message was checked after a restart");
}

}  // namespace
}  // namespace wharf::crash

int main(int argc, char** argv) {
  using namespace wharf;
  using namespace wharf::crash;
  CLI::App app{"crash_checker - kill wharfd at random moments and check what it kept"};
  std::string wharfd;
  int cycles = 30;
  std::uint64_t seed = std::random_device{}();
  int max_run_ms = 400;
  std::string dir;
  app.add_option("--wharfd", wharfd, "Path to wharfd")->required();
  app.add_option("--cycles", cycles, "Kill/restart cycles")->capture_default_str();
  app.add_option("--seed", seed, "Random seed (printed; pass it back to replay)");
  app.add_option("--max-run-ms", max_run_ms, "Longest load before a kill")->capture_default_str();
  app.add_option("--dir", dir, "Work directory (default: a new temp dir, removed on success)");
  CLI11_PARSE(app, argc, argv);
  std::printf("crash_checker: seed=%llu cycles=%d\n", static_cast<unsigned long long>(seed), cycles);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  const bool own_dir = dir.empty();
  if (own_dir) {
    std::string pattern = (std::filesystem::temp_directory_path() / "wharf-crash-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
  }
  BrokerProcess broker(wharfd, std::filesystem::path(dir) / "data", std::filesystem::path(dir) / "wharfd.log");
  Ledger ledger;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    if (!broker.start()) {
      std::fprintf(stderr, "cycle %d: broker did not start\n", cycle);
      return 1;
    }
    {
      auto c = connect(broker.address());
      if (!c) {
        std::fprintf(stderr, "cycle %d: cannot connect\n", cycle);
        return 1;
      }
      if (cycle == 0) {
        if (auto st = c->create_topic({kTopic, kPartitions}); !st.ok()) fail("create_topic: {}", st.to_string());
        if (auto st = c->create_topic({kKafkaTopic, kPartitions}); !st.ok())
          fail("create_topic: {}", st.to_string());
        QueueOptions qo;
        qo.max_deliveries = kMaxDeliveries;
        if (auto st = c->create_queue(kQueue, qo); !st.ok()) fail("create_queue: {}", st.to_string());
      } else {
        verify(*c, ledger, rng);
      }
    }
    if (failures > 0) {
      std::fprintf(stderr, "crash_checker: %d violation(s) after cycle %d (seed=%llu, data in %s)\n", failures.load(), cycle,
                   static_cast<unsigned long long>(seed), dir.c_str());
      return 1;
    }
    std::atomic<bool> stop{false};
    const int run_ms = 20 + static_cast<int>(rng() % static_cast<std::uint64_t>(max_run_ms));
    std::thread load([&] { run_load(broker.address(), broker.kafka_address(), cycle, ledger, stop); });
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
    broker.kill_now();  // mid-flight: requests are in every state
    stop.store(true);
    load.join();
    std::lock_guard lock(ledger.mu);
    std::printf(
        "cycle %d: killed after %d ms; confirmed so far: %zu records (+%zu through Kafka), %zu messages, %zu acks, "
        "%llu rejects\n",
        cycle, run_ms, ledger.records[0].size() + ledger.records[1].size(),
        ledger.kafka_records[0].size() + ledger.kafka_records[1].size(), ledger.published.size(), ledger.acked.size(),
        static_cast<unsigned long long>(ledger.rejects));
    std::fflush(stdout);
  }
  // Final check after the last kill.
  if (!broker.start()) return 1;
  {
    auto c = connect(broker.address());
    if (!c) return 1;
    verify(*c, ledger, rng);
  }
  broker.kill_now();
  check_progress(ledger);
  if (failures > 0) {
    std::fprintf(stderr, "crash_checker: %d violation(s) (seed=%llu, data in %s)\n", failures.load(),
                 static_cast<unsigned long long>(seed), dir.c_str());
    return 1;
  }
  if (own_dir) std::filesystem::remove_all(dir);
  std::printf(
      "crash_checker: %d cycles, no violations (seed=%llu); %llu checks found a message in the DLQ, %llu found a "
      "delayed one still delayed\n",
      cycles, static_cast<unsigned long long>(seed), static_cast<unsigned long long>(ledger.found_in_dlq),
      static_cast<unsigned long long>(ledger.delays_checked));
  return 0;
}
