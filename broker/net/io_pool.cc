#include "broker/net/io_pool.h"

namespace wharf::net {

IoPool::IoPool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() { stop(); }

void IoPool::start() {
  for (auto& ctx : contexts_)
    threads_.emplace_back([c = ctx.get()] { c->run(); });
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
