// Waiters for "new data was committed here": long-poll fetches register,
// the writer thread wakes them after the commit. No timers poll.
#pragma once

#include <memory>
#include <vector>

#include "base/mutex.h"

namespace wharf::log {

class Waiter {
 public:
  virtual ~Waiter() = default;
  // Called once, from the writer thread; must only post work elsewhere.
  virtual void wake() = 0;
};

class WaitList {
 public:
  void add(std::shared_ptr<Waiter> waiter) {
    MutexLock lock(mu_);
    waiters_.push_back(std::move(waiter));
  }
  // Wakes and forgets every waiter registered so far.
  void wake_all() {
    std::vector<std::shared_ptr<Waiter>> woken;
    {
      MutexLock lock(mu_);
      if (waiters_.empty()) return;
      woken.swap(waiters_);
    }
    for (auto& w : woken) w->wake();
  }
  // Drops waiters that no longer need waking (their fetch timed out).
  void remove(const Waiter* waiter) {
    MutexLock lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->get() == waiter) {
        waiters_.erase(it);
        return;
      }
    }
  }

 private:
  Mutex mu_;
  std::vector<std::shared_ptr<Waiter>> waiters_ WHARF_GUARDED_BY(mu_);
};

}  // namespace wharf::log
