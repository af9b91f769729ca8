// Slows down password guessing: each failed login from a peer makes the
// next answer to that peer wait longer. The delay is first_delay for the
// first failure and doubles with each consecutive one up to max_delay;
// a success resets it, and a peer whose last failure is older than
// forget_after starts again from first_delay.
//
// Memory stays bounded under a flood of addresses: at most max_peers are
// remembered, and a new one pushes out the peer whose last failure is the
// oldest. Thread-safe: every connection may share one instance.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/mutex.h"

namespace wharf::auth {

class AuthFailureDelay {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AuthFailureDelay(std::chrono::milliseconds first_delay = std::chrono::milliseconds(100),
                            std::chrono::milliseconds max_delay = std::chrono::seconds(5),
                            std::chrono::milliseconds forget_after = std::chrono::minutes(10),
                            std::size_t max_peers = 10'000);

  // Records a failed login from `peer` (its address without the port, so a
  // new connection does not start afresh) and returns how long to wait
  // before answering it. `now` comes from the caller so tests need no sleep.
  std::chrono::milliseconds on_failure(std::string_view peer, Clock::time_point now);

  // A successful login: the peer's failures are forgotten.
  void on_success(std::string_view peer);

  // How many peers are remembered (for tests and metrics).
  std::size_t tracked_peers() const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Peer {
    unsigned consecutive_failures = 0;
    Clock::time_point last_failure;
    std::list<std::string>::iterator in_order;  // its place in by_last_failure_
  };

  // Drops peers whose last failure is older than the window, oldest first.
  void forget_stale(Clock::time_point now) WHARF_REQUIRES(mu_);
  void erase_oldest() WHARF_REQUIRES(mu_);
  std::chrono::milliseconds delay_for(unsigned failures) const;

  const std::chrono::milliseconds first_delay_;
  const std::chrono::milliseconds max_delay_;
  const std::chrono::milliseconds forget_after_;
  const std::size_t max_peers_;

  mutable Mutex mu_;
  std::unordered_map<std::string, Peer, StringHash, std::equal_to<>> peers_ WHARF_GUARDED_BY(mu_);
  // Peer names, least recent failure first. Callers' clocks may disagree by
  // a little between threads, so this order (and the pruning that follows
  // it) is approximate by that much, which is harmless.
  std::list<std::string> by_last_failure_ WHARF_GUARDED_BY(mu_);
};

}  // namespace wharf::auth
