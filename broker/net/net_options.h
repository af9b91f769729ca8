// Limits and timeouts of the network layer. Defaults follow what mature
// brokers use against hostile or broken clients (see docs/PROTOCOL.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "broker/net/tls_context.h"
#include "protocol/frame.h"

namespace wharf::net {

struct NetOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7420;
  unsigned io_threads = 0;  // 0: one per hardware thread
  std::uint32_t max_frame_bytes = protocol::kDefaultMaxFrameBytes;
  std::size_t max_connections = 10000;
  // Connections from one IP address; 0: no limit. In-process ones are not counted.
  std::size_t max_connections_per_peer = 0;
  // Requests of one connection waiting on storage or a long poll.
  std::size_t max_in_flight = 4096;
  // Bytes of those requests (produce batches) before reading pauses.
  std::size_t max_in_flight_bytes = 64u << 20;
  // Reading from a connection pauses while its unsent replies exceed this.
  std::size_t max_pending_output = 64u << 20;
  std::chrono::milliseconds handshake_timeout{10000};
  // A frame started but not finished within this closes the connection.
  std::chrono::milliseconds frame_timeout{30000};
  // A write that makes no progress for this long closes the connection.
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds max_fetch_wait{60000};
  // Reported to clients in HelloOk ("sync" or "relaxed").
  std::string durability = "sync";
  // TLS on accepted connections (in-process ones never use it).
  TlsFiles tls;
};

}  // namespace wharf::net
