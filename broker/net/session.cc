#include "broker/net/session.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ssl.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "broker/net/server.h"

namespace wharf::net {

struct TlsStream {
  TlsStream(Session::Socket& socket, asio::ssl::context& context) : stream(socket, context) {}
  asio::ssl::stream<Session::Socket&> stream;
};

namespace {
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
// An idle connection holds a small buffer; a busy one grows it (doubling,
// or to the size of a frame) and keeps up to kKeptReadBuffer once drained.
constexpr std::size_t kInitialReadBuffer = 4u << 10;
constexpr std::size_t kKeptReadBuffer = 1u << 20;
}  // namespace

Session::Session(Server& server, Socket socket, std::uint64_t id)
    : server_(server),
      socket_(std::move(socket)),
      id_(id),
      writer_wake_(socket_.get_executor(), Clock::time_point::max()),
      reader_wake_(socket_.get_executor(), Clock::time_point::max()),
      watchdog_timer_(socket_.get_executor()),
      accepted_at_(Clock::now()),
      gauge_(std::make_shared<OutputGauge>()) {}

Session::~Session() = default;

void Session::use_tls(asio::ssl::context& context) {
  tls_ = std::make_unique<TlsStream>(socket_, context);
  tls_ready_ = false;
}

void Session::start() {
  auto self = shared_from_this();
  // An exception (say, bad_alloc) ends a coroutine: close rather than leave
  // a half-served connection open.
  auto on_exit = [self](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      self->server_.log_event(*self, std::string("closing after an error: ") + ex.what());
    } catch (...) {
      self->server_.log_event(*self, "closing after an unknown error");
    }
    self->close();
  };
  asio::co_spawn(executor(), [self] { return self->read_loop(); }, on_exit);
  asio::co_spawn(executor(), [self] { return self->write_loop(); }, on_exit);
  asio::co_spawn(executor(), [self] { return self->watchdog(); }, on_exit);
}

std::string Session::peer_address() {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(socket_.native_handle(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "unknown";
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text, sizeof(text));
  } else {
    return "in-process";
  }
  return std::string("/") + text;
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  writer_wake_.cancel();
  reader_wake_.cancel();
  watchdog_timer_.cancel();
  for (auto& weak : timers_)
    if (auto t = weak.lock()) t->cancel();
  timers_.clear();
  on_closed();
  server_.on_closed(*this);
}

void Session::close_after_flush() {
  closing_ = true;
  // Long polls answer now instead of at their deadline.
  for (auto& weak : timers_)
    if (auto t = weak.lock()) t->cancel();
  wake_writer();
  wake_reader();
}

void Session::stop_reading() {
  draining_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_receive, ec);
  wake_reader();
}

void Session::output_added() {
  gauge_->buffered.store(out_.size() + sending_.size(), std::memory_order_relaxed);
  wake_writer();
}

bool Session::try_begin_async(std::size_t bytes) {
  if (in_flight_ >= server_.options().max_in_flight) return false;
  ++in_flight_;
  in_flight_bytes_ += bytes;
  return true;
}

void Session::begin_async(std::size_t bytes) {
  ++in_flight_;
  in_flight_bytes_ += bytes;
}

void Session::resume_frames() {
  frames_held_ = false;
  wake_reader();
}

void Session::end_async(std::size_t bytes) {
  --in_flight_;
  in_flight_bytes_ -= std::min(bytes, in_flight_bytes_);
  wake_reader();
  if (closing_ && in_flight_ == 0) wake_writer();
}

void Session::track_timer(const std::shared_ptr<asio::steady_timer>& timer) {
  std::erase_if(timers_, [](const auto& w) { return w.expired(); });
  timers_.push_back(timer);
}

void Session::wake_writer() {
  // Only a waiting writer needs waking (each cancel is a timer syscall).
  if (writer_waiting_) writer_wake_.cancel();
}

void Session::wake_reader() {
  if (reader_paused_) reader_wake_.cancel();
}

std::size_t Session::output_budget() const {
  const std::size_t queued = out_.size() + sending_.size();
  const std::size_t limit = server_.options().max_pending_output;
  return queued >= limit ? 0 : limit - queued;
}

void Session::throttle(std::chrono::milliseconds wait) {
  if (wait.count() <= 0) return;
  throttled_until_ = std::max(throttled_until_, Clock::now() + wait);
  throttled_ = true;
}

bool Session::reader_should_pause() const {
  const NetOptions& o = server_.options();
  return frames_held_ || (throttled_ && Clock::now() < throttled_until_) ||
         out_.size() + sending_.size() > o.max_pending_output || in_flight_bytes_ > o.max_in_flight_bytes ||
         (pause_at_request_limit_ && in_flight_ >= o.max_in_flight);
}

