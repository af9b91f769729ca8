#include "broker/net/server.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <asio/post.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <future>
#include <thread>


namespace wharf::net {
namespace {

// The client's IP address, which the per-peer limit counts by.
std::string peer_ip(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text, sizeof(text));
  }
  return text;
}

}  // namespace

Server::Server(const NetOptions& options, IoPool& pool, SessionFactory factory, Logger logger)
    : options_(options),
      pool_(pool),
      factory_(std::move(factory)),
      logger_(std::move(logger)),
      acceptor_(pool_.at(0)),
      accept_retry_(pool_.at(0)) {}

Server::~Server() = default;

status Server::start(bool listen) {
  if (listen && options_.tls.enabled()) {
    auto tls = make_server_tls_context(options_.tls);
    if (!tls) return tls.error();
    tls_ = std::move(*tls);
  }
  if (listen) {
    asio::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return {errc::invalid_argument, fmt::format("'{}' is not an IP address", options_.host)};
    asio::ip::tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return {errc::io_error, fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message())};
    endpoint_ = acceptor_.local_endpoint();
    accept_next();
  }
  {
    MutexLock lock(mu_);
    started_ = true;
  }
  return {};
}

status Server::adopt(int fd) {
  asio::io_context& ctx = pool_.next();
  Session::Socket socket(ctx);
  asio::error_code ec;
  socket.assign(asio::generic::stream_protocol(AF_UNIX, 0), fd, ec);
  if (ec) {
    ::close(fd);
    return {errc::io_error, fmt::format("cannot serve an in-process connection: {}", ec.message())};
  }
  serve(ctx, std::move(socket), false);
  return {};
}

void Server::accept_next() {
  asio::io_context& ctx = pool_.next();
  acceptor_.async_accept(ctx, [this, &ctx](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or buffers: say so and retry shortly instead of
      // spinning on an error that repeats at once.
      if (logger_) logger_(LogLevel::warn, fmt::format("accept failed: {}; retrying in 100 ms", ec.message()));
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](asio::error_code e) {
        if (!e && acceptor_.is_open()) accept_next();
      });
      return;
    }
    asio::error_code ignore;
    socket.set_option(asio::ip::tcp::no_delay(true), ignore);
    serve(ctx, Session::Socket(std::move(socket)), true);
    accept_next();
  });
}

void Server::serve(asio::io_context& ctx, Session::Socket socket, bool accepted) {
  const std::uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  std::string peer;
  if (accepted) peer = peer_ip(socket.native_handle());
  auto conn = factory_(*this, std::move(socket), id);
  if (accepted && tls_) conn->use_tls(*tls_);
  status refused;
  {
    MutexLock lock(mu_);
    if (stopped_ || !accepting_) return;
    if (count_.load(std::memory_order_relaxed) >= options_.max_connections) {
      refused = status(errc::too_many_connections, "the broker's connection limit is reached");
    } else if (!peer.empty() && options_.max_connections_per_peer > 0 &&
               per_peer_[peer] >= options_.max_connections_per_peer) {
      refused = status(errc::too_many_connections, fmt::format("too many connections from {}", peer));
    } else {
      sessions_.emplace(id, Entry{conn, peer});
      if (!peer.empty()) ++per_peer_[peer];
      count_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  asio::post(ctx, [conn, refused] {
    conn->start();
    if (!refused.ok()) conn->refuse(refused);
  });
}

void Server::on_closed(Session& session) {
  MutexLock lock(mu_);
  auto it = sessions_.find(session.id());
  if (it == sessions_.end()) return;
  if (!it->second.peer.empty()) {
    auto p = per_peer_.find(it->second.peer);
    if (p != per_peer_.end() && --p->second == 0) per_peer_.erase(p);
  }
  sessions_.erase(it);
  count_.fetch_sub(1, std::memory_order_relaxed);
}

void Server::log_event(const Session& session, std::string_view what, LogLevel level) {
  if (logger_) logger_(level, fmt::format("connection {}: {}", session.id(), what));
}

void Server::for_each_session(const std::function<void(Session&)>& fn) {
  std::vector<std::shared_ptr<Session>> conns;
  {
    MutexLock lock(mu_);
    for (auto& [id, entry] : sessions_)
      if (auto c = entry.session.lock()) conns.push_back(std::move(c));
  }
  std::vector<std::future<void>> done;
  for (auto& c : conns) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    asio::post(c->executor(), [c, p, &fn] {
      fn(*c);
      p->set_value();
    });
  }
  for (auto& f : done) f.wait();
}

bool Server::accepting() const {
  MutexLock lock(mu_);
  return started_ && accepting_ && !stopped_;
}

void Server::stop_reading() {
  {
    MutexLock lock(mu_);
    if (!started_ || !accepting_) return;
    accepting_ = false;
  }
  std::promise<void> closed;
  asio::post(acceptor_.get_executor(), [this, &closed] {
    asio::error_code ec;
    acceptor_.close(ec);
    accept_retry_.cancel();
    closed.set_value();
  });
  closed.get_future().wait();
  for_each_session([](Session& c) { c.stop_reading(); });
}

void Server::close_all(std::chrono::milliseconds grace) {
  stop_reading();
  {
    MutexLock lock(mu_);
    if (stopped_ || !started_) {
      stopped_ = true;
      return;
    }
    stopped_ = true;
  }
  for_each_session([](Session& c) { c.close_after_flush(); });
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (connection_count() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for_each_session([](Session& c) { c.close(); });
}

}  // namespace wharf::net
