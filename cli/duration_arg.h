// Parses durations for CLI flags: "250ms", "30s", "5m", "1h", "2d", or a
// bare number of milliseconds.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace wharf::cli {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace wharf::cli
