#include "protocol/murmur2.h"

namespace wharf::protocol {

std::int32_t murmur2(std::string_view data) noexcept {
  constexpr std::uint32_t kSeed = 0x9747b28c;
  constexpr std::uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  const auto length = static_cast<std::uint32_t>(data.size());
  std::uint32_t h = kSeed ^ length;
  const std::uint32_t words = length / 4;
  for (std::uint32_t i = 0; i < words; ++i) {
    const std::uint8_t* w = p + 4 * i;
    std::uint32_t k = static_cast<std::uint32_t>(w[0]) | (static_cast<std::uint32_t>(w[1]) << 8) |
                      (static_cast<std::uint32_t>(w[2]) << 16) |
                      (static_cast<std::uint32_t>(w[3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::uint8_t* tail = p + (length & ~3u);
  switch (length % 4) {
    case 3:
      h ^= static_cast<std::uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<std::uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= tail[0];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::uint32_t partition_for_key(std::string_view key, std::uint32_t partitions) noexcept {
  return (static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffu) % partitions;
}

}  // namespace wharf::protocol
