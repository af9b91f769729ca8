// The background thread that enforces retention and finishes topic
// deletions, a bounded chunk per write so producers are never stalled.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace wharf::log {

class LogEngine;

class Retention {
 public:
  Retention(LogEngine& engine, std::chrono::milliseconds interval);
  ~Retention();  // stops and joins
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  void stop();

 private:
  void run();

  LogEngine& engine_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace wharf::log
