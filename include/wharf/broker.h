// wharf/broker.h — run a Wharf broker inside your own process.
//
// `wharfd` is a thin main around this class; tests and `wharf-bench
// --embedded` use it the same way. A Broker owns its data directory (locked
// against a second broker), one storage writer thread, a retention thread
// and a pool of network threads. It serves TCP clients on its listener and,
// at the same time, clients of the same process that reach it through
// client_options() without TCP. All methods are thread-safe.
//
//   wharf::BrokerOptions options;
//   options.data_dir = "/var/lib/wharf";
//   auto broker = wharf::Broker::start(options);
//   if (!broker) { /* broker.error(): data_dir_locked, io_error, ... */ }
//   auto client = wharf::Client::connect((*broker)->client_options());
//   (*broker)->port();   // the bound port (useful with port 0)
//   (*broker)->stop();   // or let the destructor do it
//
// Link with Wharf::broker (CMake) or `pkg-config wharf-broker`.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "wharf/errors.h"
#include "wharf/log_level.h"
#include "wharf/options.h"

namespace wharf {

enum class Durability {
  // A confirm is sent after LMDB's synced commit: the data survives power loss.
  sync,
  // One flush per commit instead of two (LMDB MDB_NOMETASYNC). A process
  // crash loses nothing confirmed; a power loss or OS crash may undo the
  // last commits before it. Never corrupts.
  relaxed,
};

// The Kafka wire-protocol listener (docs/KAFKA.md): Kafka clients and tools
// produce, consume and commit group offsets on Wharf's topics.
struct KafkaListenerOptions {
  bool listen = false;
  std::string host = "127.0.0.1";
  std::uint16_t port = 9092;  // 0 picks a free port
  // Where Metadata tells clients to connect; empty / 0: host and the
  // bound port.
  std::string advertised_host;
  std::uint16_t advertised_port = 0;
  // Unknown topics named by Metadata or Produce are created, as Kafka does
  // by default, with this many partitions.
  bool auto_create_topics = true;
  std::uint32_t default_partitions = 1;
};

// The HTTP listener for probes and monitoring (docs/OPERATIONS.md): /livez,
// /readyz and /metrics in the Prometheus text format.
struct HttpListenerOptions {
  bool listen = false;
  std::string host = "127.0.0.1";
  std::uint16_t port = 7421;  // 0 picks a free port
  // With auth required, /metrics needs "Authorization: Bearer <token>" with
  // this token, or basic auth (over TLS) as a user allowed to describe the
  // cluster. Empty: basic auth only.
  std::string token;
};

// TLS for every TCP listener (native, Kafka, HTTP): TLS 1.2 or newer.
struct TlsServerOptions {
  std::string cert_file;       // PEM certificate chain; empty: plaintext listeners
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // non-empty: clients must present a certificate this CA signed (mTLS)
  // The TLS 1.2 cipher suites, in OpenSSL's syntax; empty: ECDHE key
  // exchange with AEAD ciphers only (Mozilla's "intermediate" list). TLS
  // 1.3 suites are not affected.
  std::string ciphers;
};

// Users and permissions (docs/SECURITY.md).
struct AuthOptions {
  // required: every connection authenticates (SCRAM-SHA-256/512; Kafka
  // clients through SASL) and may then do only what its user's ACLs grant
  // (admins: everything). off: every client may do everything.
  bool required = false;
  // Auth off on a listener that is not loopback-only is refused unless set.
  bool allow_anonymous = false;
  // The first admin, created at first start (no user stored yet) when a
  // password is given; the password is stored only as salted SCRAM keys.
  std::string admin_user = "admin";
  std::string admin_password;
  // Password guessing: a user name with this many failed logins within the
  // window (from any address), or an address with login_failures_per_address,
  // is locked out until its oldest failure leaves the window: its logins
  // are refused unchecked. Attempts under way count, and a success clears
  // nothing (docs/SECURITY.md).
  std::uint32_t login_failures_per_user = 10;
  std::uint32_t login_failures_per_address = 30;
  std::chrono::milliseconds login_failure_window{60000};
};

// Consumer groups, shared by Kafka clients and Wharf's own consumers.
struct ConsumerGroupOptions {
  // A new group waits this long for more members before its first
  // assignment, so that members starting together cause one rebalance
  // (Kafka's group.initial.rebalance.delay.ms).
  std::chrono::milliseconds initial_rebalance_delay{3000};
  // The session timeouts members may ask for.
  std::chrono::milliseconds min_session_timeout{6000};
  std::chrono::milliseconds max_session_timeout{1800000};
};

struct BrokerOptions {
  // The TCP listener; with `listen` false, only in-process clients
  // (client_options()) reach the broker and port() is 0.
  bool listen = true;
  std::string host = "127.0.0.1";
  std::uint16_t port = 7420;  // 0 picks a free port
  std::filesystem::path data_dir = "wharf-data";
  Durability durability = Durability::sync;
  std::uint32_t max_frame_bytes = 8u << 20;
  // Largest record batch, as sent and once decompressed: a produce over it
  // fails with batch_too_large, and decompression stops there.
  std::uint32_t max_batch_bytes = 8u << 20;
  // Largest size the data file may reach (LMDB map size).
  std::uint64_t map_size = 8ull << 30;
  // The data file reuses the space of deleted data but never shrinks: with
  // this set, start() first rewrites it compacted (as large as the data it
  // holds), which takes about as long as copying that data once.
  bool compact_on_start = false;
  unsigned io_threads = 0;  // 0: one per hardware thread
  std::size_t max_connections = 10000;
  // Connections from one IP address (per listener); 0: no limit.
  std::size_t max_connections_per_peer = 0;
  // Byte-rate quotas per user (anonymous clients count as one user), as
  // Kafka's: a client over it is told how long to wait (throttle time) and
  // its connection is not read from meanwhile. 0: unlimited.
  std::uint64_t produce_quota_bytes_per_second = 0;
  std::uint64_t fetch_quota_bytes_per_second = 0;
  std::size_t max_in_flight_per_connection = 4096;
  // A connection whose unsent replies exceed this is not read from, and gets
  // no queue deliveries (they stay ready), until they drain; it is closed if
  // its writes stall for write_timeout.
  std::size_t max_pending_output_bytes = 64u << 20;
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds frame_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  // The longest a fetch waits for records, whatever it asks for.
  std::chrono::milliseconds max_fetch_wait{60000};
  // How often retention runs.
  std::chrono::milliseconds retention_interval{5000};
  // An idempotent producer that has not appended for this long is
  // forgotten (Kafka's producer.id.expiration.ms): a batch it sends later is
  // taken as a new producer's.
  std::chrono::milliseconds producer_state_ttl{24 * 3600 * 1000};
  KafkaListenerOptions kafka;
  HttpListenerOptions http;
  TlsServerOptions tls;
  AuthOptions auth;
  ConsumerGroupOptions groups;
  // Receives the broker's log lines; default: spdlog's default logger
  // (standard error unless the program set another).
  std::function<void(LogLevel, std::string_view)> log;
};

class Broker {
 public:
  // Opens the data directory and starts listening. Errors: data_dir_locked
  // (another broker has the directory; stop it or pick another), io_error
  // (cannot create the directory or bind the address), storage_corrupt
  // (the data file fails its checks; restore from a copy), invalid_argument.
  static result<std::unique_ptr<Broker>> start(BrokerOptions options);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Stops accepting, closes connections, finishes in-flight commits and
  // closes the data directory. Idempotent.
  void stop();

  // Options for a Client of this process that reaches the broker through
  // a socket pair instead of TCP: Client::connect(broker.client_options()).
  // Such a client reconnects the same way; once the broker stopped, its
  // requests fail with connection_failed. `base` supplies the other settings.
  ClientOptions client_options(ClientOptions base = {}) const;

  const std::string& host() const noexcept;
  std::uint16_t port() const noexcept;
  // The Kafka listener's bound port; 0 when it is off.
  std::uint16_t kafka_port() const noexcept;
  // The HTTP listener's bound port; 0 when it is off.
  std::uint16_t http_port() const noexcept;
  // "host:port"
  std::string address() const;
  // ok, or the sticky storage failure that stopped writes.
  status health() const;
  const BrokerOptions& options() const noexcept;

  static std::string_view version() noexcept;

  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  explicit Broker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf
