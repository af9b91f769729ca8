// Console logins: a random session id (the HttpOnly cookie) maps to a user
// and a CSRF token, in memory only. Sessions end at logout, after an idle
// hour, after 8 hours, or at restart; at most kMaxSessions live at once
// (a new login pushes out the least recently used one).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/mutex.h"

namespace wharf::http {

// 32 random bytes from OpenSSL, as 64 hex digits.
std::string random_token();

class ConsoleSessions {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kIdle = std::chrono::hours(1);
  static constexpr auto kLifetime = std::chrono::hours(8);
  static constexpr std::size_t kMaxSessions = 10'000;

  struct Session {
    std::string id;  // the cookie's value
    std::string user;
    std::string csrf;
  };

  Session open(std::string user, Clock::time_point now);
  // The live session with this id (its idle time restarts), or nullopt.
  std::optional<Session> find(std::string_view id, Clock::time_point now);
  void close(std::string_view id);
  std::size_t size() const;

 private:
  struct Entry {
    std::string user;
    std::string csrf;
    Clock::time_point created;
    Clock::time_point last_used;
  };
  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> sessions_ WHARF_GUARDED_BY(mu_);
};

}  // namespace wharf::http
