#include "broker/auth/login_limiter.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace wharf::auth {

LoginLimiter::LoginLimiter(Limits limits, std::function<void(std::string_view)> log)
    : limits_(limits), log_(std::move(log)) {}

LoginLimiter::Attempt::Attempt(LoginLimiter* limiter, std::string user, std::string address, bool allowed,
                               std::string refusal)
    : limiter_(limiter),
      user_(std::move(user)),
      address_(std::move(address)),
      allowed_(allowed),
      finished_(!allowed),
      refusal_(std::move(refusal)) {}

LoginLimiter::Attempt::Attempt(Attempt&& other) noexcept
    : limiter_(other.limiter_),
      user_(std::move(other.user_)),
      address_(std::move(other.address_)),
      allowed_(other.allowed_),
      finished_(std::exchange(other.finished_, true)),
      refusal_(std::move(other.refusal_)) {}

LoginLimiter::Attempt::~Attempt() {
  if (!finished_) limiter_->finish(*this, false, Clock::now());
}

void LoginLimiter::Attempt::succeeded() {
  if (finished_) return;
  limiter_->finish(*this, true, Clock::now());
}

std::chrono::milliseconds LoginLimiter::Attempt::failed(Clock::time_point now) {
  if (finished_) return limiter_->limits_.max_delay;
  limiter_->finish(*this, false, now);
  MutexLock lock(limiter_->mu_);
  auto found = limiter_->addresses_.entries.find(address_);
  return limiter_->delay_for(found == limiter_->addresses_.entries.end() ? 1 : found->second.failures.size());
}

LoginLimiter::Attempt LoginLimiter::begin(std::string_view user, std::string_view address, Clock::time_point now) {
  // One address whichever listener names it ("/10.0.0.1" or "10.0.0.1").
  if (!address.empty() && address.front() == '/') address.remove_prefix(1);
  user = user.substr(0, kMaxKeyBytes);
  address = address.substr(0, kMaxKeyBytes);
  MutexLock lock(mu_);
  Entry& a = entry(addresses_, address, limits_.failures_per_address);
  prune(a, now);
  if (at_limit(a, limits_.failures_per_address, fmt::format("address {}", address), now))
    return Attempt(this, std::string(user), std::string(address), false,
                   fmt::format("address {} is locked out after {} failed logins", address, a.failures.size()));
  if (!user.empty()) {
    Entry& u = entry(users_, user, limits_.failures_per_user);
    prune(u, now);
    if (at_limit(u, limits_.failures_per_user, fmt::format("user '{}'", user), now))
      return Attempt(this, std::string(user), std::string(address), false,
                     fmt::format("user '{}' is locked out after {} failed logins", user, u.failures.size()));
    ++u.in_flight;
  }
  ++a.in_flight;
  return Attempt(this, std::string(user), std::string(address), true, {});
}

std::chrono::milliseconds LoginLimiter::record_failure(std::string_view user, std::string_view address,
                                                       Clock::time_point now) {
  Attempt attempt = begin(user, address, now);
  return attempt.allowed() ? attempt.failed(now) : limits_.max_delay;
}

std::uint64_t LoginLimiter::lockouts() const {
  MutexLock lock(mu_);
  return lockouts_;
}

std::size_t LoginLimiter::tracked() const {
  MutexLock lock(mu_);
  return users_.entries.size() + addresses_.entries.size();
}

LoginLimiter::Entry& LoginLimiter::entry(Table& table, std::string_view key, std::uint32_t limit) {
  auto found = table.entries.find(std::string(key));
  if (found != table.entries.end()) return found->second;
  if (table.entries.size() >= std::max<std::size_t>(limits_.max_tracked, 1)) {
    // Order is by last failure (finish() moves an entry back): forget the
    // oldest that is neither locked out nor in the middle of an attempt.
    auto victim = table.order.begin();
    std::size_t scanned = 0;
    for (auto it = table.order.begin(); it != table.order.end() && scanned < kEvictionScan; ++it, ++scanned) {
      const Entry& e = table.entries.at(*it);
      if (e.failures.size() < limit && e.in_flight == 0) {
        victim = it;
        break;
      }
    }
    table.entries.erase(*victim);
    table.order.erase(victim);
  }
  table.order.emplace_back(key);
  Entry& e = table.entries[std::string(key)];
  e.in_order = std::prev(table.order.end());
  return e;
}

void LoginLimiter::prune(Entry& e, Clock::time_point now) const {
  while (!e.failures.empty() && now - e.failures.front() >= limits_.window) e.failures.pop_front();
}

bool LoginLimiter::at_limit(Entry& e, std::uint32_t limit, std::string_view what, Clock::time_point now) {
  const bool over = e.failures.size() + e.in_flight >= limit;
  if (over && !e.locked && e.failures.size() >= limit) {
    ++lockouts_;
    const auto free_in = e.failures.front() + limits_.window - now;
    if (log_)
      log_(fmt::format("login lockout: {} had {} failed logins in {} s; its attempts are refused for {} s", what,
                       e.failures.size(), std::chrono::duration_cast<std::chrono::seconds>(limits_.window).count(),
                       std::chrono::ceil<std::chrono::seconds>(free_in).count()));
  }
  e.locked = e.failures.size() >= limit;
  return over;
}

void LoginLimiter::finish(Attempt& attempt, bool success, Clock::time_point now) {
  attempt.finished_ = true;
  MutexLock lock(mu_);
  const auto settle = [&](Table& table, const std::string& key, std::uint32_t limit) {
    auto found = table.entries.find(key);
    if (found == table.entries.end()) return;  // forgotten meanwhile
    Entry& e = found->second;
    if (e.in_flight > 0) --e.in_flight;
    if (success) return;
    e.failures.push_back(now);
    while (e.failures.size() > limit) e.failures.pop_front();
    table.order.splice(table.order.end(), table.order, e.in_order);
  };
  settle(addresses_, attempt.address_, limits_.failures_per_address);
  if (!attempt.user_.empty()) settle(users_, attempt.user_, limits_.failures_per_user);
}

std::chrono::milliseconds LoginLimiter::delay_for(std::size_t failures) const {
  std::chrono::milliseconds delay = limits_.first_delay;
  for (std::size_t i = 1; i < failures && delay < limits_.max_delay; ++i) delay *= 2;
  return std::min(delay, limits_.max_delay);
}

}  // namespace wharf::auth
