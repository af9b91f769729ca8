#include "wharf/broker.h"

#include <asio/ip/address.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "broker/broker_impl.h"
#include "broker/http/metrics.h"
#include "protocol/sasl/crypto.h"
#include "broker/kafka/kafka_session.h"
#include "broker/net/connection.h"
#include "protocol/names.h"
#include "protocol/frame.h"

#ifndef WHARF_VERSION
#define WHARF_VERSION "0.0.0"
#endif

namespace wharf {
namespace {
constexpr std::int64_t kHeapTrimIntervalMs = 10000;
}  // namespace

void Broker::Impl::log(LogLevel level, std::string_view line) const {
  if (options.log) {
    options.log(level, line);
    return;
  }
  static constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info,
                                                          spdlog::level::warn, spdlog::level::err};
  spdlog::log(kLevels[static_cast<int>(level)], "{}", line);
}

std::string_view Broker::version() noexcept { return WHARF_VERSION; }

Broker::Broker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Broker::~Broker() { stop(); }

namespace {

// The Kafka listener on the shared I/O pool; Metadata advertises the
// configured address, or the bound one.
status start_kafka(Broker::Impl& impl) {
  const KafkaListenerOptions& k = impl.options.kafka;
  if (k.default_partitions < 1 || k.default_partitions > protocol::kMaxPartitions)
    return status(errc::invalid_argument,
                  fmt::format("Kafka default partitions must be 1-{}", protocol::kMaxPartitions));
  net::NetOptions n = impl.net_options;
  n.host = k.host;
  n.port = k.port;
  impl.kafka_context =
      std::make_unique<kafka::KafkaContext>(kafka::KafkaContext{*impl.logs, *impl.groups, *impl.security, {}});
  kafka::KafkaContext* context = impl.kafka_context.get();
  Broker::Impl* raw = &impl;
  impl.kafka_server = std::make_unique<net::Server>(
      n, *impl.io,
      [context](net::Server& server, net::Session::Socket socket, std::uint64_t id) {
        return std::make_shared<kafka::KafkaSession>(server, *context, std::move(socket), id);
      },
      [raw](LogLevel level, std::string_view line) { raw->log(level, fmt::format("kafka {}", line)); });
  if (status st = impl.kafka_server->start(true); !st.ok()) return st;
  impl.kafka_port = impl.kafka_server->local_endpoint().port();
  kafka::KafkaConfig& c = context->config;
  c.advertised_host = k.advertised_host.empty() ? k.host : k.advertised_host;
  c.advertised_port = k.advertised_port != 0 ? k.advertised_port : impl.kafka_port;
  c.auto_create_topics = k.auto_create_topics;
  c.default_partitions = k.default_partitions;
  c.max_fetch_wait = n.max_fetch_wait;
  return {};
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  asio::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// Ready: storage takes writes and every configured listener accepts.
status readiness(const Broker::Impl& impl) {
  if (status st = impl.storage->writer().health(); !st.ok()) return st;
  if (impl.options.listen && !impl.server->accepting())
    return status(errc::shutting_down, "the native listener is not accepting");
  if (impl.kafka_server && !impl.kafka_server->accepting())
    return status(errc::shutting_down, "the Kafka listener is not accepting");
  return {};
}

// /metrics with auth on: the configured bearer token, or basic auth (only
// over TLS, where the password is not readable on the way) as a user who
// may describe the cluster.
bool http_authorized(const Broker::Impl& impl, const std::string& header, const std::string& peer, bool tls) {
  const std::string& token = impl.options.http.token;
  if (!token.empty() && header.size() == 7 + token.size() && header.rfind("Bearer ", 0) == 0 &&
      sasl::constant_time_equal(std::string_view(header).substr(7), token))
    return true;
  if (!tls || header.rfind("Basic ", 0) != 0) return false;
  const auto decoded = sasl::base64_decode(std::string_view(header).substr(6));
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const std::string user = decoded->substr(0, colon);
  auto attempt = impl.security->logins().begin(user, peer, auth::LoginLimiter::Clock::now());
  if (!attempt.allowed() || !impl.security->check_password(user, std::string_view(*decoded).substr(colon + 1))) {
    impl.security->count_failure();
    return false;
  }
  attempt.succeeded();
  return impl.security->allowed(impl.security->principal_of(user), auth::ResourceType::cluster, "cluster",
                                auth::Operation::describe);
}

// The storage's online backup, reported as the client API shows it.
net::BackupWriter backup_writer(storage::Storage& storage) {
  return [&storage](std::string dir, std::function<void(result<BackupInfo>)> done) {
    storage.backup(std::move(dir), [done = std::move(done)](result<storage::BackupSummary> s) {
      if (!s) return done(s.error());
      BackupInfo b{s->dir, s->created_ms, s->bytes, s->sha256, {}, s->queues};
      for (const auto& p : s->partitions) b.partitions.push_back({p.topic, p.partition, p.log_start, p.next_offset});
      done(std::move(b));
    });
  };
}

status start_http(Broker::Impl& impl) {
  const Broker::Impl* raw = &impl;
  http::HttpRoutes routes;
  routes.ready = [raw] { return readiness(*raw); };
  routes.metrics = [raw] {
    http::MetricsSources s{*raw->logs,
                           *raw->queues,
                           *raw->groups,
                           *raw->storage,
                           raw->options.listen ? raw->server.get() : nullptr,
                           raw->kafka_server.get(),
                           std::string(Broker::version()),
                           raw->started,
                           raw->security->failures(),
                           raw->security->logins().lockouts()};
    return http::render_metrics(s);
  };
  if (impl.options.auth.required) {
    routes.authorize = [raw](const std::string& header, const std::string& peer, bool tls) {
      return http_authorized(*raw, header, peer, tls);
    };
  }
  impl.admin = std::make_unique<http::AdminApi>(http::AdminSources{
      *impl.logs, *impl.queues, *impl.groups, *impl.security, *impl.storage,
      impl.options.listen ? impl.server.get() : nullptr, impl.kafka_server.get(), std::string(Broker::version()),
      impl.options.durability == Durability::sync ? "sync" : "relaxed", impl.started, impl.options.http.host});
  routes.extra = [admin = impl.admin.get()](httplib::Server& server, bool tls) { admin->install(server, tls); };
  impl.http = std::make_unique<http::HttpListener>(
      std::move(routes), [raw](LogLevel level, std::string_view line) { raw->log(level, line); });
  net::NetOptions n = impl.net_options;
  n.host = impl.options.http.host;
  n.port = impl.options.http.port;
  return impl.http->start(*impl.io, std::move(n));
}

}  // namespace

result<std::unique_ptr<Broker>> Broker::start(BrokerOptions options) {
  if (options.max_frame_bytes < protocol::kMinMaxFrameBytes ||
      options.max_frame_bytes > protocol::kMaxMaxFrameBytes)
    return status(errc::invalid_argument,
                  fmt::format("max frame bytes must be {}-{}", protocol::kMinMaxFrameBytes,
                              protocol::kMaxMaxFrameBytes));
  if (options.max_batch_bytes < protocol::kMinMaxFrameBytes || options.max_batch_bytes > protocol::kMaxMaxFrameBytes)
    return status(errc::invalid_argument, fmt::format("max batch bytes must be {}-{}", protocol::kMinMaxFrameBytes,
                                                      protocol::kMaxMaxFrameBytes));
  if (options.map_size < (1u << 20))
    return status(errc::invalid_argument, "map size must be at least 1 MiB");
  if (!options.auth.required && !options.auth.allow_anonymous) {
    // Anyone who can reach a non-loopback listener could do anything.
    const std::pair<bool, const std::string*> listeners[] = {
        {options.listen, &options.host}, {options.kafka.listen, &options.kafka.host},
        {options.http.listen, &options.http.host}};
    for (const auto& [on, host] : listeners)
      if (on && !is_loopback(*host))
        return status(errc::invalid_argument,
                      fmt::format("authentication is off on {}, which is not a loopback address: turn auth on "
                                  "(auth = required) or accept anonymous clients (allow-anonymous)",
                                  *host));
  }
  if (options.retention_interval.count() <= 0)
    return status(errc::invalid_argument, "retention interval must be positive");

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  Impl* raw = impl.get();
  const BrokerOptions& o = impl->options;

  storage::StorageOptions so;
  so.dir = o.data_dir;
  so.map_size = o.map_size;
  so.durability = o.durability == Durability::sync ? storage::Durability::sync : storage::Durability::relaxed;
  so.faults = &impl->faults;
  so.compact_on_start = o.compact_on_start;
  so.log = [raw](std::string_view line) { raw->log(LogLevel::error, line); };
  auto st = storage::Storage::open(so);
  if (!st) return st.error();
  impl->storage = std::move(*st);
  if (const auto& c = impl->storage->compacted())
    raw->log(LogLevel::info, fmt::format("compacted the data file: {} -> {} bytes ({} returned to the file system)",
                                         c->bytes_before, c->bytes_after,
                                         c->bytes_before - std::min(c->bytes_before, c->bytes_after)));

  auto logs = log::LogEngine::open(*impl->storage, o.max_batch_bytes);
  if (!logs) return logs.error();
  impl->logs = std::move(*logs);
  impl->appender = std::make_unique<LogAppenderAdapter>(*impl->logs);
  auto queues = queue::QueueEngine::open(*impl->storage, impl->appender.get());
  if (!queues) return queues.error();
  impl->queues = std::move(*queues);
  auth::SecurityOptions security;
  security.required = impl->options.auth.required;
  security.admin_user = impl->options.auth.admin_user;
  security.admin_password = impl->options.auth.admin_password;
  security.produce_bytes_per_second = impl->options.produce_quota_bytes_per_second;
  security.fetch_bytes_per_second = impl->options.fetch_quota_bytes_per_second;
  security.login_limits.failures_per_user = impl->options.auth.login_failures_per_user;
  security.login_limits.failures_per_address = impl->options.auth.login_failures_per_address;
  security.login_limits.window = impl->options.auth.login_failure_window;
  security.log = [raw](std::string_view line) { raw->log(LogLevel::warn, line); };
  auto security_engine = auth::SecurityEngine::open(*impl->storage, std::move(security));
  if (!security_engine) return security_engine.error();
  impl->security = std::move(*security_engine);
  groups::GroupOptions go;
  go.initial_rebalance_delay = impl->options.groups.initial_rebalance_delay;
  go.min_session_timeout = impl->options.groups.min_session_timeout;
  go.max_session_timeout = impl->options.groups.max_session_timeout;
  impl->groups = std::make_unique<groups::GroupCoordinator>(*impl->logs, go);
  impl->storage->writer().start();
  if (status st = impl->security->bootstrap(); !st.ok()) {
    impl->storage->writer().stop();
    return st;
  }
  log::LogEngine* log_engine = impl->logs.get();
  queue::QueueEngine* queue_engine = impl->queues.get();
  impl->background = std::make_unique<BackgroundJobs>(
      std::vector<BackgroundJobs::Job>{
          [log_engine](std::int64_t now) { return log_engine->enforce_retention(now) > 0; },
          [log_engine](std::int64_t) { return log_engine->purge_deleted_topics(); },
          [log_engine, ttl = o.producer_state_ttl](std::int64_t now) {
            return log_engine->expire_producer_states(now, ttl);
          },
          [queue_engine](std::int64_t) { return queue_engine->purge_deleted_queues(); },
          [last = std::int64_t{0}](std::int64_t now) mutable {
            // glibc keeps what the I/O threads free in their arenas, so
            // transient buffers (produce batches, fetch replies) raise the
            // resident size for good although the live heap stays flat.
            if (now - last >= kHeapTrimIntervalMs) {
              last = now;
              ::malloc_trim(0);
            }
            return false;
          },
      },
      o.retention_interval);

  net::NetOptions& n = impl->net_options;
  n.host = o.host;
  n.port = o.port;
  n.io_threads = o.io_threads;
  n.max_frame_bytes = o.max_frame_bytes;
  n.max_connections = o.max_connections;
  n.max_connections_per_peer = o.max_connections_per_peer;
  n.max_in_flight = o.max_in_flight_per_connection;
  n.max_pending_output = o.max_pending_output_bytes;
  n.handshake_timeout = o.handshake_timeout;
  n.frame_timeout = o.frame_timeout;
  n.write_timeout = o.write_timeout;
  n.max_fetch_wait = o.max_fetch_wait;
  n.tls = {o.tls.cert_file, o.tls.key_file, o.tls.client_ca_file, o.tls.ciphers};
  n.durability = o.durability == Durability::sync ? "sync" : "relaxed";
  impl->io = std::make_unique<net::IoPool>(o.io_threads == 0 ? std::max(1u, std::thread::hardware_concurrency())
                                                              : o.io_threads);
  impl->dispatcher =
      std::make_unique<net::Dispatcher>(*impl->logs, *impl->queues, *impl->groups, *impl->security,
                                        backup_writer(*impl->storage), n,
                                        std::string(version()));
  net::Dispatcher* dispatcher = impl->dispatcher.get();
  impl->server = std::make_unique<net::Server>(
      n, *impl->io,
      [dispatcher](net::Server& server, net::Session::Socket socket, std::uint64_t id) {
        return std::make_shared<net::Connection>(server, *dispatcher, std::move(socket), id);
      },
      [raw](LogLevel level, std::string_view line) { raw->log(level, line); });
  status started = impl->server->start(o.listen);
  if (started.ok() && o.kafka.listen) started = start_kafka(*impl);
  if (!started.ok()) {
    impl->background->stop();
    impl->storage->writer().stop();
    return started;
  }
  impl->io->start();
  impl->port = o.listen ? impl->server->local_endpoint().port() : 0;
  if (o.http.listen) {
    if (status st = start_http(*impl); !st.ok()) {
      impl->server->stop_reading();
      if (impl->kafka_server) impl->kafka_server->stop_reading();
      impl->groups->stop();
      impl->background->stop();
      impl->storage->writer().stop();
      impl->server->close_all();
      if (impl->kafka_server) impl->kafka_server->close_all();
      impl->io->stop();
      return st;
    }
  }
  impl->door = std::make_shared<InProcessDoor>(*impl->server);
  return std::unique_ptr<Broker>(new Broker(std::move(impl)));
}

void Broker::stop() {
  MutexLock lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->door->close();
  if (impl_->http) impl_->http->stop();
  impl_->admin.reset();  // its rate sampler reads the engines stopped below
  // Order: read no new requests; let the writer finish what it has, so
  // every accepted write is committed and its reply queued; flush replies
  // and close connections; then stop the I/O threads.
  impl_->server->stop_reading();
  if (impl_->kafka_server) impl_->kafka_server->stop_reading();
  impl_->groups->stop();  // waiting joins answer now
  impl_->background->stop();
  impl_->queues->flush({});  // deferred ack deletes, before the writer drains
  impl_->logs->stop_checks();  // compressed batches being checked reach the writer
  impl_->storage->writer().stop();
  impl_->server->close_all();
  if (impl_->kafka_server) impl_->kafka_server->close_all();
  impl_->io->stop();
  impl_->kafka_server.reset();
  impl_->kafka_context.reset();
  impl_->server.reset();
  impl_->dispatcher.reset();
  impl_->groups.reset();
  impl_->background.reset();
  impl_->queues.reset();
  impl_->security.reset();
  impl_->appender.reset();
  impl_->logs.reset();
  impl_->storage.reset();
}

ClientOptions Broker::client_options(ClientOptions base) const {
  base.broker = "in-process";
  base.dial = [door = impl_->door]() { return door->open(); };
  return base;
}

const std::string& Broker::host() const noexcept { return impl_->options.host; }

std::uint16_t Broker::port() const noexcept {
  return impl_->port;
}

std::uint16_t Broker::kafka_port() const noexcept { return impl_->kafka_port; }

std::uint16_t Broker::http_port() const noexcept { return impl_->http ? impl_->http->port() : 0; }

std::string Broker::address() const { return fmt::format("{}:{}", host(), port()); }

status Broker::health() const {
  MutexLock lock(impl_->stop_mu);
  if (impl_->stopped) return status(errc::shutting_down);
  return impl_->storage->writer().health();
}

const BrokerOptions& Broker::options() const noexcept { return impl_->options; }

}  // namespace wharf
