// Fuzzes the HTTP listener's request framing (broker/http/request_framing):
// any bytes give complete / need-more / bad, never a read past the input,
// and a request is cut the same whether more bytes follow it or not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "broker/http/request_framing.h"

using wharf::http::cut_request;
using wharf::http::RequestCut;
using wharf::http::RequestLimits;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const RequestLimits limits;
  const RequestCut whole = cut_request(input, limits);
  if (whole.state == RequestCut::bad && (whole.http_status < 400 || whole.http_status > 505)) std::abort();
  if (whole.state != RequestCut::complete) return 0;
  if (whole.size == 0 || whole.size > size) std::abort();
  if (whole.size > limits.max_head + limits.max_body + (limits.max_body / 2) + 4096) std::abort();
  // Exactly the request: the same cut; one byte short: not complete.
  const RequestCut exact = cut_request(input.first(whole.size), limits);
  if (exact.state != RequestCut::complete || exact.size != whole.size) std::abort();
  if (cut_request(input.first(whole.size - 1), limits).state == RequestCut::complete) std::abort();
  return 0;
}
