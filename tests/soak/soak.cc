// Soak: wharfd under a steady mix of log and queue traffic from several
// clients for a bounded time. Prints the broker's memory at the start of
// the measured window and at the end; fails if its heap (RssAnon) grew by
// more than the allowance once warm, or if any client saw an error.
//   soak --wharfd PATH [--seconds N]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "support/broker_process.h"
#include "wharf/client.h"
#include "wharf/consumer.h"
#include "wharf/producer.h"
#include "wharf/queue.h"

namespace {

using namespace wharf;

std::atomic<std::uint64_t> g_errors{0};
std::atomic<std::uint64_t> g_done{0};

void note(const status& st) {
  if (st.ok()) return;
  if (g_errors.fetch_add(1) < 5) std::fprintf(stderr, "soak: client error: %s\n", st.to_string().c_str());
}

std::unique_ptr<Client> connect(const std::string& address) {
  ClientOptions o;
  o.broker = address;
  auto c = Client::connect(o);
  if (!c) note(c.error());
  return c ? std::move(*c) : nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"soak - steady mixed load on wharfd, checking its memory stays flat"};
  std::string wharfd;
  int seconds = 120;
  std::size_t allowance_mb = 12;
  int report_every = 60;
  app.add_option("--wharfd", wharfd, "Path to wharfd")->required();
  app.add_option("--seconds", seconds, "Duration")->capture_default_str();
  app.add_option("--allowance-mb", allowance_mb, "Heap growth allowed after warm-up")->capture_default_str();
  app.add_option("--report-every", report_every, "Seconds between heap reports during the run")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::string pattern = (std::filesystem::temp_directory_path() / "wharf-soak-XXXXXX").string();
  const std::string dir = ::mkdtemp(pattern.data());
  crash::BrokerProcess broker(wharfd, std::filesystem::path(dir) / "data", std::filesystem::path(dir) / "wharfd.log");
  if (!broker.start()) return 1;
  auto admin = connect(broker.address());
  if (!admin) return 1;
  // Retention keeps the data (and so the mapped file) bounded.
  note(admin->create_topic({"soak-log", 2, -1, 4 << 20}));
  note(admin->create_queue("soak-queue"));
  // Messages waiting in the queue; the publisher keeps it under a bound so
  // that the broker's memory measures the broker, not a growing backlog.
  constexpr std::uint64_t kMaxBacklog = 5000;
  auto backlog = [&] {
    auto d = admin->describe_queue("soak-queue");
    if (!d) note(d.error());
    return d ? d->ready + d->delayed + d->in_flight : 0;
  };
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&, i] {  // producers
      auto c = connect(broker.address());
      if (!c) return;
      Producer p(*c);
      std::string value(200, 'p');
      ProducerRecord r;
      r.value = value;
      while (!stop) {
        p.send("soak-log", static_cast<std::uint32_t>(i), r, [](result<RecordMetadata> m) {
          if (!m.ok()) return note(m.error());
          g_done.fetch_add(1, std::memory_order_relaxed);
        });
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
  }
  clients.emplace_back([&] {  // a consumer following the log, committing
    auto c = connect(broker.address());
    if (!c) return;
    ConsumerOptions co;
    co.group = "soak";
    co.offset_reset = OffsetReset::earliest;  // retention may overtake it
    Consumer consumer(*c, co);
    note(consumer.assign_topic("soak-log"));
    while (!stop) {
      auto recs = consumer.poll(std::chrono::milliseconds(100));
      if (!recs) note(recs.error());
      note(consumer.commit());
    }
  });
  clients.emplace_back([&] {  // a queue publisher
    auto c = connect(broker.address());
    if (!c) return;
    Publisher p(*c);
    std::string payload(150, 'q');
    OutgoingMessage m;
    m.payload = payload;
    for (std::uint64_t n = 0; !stop; ++n) {
      if (n % 1000 == 0)
        while (!stop && backlog() > kMaxBacklog) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      p.publish("soak-queue", m, [](result<std::uint64_t> id) {
        if (!id.ok()) note(id.error());
      });
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&] {  // queue consumers; one connects anew now and then
      while (!stop) {
        auto c = connect(broker.address());
        if (!c) return;
        auto qc = QueueConsumer::subscribe(*c, "soak-queue", {50});
        if (!qc) return note(qc.error());
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!stop && std::chrono::steady_clock::now() < until) {
          auto d = (*qc)->receive(std::chrono::milliseconds(100));
          if (d) {
            d->ack([](status st) { note(st); });
          } else if (d.code() != errc::timeout) {
            note(d.error());
          }
        }
      }
    });
  }
  const auto warm = std::chrono::seconds(std::max(5, seconds / 5));
  std::this_thread::sleep_for(warm);
  const auto [anon0, total0] = broker.rss();
  std::printf("soak: after %lld s warm-up: broker heap %zu MiB, resident %zu MiB, queue backlog %llu\n",
              static_cast<long long>(warm.count()), anon0 >> 20, total0 >> 20,
              static_cast<unsigned long long>(backlog()));
  std::fflush(stdout);
  std::size_t peak = anon0;
  std::size_t window_peak = 0;  // since the last report: one sample alone swings with buffers in flight
  for (auto t = warm + std::chrono::seconds(1); t <= std::chrono::seconds(seconds); t += std::chrono::seconds(1)) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const auto anon = broker.rss().first;
    peak = std::max(peak, anon);
    window_peak = std::max(window_peak, anon);
    if (report_every > 0 && t.count() % report_every == 0 && t.count() < seconds) {
      std::printf("soak: at %lld s: broker heap %zu MiB (peak since last report %zu), %llu records confirmed\n",
                  static_cast<long long>(t.count()), anon >> 20, window_peak >> 20,
                  static_cast<unsigned long long>(g_done.load()));
      std::fflush(stdout);
      window_peak = 0;
    }
  }
  const auto [anon1, total1] = broker.rss();
  const std::uint64_t backlog1 = backlog();
  stop = true;
  for (auto& t : clients) t.join();
  const bool clean = broker.stop();
  std::printf(
      "soak: after %d s: broker heap %zu MiB (peak %zu), resident %zu MiB, queue backlog %llu; "
      "%llu records confirmed, %llu errors\n",
      seconds, anon1 >> 20, peak >> 20, total1 >> 20, static_cast<unsigned long long>(backlog1),
      static_cast<unsigned long long>(g_done.load()), static_cast<unsigned long long>(g_errors.load()));
  std::filesystem::remove_all(dir);
  if (!clean) std::fprintf(stderr, "soak: broker did not stop cleanly\n");
  const bool flat = anon1 <= anon0 + (allowance_mb << 20);
  if (!flat) std::fprintf(stderr, "soak: broker heap grew by %zu MiB\n", (anon1 - anon0) >> 20);
  return flat && clean && g_errors.load() == 0 ? 0 : 1;
}
