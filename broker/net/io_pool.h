// N single-threaded io_contexts, one thread each. A connection lives on one
// context for its whole life, so its state needs no locks or strands.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace wharf::net {

class IoPool {
 public:
  explicit IoPool(unsigned threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  void start();
  // Stops every context and joins the threads; pending handlers are dropped.
  void stop();
  // Round-robin choice of a context for a new connection.
  asio::io_context& next();
  asio::io_context& at(std::size_t i) { return *contexts_[i]; }
  std::size_t size() const noexcept { return contexts_.size(); }

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace wharf::net
