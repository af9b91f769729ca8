// The TCP listener: accepts connections onto the I/O pool, enforces the
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
#include "broker/net/connection.h"
#include "broker/net/dispatcher.h"
#include "broker/net/io_pool.h"
#include "broker/net/net_options.h"
#include "wharf/errors.h"

namespace wharf::net {


class Server {
 public:
  using Logger = std::function<void(std::string_view)>;
  Server(const NetOptions& options, Dispatcher& dispatcher, Logger logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (unless `listen` is false) and starts the I/O threads; io_error
  // if the address is unusable.
  status start(bool listen = true);
  // Serves a connected stream socket (the broker's end of a socket pair)
  // as a client connection; takes the descriptor over. Any thread.
  status adopt(int fd);
  // Shutdown, step 1: stop accepting; connections read no more requests
  // but keep sending replies.
  void stop_reading();
  // Step 2: every connection sends what it has queued (long polls answer
  // at once), then closes; after `grace`, the rest are closed regardless.
  void close_all(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  // Joins the I/O threads; pending completions are dropped.
  void stop();
  asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }

  const NetOptions& options() const noexcept { return options_; }
  Dispatcher& dispatcher() noexcept { return dispatcher_; }
  std::size_t connection_count() const noexcept { return count_.load(std::memory_order_relaxed); }

  // Called by a connection once it has closed.
  void on_closed(Connection& conn);
  void log_event(const Connection& conn, std::string_view what);

 private:
  void accept_next();
  // Registers and starts a connection on `ctx`, or refuses it at the limit.
  void serve(asio::io_context& ctx, Connection::Socket socket);
  // Runs fn(conn) on each connection's thread and waits for all of them.
  void for_each_connection(const std::function<void(Connection&)>& fn);

  NetOptions options_;
  Dispatcher& dispatcher_;
  Logger logger_;
  IoPool pool_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  asio::ip::tcp::endpoint endpoint_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::size_t> count_{0};
  Mutex mu_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections_ WHARF_GUARDED_BY(mu_);
  bool stopped_ WHARF_GUARDED_BY(mu_) = false;
  bool accepting_ WHARF_GUARDED_BY(mu_) = true;
  bool started_ WHARF_GUARDED_BY(mu_) = false;
};

}  // namespace wharf::net
