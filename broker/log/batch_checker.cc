#include "broker/log/batch_checker.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace wharf::log {
namespace {
// Below the I/O threads and the writer: a flood of compressed batches
// slows itself, not everyone.
constexpr int kNice = 10;
thread_local bool t_in_job = false;
}  // namespace

bool BatchChecker::in_job() noexcept { return t_in_job; }

BatchChecker::BatchChecker() : thread_([this] { loop(); }) {}

BatchChecker::~BatchChecker() { stop(); }

void BatchChecker::run(Source source, std::function<void()> job) {
  {
    MutexLock lock(mu_);
    if (!stopping_) {
      auto [it, added] = sources_.try_emplace(source);
      if (added) busy_sources_.fetch_add(1, std::memory_order_release);
      SourceJobs& jobs = it->second;
      if (jobs.queued.empty() && !jobs.running) turns_.push_back(source);
      jobs.queued.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  job();
}

bool BatchChecker::pending(Source source) const {
  // A source's jobs are added by its own thread, the one asking: if it has
  // any, this count cannot have gone to 0 meanwhile.
  if (busy_sources_.load(std::memory_order_acquire) == 0) return false;
  MutexLock lock(mu_);
  return sources_.contains(source);
}

void BatchChecker::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void BatchChecker::loop() {
  // Linux gives each thread its own nice value.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kNice);
  for (;;) {
    Source source = nullptr;
    std::function<void()> job;
    {
      MutexLock lock(mu_);
      while (turns_.empty()) {
        if (stopping_) return;
        wake_.wait(mu_);
      }
      source = turns_.front();
      turns_.pop_front();
      SourceJobs& jobs = sources_[source];
      job = std::move(jobs.queued.front());
      jobs.queued.pop_front();
      jobs.running = true;
    }
    {
      t_in_job = true;
      // A job that throws (out of memory) loses its own answer, not the
      // broker; the I/O threads treat a throwing request the same way.
      try {
        job();
      } catch (...) {
      }
      t_in_job = false;
    }
    job = nullptr;
    MutexLock lock(mu_);
    SourceJobs& jobs = sources_[source];
    jobs.running = false;
    if (jobs.queued.empty()) {
      sources_.erase(source);
      busy_sources_.fetch_sub(1, std::memory_order_release);
    } else {
      turns_.push_back(source);
    }
  }
}

}  // namespace wharf::log
