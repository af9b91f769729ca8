// Kafka's record batch codecs (attribute bits 0-2). A compressed batch
// keeps its 61-byte header in the clear; the records after it are one
// compressed stream. The broker stores such batches as sent; readers
// decompress. Formats: gzip (RFC 1952), snappy (raw, or the "xerial"
// framing Java clients write), lz4 (the LZ4 frame format), zstd (a frame).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "wharf/errors.h"

namespace wharf::protocol {

enum class Codec : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };
constexpr std::uint8_t kMaxCodec = 4;

// What one batch may decompress to when the caller names no limit (the
// broker passes its max-batch-bytes): a small batch that expands past it is
// refused rather than allowed to exhaust memory.
constexpr std::size_t kMaxDecompressedBytes = 256u << 20;

std::string_view codec_name(Codec codec) noexcept;
// "none", "gzip", "snappy", "lz4", "zstd".
std::optional<Codec> codec_from_name(std::string_view name) noexcept;

// Appends the compressed form of `in` to *out. Codec::none copies.
status compress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out);
// Appends the decompressed form of `in` to *out; on failure *out is as it
// was. Errors: corrupt_batch (malformed input), batch_too_large (more than
// max_out bytes: found while streaming, so no more than max_out is ever
// allocated).
status decompress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out,
                  std::size_t max_out = kMaxDecompressedBytes);

// Streams the decompressed form of one buffer out in pieces, so a reader
// holds a window of the output rather than all of it. Memory: the codec's
// state (zstd's window is capped near max_out), plus for snappy one block
// (a raw snappy stream is one block, at most max_out). `in` must outlive
// the object. Not thread-safe; any thread.
class Decompressor {
 public:
  Decompressor(Codec codec, std::span<const std::uint8_t> in, std::size_t max_out = kMaxDecompressedBytes);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  // Writes the next up to out.size() bytes and says how many; 0 once the
  // input is used up (then done()). Errors as decompress(); after one,
  // every call returns it again.
  result<std::size_t> read(std::span<std::uint8_t> out);
  bool done() const noexcept { return done_; }
  std::size_t produced() const noexcept { return produced_; }

  struct State;

 private:
  result<std::size_t> step(std::span<std::uint8_t> out);

  Codec codec_;
  std::span<const std::uint8_t> in_;
  std::size_t max_out_;
  std::size_t produced_ = 0;
  bool done_ = false;
  status error_;
  std::unique_ptr<State> state_;
};

}  // namespace wharf::protocol
