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

status corrupt(Codec codec, std::string_view what) {
  return {errc::corrupt_batch, fmt::format("{} data: {}", codec_name(codec), what)};
}

status too_big(Codec codec, std::size_t max_out) {
  return corrupt(codec, fmt::format("decompresses to more than {} bytes", max_out));
}

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

status gzip_decompress(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out, std::size_t max_out) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return {errc::internal, "gzip: inflateInit2 failed"};
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  const std::size_t old = out->size();
  std::size_t produced = 0;
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    if (produced == max_out) return too_big(Codec::gzip, max_out);
    const std::size_t room = std::min(next_chunk(produced, in.size()), max_out - produced);
    out->resize(old + produced + room);
    z.next_out = out->data() + old + produced;
    z.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced += room - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // Several gzip members one after the other: one stream.
      if (inflateReset(&z) != Z_OK) return corrupt(Codec::gzip, "bad member");
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return corrupt(Codec::gzip, z.msg != nullptr ? z.msg : "inflate failed");
    if (rc == Z_BUF_ERROR && z.avail_out != 0) return corrupt(Codec::gzip, "truncated");
  }
  out->resize(old + produced);
  return {};
}

// --- snappy -------------------------------------------------------------------

// The framing of Java's snappy streams: this header, then blocks of
// [int32 BE length][raw snappy].
constexpr std::uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr std::size_t kXerialHeader = 16;  // magic, version int32, compatible version int32

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

status snappy_block(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out, std::size_t* produced,
                    std::size_t max_out) {
  std::size_t len = 0;
  const char* src = reinterpret_cast<const char*>(in.data());
  if (snappy_uncompressed_length(src, in.size(), &len) != SNAPPY_OK) return corrupt(Codec::snappy, "bad length");
  if (len > max_out - *produced) return too_big(Codec::snappy, max_out);
  const std::size_t at = out->size();
  out->resize(at + len);
  if (snappy_uncompress(src, in.size(), reinterpret_cast<char*>(out->data() + at), &len) != SNAPPY_OK)
    return corrupt(Codec::snappy, "malformed block");
  out->resize(at + len);
  *produced += len;
  return {};
}

status snappy_decompress(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out, std::size_t max_out) {
  std::size_t produced = 0;
  const std::size_t old = out->size();
  if (in.size() < kXerialHeader || std::memcmp(in.data(), kXerialMagic, sizeof kXerialMagic) != 0) {
    status st = snappy_block(in, out, &produced, max_out);
    if (!st.ok()) out->resize(old);
    return st;
  }
  std::size_t pos = kXerialHeader;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return corrupt(Codec::snappy, "truncated block length");
    const auto len = load_be<std::uint32_t>(in.data() + pos);
    pos += 4;
    if (len > in.size() - pos) return corrupt(Codec::snappy, "truncated block");
    if (status st = snappy_block(in.subspan(pos, len), out, &produced, max_out); !st.ok()) {
      out->resize(old);
      return st;
    }
    pos += len;
  }
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

struct Lz4Context {
  LZ4F_dctx* ctx = nullptr;
  Lz4Context() { (void)LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION); }
  ~Lz4Context() { LZ4F_freeDecompressionContext(ctx); }
};

status lz4_decompress(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out, std::size_t max_out) {
  thread_local Lz4Context dctx;
  if (dctx.ctx == nullptr) return {errc::internal, "lz4: no decompression context"};
  LZ4F_resetDecompressionContext(dctx.ctx);
  const std::size_t old = out->size();
  std::size_t produced = 0;
  std::size_t pos = 0;
  for (;;) {
    if (produced == max_out) {
      out->resize(old);
      return too_big(Codec::lz4, max_out);
    }
    const std::size_t room = std::min(next_chunk(produced, in.size()), max_out - produced);
    out->resize(old + produced + room);
    std::size_t dst = room;
    std::size_t src = in.size() - pos;
    const std::size_t hint = LZ4F_decompress(dctx.ctx, out->data() + old + produced, &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint)) {
      out->resize(old);
      return corrupt(Codec::lz4, LZ4F_getErrorName(hint));
    }
    pos += src;
    produced += dst;
    if (hint == 0) break;  // frame complete
    if (pos == in.size() && dst < room) {
      out->resize(old);
      return corrupt(Codec::lz4, "truncated frame");
    }
  }
  out->resize(old + produced);
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

struct ZstdContext {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ~ZstdContext() { ZSTD_freeDCtx(ctx); }
};

status zstd_decompress(std::span<const std::uint8_t> in, std::vector<std::uint8_t>* out, std::size_t max_out) {
  thread_local ZstdContext dctx;
  if (dctx.ctx == nullptr) return {errc::internal, "zstd: no decompression context"};
  ZSTD_DCtx_reset(dctx.ctx, ZSTD_reset_session_only);
  const std::size_t old = out->size();
  std::size_t produced = 0;
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  for (;;) {
    if (produced == max_out) {
      out->resize(old);
      return too_big(Codec::zstd, max_out);
    }
    const std::size_t room = std::min(next_chunk(produced, in.size()), max_out - produced);
    out->resize(old + produced + room);
    ZSTD_outBuffer dst{out->data() + old + produced, room, 0};
    const std::size_t rc = ZSTD_decompressStream(dctx.ctx, &dst, &src);
    produced += dst.pos;
    if (ZSTD_isError(rc)) {
      out->resize(old);
      return corrupt(Codec::zstd, ZSTD_getErrorName(rc));
    }
    if (rc == 0 && src.pos == src.size) break;  // every frame complete
    if (src.pos == src.size && dst.pos < room) {
      out->resize(old);
      return corrupt(Codec::zstd, "truncated frame");
    }
  }
  out->resize(old + produced);
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
  switch (codec) {
    case Codec::none:
      if (in.size() > max_out) return too_big(codec, max_out);
      out->insert(out->end(), in.begin(), in.end());
      return {};
    case Codec::gzip: {
      const std::size_t old = out->size();
      status st = gzip_decompress(in, out, max_out);
      if (!st.ok()) out->resize(old);
      return st;
    }
    case Codec::snappy: return snappy_decompress(in, out, max_out);
    case Codec::lz4: return lz4_decompress(in, out, max_out);
    case Codec::zstd: return zstd_decompress(in, out, max_out);
  }
  return {errc::corrupt_batch, fmt::format("unknown compression codec {}", static_cast<int>(codec))};
}

}  // namespace wharf::protocol
