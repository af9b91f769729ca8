#include "protocol/compression.h"

#include <fmt/format.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "protocol/varint.h"

namespace wharf::protocol {
namespace {

// Output grows in steps: a guess from the input size, then doubling.
std::size_t next_chunk(std::size_t produced, std::size_t in_size) {
  return std::max<std::size_t>({64u << 10, in_size * 2, produced});
}

// --- gzip ---------------------------------------------------------------------

status gzip_compress(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return {errc::internal, "gzip: deflateInit2 failed"};
  const std::size_t old = out->size();
  out->resize(old + deflateBound(&z, static_cast<uLong>(in.size())));
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out->data() + old;
  z.avail_out = static_cast<uInt>(out->size() - old);
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return {errc::internal, "gzip: deflate did not finish"};
  out->resize(old + written);
  return {};
}

// --- snappy -------------------------------------------------------------------

status snappy_compress_raw(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out) {
  const std::size_t old = out->size();
  std::size_t len = snappy_max_compressed_length(in.size());
  out->resize(old + len);
  if (snappy_compress(reinterpret_cast<const char*>(in.data()), in.size(), reinterpret_cast<char*>(out->data() + old),
                      &len) != SNAPPY_OK)
    return {errc::internal, "snappy: compress failed"};
  out->resize(old + len);
  return {};
}

// --- lz4 ----------------------------------------------------------------------

status lz4_compress(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out) {
  LZ4F_preferences_t prefs{};
  // Independent 64 KiB blocks: what every Kafka client can read.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  const std::size_t old = out->size();
  out->resize(old + LZ4F_compressFrameBound(in.size(), &prefs));
  const std::size_t n = LZ4F_compressFrame(out->data() + old, out->size() - old, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) return {errc::internal, fmt::format("lz4: {}", LZ4F_getErrorName(n))};
  out->resize(old + n);
  return {};
}

// --- zstd ---------------------------------------------------------------------

status zstd_compress(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out) {
  const std::size_t old = out->size();
  out->resize(old + ZSTD_compressBound(in.size()));
  const std::size_t n = ZSTD_compress(out->data() + old, out->size() - old, in.data(), in.size(), 3);
  if (ZSTD_isError(n)) return {errc::internal, fmt::format("zstd: {}", ZSTD_getErrorName(n))};
  out->resize(old + n);
  return {};
}

}  // namespace

std::string_view codec_name(Codec codec) noexcept {
  switch (codec) {
    case Codec::none: return "none";
    case Codec::gzip: return "gzip";
    case Codec::snappy: return "snappy";
    case Codec::lz4: return "lz4";
    case Codec::zstd: return "zstd";
  }
  return "unknown";
}

std::optional<Codec> codec_from_name(std::string_view name) noexcept {
  for (std::uint8_t c = 0; c <= kMaxCodec; ++c)
    if (codec_name(static_cast<Codec>(c)) == name) return static_cast<Codec>(c);
  return std::nullopt;
}

status compress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out) {
  switch (codec) {
    case Codec::none: out->insert(out->end(), in.begin(), in.end()); return {};
    case Codec::gzip: return gzip_compress(in, out);
    case Codec::snappy: return snappy_compress_raw(in, out);
    case Codec::lz4: return lz4_compress(in, out);
    case Codec::zstd: return zstd_compress(in, out);
  }
  return {errc::invalid_argument, "unknown compression codec"};
}

status decompress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out,
                  std::size_t max_out) {
  const std::size_t old = out->size();
  std::size_t at = old;
  Decompressor d(codec, in, max_out);
  while (!d.done()) {
    const std::size_t left = max_out - d.produced();
    const std::size_t want = std::min(next_chunk(d.produced(), in.size()), left == SIZE_MAX ? left : left + 1);
    out->resize(at + want);
    auto n = d.read({out->data() + at, want});
    if (!n) {
      out->resize(old);
      return n.error();
    }
    at += *n;
  }
  out->resize(at);
  return {};
}

}  // namespace wharf::protocol
