// One client connection, whatever its protocol: a reader coroutine that
// cuts the byte stream into frames (the protocol's framing, cut_frame) and
// hands each to on_frame, a writer coroutine that flushes queued output,
// and a watchdog for timeouts. A slow or stalled client is paused, then
// cut off: it never makes the broker hold more than its output limit.
//
// The socket is a TCP one from a listener or one end of a socket pair from
// an in-process client. A session lives on a single io_context thread and
// every member is touched only there. Held by shared_ptr; completions from
// other threads come back with post().
#pragma once

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "broker/net/net_options.h"
#include "wharf/errors.h"

namespace asio::ssl {
class context;
}

namespace wharf::net {

class Server;
struct TlsStream;

// Bytes on their way to one client: work handed to its session and output
// not yet written to its socket. Shared, so that other threads (the queue
// engine's delivery sink) read it without touching the session.
struct OutputGauge {
  std::atomic<std::size_t> posted{0};
  std::atomic<std::size_t> buffered{0};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  Session(Server& server, Socket socket, std::uint64_t id);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Before start(): speak TLS over the socket (the handshake comes first).
  void use_tls(asio::ssl::context& context);
  bool tls() const noexcept { return tls_ != nullptr; }
  // Spawns the reader, writer and watchdog coroutines.
  void start();
  // Closes the socket at once; pending output is dropped.
  void close();
  // Sends what is queued, then closes (after a fatal protocol error).
  void close_after_flush();
  bool closed() const noexcept { return closed_; }
  // Closing or draining: no new requests; long polls should answer now.
  bool closing() const noexcept { return closing_ || draining_; }
  // Shutdown, step 1: read no more requests, keep sending replies.
  void stop_reading();
  // The server's connection limit is reached: say so if the protocol can,
  // then close.
  virtual void refuse(const status& why) = 0;

  asio::any_io_executor executor() { return socket_.get_executor(); }
  // The client's address ("/127.0.0.1" for TCP, as Kafka shows it;
  // "in-process" for a socket pair).
  std::string peer_address();
  std::uint64_t id() const noexcept { return id_; }
  Server& server() noexcept { return server_; }

  // Output bytes this session may still queue before it is over its limit
  // (0 when over).
  std::size_t output_budget() const;
  // In-flight accounting for requests answered later, in count and bytes.
  // try_begin fails (the caller refuses the request) at the count limit;
  // the reader pauses while the bytes are over their limit.
  bool try_begin_async(std::size_t bytes = 0);
  // For protocols that cannot refuse a request (Kafka): counts it anyway;
  // the reader pauses while the count is at its limit.
  void begin_async(std::size_t bytes = 0);
  void end_async(std::size_t bytes = 0);
  std::size_t in_flight() const noexcept { return in_flight_; }

  // A quota was exceeded: hand over no further request for `wait`
  // (Kafka mutes the channel the same way).
  void throttle(std::chrono::milliseconds wait);

  // Cancels on close (long polls register their timers here).
  void track_timer(const std::shared_ptr<asio::steady_timer>& timer);

 protected:
  // One frame at the start of the buffered bytes, as the protocol frames it.
  struct Cut {
    enum State { complete, need_more, bad } state = need_more;
    std::size_t size = 0;                   // complete: bytes the frame took
    std::span<const std::uint8_t> payload;  // complete: what on_frame gets
    std::size_t wanted = 0;                 // need_more: the whole frame's size once known (0: not yet)
    status error;                           // bad
  };
  virtual Cut cut_frame(std::span<const std::uint8_t> buffered) = 0;
  // A complete frame. It may call close_after_flush().
  virtual void on_frame(std::span<const std::uint8_t> payload) = 0;
  // The stream can no longer be trusted; the session closes after this.
  virtual void on_bad_frame(const status& why) = 0;
  // Whether the protocol still waits for its handshake (watchdog).
  virtual bool awaiting_handshake() const { return false; }
  // The session closed: release what it held elsewhere.
  virtual void on_closed() {}

  // Pause reading, rather than refuse requests, at the in-flight count limit.
  void pause_at_request_limit() { pause_at_request_limit_ = true; }
  // No further frame is handed to on_frame until resume_frames(): a request
  // whose effects the next ones must see holds them back.
  void hold_frames() { frames_held_ = true; }
  void resume_frames();

  // Queued output: append, then call output_added().
  std::vector<std::uint8_t>& output() { return out_; }
  void output_added();
  const std::shared_ptr<OutputGauge>& gauge() const { return gauge_; }

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> watchdog();
  void wake_writer();
  void wake_reader();
  bool reader_should_pause() const;

  using Clock = std::chrono::steady_clock;

  Server& server_;
  Socket socket_;
  std::unique_ptr<TlsStream> tls_;  // over socket_; null for plain connections
  bool tls_ready_ = true;           // no TLS, or its handshake is done
  std::uint64_t id_;
  bool closed_ = false;
  bool closing_ = false;
  bool draining_ = false;

  std::vector<std::uint8_t> in_;  // read buffer; frames start at in_begin_
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;

  std::vector<std::uint8_t> out_;      // queued output
  std::vector<std::uint8_t> sending_;  // the write in progress
  asio::steady_timer writer_wake_;
  asio::steady_timer reader_wake_;
  asio::steady_timer watchdog_timer_;
  bool reader_paused_ = false;
  bool writer_waiting_ = false;
  std::size_t in_flight_ = 0;
  std::size_t in_flight_bytes_ = 0;
  bool pause_at_request_limit_ = false;
  bool frames_held_ = false;
  bool throttled_ = false;
  Clock::time_point throttled_until_{};

  Clock::time_point accepted_at_;
  Clock::time_point frame_started_ = Clock::time_point::max();
  Clock::time_point write_started_ = Clock::time_point::max();
  std::vector<std::weak_ptr<asio::steady_timer>> timers_;
  std::shared_ptr<OutputGauge> gauge_;
};

// Runs fn(*self) on the session's thread, keeping it alive.
template <typename S, typename Fn>
void post_to(const std::shared_ptr<S>& self, Fn&& fn) {
  asio::post(self->executor(), [self, fn = std::forward<Fn>(fn)]() mutable { fn(*self); });
}

}  // namespace wharf::net
