// The Kafka wire protocol's primitive types (non-flexible encoding): fixed
// big-endian integers, int16-length strings, int32-length bytes and
// int32-count arrays, -1 meaning null.
//
// Reader never reads past its end: the first malformed field puts it in a
// failed state in which every read returns an empty value, so a decoder
// reads on and checks ok() once. Array counts are checked against the
// bytes left before anyone allocates for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/varint.h"

namespace wharf::protocol::kafka {

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : p_(data.data()), end_(data.data() + data.size()) {}

  std::int8_t i8() { return fixed<std::int8_t>(); }
  std::int16_t i16() { return fixed<std::int16_t>(); }
  std::int32_t i32() { return fixed<std::int32_t>(); }
  std::int64_t i64() { return fixed<std::int64_t>(); }
  bool boolean() { return i8() != 0; }

  // A non-nullable string: null fails the reader.
  std::string_view string() {
    auto s = nullable_string();
    if (!s) fail();
    return s.value_or(std::string_view());
  }
  std::optional<std::string_view> nullable_string() {
    const std::int16_t len = i16();
    if (len == -1 || !ok_) return std::nullopt;
    if (len < 0 || static_cast<std::size_t>(len) > remaining()) return fail(), std::nullopt;
    std::string_view s(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(len));
    p_ += len;
    return s;
  }
  std::span<const std::uint8_t> bytes() {
    auto b = nullable_bytes();
    if (!b) fail();
    return b.value_or(std::span<const std::uint8_t>());
  }
  std::optional<std::span<const std::uint8_t>> nullable_bytes() {
    const std::int32_t len = i32();
    if (len == -1 || !ok_) return std::nullopt;
    if (len < 0 || static_cast<std::size_t>(len) > remaining()) return fail(), std::nullopt;
    std::span<const std::uint8_t> b(p_, static_cast<std::size_t>(len));
    p_ += len;
    return b;
  }
  // An array's element count; nullopt for a null array. Fails when the
  // count is negative or more elements than `min_element_bytes` each could
  // fit in what is left.
  std::optional<std::size_t> nullable_array(std::size_t min_element_bytes) {
    const std::int32_t n = i32();
    if (n == -1 || !ok_) return std::nullopt;
    if (n < 0 || static_cast<std::size_t>(n) * min_element_bytes > remaining()) return fail(), std::nullopt;
    return static_cast<std::size_t>(n);
  }
  // A non-nullable array: null fails the reader.
  std::size_t array(std::size_t min_element_bytes) {
    auto n = nullable_array(min_element_bytes);
    if (!n) fail();
    return n.value_or(0);
  }

  bool ok() const noexcept { return ok_; }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  void fail() noexcept {
    ok_ = false;
    p_ = end_;
  }

 private:
  template <typename T>
  T fixed() {
    if (remaining() < sizeof(T)) return fail(), T{};
    const T v = load_be<T>(p_);
    p_ += sizeof(T);
    return v;
  }

  const std::uint8_t* p_;
  const std::uint8_t* end_;
  bool ok_ = true;
};

// Appends to a byte vector.
class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}

  void i8(std::int8_t v) { fixed(v); }
  void i16(std::int16_t v) { fixed(v); }
  void i32(std::int32_t v) { fixed(v); }
  void i64(std::int64_t v) { fixed(v); }
  void boolean(bool v) { i8(v ? 1 : 0); }
  void string(std::string_view s) {
    i16(static_cast<std::int16_t>(s.size()));
    raw(s.data(), s.size());
  }
  void nullable_string(std::optional<std::string_view> s) {
    if (!s) return i16(-1);
    string(*s);
  }
  void bytes(std::span<const std::uint8_t> b) {
    i32(static_cast<std::int32_t>(b.size()));
    raw(b.data(), b.size());
  }
  void nullable_bytes(std::optional<std::span<const std::uint8_t>> b) {
    if (!b) return i32(-1);
    bytes(*b);
  }
  void array(std::size_t n) { i32(static_cast<std::int32_t>(n)); }
  void raw(const void* data, std::size_t n) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  // An int32 written later (a length): returns where it goes.
  std::size_t placeholder_i32() {
    const std::size_t at = out_.size();
    i32(0);
    return at;
  }
  void patch_i32(std::size_t at, std::int32_t v) { store_be<std::int32_t>(out_.data() + at, v); }
  std::size_t size() const noexcept { return out_.size(); }
  std::vector<std::uint8_t>& buffer() noexcept { return out_; }

 private:
  template <typename T>
  void fixed(T v) {
    const std::size_t at = out_.size();
    out_.resize(at + sizeof(T));
    store_be<T>(out_.data() + at, v);
  }

  std::vector<std::uint8_t>& out_;
};

}  // namespace wharf::protocol::kafka
