// The cryptographic building blocks of authentication, over OpenSSL 3:
// digests, HMAC, PBKDF2 (RFC 5802 calls it Hi), random bytes, base64 and
// byte helpers. Byte strings travel in std::string; nothing here keeps
// state, so every function may be called from any thread.
//
// OpenSSL only fails these calls when memory runs out or the random
// generator cannot be seeded. Carrying on with a short or predictable
// result would be unsafe, so such a failure aborts the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wharf::sasl {

enum class HashFunction { sha256, sha512 };

// 32 for SHA-256, 64 for SHA-512.
std::size_t digest_size(HashFunction function);

// H(data).
std::string digest(HashFunction function, std::string_view data);

// HMAC(key, data).
std::string hmac(HashFunction function, std::string_view key, std::string_view data);

// PBKDF2 with HMAC, giving digest_size(function) bytes. Precondition:
// 1 <= iterations <= INT32_MAX (OpenSSL takes an int); a violation is a
// programming error and aborts. Callers bound user-supplied counts first.
std::string pbkdf2_hi(HashFunction function, std::string_view password, std::string_view salt,
                      std::uint32_t iterations);

// `count` bytes from OpenSSL's cryptographically secure generator.
std::string random_bytes(std::size_t count);

// Standard base64 (RFC 4648, '+' '/' and '=' padding).
std::string base64_encode(std::string_view bytes);

// Strict inverse of base64_encode: nullopt unless `text` is padded to a
// multiple of four characters, uses only the standard alphabet, pads only
// at the end, and leaves the unused low bits of the last group zero.
std::optional<std::string> base64_decode(std::string_view text);

// a XOR b, byte by byte. Precondition: equal sizes; otherwise the result
// is empty (which never equals a real key, so a careless caller fails
// closed).
std::string xor_bytes(std::string_view a, std::string_view b);

// Equality in time that depends only on the sizes, never on where the
// first difference is: for comparing secrets and proofs.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace wharf::sasl
