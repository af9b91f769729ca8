#include "protocol/sasl/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace wharf::sasl {
namespace {

// See the header: a failed primitive must never yield a usable result.
void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wharf::auth: %s failed; aborting\n", what);
    std::abort();
  }
}

const EVP_MD* message_digest(HashFunction function) {
  return function == HashFunction::sha512 ? EVP_sha512() : EVP_sha256();
}

const unsigned char* bytes_of(std::string_view s) {
  // OpenSSL may read a null pointer as "no key"; an empty view gets a real one.
  static constexpr unsigned char empty = 0;
  return s.empty() ? &empty : reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes_of(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

constexpr std::string_view kBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<signed char, 256> make_base64_values() {
  std::array<signed char, 256> values{};
  values.fill(-1);
  for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    values[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<signed char>(i);
  }
  return values;
}

constexpr std::array<signed char, 256> kBase64Values = make_base64_values();

}  // namespace

std::size_t digest_size(HashFunction function) { return function == HashFunction::sha512 ? 64 : 32; }

std::string digest(HashFunction function, std::string_view data) {
  std::string out(digest_size(function), '\0');
  unsigned int size = 0;
  require(EVP_Digest(bytes_of(data), data.size(), bytes_of(out), &size, message_digest(function), nullptr) == 1,
          "EVP_Digest");
  require(size == out.size(), "EVP_Digest size");
  return out;
}

std::string hmac(HashFunction function, std::string_view key, std::string_view data) {
  std::string out(digest_size(function), '\0');
  unsigned int size = 0;
  require(key.size() <= INT_MAX, "HMAC key size");
  require(HMAC(message_digest(function), bytes_of(key), static_cast<int>(key.size()), bytes_of(data), data.size(),
               bytes_of(out), &size) != nullptr,
          "HMAC");
  require(size == out.size(), "HMAC size");
  return out;
}

std::string pbkdf2_hi(HashFunction function, std::string_view password, std::string_view salt,
                      std::uint32_t iterations) {
  require(iterations >= 1 && iterations <= INT_MAX, "PBKDF2 iteration count");
  require(password.size() <= INT_MAX && salt.size() <= INT_MAX, "PBKDF2 input size");
  std::string out(digest_size(function), '\0');
  require(PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(bytes_of(password)), static_cast<int>(password.size()),
                            bytes_of(salt), static_cast<int>(salt.size()), static_cast<int>(iterations),
                            message_digest(function), static_cast<int>(out.size()), bytes_of(out)) == 1,
          "PKCS5_PBKDF2_HMAC");
  return out;
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  require(count <= INT_MAX, "RAND_bytes size");
  if (count > 0) require(RAND_bytes(bytes_of(out), static_cast<int>(count)) == 1, "RAND_bytes");
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16 |
                                static_cast<unsigned char>(bytes[i + 1]) << 8 |
                                static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64Alphabet[group >> 18 & 63];
    out += kBase64Alphabet[group >> 12 & 63];
    out += kBase64Alphabet[group >> 6 & 63];
    out += kBase64Alphabet[group & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[group >> 18 & 63];
    out += kBase64Alphabet[group >> 12 & 63];
    out += left == 2 ? kBase64Alphabet[group >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t digits = last ? 4 - padding : 4;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      std::uint32_t value = 0;
      if (j < digits) {
        const signed char v = kBase64Values[static_cast<unsigned char>(text[i + j])];
        if (v < 0) return std::nullopt;  // also catches '=' before the end
        value = static_cast<std::uint32_t>(v);
      }
      group = group << 6 | value;
    }
    out += static_cast<char>(group >> 16 & 0xff);
    if (digits >= 3) out += static_cast<char>(group >> 8 & 0xff);
    if (digits == 4) out += static_cast<char>(group & 0xff);
    // Canonical form only: the bits past the last whole byte must be zero.
    if ((digits == 2 && (group & 0xffff) != 0) || (digits == 3 && (group & 0xff) != 0)) return std::nullopt;
  }
  return out;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return {};
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(bytes_of(a), bytes_of(b), a.size()) == 0;
}

}  // namespace wharf::sasl
