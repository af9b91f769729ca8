// A listener for one protocol: accepts connections onto the shared I/O
// pool, makes a session for each (the protocol's factory), enforces the
// connection limit, and closes everything on stop. In-process clients are
// adopted as the broker's end of a socket pair and treated the same.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "base/mutex.h"
#include "broker/net/io_pool.h"
#include "broker/net/net_options.h"
#include "broker/net/request_counters.h"
#include "broker/net/session.h"
#include "wharf/errors.h"
#include "wharf/log_level.h"

namespace wharf::net {

class Server {
 public:
  using Logger = std::function<void(LogLevel, std::string_view)>;
  // Makes the protocol's session for an accepted or adopted socket.
  using SessionFactory = std::function<std::shared_ptr<Session>(Server&, Session::Socket, std::uint64_t id)>;
  Server(const NetOptions& options, IoPool& pool, SessionFactory factory, Logger logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (unless `listen` is false) and starts accepting on the pool (its
  // threads may start later); io_error if the address is unusable.
  status start(bool listen = true);
  // Serves a connected stream socket (the broker's end of a socket pair)
  // as a client connection; takes the descriptor over. Any thread.
  status adopt(int fd);
  // Shutdown, step 1: stop accepting; connections read no more requests
  // but keep sending replies.
  void stop_reading();
  // Step 2: every connection sends what it has queued (long polls answer
  // at once), then closes; after `grace`, the rest are closed regardless.
  // Needs the pool's threads running.
  void close_all(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }

  const NetOptions& options() const noexcept { return options_; }
  std::size_t connection_count() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::uint64_t connections_accepted() const noexcept { return next_id_.load(std::memory_order_relaxed) - 1; }
  RequestCounters& requests() noexcept { return requests_; }
  const RequestCounters& requests() const noexcept { return requests_; }
  // Accepting connections: started, and not stopping.
  bool accepting() const;

  // Called by a session once it has closed.
  void on_closed(Session& session);
  void log_event(const Session& session, std::string_view what, LogLevel level = LogLevel::warn);

 private:
  void accept_next();
  // Registers and starts a session on `ctx`, or refuses it at the limit.
  void serve(asio::io_context& ctx, Session::Socket socket, bool accepted);
  // Runs fn(session) on each session's thread and waits for all of them.
  void for_each_session(const std::function<void(Session&)>& fn);

  NetOptions options_;
  IoPool& pool_;
  SessionFactory factory_;
  Logger logger_;
  std::shared_ptr<asio::ssl::context> tls_;  // accepted connections speak TLS
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  asio::ip::tcp::endpoint endpoint_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::size_t> count_{0};
  RequestCounters requests_;
  mutable Mutex mu_;
  struct Entry {
    std::weak_ptr<Session> session;
    std::string peer;  // empty: in-process
  };
  std::unordered_map<std::uint64_t, Entry> sessions_ WHARF_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::size_t> per_peer_ WHARF_GUARDED_BY(mu_);
  bool stopped_ WHARF_GUARDED_BY(mu_) = false;
  bool accepting_ WHARF_GUARDED_BY(mu_) = true;
  bool started_ WHARF_GUARDED_BY(mu_) = false;
};

}  // namespace wharf::net
