#include "protocol/frame.h"

#include <flatbuffers/flatbuffers.h>

#include <cstring>

#include "protocol/varint.h"
#include "wharf_generated.h"

namespace wharf::protocol {

Decoded decode_frame(std::span<const std::uint8_t> buffer, std::uint32_t max_payload) noexcept {
  Decoded d;
  if (buffer.size() < kFrameHeaderSize) return d;
  const std::uint8_t* h = buffer.data();
  if (h[4] != kMagic0 || h[5] != kMagic1 || h[6] != kFrameFormatVersion || h[7] != 0) {
    d.state = DecodeState::bad;
    d.error = status(errc::bad_frame, "frame header has a wrong magic, version or reserved byte");
    return d;
  }
  const auto length = load_le<std::uint32_t>(h);
  if (length > max_payload) {
    d.state = DecodeState::bad;
    d.error = status(errc::frame_too_large, "frame of " + std::to_string(length) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(max_payload));
    return d;
  }
  if (length == 0 || length % kFrameAlignment != 0) {
    d.state = DecodeState::bad;
    d.error = status(errc::bad_frame, "frame length " + std::to_string(length) +
                                          " is not a positive multiple of 8");
    return d;
  }
  if (buffer.size() - kFrameHeaderSize < length) return d;
  d.state = DecodeState::complete;
  d.payload = buffer.subspan(kFrameHeaderSize, length);
  return d;
}

const wire::Frame* verify_frame(std::span<const std::uint8_t> payload) noexcept {
  flatbuffers::Verifier::Options opts;
  opts.max_depth = 16;
  opts.max_tables = 1u << 20;
  flatbuffers::Verifier verifier(payload.data(), payload.size(), opts);
  if (!wire::VerifyFrameBuffer(verifier)) return nullptr;
  return wire::GetFrame(payload.data());
}

void append_frame(std::vector<std::uint8_t>& out, const flatbuffers::FlatBufferBuilder& fbb) {
  const std::size_t n = fbb.GetSize();
  const std::size_t total = framed_size(n);
  const std::size_t old = out.size();
  out.resize(old + total);
  std::uint8_t* p = out.data() + old;
  store_le<std::uint32_t>(p, static_cast<std::uint32_t>(padded_size(n)));
  p[4] = kMagic0;
  p[5] = kMagic1;
  p[6] = kFrameFormatVersion;
  p[7] = 0;
  std::memcpy(p + kFrameHeaderSize, fbb.GetBufferPointer(), n);
  std::memset(p + kFrameHeaderSize + n, 0, total - kFrameHeaderSize - n);
}

}  // namespace wharf::protocol
