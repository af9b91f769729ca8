#include "broker/auth/failure_delay.h"

#include <algorithm>

namespace wharf::auth {
namespace {

constexpr unsigned kMaxCountedFailures = 64;

}  // namespace

AuthFailureDelay::AuthFailureDelay(std::chrono::milliseconds first_delay, std::chrono::milliseconds max_delay,
                                   std::chrono::milliseconds forget_after, std::size_t max_peers)
    : first_delay_(first_delay),
      max_delay_(max_delay),
      forget_after_(forget_after),
      max_peers_(std::max<std::size_t>(max_peers, 1)) {}

std::chrono::milliseconds AuthFailureDelay::on_failure(std::string_view peer, Clock::time_point now) {
  MutexLock lock(mu_);
  forget_stale(now);
  auto found = peers_.find(peer);
  if (found == peers_.end()) {
    if (peers_.size() >= max_peers_) erase_oldest();
    by_last_failure_.emplace_back(peer);
    found = peers_.emplace(std::string(peer), Peer{0, now, std::prev(by_last_failure_.end())}).first;
  } else {
    by_last_failure_.splice(by_last_failure_.end(), by_last_failure_, found->second.in_order);
  }
  Peer& state = found->second;
  // Saturates: past the cap more failures change nothing, and it never wraps.
  if (state.consecutive_failures < kMaxCountedFailures) ++state.consecutive_failures;
  state.last_failure = now;
  return delay_for(state.consecutive_failures);
}

void AuthFailureDelay::on_success(std::string_view peer) {
  MutexLock lock(mu_);
  const auto found = peers_.find(peer);
  if (found == peers_.end()) return;
  by_last_failure_.erase(found->second.in_order);
  peers_.erase(found);
}

std::size_t AuthFailureDelay::tracked_peers() const {
  MutexLock lock(mu_);
  return peers_.size();
}

void AuthFailureDelay::forget_stale(Clock::time_point now) {
  while (!by_last_failure_.empty()) {
    const auto oldest = peers_.find(by_last_failure_.front());
    if (now - oldest->second.last_failure < forget_after_) return;
    erase_oldest();
  }
}

void AuthFailureDelay::erase_oldest() {
  peers_.erase(by_last_failure_.front());
  by_last_failure_.pop_front();
}

std::chrono::milliseconds AuthFailureDelay::delay_for(unsigned failures) const {
  // Doubling stops at the cap, so no count can overflow it.
  std::chrono::milliseconds delay = first_delay_;
  for (unsigned i = 1; i < failures && delay < max_delay_; ++i) delay *= 2;
  return std::min(delay, max_delay_);
}

}  // namespace wharf::auth
