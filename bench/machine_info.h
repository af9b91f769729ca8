// What a benchmark prints about where it ran, so every figure names its
// machine and build.
#pragma once

#include <fstream>
#include <string>
#include <sys/utsname.h>
#include <thread>

namespace wharf::bench {

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown cpu";
}

inline std::string kernel() {
  utsname u{};
  if (uname(&u) != 0) return "unknown kernel";
  return std::string(u.sysname) + " " + u.release;
}

inline unsigned cores() { return std::thread::hardware_concurrency(); }

inline const char* build_type() {
#ifdef NDEBUG
  return "optimized";
#else
  return "DEBUG (not optimized: figures are meaningless)";
#endif
}

inline bool optimized() {
#ifdef NDEBUG
  return true;
#else
  return false;
#endif
}

}  // namespace wharf::bench
