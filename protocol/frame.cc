#include "protocol/frame.h"

#include <flatbuffers/flatbuffers.h>

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
  std::uint8_t header[kFrameHeaderSize];
  store_le<std::uint32_t>(header, static_cast<std::uint32_t>(padded_size(n)));
  header[4] = kMagic0;
  header[5] = kMagic1;
  header[6] = kFrameFormatVersion;
  header[7] = 0;
  // Appended, not resized and overwritten: frames of batches are large.
  out.insert(out.end(), header, header + kFrameHeaderSize);
  out.insert(out.end(), fbb.GetBufferPointer(), fbb.GetBufferPointer() + n);
  out.resize(out.size() + total - kFrameHeaderSize - n);
}

}  // namespace wharf::protocol
