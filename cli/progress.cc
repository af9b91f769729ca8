#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace wharf::cli {

Progress::Progress(std::string verb, std::string unit)
    : verb_(std::move(verb)), unit_(std::move(unit)), enabled_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { finish(); }

void Progress::add(std::uint64_t n) {
  count_ += n;
  if (!enabled_) return;
  const auto now = Clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  draw();
}

void Progress::draw() {
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  const auto rate = static_cast<unsigned long long>(seconds > 0 ? static_cast<double>(count_) / seconds : 0);
  // \r and "erase to end of line": one line, redrawn in place.
  std::fprintf(stderr, "\r%s %llu %s (%llu/s)\033[K", verb_.c_str(), static_cast<unsigned long long>(count_),
               unit_.c_str(), rate);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace wharf::cli
