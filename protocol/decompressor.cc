// Decompressor (declared in compression.h): each codec's streaming decoder
// behind one read() that never writes past the caller's window and stops
// one byte past max_out.
#include <fmt/format.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "protocol/compression.h"
#include "protocol/varint.h"

namespace wharf::protocol {
namespace {

status corrupt(Codec codec, std::string_view what) {
  return {errc::corrupt_batch, fmt::format("{} data: {}", codec_name(codec), what)};
}

// The framing of Java's snappy streams: this header, then blocks of
// [int32 BE length][raw snappy].
constexpr std::uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr std::size_t kXerialHeader = 16;  // magic, version int32, compatible version int32

// zstd frames declare the window their decoder must keep; without a cap a
// few bytes can ask for 128 MiB. Kafka clients use 2 MiB (level 3).
constexpr unsigned kZstdMinWindowLog = 23;
constexpr unsigned kZstdMaxWindowLog = 27;

// Decoder contexts are costly to create; each thread keeps one spare of
// each kind. Taking it empties the slot, so two live decoders on a thread
// never share one.
template <typename T, T* (*Create)(), void (*Free)(T*)>
struct SpareContext {
  T* ctx = nullptr;
  ~SpareContext() {
    if (ctx != nullptr) Free(ctx);
  }
  static SpareContext& slot() {
    thread_local SpareContext spare;
    return spare;
  }
  static T* take() {
    SpareContext& spare = slot();
    return spare.ctx != nullptr ? std::exchange(spare.ctx, nullptr) : Create();
  }
  static void give_back(T* c) {
    if (c == nullptr) return;
    SpareContext& spare = slot();
    if (spare.ctx == nullptr) {
      spare.ctx = c;
    } else {
      Free(c);
    }
  }
};

LZ4F_dctx* lz4_create() {
  LZ4F_dctx* c = nullptr;
  return LZ4F_isError(LZ4F_createDecompressionContext(&c, LZ4F_VERSION)) ? nullptr : c;
}
void lz4_free(LZ4F_dctx* c) { LZ4F_freeDecompressionContext(c); }
void zstd_free(ZSTD_DCtx* c) { ZSTD_freeDCtx(c); }
using Lz4Spare = SpareContext<LZ4F_dctx, lz4_create, lz4_free>;
using ZstdSpare = SpareContext<ZSTD_DCtx, ZSTD_createDCtx, zstd_free>;

}  // namespace

struct Decompressor::State {
  std::size_t pos = 0;  // input consumed (none, lz4, snappy)
  z_stream z{};
  bool z_open = false;
  LZ4F_dctx* lz4 = nullptr;
  ZSTD_DCtx* zstd = nullptr;
  ZSTD_inBuffer zin{};
  // snappy: the current block, decoded whole, and how much of it was read.
  std::vector<std::uint8_t> block;
  std::size_t block_pos = 0;
  bool xerial = false;
  bool raw_loaded = false;

