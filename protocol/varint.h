// Zig-zag varints as Kafka's RecordBatch v2 uses them (protobuf encoding),
// and big-endian fixed-width integers. Decoders never read past `end`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wharf::protocol {

constexpr std::size_t kMaxVarint64Bytes = 10;

inline std::uint64_t zigzag_encode(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t zigzag_decode(std::uint64_t v) noexcept {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Bytes that write_varint(v) takes.
inline std::size_t varint_size(std::int64_t v) noexcept {
  std::uint64_t u = zigzag_encode(v);
  std::size_t n = 1;
  while (u >= 0x80) {
    u >>= 7;
    ++n;
  }
  return n;
}

// Writes a zig-zag varint at p (room for kMaxVarint64Bytes needed); returns the end.
inline std::uint8_t* write_varint(std::uint8_t* p, std::int64_t v) noexcept {
  std::uint64_t u = zigzag_encode(v);
  while (u >= 0x80) {
    *p++ = static_cast<std::uint8_t>(u | 0x80);
    u >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(u);
  return p;
}

// Reads a zig-zag varint; returns nullptr if it runs past end or is over-long.
inline const std::uint8_t* read_varint(const std::uint8_t* p, const std::uint8_t* end,
                                       std::int64_t* out) noexcept {
  std::uint64_t u = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (p >= end) return nullptr;
    const std::uint8_t b = *p++;
    u |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = zigzag_decode(u);
      return p;
    }
  }
  return nullptr;
}

template <typename T>
inline T load_be(const std::uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(v)));
  if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(v)));
  if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(v)));
  return v;
}

template <typename T>
inline void store_be(std::uint8_t* p, T v) noexcept {
  if constexpr (sizeof(T) == 2) v = static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(v)));
  if constexpr (sizeof(T) == 4) v = static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(v)));
  if constexpr (sizeof(T) == 8) v = static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(v)));
  std::memcpy(p, &v, sizeof(T));
}

template <typename T>
inline T load_le(const std::uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;  // little-endian host
}

template <typename T>
inline void store_le(std::uint8_t* p, T v) noexcept {
  std::memcpy(p, &v, sizeof(T));
}

}  // namespace wharf::protocol
