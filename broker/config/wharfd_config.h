// wharfd's settings: one set of keys shared by flags (--key value), the
// environment (WHARF_KEY) and the TOML config file (key = value), with
// precedence flag > environment > file > default. A mistake (an unknown
// key, a wrong type, a value out of range) is an error naming the key and
// where it came from; nothing is silently ignored.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "wharf/broker.h"

namespace wharf::config {

struct WharfdConfig {
  BrokerOptions broker;
  std::string log_level = "info";
  std::string log_format = "text";
  // Read by wharfd at start; the password itself is never a setting.
  std::string admin_password_file;
  std::string http_token_file;
};

// One key's effective value, as TOML text, and where it came from
// ("default", "flag --listen", "environment WHARF_LISTEN", "file PATH:LINE").
struct EffectiveValue {
  std::string key;
  std::string toml_value;
  std::string source;
};

struct LoadedConfig {
  WharfdConfig config;
  std::vector<EffectiveValue> effective;  // every key, in table order
  // Worth a warning once logging is set up (a WHARF_* variable that is no
  // setting: maybe a typo).
  std::vector<std::string> warnings;
  bool print_config = false;
  bool help = false;
  bool version = false;
};

// Reads argv, the environment (`envp`, as main's third argument or
// `environ`) and the file named by --config or WHARF_CONFIG. The error
// string is one line for the user.
std::variant<LoadedConfig, std::string> load_config(int argc, const char* const* argv, const char* const* envp);

// The effective configuration as a TOML file, each value's source in a
// comment: `wharfd --print-config > wharf.toml` gives a file wharfd reads.
std::string format_effective(const std::vector<EffectiveValue>& effective);
// --help: every key with its flag, environment variable, default and meaning.
std::string help_text();

}  // namespace wharf::config
