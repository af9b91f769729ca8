// The client's asynchronous core: one socket (TCP, or the descriptor that
// ClientOptions::dial returns), one I/O thread, pipelined requests matched
// to replies by correlation id. Handlers run on the I/O
// thread; the reply frame they get is valid only during the call.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "wharf/errors.h"
#include "wharf/options.h"

namespace flatbuffers {
class FlatBufferBuilder;
}
namespace wharf::wire {
struct Frame;
}

namespace asio::ssl {
class context;
}

namespace wharf::sasl {
class ScramClient;
}

namespace wharf::client {

struct ClientTls;

class Connection {
 public:
  using Handler = std::function<void(const status&, const wire::Frame*)>;

  // Frames the broker pushes (correlation id 0, not an Error), with their
  // verified payload; and the news that the connection dropped. Both run on
  // the I/O thread. Set before the first connect.
  using PushHandler = std::function<void(const wire::Frame&, std::span<const std::uint8_t>)>;
  using DropHandler = std::function<void(const status&)>;

  explicit Connection(ClientOptions options);
  void set_push_handler(PushHandler handler) { push_handler_ = std::move(handler); }
  void set_drop_handler(DropHandler handler) { drop_handler_ = std::move(handler); }
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and handshakes; blocks the caller (not the I/O thread).
  status connect();
  // Closes the socket; pending requests fail with `disconnected`.
  void disconnect();
  bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }

  std::uint64_t next_correlation_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  // Queues a finished request (its Frame carries `corr`). Any thread. The
  // handler gets the reply, or an error status and nullptr. `extra` adds to
  // the request timeout (for long polls).
  void send(std::uint64_t corr, const flatbuffers::FlatBufferBuilder& fbb, Handler handler,
            std::chrono::milliseconds extra = std::chrono::milliseconds(0));
  asio::io_context& io() noexcept { return io_; }
  const ClientOptions& options() const noexcept { return options_; }
  // The broker's HelloOk of the current connection: version, durability.
  std::pair<std::string, std::string> broker_identity() const;
  std::uint32_t broker_max_frame() const noexcept { return broker_max_frame_.load(std::memory_order_relaxed); }
  bool on_io_thread() const noexcept { return std::this_thread::get_id() == io_thread_.get_id(); }

 private:
  struct Pending {
    Handler handler;
    std::chrono::steady_clock::time_point deadline;
  };
  struct Queued {
    std::uint64_t corr;
    std::vector<std::uint8_t> bytes;
    Handler handler;
    std::chrono::milliseconds extra;
    std::chrono::steady_clock::time_point deadline;
  };
  // authenticating: the SASL exchange runs; requests wait for it.
  enum class State { idle, connecting, authenticating, connected };

  void submit(Queued q);        // I/O thread
  void start_connect();         // I/O thread
  asio::awaitable<void> run_connect(std::uint64_t generation);
  // Opens socket_ over TCP or through options_.dial; an error status on failure.
  asio::awaitable<status> open_socket(std::uint64_t generation);
  // Over a connected TCP socket_: the TLS handshake, certificate checked.
  asio::awaitable<status> start_tls(std::uint64_t generation, const std::string& host);
  asio::awaitable<void> read_loop(std::uint64_t generation);
  void flush();                 // I/O thread
  void on_frame(std::span<const std::uint8_t> payload);
  // Handshake replies (I/O thread).
  void on_hello_reply(const status& st, const wire::Frame* f);
  void on_handshaken(const wire::Frame& hello_ok);
  void send_handshake(flatbuffers::FlatBufferBuilder& fbb);
  void fail_all(const status& why);  // I/O thread
  void drop(const status& why);      // I/O thread: close + fail_all
  void check_timeouts();
  void arm_timeout_timer();

  ClientOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::generic::stream_protocol::socket socket_;
  // The TLS context (made on first use) and the current connection's
  // stream over socket_; ops in progress hold the stream they started on.
  std::shared_ptr<asio::ssl::context> tls_context_;
  std::shared_ptr<ClientTls> tls_;
  asio::steady_timer timeout_timer_;
  std::thread io_thread_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<bool> connected_{false};
  // The broker's frame limit, learned from HelloOk (0 until then).
  std::atomic<std::uint32_t> broker_max_frame_{0};

  // I/O thread only.
  State state_ = State::idle;
  bool closing_ = false;  // the destructor runs: no reconnects
  std::uint64_t generation_ = 0;
  std::uint64_t hello_corr_ = 0;  // the handshake request awaiting its reply
  std::unique_ptr<sasl::ScramClient> scram_;
  std::vector<Queued> waiting_;  // requests waiting for the connection
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::vector<std::uint8_t> out_;
  std::vector<std::uint8_t> sending_;
  bool writing_ = false;
  status last_error_;  // the broker's connection-level error, if any
  std::vector<std::promise<status>> connect_waiters_;
  PushHandler push_handler_;
  DropHandler drop_handler_;
  mutable Mutex identity_mu_;
  std::string broker_version_ WHARF_GUARDED_BY(identity_mu_);
  std::string broker_durability_ WHARF_GUARDED_BY(identity_mu_);
};

}  // namespace wharf::client
