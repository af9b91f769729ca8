// One JSON value per line on standard output; bytes that are not UTF-8
// are replaced rather than failing the command.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace wharf::cli {

inline void print_json(const nlohmann::json& j) {
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace wharf::cli
