#include "broker/background_jobs.h"

#include <algorithm>

#include "base/clock.h"

namespace wharf {

BackgroundJobs::BackgroundJobs(std::vector<Job> jobs, std::chrono::milliseconds interval)
    : jobs_(std::move(jobs)), interval_(interval), thread_([this] { run(); }) {}

BackgroundJobs::~BackgroundJobs() { stop(); }

void BackgroundJobs::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundJobs::run() {
  for (;;) {
    bool more = false;
    for (auto& job : jobs_) more = job(wall_clock_ms()) || more;
    const auto wait = more ? std::min(interval_, std::chrono::milliseconds(10)) : interval_;
    const auto until = std::chrono::steady_clock::now() + wait;
    MutexLock lock(mu_);
    while (!stopping_ && cv_.wait_until(mu_, until)) {
    }
    if (stopping_) return;
  }
}

}  // namespace wharf
