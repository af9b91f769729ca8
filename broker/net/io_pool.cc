#include "broker/net/io_pool.h"

#include <chrono>

namespace wharf::net {

IoPool::IoPool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() { stop(); }

namespace {
// Like io_context::run, but after a burst of work it keeps polling for a
// short while before blocking: waking a sleeping thread costs tens of
// microseconds on virtual CPUs, and the next event usually comes sooner.
void run_polling(asio::io_context& io, std::chrono::microseconds spin) {
  while (!io.stopped()) {
    if (io.poll() > 0) continue;
    const auto until = std::chrono::steady_clock::now() + spin;
    bool ran = false;
    while (!ran && std::chrono::steady_clock::now() < until) ran = io.poll() > 0;
    if (!ran && io.run_one() == 0) break;
  }
}
}  // namespace

void IoPool::start() {
  for (auto& ctx : contexts_)
    threads_.emplace_back([c = ctx.get()] { run_polling(*c, std::chrono::microseconds(50)); });
}

void IoPool::stop() {
  for (auto& g : guards_) g.reset();
  for (auto& ctx : contexts_) ctx->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

asio::io_context& IoPool::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

}  // namespace wharf::net
