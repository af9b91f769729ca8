#include "broker/log/retention.h"

#include "broker/log/log_engine.h"

namespace wharf::log {

Retention::Retention(LogEngine& engine, std::chrono::milliseconds interval)
    : engine_(engine), interval_(interval), thread_([this] { run(); }) {}

Retention::~Retention() { stop(); }

void Retention::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Retention::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const std::size_t deletes = engine_.enforce_retention(now);
    const bool purging = engine_.purge_deleted_topics();
    lock.lock();
    // Keep going briskly while there is a backlog, else sleep a full interval.
    const auto wait = (deletes > 0 || purging) ? std::min(interval_, std::chrono::milliseconds(10)) : interval_;
    cv_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

}  // namespace wharf::log
