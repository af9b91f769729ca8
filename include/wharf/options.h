// wharf/options.h — settings for the client, producers and consumers.
// Values; copy them freely.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wharf/errors.h"
#include "wharf/record.h"

namespace wharf {

// TLS to the broker's listener (docs/SECURITY.md).
struct TlsClientOptions {
  bool enabled = false;
  // PEM bundle of the CAs to trust; empty: the system's trust store.
  std::string ca_file;
  // A client certificate and key (PEM), for brokers that require them.
  std::string cert_file;
  std::string key_file;
  // The name the broker's certificate must carry; empty: the host of
  // `broker` (an IP address is checked against the certificate's IP SANs).
  std::string server_name;
  // Off only to test against a throwaway certificate: anyone in the path
  // can then read and change the traffic.
  bool verify = true;
};

struct ClientOptions {
  // "HOST:PORT" of the broker.
  std::string broker = "127.0.0.1:7420";
  std::string client_id = "wharf-client";
  std::chrono::milliseconds connect_timeout{5000};
  // A request without a reply after this long fails with errc::timeout
  // (long-poll fetches get their wait on top).
  std::chrono::milliseconds request_timeout{30000};
  // Largest reply frame accepted from the broker.
  std::uint32_t max_frame_bytes = 64u << 20;
  // After a lost connection, the next request reconnects first.
  bool auto_reconnect = true;
  // When set, connecting calls this instead of dialing `broker` over TCP:
  // it returns a connected stream socket (a descriptor the client then
  // owns), or the error to report. Broker::client_options() sets it to
  // reach a broker in the same process.
  std::function<result<int>()> dial;
  // TCP connections only; `dial` sockets are in-process.
  TlsClientOptions tls;
  // Authenticate as this user (brokers with auth required need it). The
  // password never crosses the wire: SCRAM proves it (use TLS all the same,
  // or the traffic after the login is readable).
  std::string user;
  std::string password;
  std::string sasl_mechanism = "SCRAM-SHA-256";  // or SCRAM-SHA-512
};

// Batch compression, as Kafka's codecs: Wharf's consumers and every Kafka
// client read all of them.
enum class Compression { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

struct ProducerOptions {
  // How long a batch may wait for more records before it is sent. 0 sends
  // as soon as the I/O thread is free (records still batch while earlier
  // batches are in flight).
  std::chrono::microseconds linger{0};
  // A batch is sent once it reaches this size.
  std::size_t batch_bytes = 128u << 10;
  // Produce requests awaiting their confirm, per producer.
  std::size_t max_in_flight = 16;
  // send() blocks while this many bytes are buffered or in flight...
  std::size_t buffer_bytes = 32u << 20;
  // ...for at most this long, then fails the record with errc::timeout.
  std::chrono::milliseconds max_block{30000};
  // Each batch is compressed as a whole (lz4 is the fast choice).
  Compression compression = Compression::none;
  // Idempotence: the producer asks the broker for a producer id and
  // numbers its batches per partition, so a batch resent after a lost
  // connection or a timeout is stored once (the broker answers a repeat
  // with the first offsets). Such batches are resent, in order, until
  // delivery_timeout after their first send; other errors are final.
  bool idempotent = true;
  std::chrono::milliseconds delivery_timeout{30000};
};

enum class OffsetReset {
  none,      // poll() reports offset_out_of_range; the application decides
  earliest,  // jump to the first stored offset
  latest,    // jump to the end
};

enum class StartFrom { earliest, latest, committed };

struct ConsumerOptions {
  // Consumer group used by commit() and by StartFrom::committed.
  std::string group;
  // Where a newly assigned partition starts unless seek() says otherwise;
  // `committed` falls back to `earliest` when the group has no offset.
  StartFrom start = StartFrom::committed;
  OffsetReset offset_reset = OffsetReset::none;
  // Bytes one fetch may return per partition.
  std::uint32_t fetch_max_bytes = 1u << 20;
  // How long the broker holds a fetch open waiting for new records.
  std::chrono::milliseconds fetch_max_wait{500};
  // Fetched but not yet polled bytes kept per partition (prefetch).
  std::size_t prefetch_bytes = 4u << 20;
  // Records returned by one poll() at most.
  std::size_t max_poll_records = 10000;

  // --- group membership (Consumer::subscribe) ---
  // Without a heartbeat for this long the broker drops the member and
  // gives its partitions to the others (the broker allows 6 s-30 min by
  // default).
  std::chrono::milliseconds session_timeout{10000};
  // Heartbeats go out this often, from the client's I/O thread.
  std::chrono::milliseconds heartbeat_interval{3000};
  // How long the broker waits for every member to rejoin in a rebalance.
  std::chrono::milliseconds rebalance_timeout{30000};
  // Static membership: a member coming back with the same id takes its
  // old place (the old one is fenced).
  std::optional<std::string> group_instance_id;
  // Called from poll(), on its thread, when partitions are given to this
  // member, and before they are taken away (commit there what you
  // processed: the next owner starts from the committed offsets).
  std::function<void(const std::vector<TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<TopicPartition>&)> on_revoked;
};

}  // namespace wharf
