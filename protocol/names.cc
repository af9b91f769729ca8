#include "protocol/names.h"

#include <fmt/format.h>

namespace wharf::protocol {

status validate_name(std::string_view name, std::string_view what) {
  if (name.empty()) return {errc::invalid_name, fmt::format("{} name is empty", what)};
  if (name.size() > kMaxNameLength)
    return {errc::invalid_name,
            fmt::format("{} name is {} characters; the limit is {}", what, name.size(), kMaxNameLength)};
  if (name == "." || name == "..")
    return {errc::invalid_name, fmt::format("{} name cannot be '.' or '..'", what)};
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      const auto byte = static_cast<unsigned char>(c);
      return {errc::invalid_name,
              byte >= 0x20 && byte < 0x7f
                  ? fmt::format("{} name '{}' contains '{}'; use letters, digits, '.', '_' and '-'",
                                what, name, c)
                  : fmt::format("{} name contains byte 0x{:02x}; use letters, digits, '.', '_' and '-'",
                                what, byte)};
    }
  }
  return {};
}

}  // namespace wharf::protocol
