#include "broker/net/connection.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cstring>

#include "broker/net/connection_sink.h"
#include "broker/net/dispatcher.h"
#include "broker/net/server.h"
#include "protocol/frame.h"
#include "protocol/varint.h"
#include "wharf_generated.h"
#include "protocol/frame_builder.h"

namespace wharf::net {
namespace {
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kInitialReadBuffer = 64u << 10;
}  // namespace

Connection::Connection(Server& server, Socket socket, std::uint64_t id)
    : server_(server),
      socket_(std::move(socket)),
      id_(id),
      writer_wake_(socket_.get_executor(), Clock::time_point::max()),
      reader_wake_(socket_.get_executor(), Clock::time_point::max()),
      watchdog_timer_(socket_.get_executor()),
      accepted_at_(Clock::now()),
      gauge_(std::make_shared<OutputGauge>()) {
  in_.resize(kInitialReadBuffer);
}

Connection::~Connection() = default;

void Connection::start() {
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

void Connection::close() {
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
  server_.dispatcher().connection_closed(*this);
  server_.on_closed(*this);
}

void Connection::close_after_flush() {
  closing_ = true;
  // Long polls answer now instead of at their deadline.
  for (auto& weak : timers_)
    if (auto t = weak.lock()) t->cancel();
  wake_writer();
  wake_reader();
}

void Connection::send(const flatbuffers::FlatBufferBuilder& fbb) {
  if (closed_) return;
  protocol::append_frame(out_, fbb);
  gauge_->buffered.store(out_.size() + sending_.size(), std::memory_order_relaxed);
  if (fbb.GetSize() > (1u << 20)) big_builder_ = true;
  wake_writer();
}

flatbuffers::FlatBufferBuilder& Connection::builder() {
  // A builder keeps its largest allocation; do not let one big reply pin
  // megabytes per idle connection.
  if (big_builder_) {
    fbb_ = flatbuffers::FlatBufferBuilder(1024);
    big_builder_ = false;
  }
  fbb_.Clear();
  return fbb_;
}

void Connection::send_error(std::uint64_t correlation_id, const status& error, std::uint64_t log_start,
                            std::uint64_t high_watermark) {
  auto& fbb = builder();
  auto message = fbb.CreateString(error.message().data(), error.message().size());
  auto body = wire::CreateError(fbb, static_cast<std::uint16_t>(error.code()), message, log_start,
                                high_watermark);
  protocol::finish_frame(fbb, correlation_id, body);
  send(fbb);
}

void Connection::send_ok(std::uint64_t correlation_id) {
  auto& fbb = builder();
  auto body = wire::CreateOk(fbb);
  protocol::finish_frame(fbb, correlation_id, body);
  send(fbb);
}

bool Connection::try_begin_async(std::size_t bytes) {
  if (in_flight_ >= server_.options().max_in_flight) return false;
  ++in_flight_;
  in_flight_bytes_ += bytes;
  return true;
}

void Connection::end_async(std::size_t bytes) {
  --in_flight_;
  in_flight_bytes_ -= std::min(bytes, in_flight_bytes_);
  wake_reader();
  if (closing_ && in_flight_ == 0) wake_writer();
}

std::shared_ptr<queue::DeliverySink> Connection::sink() {
  if (!sink_)
    sink_ = std::make_shared<ConnectionSink>(weak_from_this(), id_, gauge_, server_.options().max_pending_output);
  return sink_;
}

void Connection::track_timer(const std::shared_ptr<asio::steady_timer>& timer) {
  std::erase_if(timers_, [](const auto& w) { return w.expired(); });
  timers_.push_back(timer);
}

void Connection::wake_writer() {
  // Only a waiting writer needs waking (each cancel is a timer syscall).
  if (writer_waiting_) writer_wake_.cancel();
}

void Connection::wake_reader() {
  if (reader_paused_) reader_wake_.cancel();
}

std::size_t Connection::output_budget() const {
  const std::size_t queued = out_.size() + sending_.size();
  const std::size_t limit = server_.options().max_pending_output;
  return queued >= limit ? 0 : limit - queued;
}

bool Connection::reader_should_pause() const {
  const NetOptions& o = server_.options();
  return out_.size() + sending_.size() > o.max_pending_output || in_flight_bytes_ > o.max_in_flight_bytes;
}

void Connection::stop_reading() {
  draining_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_receive, ec);
  wake_reader();
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  const std::uint32_t max_frame = server_.options().max_frame_bytes;
  auto stopped = [this] { return closed_ || closing_ || draining_; };
  while (!stopped()) {
    // Dispatch the whole frames already buffered, pausing while this
    // connection is over its output or in-flight limits.
    bool progressed = false;
    while (!stopped()) {
      if (reader_should_pause()) {
        reader_paused_ = true;
        reader_wake_.expires_at(Clock::time_point::max());
        co_await reader_wake_.async_wait(use_nothrow);
        reader_paused_ = false;
        continue;
      }
      const std::uint32_t limit = handshaken_ ? max_frame : protocol::kHandshakeMaxFrameBytes;
      auto d = protocol::decode_frame({in_.data() + in_begin_, in_end_ - in_begin_}, limit);
      if (d.state == protocol::DecodeState::need_more) break;
      if (d.state == protocol::DecodeState::bad) {
        send_error(0, d.error);
        close_after_flush();
        break;
      }
      dispatch(d.payload);
      in_begin_ += protocol::kFrameHeaderSize + d.payload.size();
      progressed = true;
    }
    if (stopped()) break;
    if (in_begin_ == in_end_) {
      in_begin_ = in_end_ = 0;
      if (in_.size() > kInitialReadBuffer) {
        in_.resize(kInitialReadBuffer);
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
    if (in_end_ == in_.size()) {
      // One partial frame fills the buffer; its header is there and was
      // checked against the limit: grow to fit it.
      const std::size_t need = protocol::kFrameHeaderSize + protocol::load_le<std::uint32_t>(in_.data());
      in_.resize(std::min<std::size_t>(std::max(need, in_.size() * 2),
                                       protocol::kFrameHeaderSize + std::max(max_frame, protocol::kHandshakeMaxFrameBytes)));
    }
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(in_.data() + in_end_, in_.size() - in_end_), use_nothrow);
    if (ec) break;
    in_end_ += n;
  }
  if (!closing_ && !draining_) close();
}

void Connection::dispatch(std::span<const std::uint8_t> payload) {
  const wire::Frame* frame = protocol::verify_frame(payload);
  if (frame == nullptr) {
    send_error(0, status(errc::bad_frame, "frame is not a valid FlatBuffers Frame"));
    close_after_flush();
    return;
  }
  if (frame->body() == nullptr) {
    // The verifier accepts a union type with no table; nothing can be read.
    send_error(frame->correlation_id(), status(errc::bad_frame, "frame has a body type but no body"));
    return;
  }
  Dispatcher& d = server_.dispatcher();
  if (!handshaken_) {
    if (frame->body_type() != wire::Body::Hello) {
      send_error(frame->correlation_id(),
                 status(errc::handshake_required, "the first request must be Hello"));
      close_after_flush();
      return;
    }
    handshaken_ = d.hello(*this, *frame);
    if (!handshaken_) close_after_flush();
    return;
  }
  d.handle(*this, *frame);
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();
  while (!closed_) {
    if (out_.empty()) {
      if (closing_ && in_flight_ == 0) break;
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
      auto [e, n] = co_await socket_.async_write_some(
          asio::buffer(sending_.data() + sent, sending_.size() - sent), use_nothrow);
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

asio::awaitable<void> Connection::watchdog() {
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
    if (!handshaken_ && now - accepted_at_ > o.handshake_timeout) why = "handshake timeout";
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
