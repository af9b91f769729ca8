// wharfd: the broker as a program. Flags (or the same keys in a TOML/INI
// file given with --config), one startup line, clean stop on SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "wharf/broker.h"

namespace {

bool split_host_port(const std::string& s, std::string* host, std::uint16_t* port) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string h = s.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  try {
    const unsigned long p = std::stoul(s.substr(colon + 1));
    if (p > 65535) return false;
    *host = h;
    *port = static_cast<std::uint16_t>(p);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wharfd - the Wharf message broker"};
  app.set_version_flag("--version", "wharfd " + std::string(wharf::Broker::version()));
  app.set_config("--config", "", "Read these settings from a TOML or INI file");
  std::string listen = "127.0.0.1:7420";
  std::string data_dir = "wharf-data";
  std::string durability = "sync";
  std::uint64_t max_frame_bytes = 8u << 20;
  std::uint64_t map_size = 8ull << 30;
  unsigned io_threads = 0;
  std::uint64_t retention_ms = 5000;
  app.add_option("--listen", listen, "Address to listen on, HOST:PORT")->capture_default_str();
  app.add_option("--data-dir", data_dir, "Data directory (created if missing)")->capture_default_str();
  app.add_option("--durability", durability,
                 "sync: confirm after a synced commit; relaxed: one flush per commit, a power loss may undo the last commits")
      ->check(CLI::IsMember({"sync", "relaxed"}))
      ->capture_default_str();
  app.add_option("--max-frame-bytes", max_frame_bytes, "Largest frame accepted (e.g. 8MiB)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--map-size", map_size, "Largest size of the data file (e.g. 8GiB)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--io-threads", io_threads, "Network threads; 0 = one per core")->capture_default_str();
  app.add_option("--retention-check-ms", retention_ms, "How often retention runs")->capture_default_str();
  std::string kafka_listen = "127.0.0.1:9092";
  std::string kafka_advertise;
  bool kafka_auto_create = true;
  std::uint32_t kafka_partitions = 1;
  app.add_option("--kafka-listen", kafka_listen, "Kafka protocol listener, HOST:PORT, or 'off'")->capture_default_str();
  app.add_option("--kafka-advertise", kafka_advertise,
                 "HOST:PORT Kafka clients are told to connect to (default: the listener's)");
  app.add_option("--kafka-auto-create-topics", kafka_auto_create,
                 "Create unknown topics that Kafka clients name (true/false)")
      ->capture_default_str();
  app.add_option("--kafka-default-partitions", kafka_partitions, "Partitions of topics Kafka clients create")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  wharf::BrokerOptions options;
  if (!split_host_port(listen, &options.host, &options.port)) {
    std::fprintf(stderr, "wharfd: --listen wants HOST:PORT, got '%s'\n", listen.c_str());
    return 2;
  }
  if (max_frame_bytes > UINT32_MAX) {
    std::fprintf(stderr, "wharfd: --max-frame-bytes is too large\n");
    return 2;
  }
  options.data_dir = data_dir;
  options.durability = durability == "sync" ? wharf::Durability::sync : wharf::Durability::relaxed;
  options.max_frame_bytes = static_cast<std::uint32_t>(max_frame_bytes);
  options.map_size = map_size;
  options.io_threads = io_threads;
  options.retention_interval = std::chrono::milliseconds(retention_ms);
  if (kafka_listen != "off") {
    options.kafka.listen = true;
    if (!split_host_port(kafka_listen, &options.kafka.host, &options.kafka.port)) {
      std::fprintf(stderr, "wharfd: --kafka-listen wants HOST:PORT or off, got '%s'\n", kafka_listen.c_str());
      return 2;
    }
  }
  if (!kafka_advertise.empty() &&
      !split_host_port(kafka_advertise, &options.kafka.advertised_host, &options.kafka.advertised_port)) {
    std::fprintf(stderr, "wharfd: --kafka-advertise wants HOST:PORT, got '%s'\n", kafka_advertise.c_str());
    return 2;
  }
  options.kafka.auto_create_topics = kafka_auto_create;
  options.kafka.default_partitions = kafka_partitions;

  // Signals are taken synchronously by this thread, never by a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto broker = wharf::Broker::start(options);
  if (!broker) {
    std::fprintf(stderr, "wharfd: %s\n", broker.error().to_string().c_str());
    return 1;
  }
  const std::string kafka = options.kafka.listen
                                ? fmt::format("{}:{}", options.kafka.host, (*broker)->kafka_port())
                                : std::string("off");
  std::printf("wharfd %s listening on %s, kafka %s, data dir %s, durability %s\n",
              std::string(wharf::Broker::version()).c_str(), (*broker)->address().c_str(), kafka.c_str(),
              data_dir.c_str(), durability.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "wharfd: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*broker)->stop();
  std::fprintf(stderr, "wharfd: stopped\n");
  return 0;
}
