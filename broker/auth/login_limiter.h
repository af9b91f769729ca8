// Limits password guessing on every listener. Failed logins are counted per
// user name and per client address over a sliding window, and an attempt
// counts from the moment it starts, so attempts made in parallel cannot
// outrun the count. Once a user or an address has `failures_per_*` failed
// or unfinished attempts within the window, further attempts for it are
// refused without checking the password (a lockout) until its oldest
// failure leaves the window: at most that many guesses per user, and per
// address, per window, whatever the concurrency. A success takes back
// only its own attempt: it never clears counts, so a login as one user
// does not reset the count of another. Failed answers are also held back,
// doubling with each failure of the address within the window.
//
// Memory stays bounded under a flood of names and addresses: at most
// max_tracked of each are remembered, of at most kMaxKeyBytes each (longer
// names are no one's and share one count), the least recently failed
// forgotten first, except that a flood of new names does not push out a
// locked-out one while the oldest kEvictionScan hold others to forget.
// Thread-safe: every connection shares one instance.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/mutex.h"

namespace wharf::auth {

struct LoginLimits {
  std::uint32_t failures_per_user = 10;
  std::uint32_t failures_per_address = 30;
  std::chrono::milliseconds window{60'000};
  std::chrono::milliseconds first_delay{100};
  std::chrono::milliseconds max_delay{5'000};
  std::size_t max_tracked = 10'000;
};

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxKeyBytes = 256;
  static constexpr std::size_t kEvictionScan = 64;

  using Limits = LoginLimits;

  // `log` receives one line per lockout as it begins.
  explicit LoginLimiter(Limits limits = {}, std::function<void(std::string_view)> log = {});

  // One login attempt, from begin() until failed() or succeeded(). One that
  // is destroyed unfinished counts as failed. Move-only.
  class Attempt {
   public:
    Attempt(Attempt&& other) noexcept;
    Attempt& operator=(Attempt&&) = delete;
    ~Attempt();
    // False when the user or the address is locked out: answer it as a
    // failed login without checking the password (and without failed()).
    bool allowed() const noexcept { return allowed_; }
    // Why it is not allowed, for the broker's log.
    const std::string& refusal() const noexcept { return refusal_; }
    // The password was right: the attempt no longer counts.
    void succeeded();
    // The password was wrong: counted as a failure of the user and the
    // address. Returns how long to hold the answer back.
    std::chrono::milliseconds failed(Clock::time_point now);

   private:
    friend class LoginLimiter;
    Attempt(LoginLimiter* limiter, std::string user, std::string address, bool allowed, std::string refusal);
    LoginLimiter* limiter_;
    std::string user_;
    std::string address_;
    bool allowed_;
    bool finished_ = false;
    std::string refusal_;
  };

  // `user` may be empty when the protocol gives none (then only the
  // address counts); `address` is the peer's IP without its port (a
  // leading '/', as the protocols' sessions write it, is ignored).
  Attempt begin(std::string_view user, std::string_view address, Clock::time_point now);
  // A failure found before an attempt could begin (a malformed exchange):
  // counted as one, and the answer delay returned.
  std::chrono::milliseconds record_failure(std::string_view user, std::string_view address, Clock::time_point now);

  // The answer delay for a refused attempt (locked out): the longest.
  std::chrono::milliseconds max_delay() const noexcept { return limits_.max_delay; }
  // Lockouts begun since start (for /metrics).
  std::uint64_t lockouts() const;
  // Names and addresses remembered (for tests).
  std::size_t tracked() const;

 private:
  struct Entry {
    std::deque<Clock::time_point> failures;  // within the window, oldest first; at most the limit
    std::uint32_t in_flight = 0;
    bool locked = false;
    std::list<std::string>::iterator in_order;
  };
  // Failures of names or of addresses, with their least recently failed
  // first for eviction.
  struct Table {
    std::unordered_map<std::string, Entry> entries;
    std::list<std::string> order;
  };

  // The entry of `key`, made if new (forgetting another when full; one
  // with `limit` failures only when the oldest all have as many).
  Entry& entry(Table& table, std::string_view key, std::uint32_t limit) WHARF_REQUIRES(mu_);
  void prune(Entry& e, Clock::time_point now) const;
  // Whether `e` is at its limit; logs and counts a lockout as it begins.
  bool at_limit(Entry& e, std::uint32_t limit, std::string_view what, Clock::time_point now) WHARF_REQUIRES(mu_);
  void finish(Attempt& attempt, bool success, Clock::time_point now);
  std::chrono::milliseconds delay_for(std::size_t failures) const;

  const Limits limits_;
  const std::function<void(std::string_view)> log_;
  mutable Mutex mu_;
  Table users_ WHARF_GUARDED_BY(mu_);
  Table addresses_ WHARF_GUARDED_BY(mu_);
  std::uint64_t lockouts_ WHARF_GUARDED_BY(mu_) = 0;
};

}  // namespace wharf::auth
