#include "cli/duration_arg.h"

#include <charconv>

namespace wharf::cli {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p == s.data() || n < 0) return std::nullopt;
  const std::string_view unit(p, static_cast<std::size_t>(s.data() + s.size() - p));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  else return std::nullopt;
  if (n > INT64_MAX / scale) return std::nullopt;
  return std::chrono::milliseconds(n * scale);
}

}  // namespace wharf::cli
