// Kafka's record batch codecs (attribute bits 0-2). A compressed batch
// keeps its 61-byte header in the clear; the records after it are one
// compressed stream. The broker stores such batches as sent; readers
// decompress. Formats: gzip (RFC 1952), snappy (raw, or the "xerial"
// framing Java clients write), lz4 (the LZ4 frame format), zstd (a frame).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "wharf/errors.h"

namespace wharf::protocol {

enum class Codec : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };
constexpr std::uint8_t kMaxCodec = 4;

// What one batch may decompress to: a small batch that expands past this
// is refused rather than allowed to exhaust memory.
constexpr std::size_t kMaxDecompressedBytes = 256u << 20;

std::string_view codec_name(Codec codec) noexcept;
// "none", "gzip", "snappy", "lz4", "zstd".
std::optional<Codec> codec_from_name(std::string_view name) noexcept;

// Appends the compressed form of `in` to *out. Codec::none copies.
status compress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out);
// Appends the decompressed form of `in` to *out. Errors: corrupt_batch
// (malformed input, or more than max_out bytes).
status decompress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out,
                  std::size_t max_out = kMaxDecompressedBytes);

}  // namespace wharf::protocol