asio::awaitable<void> Session::read_loop() {
  auto self = shared_from_this();
  if (tls_) {
    // A plaintext client, a wrong CA or a missing client certificate ends
    // here: say who and why, then cut the connection off.
    auto [ec] = co_await tls_->stream.async_handshake(asio::ssl::stream_base::server, use_nothrow);
    if (ec) {
      if (!closed_)
        server_.log_event(*this, fmt::format("TLS handshake with {} failed: {}", peer_address(), ec.message()));
      close();
      co_return;
    }
    tls_ready_ = true;
    wake_writer();
  }
  in_.resize(kInitialReadBuffer);
  auto stopped = [this] { return closed_ || closing_ || draining_; };
  while (!stopped()) {
    // Hand over the whole frames already buffered, pausing while this
    // session is over its output or in-flight limits.
    bool progressed = false;
    std::size_t wanted = 0;
    while (!stopped()) {
      if (reader_should_pause()) {
        reader_paused_ = true;
        // A throttle ends by itself; the other reasons end with a wake-up.
        const bool throttled = throttled_ && Clock::now() < throttled_until_;
        reader_wake_.expires_at(throttled ? throttled_until_ : Clock::time_point::max());
        co_await reader_wake_.async_wait(use_nothrow);
        reader_paused_ = false;
        continue;
      }
      const Cut cut = cut_frame({in_.data() + in_begin_, in_end_ - in_begin_});
      if (cut.state == Cut::need_more) {
        wanted = cut.wanted;
        break;
      }
      if (cut.state == Cut::bad) {
        on_bad_frame(cut.error);
        close_after_flush();
        break;
      }
      on_frame(cut.payload);
      in_begin_ += cut.size;
      progressed = true;
    }
    if (stopped()) break;
    if (in_begin_ == in_end_) {
      in_begin_ = in_end_ = 0;
      if (in_.size() > kKeptReadBuffer) {
        in_.resize(kKeptReadBuffer);
        in_.shrink_to_fit();
      }
    } else if (in_begin_ > 0) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    // The frame timeout measures one frame: it restarts whenever a frame
    // completed, and runs only while a partial frame waits.
    if (in_end_ == 0) {
      frame_started_ = Clock::time_point::max();
    } else if (progressed || frame_started_ == Clock::time_point::max()) {
      frame_started_ = Clock::now();
    }
    // One partial frame fills the buffer; its header was checked against
    // the limit by cut_frame: grow to fit it.
    if (in_end_ == in_.size()) in_.resize(std::max(wanted, in_.size() * 2));
    const auto room = asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
    // Not a conditional expression: GCC 12 miscompiles co_await inside one.
    asio::error_code ec;
    std::size_t n = 0;
    if (tls_) {
      std::tie(ec, n) = co_await tls_->stream.async_read_some(room, use_nothrow);
    } else {
      std::tie(ec, n) = co_await socket_.async_read_some(room, use_nothrow);
    }
    if (ec) break;
    in_end_ += n;
  }
  if (!closing_ && !draining_) close();
}

asio::awaitable<void> Session::write_loop() {
  auto self = shared_from_this();
  while (!closed_) {
    if (out_.empty() || !tls_ready_) {
      if (closing_ && (in_flight_ == 0 || !tls_ready_)) break;
      writer_waiting_ = true;
      writer_wake_.expires_at(Clock::time_point::max());
      co_await writer_wake_.async_wait(use_nothrow);
      writer_waiting_ = false;
      continue;
    }
    sending_.swap(out_);
    std::size_t sent = 0;
    asio::error_code ec;
    while (sent < sending_.size() && !ec) {
      // The timeout measures time without progress, not the whole write.
      write_started_ = Clock::now();
      const auto rest = asio::buffer(sending_.data() + sent, sending_.size() - sent);
      asio::error_code e;
      std::size_t n = 0;
      if (tls_) {
        std::tie(e, n) = co_await tls_->stream.async_write_some(rest, use_nothrow);
      } else {
        std::tie(e, n) = co_await socket_.async_write_some(rest, use_nothrow);
      }
      ec = e;
      sent += n;
    }
    write_started_ = Clock::time_point::max();
    sending_.clear();
    gauge_->buffered.store(out_.size(), std::memory_order_relaxed);
    if (sending_.capacity() > (4u << 20)) sending_.shrink_to_fit();
    if (ec) break;
    wake_reader();
  }
  close();
}

asio::awaitable<void> Session::watchdog() {
  auto self = shared_from_this();
  const NetOptions& o = server_.options();
  const auto tick = std::clamp(std::min({o.handshake_timeout, o.frame_timeout, o.write_timeout}) / 4,
                               std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
  while (!closed_) {
    watchdog_timer_.expires_after(tick);
    co_await watchdog_timer_.async_wait(use_nothrow);
    if (closed_) break;
    const auto now = Clock::now();
    const char* why = nullptr;
    if ((awaiting_handshake() || !tls_ready_) && now - accepted_at_ > o.handshake_timeout)
      why = "handshake timeout";
    else if (!reader_paused_ && frame_started_ != Clock::time_point::max() && now - frame_started_ > o.frame_timeout)
      why = "frame not completed in time";
    else if (write_started_ != Clock::time_point::max() && now - write_started_ > o.write_timeout)
      why = "client not reading its replies";
    if (why != nullptr) {
      server_.log_event(*this, why);
      close();
    }
  }
}

}  // namespace wharf::net
