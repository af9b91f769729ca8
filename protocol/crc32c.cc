#include "protocol/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace wharf::protocol {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78;  // reflected Castagnoli

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes.
struct Tables {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (std::uint32_t b = 0; b < 256; ++b) {
      std::uint32_t c = b;
      for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPolynomial : 0);
      t[0][b] = c;
    }
    for (std::uint32_t b = 0; b < 256; ++b)
      for (int k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
};
constexpr Tables kTables;

// Advances a raw CRC register over `Len` zero bytes. The map is linear, so
// it is kept as one table per byte of the register. This is what lets three
// independent streams be combined: crc(A + B) = shift_|B|(crc(A)) ^ crc0(B).
template <std::size_t Len>
struct ZeroShift {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  ZeroShift() {
    std::array<std::uint32_t, 32> image{};
    for (int bit = 0; bit < 32; ++bit) {
      std::uint32_t c = 1u << bit;
      for (std::size_t i = 0; i < Len; ++i) c = (c >> 8) ^ kTables.t[0][c & 0xff];
      image[bit] = c;
    }
    for (int k = 0; k < 4; ++k)
      for (std::uint32_t b = 0; b < 256; ++b)
        for (int bit = 0; bit < 8; ++bit)
          if ((b >> bit) & 1) t[k][b] ^= image[8 * k + bit];
  }
  std::uint32_t operator()(std::uint32_t c) const {
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
  }
};

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint64_t load_crc(std::uint64_t c, const unsigned char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  return _mm_crc32_u64(c, word);
}

// The crc32 instruction takes three cycles but can start one per cycle:
// three blocks of Len bytes at a time, combined with ZeroShift.
template <std::size_t Len>
__attribute__((target("sse4.2"))) std::uint64_t three_way(const unsigned char*& p, std::size_t& n,
                                                          std::uint64_t c) {
  static_assert(Len % 8 == 0);
  if (n < 3 * Len) return c;
  static const ZeroShift<Len> shift;
  do {
    std::uint64_t c1 = 0;
    std::uint64_t c2 = 0;
    for (const unsigned char* end = p + Len; p < end; p += 8) {
      c = load_crc(c, p);
      c1 = load_crc(c1, p + Len);
      c2 = load_crc(c2, p + 2 * Len);
    }
    c = shift(shift(static_cast<std::uint32_t>(c)) ^ static_cast<std::uint32_t>(c1)) ^ static_cast<std::uint32_t>(c2);
    p += 2 * Len;
    n -= 3 * Len;
  } while (n >= 3 * Len);
  return c;
}

__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const unsigned char* p,
                                                             std::size_t n,
                                                             std::uint32_t crc) noexcept {
  std::uint64_t c = ~crc;
  c = three_way<4096>(p, n, c);
  c = three_way<128>(p, n, c);
  for (; n >= 8; p += 8, n -= 8) c = load_crc(c, p);
  auto c32 = static_cast<std::uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool cpu_has_sse42() noexcept {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

std::uint32_t crc32c_portable(const void* data, std::size_t n, std::uint32_t crc) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  const auto& t = kTables.t;
  while (n >= 8) {
    std::uint32_t lo;
    std::uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;  // little-endian host assumed (x86_64, aarch64)
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
  return ~c;
}

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
  if (cpu_has_sse42()) return crc32c_sse42(static_cast<const unsigned char*>(data), size, crc);
#endif
  return crc32c_portable(data, size, crc);
}

}  // namespace wharf::protocol
