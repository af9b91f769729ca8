// The batching pipeline producers and publishers share. Senders add to open
// batches (one per destination, kept by the derived class); a batch is
// sealed when full, when its linger has passed, or on flush; sealed batches
// are sent while fewer than max_in_flight await their reply; and senders
// block, for at most max_block, while buffer_bytes are buffered or in
// flight.
//
// Threads: the derived class's sending methods take mu() and call the
// protected helpers with it held; draining, sending and replies run on the
// client's I/O thread. The derived class is held by shared_ptr (keep_alive).
#pragma once

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "base/mutex.h"
#include "client/connection.h"
#include "wharf/errors.h"

namespace wharf::client {

struct PipelineLimits {
  std::chrono::microseconds linger{0};
  std::size_t batch_bytes = 128u << 10;
  std::size_t max_in_flight = 16;
  std::size_t buffer_bytes = 32u << 20;
  std::chrono::milliseconds max_block{30000};
};

template <typename Batch>
class BatchPipeline {
 public:
  using Clock = std::chrono::steady_clock;
  using BatchPtr = std::unique_ptr<Batch>;

  BatchPipeline(Connection& conn, PipelineLimits limits) : conn_(conn), limits_(limits), linger_timer_(conn.io()) {
    if (limits_.max_in_flight == 0) limits_.max_in_flight = 1;
  }
  virtual ~BatchPipeline() = default;
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // Seals every open batch, sends them, and waits until every message
  // has its reply. Not on the I/O thread (it would wait for itself).
  void flush() WHARF_EXCLUDES(mu_) {
    if (conn_.on_io_thread()) return;
    bool post = false;
    {
      MutexLock lock(mu_);
      seal_all();
      post = drain_needed();
    }
    if (post) post_drain();
    MutexLock lock(mu_);
    while (buffered_ != 0 || in_flight_ != 0) cv_.wait(mu_);
  }

  // Guards the pipeline and the derived class's open batches.
  Mutex& mu() WHARF_RETURN_CAPABILITY(mu_) { return mu_; }
  // After adding, with mu() held: whether the I/O thread must be asked to
  // send (post_drain(), after releasing mu(): the woken thread takes it).
  bool drain_needed() WHARF_REQUIRES(mu_) {
    if (drain_posted_) return false;
    drain_posted_ = true;
    return true;
  }
  void post_drain() WHARF_EXCLUDES(mu_) {
    asio::post(conn_.io(), [self = keep_alive()] { self->drain(); });
  }

 protected:
  const PipelineLimits& limits() const { return limits_; }
  Connection& conn() { return conn_; }

  // Waits while the buffer is full: ok, or timeout after max_block, or
  // too_many_requests from the I/O thread (waiting there would block the
  // thread that frees the buffer). mu_ is released while waiting.
  status wait_for_room() WHARF_REQUIRES(mu_) {
    if (buffered_ < limits_.buffer_bytes) return {};
    if (conn_.on_io_thread()) return status(errc::too_many_requests, "the buffer is full (sent from a completion)");
    const auto deadline = Clock::now() + limits_.max_block;
    while (buffered_ >= limits_.buffer_bytes)
      if (!cv_.wait_until(mu_, deadline) && buffered_ >= limits_.buffer_bytes)
        return status(errc::timeout, "the buffer stayed full for max_block");
    return {};
  }
  // Counts bytes added to an open batch against buffer_bytes.
  void buffered(std::size_t bytes) WHARF_REQUIRES(mu_) { buffered_ += bytes; }
  // A full or lingering batch goes to the send queue.
  void seal(BatchPtr batch) WHARF_REQUIRES(mu_) { ready_.push_back(std::move(batch)); }
  // I/O thread: a sent batch of `bytes` has its reply (or failed), and its
  // completions ran.
  void finished(std::size_t bytes) WHARF_EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      --in_flight_;
      buffered_ -= bytes;
    }
    cv_.notify_all();
    drain();
  }

  // --- what the derived class provides ---
  // Seals up to `room` open batches whose linger has passed (first_at +
  // linger <= now); returns when the next open one will be due (max: none).
  virtual Clock::time_point seal_lingering(Clock::time_point now, std::size_t room) WHARF_REQUIRES(mu_) = 0;
  // Seals every open batch (flush).
  virtual void seal_all() WHARF_REQUIRES(mu_) = 0;
  // I/O thread: sends a sealed batch; calls finished() once its reply is handled.
  virtual void send_batch(BatchPtr batch) = 0;
  // The owning shared_ptr, kept by posted work.
  virtual std::shared_ptr<BatchPipeline> keep_alive() = 0;

 private:
  // I/O thread: fills free in-flight slots with sealed batches, then with
  // lingering ones, and wakes itself for the next lingering batch.
  void drain() WHARF_EXCLUDES(mu_) {
    std::vector<BatchPtr> to_send;
    Clock::time_point next_due = Clock::time_point::max();
    {
      MutexLock lock(mu_);
      drain_posted_ = false;
      take_ready(&to_send);
      if (in_flight_ < limits_.max_in_flight) {
        next_due = seal_lingering(Clock::now(), limits_.max_in_flight - in_flight_);
        take_ready(&to_send);
      }
    }
    for (auto& b : to_send) send_batch(std::move(b));
    if (next_due != Clock::time_point::max() && !linger_armed_) {
      linger_armed_ = true;
      linger_timer_.expires_at(next_due);
      linger_timer_.async_wait([self = keep_alive()](asio::error_code) {
        self->linger_armed_ = false;
        self->drain();
      });
    }
  }

  void take_ready(std::vector<BatchPtr>* out) WHARF_REQUIRES(mu_) {
    while (in_flight_ < limits_.max_in_flight && !ready_.empty()) {
      out->push_back(std::move(ready_.front()));
      ready_.pop_front();
      ++in_flight_;
    }
  }

  Connection& conn_;
  PipelineLimits limits_;
  Mutex mu_;
  CondVar cv_;
  std::deque<BatchPtr> ready_ WHARF_GUARDED_BY(mu_);  // sealed, waiting for an in-flight slot
  std::size_t buffered_ WHARF_GUARDED_BY(mu_) = 0;     // bytes not yet confirmed
  std::size_t in_flight_ WHARF_GUARDED_BY(mu_) = 0;
  bool drain_posted_ WHARF_GUARDED_BY(mu_) = false;
  // I/O thread only.
  asio::steady_timer linger_timer_;
  bool linger_armed_ = false;
};

}  // namespace wharf::client
