#include "broker/config/config_values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace wharf::config {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The leading digits of `text` as a number; `rest` gets what follows.
parsed<std::uint64_t> leading_uint(std::string_view text, std::string_view* rest) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) return std::string("is too large");
  if (ec != std::errc() || end == text.data()) return std::string("is not a number");
  *rest = text.substr(static_cast<std::size_t>(end - text.data()));
  return v;
}

parsed<std::uint64_t> scaled(std::uint64_t v, std::uint64_t unit) {
  if (unit != 0 && v > std::numeric_limits<std::uint64_t>::max() / unit) return std::string("is too large");
  return v * unit;
}

}  // namespace

parsed<bool> parse_bool(std::string_view text) {
  const std::string t = lower(text);
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  return std::string("wants true or false");
}

parsed<std::uint64_t> parse_uint(std::string_view text) {
  std::string_view rest;
  auto v = leading_uint(text, &rest);
  if (std::holds_alternative<std::string>(v)) return v;
  if (!rest.empty()) return std::string("is not a whole number");
  return v;
}

parsed<std::uint64_t> parse_bytes(std::string_view text) {
  std::string_view rest;
  auto v = leading_uint(text, &rest);
  if (std::holds_alternative<std::string>(v)) return std::string("wants a size such as 1048576, 64KiB or 8MiB");
  const std::uint64_t n = std::get<std::uint64_t>(v);
  const std::string unit = lower(rest);
  if (unit.empty() || unit == "b") return n;
  static constexpr std::pair<std::string_view, int> kUnits[] = {{"k", 10}, {"m", 20}, {"g", 30}, {"t", 40}};
  for (const auto& [prefix, shift] : kUnits) {
    if (unit == prefix || unit == std::string(prefix) + "b" || unit == std::string(prefix) + "ib")
      return scaled(n, std::uint64_t{1} << shift);
  }
  return std::string("has an unknown unit '") + std::string(rest) + "' (use KiB, MiB, GiB or TiB)";
}

parsed<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::string_view rest;
  auto v = leading_uint(text, &rest);
  if (std::holds_alternative<std::string>(v)) return std::string("wants a duration such as 500ms, 30s, 5m or 1h");
  const std::uint64_t n = std::get<std::uint64_t>(v);
  std::uint64_t unit = 0;
  if (rest.empty() || rest == "ms") unit = 1;
  else if (rest == "s") unit = 1000;
  else if (rest == "m") unit = 60'000;
  else if (rest == "h") unit = 3'600'000;
  else return std::string("has an unknown unit '") + std::string(rest) + "' (use ms, s, m or h)";
  auto ms = scaled(n, unit);
  if (std::holds_alternative<std::string>(ms) ||
      std::get<std::uint64_t>(ms) > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return std::string("is too long");
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::get<std::uint64_t>(ms)));
}

parsed<HostPort> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::string("wants HOST:PORT");
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = parse_uint(text.substr(colon + 1));
  if (std::holds_alternative<std::string>(port) || std::get<std::uint64_t>(port) > 65535)
    return std::string("wants HOST:PORT with a port of 0-65535");
  return HostPort{std::string(host), static_cast<std::uint16_t>(std::get<std::uint64_t>(port))};
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  const std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace wharf::config
