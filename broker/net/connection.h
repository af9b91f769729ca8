// One client connection: a reader coroutine that frames and dispatches
// requests, a writer coroutine that flushes replies, and a watchdog for
// timeouts. The socket is a TCP one from the listener or one end of a
// socket pair from an in-process client. Lives on a single io_context thread; every member is touched
// only there. Held by shared_ptr; completions from the storage writer are
// posted back with post().
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/steady_timer.hpp>
#include <flatbuffers/flatbuffers.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "broker/net/net_options.h"
#include "protocol/frame_builder.h"
#include "wharf/errors.h"

namespace wharf::wire {
struct Frame;
}
namespace wharf::queue {
class DeliverySink;
}

namespace wharf::net {

class Server;
struct OutputGauge;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  Connection(Server& server, Socket socket, std::uint64_t id);
  ~Connection();

  // Spawns the reader, writer and watchdog coroutines.
  void start();
  // Closes the socket at once; pending replies are dropped.
  void close();
  // Sends what is queued, then closes (after a fatal protocol error).
  void close_after_flush();
  bool closed() const noexcept { return closed_; }
  // Closing or draining: no new requests; long polls should answer now.
  bool closing() const noexcept { return closing_ || draining_; }
  // Shutdown, step 1: read no more requests, keep sending replies.
  void stop_reading();

  asio::any_io_executor executor() { return socket_.get_executor(); }
  std::uint64_t id() const noexcept { return id_; }
  Server& server() noexcept { return server_; }

  // A builder for one reply; Clear()ed on each call.
  flatbuffers::FlatBufferBuilder& builder();
  // Queues the finished builder as a frame.
  void send(const flatbuffers::FlatBufferBuilder& fbb);
  // Finishes the reply built in builder() around `body` and queues it.
  template <typename T>
  void reply(std::uint64_t correlation_id, flatbuffers::Offset<T> body) {
    protocol::finish_frame(fbb_, correlation_id, body);
    send(fbb_);
  }
  void send_error(std::uint64_t correlation_id, const status& error, std::uint64_t log_start = 0,
                  std::uint64_t high_watermark = 0);
  void send_ok(std::uint64_t correlation_id);

  // Reply bytes this connection may still queue before it is over its
  // output limit (0 when over).
  std::size_t output_budget() const;

  // In-flight accounting for requests answered later, in count and bytes.
  // try_begin fails (and the caller replies too_many_requests) at the
  // count limit; the reader pauses while the bytes are over their limit.
  bool try_begin_async(std::size_t bytes = 0);
  void end_async(std::size_t bytes = 0);

  // Runs fn on this connection's thread, keeping the connection alive.
  template <typename Fn>
  void post(Fn&& fn);

  // The queue-delivery sink of this connection, made on first use.
  std::shared_ptr<queue::DeliverySink> sink();
  bool has_sink() const noexcept { return sink_ != nullptr; }

  // Cancels on close (long-poll fetches register their timers here).
  void track_timer(const std::shared_ptr<asio::steady_timer>& timer);

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> watchdog();
  void dispatch(std::span<const std::uint8_t> payload);
  void wake_writer();
  void wake_reader();
  bool reader_should_pause() const;

  using Clock = std::chrono::steady_clock;

  Server& server_;
  Socket socket_;
  std::uint64_t id_;
  bool closed_ = false;
  bool closing_ = false;
  bool draining_ = false;
  bool handshaken_ = false;
  bool big_builder_ = false;

  std::vector<std::uint8_t> in_;  // read buffer; frames start 8-aligned
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;

  std::vector<std::uint8_t> out_;      // queued replies
  std::vector<std::uint8_t> sending_;  // the write in progress
  flatbuffers::FlatBufferBuilder fbb_{1024};
  asio::steady_timer writer_wake_;
  asio::steady_timer reader_wake_;
  asio::steady_timer watchdog_timer_;
  bool reader_paused_ = false;
  bool writer_waiting_ = false;
  std::size_t in_flight_ = 0;
  std::size_t in_flight_bytes_ = 0;

  Clock::time_point accepted_at_;
  Clock::time_point frame_started_ = Clock::time_point::max();
  Clock::time_point write_started_ = Clock::time_point::max();
  std::vector<std::weak_ptr<asio::steady_timer>> timers_;
  std::shared_ptr<queue::DeliverySink> sink_;
  std::shared_ptr<OutputGauge> gauge_;  // what the sink reads to throttle deliveries

};

template <typename Fn>
void Connection::post(Fn&& fn) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), fn = std::forward<Fn>(fn)]() mutable { fn(*self); });
}

}  // namespace wharf::net