  ~State() {
    if (z_open) inflateEnd(&z);
    if (lz4 != nullptr) Lz4Spare::give_back(lz4);
    if (zstd != nullptr) ZstdSpare::give_back(zstd);
  }
};

Decompressor::Decompressor(Codec codec, std::span<const std::uint8_t> in, std::size_t max_out)
    : codec_(codec), in_(in), max_out_(max_out), state_(std::make_unique<State>()) {
  State& s = *state_;
  switch (codec) {
    case Codec::none: break;
    case Codec::gzip:
      // 15 + 32: a zlib or gzip header, detected.
      if (inflateInit2(&s.z, 15 + 32) != Z_OK) {
        error_ = status(errc::internal, "gzip: inflateInit2 failed");
        break;
      }
      s.z_open = true;
      s.z.next_in = const_cast<Bytef*>(in.data());
      s.z.avail_in = static_cast<uInt>(in.size());
      break;
    case Codec::snappy:
      s.xerial = in.size() >= kXerialHeader && std::memcmp(in.data(), kXerialMagic, sizeof kXerialMagic) == 0;
      s.pos = s.xerial ? kXerialHeader : 0;
      break;
    case Codec::lz4:
      s.lz4 = Lz4Spare::take();
      if (s.lz4 == nullptr) {
        error_ = status(errc::internal, "lz4: no decompression context");
        break;
      }
      LZ4F_resetDecompressionContext(s.lz4);
      break;
    case Codec::zstd: {
      s.zstd = ZstdSpare::take();
      if (s.zstd == nullptr) {
        error_ = status(errc::internal, "zstd: no decompression context");
        break;
      }
      ZSTD_DCtx_reset(s.zstd, ZSTD_reset_session_and_parameters);
      const unsigned wanted = static_cast<unsigned>(std::bit_width(max_out > 1 ? max_out - 1 : 1));
      ZSTD_DCtx_setParameter(s.zstd, ZSTD_d_windowLogMax,
                             static_cast<int>(std::clamp(wanted, kZstdMinWindowLog, kZstdMaxWindowLog)));
      s.zin = {in.data(), in.size(), 0};
      break;
    }
    default: error_ = status(errc::corrupt_batch, fmt::format("unknown compression codec {}", static_cast<int>(codec)));
  }
}

Decompressor::~Decompressor() = default;

result<std::size_t> Decompressor::read(std::span<std::uint8_t> out) {
  if (!error_.ok()) return error_;
  if (done_ || out.empty()) return std::size_t{0};
  // Room for one byte past the limit: getting it proves the limit passed.
  const std::size_t left = max_out_ - produced_;
  auto n = step(out.first(left < out.size() ? left + 1 : out.size()));
  if (!n) {
    error_ = n.error();
    return error_;
  }
  produced_ += *n;
  if (produced_ > max_out_) {
    error_ = status(errc::batch_too_large,
                    fmt::format("{} data decompresses to more than {} bytes", codec_name(codec_), max_out_));
    return error_;
  }
  return n;
}

result<std::size_t> Decompressor::step(std::span<std::uint8_t> out) {
  State& s = *state_;
  switch (codec_) {
    case Codec::none: {
      const std::size_t n = std::min(out.size(), in_.size() - s.pos);
      std::memcpy(out.data(), in_.data() + s.pos, n);
      s.pos += n;
      done_ = s.pos == in_.size();
      return n;
    }
    case Codec::gzip: {
      z_stream& z = s.z;
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      while (z.avail_out != 0) {
        const int rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
          if (z.avail_in == 0) {
            done_ = true;
            break;
          }
          // Several gzip members one after the other: one stream.
          if (inflateReset(&z) != Z_OK) return corrupt(codec_, "bad member");
          continue;
        }
        if (rc == Z_BUF_ERROR) return corrupt(codec_, "truncated");  // no input left, output room left
        if (rc != Z_OK) return corrupt(codec_, z.msg != nullptr ? z.msg : "inflate failed");
      }
      return out.size() - z.avail_out;
    }
    case Codec::snappy: {
      // Raw snappy is one block; Java's framing is a run of them.
      const auto last_block = [&] { return s.xerial ? s.pos == in_.size() : s.raw_loaded; };
      while (s.block_pos == s.block.size()) {
        if (last_block()) {
          done_ = true;
          return std::size_t{0};
        }
        std::span<const std::uint8_t> block = in_.subspan(s.pos);
        if (s.xerial) {
          if (block.size() < 4) return corrupt(codec_, "truncated block length");
          const auto len = load_be<std::uint32_t>(block.data());
          if (len > block.size() - 4) return corrupt(codec_, "truncated block");
          block = block.subspan(4, len);
          s.pos += 4 + len;
        } else {
          s.raw_loaded = true;
        }
        std::size_t len = 0;
        const char* src = reinterpret_cast<const char*>(block.data());
        if (snappy_uncompressed_length(src, block.size(), &len) != SNAPPY_OK) return corrupt(codec_, "bad length");
        // Checked before the block is allocated.
        if (len > max_out_ - produced_)
          return status(errc::batch_too_large,
                        fmt::format("snappy data decompresses to more than {} bytes", max_out_));
        s.block.resize(len);
        if (snappy_uncompress(src, block.size(), reinterpret_cast<char*>(s.block.data()), &len) != SNAPPY_OK)
          return corrupt(codec_, "malformed block");
        s.block.resize(len);
        s.block_pos = 0;
      }
      const std::size_t n = std::min(out.size(), s.block.size() - s.block_pos);
      std::memcpy(out.data(), s.block.data() + s.block_pos, n);
      s.block_pos += n;
      if (s.block_pos == s.block.size() && last_block()) done_ = true;
      return n;
    }
    case Codec::lz4: {
      std::size_t written = 0;
      while (written < out.size()) {
        std::size_t dst = out.size() - written;
        std::size_t src = in_.size() - s.pos;
        const std::size_t hint = LZ4F_decompress(s.lz4, out.data() + written, &dst, in_.data() + s.pos, &src, nullptr);
        if (LZ4F_isError(hint)) return corrupt(codec_, LZ4F_getErrorName(hint));
        s.pos += src;
        written += dst;
        if (hint == 0) {  // frame complete
          done_ = true;
          break;
        }
        if (dst == 0 && (s.pos == in_.size() || src == 0)) return corrupt(codec_, "truncated frame");
      }
      return written;
    }
    case Codec::zstd: {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      while (o.pos < o.size) {
        const std::size_t in_before = s.zin.pos;
        const std::size_t out_before = o.pos;
        const std::size_t rc = ZSTD_decompressStream(s.zstd, &o, &s.zin);
        if (ZSTD_isError(rc)) return corrupt(codec_, ZSTD_getErrorName(rc));
        if (rc == 0 && s.zin.pos == s.zin.size) {  // every frame complete
          done_ = true;
          break;
        }
        if (o.pos < o.size && s.zin.pos == s.zin.size) return corrupt(codec_, "truncated frame");
        if (s.zin.pos == in_before && o.pos == out_before) return corrupt(codec_, "no progress");
      }
      return o.pos;
    }
  }
  return status(errc::corrupt_batch, "unknown compression codec");
}

}  // namespace wharf::protocol
