// The small binary records stored as LMDB values (users, ACL entries, SCRAM
// credentials): a version byte first, then u8s, big-endian u32s and
// length-prefixed fields. The reader never reads past its input: any
// overrun gives nullopt, so a damaged value is refused, never misread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wharf {

inline void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(value >> shift & 0xff);
}

inline void put_field(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out += bytes;
}

class FieldReader {
 public:
  explicit FieldReader(std::string_view input) : rest_(input) {}

  std::optional<std::uint8_t> u8() {
    if (rest_.empty()) return std::nullopt;
    const auto value = static_cast<std::uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return value;
  }
  std::optional<std::uint32_t> u32() {
    if (rest_.size() < 4) return std::nullopt;
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(rest_[i]);
    rest_.remove_prefix(4);
    return value;
  }
  std::optional<std::string> field() {
    const auto size = u32();
    if (!size || *size > rest_.size()) return std::nullopt;
    std::string value(rest_.substr(0, *size));
    rest_.remove_prefix(*size);
    return value;
  }
  bool at_end() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace wharf
