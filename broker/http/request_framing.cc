#include "broker/http/request_framing.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

namespace wharf::http {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kHeadEnd = "\r\n\r\n";
constexpr std::size_t kMaxChunkLine = 1024;  // size, extensions and CRLF
// Chunk lines are framing, not body: without these bounds 65,536 one-byte
// chunks with 1 KiB lines carried a 64 KiB body in 67 MB, re-walked on
// every read.
constexpr std::size_t kMaxChunks = 1024;

RequestCut bad(int http_status, std::string reason) {
  RequestCut c;
  c.state = RequestCut::bad;
  c.http_status = http_status;
  c.reason = std::move(reason);
  return c;
}

RequestCut need(std::size_t wanted = 0) {
  RequestCut c;
  c.wanted = wanted;
  return c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A decimal length of up to 18 digits (no sign, no spaces inside).
std::optional<std::uint64_t> decimal(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

struct Framing {
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
};

// The header lines of a head (after the request line), or a bad cut.
std::optional<RequestCut> read_headers(std::string_view lines, const RequestLimits& limits, Framing* f) {
  while (!lines.empty()) {
    const std::size_t eol = lines.find(kCrlf);
    const std::string_view line = lines.substr(0, eol);
    lines.remove_prefix(eol == std::string_view::npos ? lines.size() : eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return bad(400, "a header line has no name");
    const std::string_view name = line.substr(0, colon);
    if (name.find_first_of(" \t") != std::string_view::npos) return bad(400, "a header name holds white space");
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      const auto n = decimal(value);
      if (!n) return bad(400, fmt::format("Content-Length '{}' is not a length", value.substr(0, 32)));
      if (f->content_length && *f->content_length != *n) return bad(400, "two different Content-Length headers");
      if (*n > limits.max_body) return bad(413, fmt::format("the body is over {} bytes", limits.max_body));
      f->content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      if (!iequals(value, "chunked"))
        return bad(501, fmt::format("Transfer-Encoding '{}' is not supported", value.substr(0, 32)));
      f->chunked = true;
    }
  }
  if (f->chunked && f->content_length) return bad(400, "Content-Length and Transfer-Encoding together");
  return std::nullopt;
}

// The end of a chunked body starting at `pos`, or why not yet. The body as
// sent (chunk lines and CRLFs too) stays within max_body + max_head, in at
// most kMaxChunks chunks.
RequestCut cut_chunked(std::string_view all, std::size_t pos, const RequestLimits& limits) {
  const std::size_t wire_limit = pos + limits.max_body + limits.max_head;
  std::size_t body = 0;
  for (std::size_t chunks = 0;; ++chunks) {
    if (chunks > kMaxChunks) return bad(413, fmt::format("the chunked body has over {} chunks", kMaxChunks));
    if (pos > wire_limit)
      return bad(413, fmt::format("the chunked body is over {} bytes as sent", limits.max_body + limits.max_head));
    const std::string_view rest = all.substr(pos);
    const std::size_t eol = rest.substr(0, kMaxChunkLine).find(kCrlf);
    if (eol == std::string_view::npos)
      return rest.size() >= kMaxChunkLine ? bad(400, "a chunk size line is too long") : need();
    std::string_view size_text = rest.substr(0, eol);
    size_text = trim(size_text.substr(0, size_text.find(';')));
    if (size_text.empty() || size_text.size() > 8 ||
        size_text.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
      return bad(400, fmt::format("chunk size '{}' is not a hex number", size_text.substr(0, 16)));
    const std::uint64_t size = std::stoull(std::string(size_text), nullptr, 16);
    if (size > limits.max_body - body)
      return bad(413, fmt::format("the chunked body is over {} bytes", limits.max_body));
    body += size;
    pos += eol + 2;
    if (size == 0) {
      // Trailers, if any, then a blank line.
      const std::string_view tail = all.substr(pos);
      if (tail.substr(0, 2) == kCrlf) return RequestCut{RequestCut::complete, pos + 2, 0, 0, {}};
      const std::size_t end = tail.substr(0, limits.max_head).find(kHeadEnd);
      if (end == std::string_view::npos)
        return tail.size() >= limits.max_head ? bad(431, "the trailers are too long") : need();
      return RequestCut{RequestCut::complete, pos + end + 4, 0, 0, {}};
    }
    if (all.size() < pos + size + 2) return need(pos + size + 2);
    if (all.substr(pos + size, 2) != kCrlf) return bad(400, "a chunk does not end with CRLF");
    pos += size + 2;
  }
}

}  // namespace

RequestCut cut_request(std::span<const std::uint8_t> buffered, const RequestLimits& limits) {
  const std::string_view all(reinterpret_cast<const char*>(buffered.data()), buffered.size());
  const std::size_t head_end = all.substr(0, limits.max_head).find(kHeadEnd);
  if (head_end == std::string_view::npos)
    return all.size() >= limits.max_head ? bad(431, fmt::format("the request head is over {} bytes", limits.max_head))
                                         : need();
  const std::string_view head = all.substr(0, head_end);
  const std::size_t line_end = head.find(kCrlf);
  const std::string_view request_line = head.substr(0, line_end);
  const std::size_t first_space = request_line.find(' ');
  const std::size_t last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space || first_space == 0)
    return bad(400, "the request line is not METHOD TARGET VERSION");
  const std::string_view version = request_line.substr(last_space + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return bad(version.rfind("HTTP/", 0) == 0 ? 505 : 400, "only HTTP/1.0 and HTTP/1.1 are served");
  Framing f;
  if (line_end != std::string_view::npos)
    if (auto refused = read_headers(head.substr(line_end + 2), limits, &f)) return *refused;
  const std::size_t body_at = head_end + kHeadEnd.size();
  if (f.chunked) return cut_chunked(all, body_at, limits);
  const std::size_t total = body_at + static_cast<std::size_t>(f.content_length.value_or(0));
  if (all.size() < total) return need(total);
  return RequestCut{RequestCut::complete, total, 0, 0, {}};
}

}  // namespace wharf::http
