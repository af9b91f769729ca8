// wharfd's log output: spdlog's default logger on standard error, as text
// lines or as one JSON object per line, with timestamps and levels.
#pragma once

#include <string>

namespace wharf::config {

// `level`: trace|debug|info|warn|error|off; `format`: text|json (both
// already checked by the configuration).
void setup_logging(const std::string& level, const std::string& format);

}  // namespace wharf::config
