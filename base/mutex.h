// Mutexes the thread-safety analysis understands (base/thread_annotations.h):
// Mutex with MutexLock, SharedMutex with ReaderLock / WriterLock, and
// CondVar for waiting on a Mutex. Thin wrappers over the standard types.
//
//   Mutex mu_;
//   int count_ WHARF_GUARDED_BY(mu_);
//   void add() { MutexLock lock(mu_); ++count_; }
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "base/thread_annotations.h"

namespace wharf {

class WHARF_CAPABILITY("mutex") Mutex {
 public:
  void lock() WHARF_ACQUIRE() { mu_.lock(); }
  void unlock() WHARF_RELEASE() { mu_.unlock(); }
  // Tells the analysis the caller holds it (for code it cannot follow).
  void assert_held() const WHARF_ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

class WHARF_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) WHARF_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() WHARF_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

class WHARF_CAPABILITY("shared mutex") SharedMutex {
 public:
  void lock() WHARF_ACQUIRE() { mu_.lock(); }
  void unlock() WHARF_RELEASE() { mu_.unlock(); }
  void lock_shared() WHARF_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() WHARF_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

class WHARF_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) WHARF_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() WHARF_RELEASE() { mu_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

class WHARF_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) WHARF_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~WriterLock() WHARF_RELEASE() { mu_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Waits on a Mutex the caller holds (it is released while waiting and
// held again on return).
class CondVar {
 public:
  void wait(Mutex& mu) WHARF_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // False on timeout.
  template <typename Clock, typename Duration>
  bool wait_until(Mutex& mu, std::chrono::time_point<Clock, Duration> deadline) WHARF_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    const bool woken = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return woken;
  }
  template <typename Rep, typename Period>
  bool wait_for(Mutex& mu, std::chrono::duration<Rep, Period> timeout) WHARF_REQUIRES(mu) {
    return wait_until(mu, std::chrono::steady_clock::now() + timeout);
  }
  void notify_one() { cv_.notify_one(); }
  void notify_all() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace wharf
