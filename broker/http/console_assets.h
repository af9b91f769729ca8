// The web console's files (broker/http/console), compiled into the binary
// at build time (cmake/embed_console.cmake): nothing is read from disk or
// fetched at run time.
#pragma once

#include <span>
#include <string_view>

namespace wharf::http {

struct ConsoleAsset {
  std::string_view name;  // the file's name, served at /assets/NAME
  std::string_view data;
};

std::span<const ConsoleAsset> console_assets();

}  // namespace wharf::http
