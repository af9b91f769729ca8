// How the console shows bytes it cannot trust (record keys and values,
// queue payloads, header values): as pretty JSON, text or hex, chosen from
// the bytes, with the text capped so one huge value cannot bloat a page.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

namespace wharf::http {

inline constexpr std::size_t kMaxShownBytes = 64u << 10;

// {"format": "json"|"text"|"hex", "text": ..., "size": N[, "truncated": true]};
// "json" adds "raw": the bytes as stored (text is them pretty-printed, keys
// in their order).
nlohmann::json content_view(std::string_view bytes);

bool valid_utf8(std::string_view s) noexcept;

}  // namespace wharf::http
