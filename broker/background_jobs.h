// One low-priority thread for housekeeping: log retention, and deleting
// the data of deleted topics and queues. Each job does a bounded chunk and
// says whether more is waiting; the thread then comes back quickly, else it
// sleeps for the interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

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
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace wharf
