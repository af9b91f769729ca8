// One low-priority thread for housekeeping: log retention, and deleting
// the data of deleted topics and queues. Each job does a bounded chunk and
// says whether more is waiting; the thread then comes back quickly, else it
// sleeps for the interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace wharf {

class BackgroundJobs {
 public:
  // A job gets the wall-clock time in ms and returns true if work remains.
  using Job = std::function<bool(std::int64_t now_ms)>;

  BackgroundJobs(std::vector<Job> jobs, std::chrono::milliseconds interval);
  ~BackgroundJobs();  // stops and joins
  BackgroundJobs(const BackgroundJobs&) = delete;
  BackgroundJobs& operator=(const BackgroundJobs&) = delete;

  void stop();

 private:
  void run();

  std::vector<Job> jobs_;
  std::chrono::milliseconds interval_;
  Mutex mu_;
  CondVar cv_;
  bool stopping_ WHARF_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace wharf
