// Parses --from-time values: milliseconds since the epoch, or ISO 8601
// (2026-11-25T10:00:00Z, with optional .fff and Z or +HH:MM / -HH:MM).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace wharf::cli {

std::optional<std::int64_t> parse_time_ms(std::string_view text);

}  // namespace wharf::cli
