// Framing: an 8-byte header, then a FlatBuffers `wire::Frame` padded to a
// multiple of 8 bytes (so every payload starts 8-aligned in a stream).
//
//   bytes 0-3  payload length, uint32 little-endian, multiple of 8
//   bytes 4-5  magic 0x57 0x46 ("WF")
//   byte  6    frame format version (kFrameFormatVersion)
//   byte  7    reserved, 0
//
// The decoder is a pure function over bytes: complete, need-more, or bad. It
// checks the length against the limit before anyone allocates for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "wharf/errors.h"

namespace flatbuffers {
class FlatBufferBuilder;
}
namespace wharf::wire {
struct Frame;
}

namespace wharf::protocol {

// The version a Hello carries; bump per docs/PROTOCOL.md "Versioning".
constexpr std::uint16_t kProtocolVersion = 1;
constexpr std::size_t kFrameHeaderSize = 8;
constexpr std::uint8_t kMagic0 = 0x57;  // 'W'
constexpr std::uint8_t kMagic1 = 0x46;  // 'F'
constexpr std::uint8_t kFrameFormatVersion = 1;
constexpr std::size_t kFrameAlignment = 8;
// Default limit for one frame's payload, both directions.
constexpr std::uint32_t kDefaultMaxFrameBytes = 8u << 20;
// Limit before a connection has completed its handshake.
constexpr std::uint32_t kHandshakeMaxFrameBytes = 8u << 10;
// Limits on any configured maximum.
constexpr std::uint32_t kMinMaxFrameBytes = 64u << 10;
constexpr std::uint32_t kMaxMaxFrameBytes = 256u << 20;

enum class DecodeState { complete, need_more, bad };

struct Decoded {
  DecodeState state = DecodeState::need_more;
  // complete: the payload; the frame took kFrameHeaderSize + payload.size() bytes.
  std::span<const std::uint8_t> payload;
  // bad: why (bad_frame or frame_too_large).
  status error;
};

// Looks at the start of `buffer` for one frame whose payload is at most max_payload.
Decoded decode_frame(std::span<const std::uint8_t> buffer, std::uint32_t max_payload) noexcept;

// Runs the FlatBuffers verifier over a payload; nullptr if it is not a valid Frame.
const wire::Frame* verify_frame(std::span<const std::uint8_t> payload) noexcept;

constexpr std::size_t padded_size(std::size_t n) {
  return (n + kFrameAlignment - 1) & ~(kFrameAlignment - 1);
}

// Appends header + finished builder contents + zero padding to `out`.
void append_frame(std::vector<std::uint8_t>& out, const flatbuffers::FlatBufferBuilder& fbb);
// Bytes append_frame adds for a payload of n bytes.
constexpr std::size_t framed_size(std::size_t n) { return kFrameHeaderSize + padded_size(n); }

}  // namespace wharf::protocol
