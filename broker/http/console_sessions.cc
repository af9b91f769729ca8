#include "broker/http/console_sessions.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace wharf::http {

std::string random_token() {
  std::array<unsigned char, 32> bytes;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("no randomness for a session token");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xF];
  }
  return out;
}

ConsoleSessions::Session ConsoleSessions::open(std::string user, Clock::time_point now) {
  Session s{random_token(), std::move(user), random_token()};
  MutexLock lock(mu_);
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    sessions_.erase(oldest);
  }
  sessions_.emplace(s.id, Entry{s.user, s.csrf, now, now});
  return s;
}

std::optional<ConsoleSessions::Session> ConsoleSessions::find(std::string_view id, Clock::time_point now) {
  MutexLock lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  Entry& e = it->second;
  if (now - e.last_used > kIdle || now - e.created > kLifetime) {
    sessions_.erase(it);
    return std::nullopt;
  }
  e.last_used = now;
  return Session{it->first, e.user, e.csrf};
}

void ConsoleSessions::close(std::string_view id) {
  MutexLock lock(mu_);
  sessions_.erase(std::string(id));
}

std::size_t ConsoleSessions::size() const {
  MutexLock lock(mu_);
  return sessions_.size();
}

}  // namespace wharf::http
