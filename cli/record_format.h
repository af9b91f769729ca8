// Formats a consumed record for plain output, kcat style: %t topic,
// %p partition, %o offset, %k key, %v (or %s) value, %T timestamp (ms),
// %h headers as k=v,k=v, %K and %S key and value lengths, %% a percent
// sign; \n, \t and \\ escapes. The default is "%v".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wharf/record.h"

namespace wharf::cli {

// What is wrong with the format (an unknown %-code), or nullopt if nothing.
std::optional<std::string> check_record_format(std::string_view format);

// Appends the formatted record to *out (no newline added).
void format_record(std::string_view format, const ConsumerRecord& r, std::string* out);

}  // namespace wharf::cli
