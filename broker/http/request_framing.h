// Where one HTTP/1.1 request ends in a byte stream, decided before the
// listener buffers more than its limits: the head (request line and
// headers) within max_head bytes, a body declared by Content-Length or sent
// chunked within max_body. A pure function over bytes, so it is fuzzed and
// tested alone. It checks only what framing needs; the request's meaning is
// the router's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wharf::http {

struct RequestLimits {
  std::size_t max_head = 16u << 10;
  std::size_t max_body = 64u << 10;
};

struct RequestCut {
  enum State { complete, need_more, bad } state = need_more;
  std::size_t size = 0;    // complete: bytes of head and body
  std::size_t wanted = 0;  // need_more: the whole request's size once known (0: not yet)
  int http_status = 0;     // bad: 400, 413, 431 or 501, answered before the connection closes
  std::string reason;      // bad: why, for the answer's body
};

// Examples: a head without its blank line past max_head is 431; a
// Content-Length of "-1" is 400 and of "10000000000" 413; a chunk of size
// "ffffffff" is 413; Content-Length together with Transfer-Encoding is 400
// (the request could be read two ways).
RequestCut cut_request(std::span<const std::uint8_t> buffered, const RequestLimits& limits);

}  // namespace wharf::http
