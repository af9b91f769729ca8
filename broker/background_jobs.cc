#include "broker/background_jobs.h"

#include <algorithm>

namespace wharf {

BackgroundJobs::BackgroundJobs(std::vector<Job> jobs, std::chrono::milliseconds interval)
    : jobs_(std::move(jobs)), interval_(interval), thread_([this] { run(); }) {}

BackgroundJobs::~BackgroundJobs() { stop(); }

void BackgroundJobs::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundJobs::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    bool more = false;
    for (auto& job : jobs_) more = job(now) || more;
    lock.lock();
    const auto wait = more ? std::min(interval_, std::chrono::milliseconds(10)) : interval_;
    cv_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

}  // namespace wharf
