// Parsers for the kinds of values wharfd's settings take. Each returns the
// value or a short description of what was wrong, which the caller prefixes
// with the key and where the value came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace wharf::config {

template <typename T>
using parsed = std::variant<T, std::string>;  // value, or what was wrong

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// true/false, yes/no, on/off, 1/0.
parsed<bool> parse_bool(std::string_view text);
// A decimal integer.
parsed<std::uint64_t> parse_uint(std::string_view text);
// A byte count: "1048576", "64KiB", "8MiB", "8MB", "2GiB" (K, M, G, T are
// all powers of 1024, as in most broker configs).
parsed<std::uint64_t> parse_bytes(std::string_view text);
// A duration: "250ms", "30s", "5m", "1h"; a bare integer is milliseconds.
parsed<std::chrono::milliseconds> parse_duration(std::string_view text);
// "HOST:PORT", "[v6addr]:PORT".
parsed<HostPort> parse_host_port(std::string_view text);

// Whether every address HOST resolves to is a loopback one ("127.x",
// "::1", "localhost").
bool is_loopback_host(std::string_view host);

}  // namespace wharf::config
