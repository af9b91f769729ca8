// wharf/log_level.h — how serious a line the broker logs is.
#pragma once

#include <string_view>

namespace wharf {

enum class LogLevel { debug, info, warn, error };

constexpr std::string_view log_level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

}  // namespace wharf
