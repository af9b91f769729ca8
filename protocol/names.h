// Rules for topic, queue and group names, shared by broker and client so
// both reject the same names with the same message.
#pragma once

#include <cstddef>
#include <string_view>

#include "wharf/errors.h"

namespace wharf::protocol {

constexpr std::size_t kMaxNameLength = 249;
constexpr std::uint32_t kMaxPartitions = 10000;

// 1 to 249 characters from [A-Za-z0-9._-], and not "." or "..".
// `what` names the kind ("topic", "group") in the error message.
status validate_name(std::string_view name, std::string_view what);

}  // namespace wharf::protocol
