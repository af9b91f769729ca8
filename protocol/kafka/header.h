// Kafka request and response framing: every message is an int32 size and
// then the bytes; a request starts with header v1 (api key, version,
// correlation id, client id), a response with header v0 (correlation id).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/kafka/codec.h"

namespace wharf::protocol::kafka {

// Smallest request: api key, version, correlation id, client id length.
constexpr std::size_t kMinRequestBytes = 10;

struct RequestHeader {
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
  std::optional<std::string_view> client_id;
};

// Reads header v1; false when the bytes are too short or malformed.
inline bool read_request_header(Reader& r, RequestHeader* h) {
  h->api_key = r.i16();
  h->api_version = r.i16();
  h->correlation_id = r.i32();
  h->client_id = r.nullable_string();
  return r.ok();
}

// Starts a response (its size, patched by end_response, and header v0);
// returns where it starts.
inline std::size_t begin_response(Writer& w, std::int32_t correlation_id) {
  const std::size_t at = w.placeholder_i32();
  w.i32(correlation_id);
  return at;
}

inline void end_response(Writer& w, std::size_t at) {
  w.patch_i32(at, static_cast<std::int32_t>(w.size() - at - 4));
}

}  // namespace wharf::protocol::kafka
