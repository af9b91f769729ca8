// Progress of long CLI work on standard error, for a person watching:
// "produced 120000 records (85000/s)", redrawn at most five times a second
// on one line. Silent when standard error is not a terminal, so scripts and
// pipes see only the result. Main thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace wharf::cli {

class Progress {
 public:
  // "produced", "records": the words around the count.
  Progress(std::string verb, std::string unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(std::uint64_t n = 1);
  // Clears the line (the command prints its result after).
  void finish();

 private:
  void draw();
  using Clock = std::chrono::steady_clock;
  std::string verb_;
  std::string unit_;
  bool enabled_;
  bool drawn_ = false;
  std::uint64_t count_ = 0;
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_draw_{};
};

}  // namespace wharf::cli
