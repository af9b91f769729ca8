// A long poll's waiter (log::Waiter): when the log engine says records
// arrived, it cancels the poll's timer on the poll's own thread. The
// engine holds the waiter, the poll owns the timer: a waiter left behind
// after shutdown keeps no timer past its io_context.
#pragma once

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <memory>

#include "broker/log/wait_list.h"

namespace wharf::net {

class AppendWaiter final : public log::Waiter {
 public:
  explicit AppendWaiter(const std::shared_ptr<asio::steady_timer>& timer)
      : timer_(timer), executor_(timer->get_executor()) {}
  void wake() override {
    if (timer_.expired()) return;
    asio::post(executor_, [t = timer_] {
      if (auto timer = t.lock()) timer->cancel();
    });
  }

 private:
  std::weak_ptr<asio::steady_timer> timer_;
  asio::any_io_executor executor_;
};

}  // namespace wharf::net
