// Where an HTTP request ends, decided within limits (request_framing.h).
#include "broker/http/request_framing.h"

#include <gtest/gtest.h>

#include <string>

namespace wharf::http {
namespace {

RequestCut cut(const std::string& s, RequestLimits limits = {}) {
  return cut_request({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, limits);
}

TEST(HttpRequestFraming, WholeRequestsAreCutAtTheirEndAndPrefixesNeedMore) {
  const std::string get = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string post = "POST /a HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello";
  const std::string chunked =
      "POST /a HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: t\r\n\r\n";
  for (const std::string& request : {get, post, chunked}) {
    auto c = cut(request + "GET / HTTP/1.1\r\n");  // the next request's start stays
    ASSERT_EQ(c.state, RequestCut::complete) << request << c.reason;
    EXPECT_EQ(c.size, request.size());
    for (std::size_t n = 0; n < request.size(); ++n)
      EXPECT_EQ(cut(request.substr(0, n)).state, RequestCut::need_more) << request << " cut at " << n;
  }
  EXPECT_EQ(cut(post.substr(0, 40)).wanted, post.size()) << "the size is known once the head is";
}

TEST(HttpRequestFraming, ImpossibleFramingIsRefusedWithItsStatus) {
  const auto status_of = [](const std::string& s) {
    auto c = cut(s);
    EXPECT_EQ(c.state, RequestCut::bad) << s;
    return c.http_status;
  };
  const std::string head = "POST /a HTTP/1.1\r\n";
  EXPECT_EQ(status_of(head + "Content-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "Content-Length: 1 2\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "Content-Length: 10000000000\r\n\r\n"), 413);
  EXPECT_EQ(status_of(head + "Content-Length: 99999999999999999999999\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "Content-Length: 65537\r\n\r\n"), 413);
  EXPECT_EQ(status_of(head + "Content-Length: 3\r\nContent-Length: 4\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"), 400);
  EXPECT_EQ(status_of(head + "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(status_of(head + "Transfer-Encoding: chunked\r\n\r\n10001\r\n"), 413);
  EXPECT_EQ(status_of(head + "Transfer-Encoding: chunked\r\n\r\n8000\r\n" + std::string(0x8000, 'a') + "\r\n8001\r\n"),
            413);
  EXPECT_EQ(status_of(head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n"), 400);
  EXPECT_EQ(status_of(head + "Transfer-Encoding: chunked\r\n\r\n" + std::string(2000, '1')), 400);
  EXPECT_EQ(status_of(head + "Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nX: " + std::string(20000, 'x')), 431);
}

// Chunk lines count as sent bytes: 65,536 one-byte chunks with 1 KiB of
// extensions each once made a 64 KiB body take 67 MB of buffer.
TEST(HttpRequestFraming, ChunkFramingIsBoundedLikeTheBody) {
  const std::string head = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string long_line_chunk = "1;" + std::string(1000, 'e') + "\r\nx\r\n";
  std::string many_long;
  for (int i = 0; i < 100; ++i) many_long += long_line_chunk;
  auto c = cut(head + many_long);
  EXPECT_EQ(c.state, RequestCut::bad) << "100 KB of framing for 100 bytes";
  EXPECT_EQ(c.http_status, 413);
  std::string many_short;
  for (int i = 0; i < 1100; ++i) many_short += "1\r\nx\r\n";
  c = cut(head + many_short);
  EXPECT_EQ(c.state, RequestCut::bad) << "over 1,024 chunks";
  EXPECT_EQ(c.http_status, 413);
  // A full 64 KiB body in 1,024 chunks of 64 bytes is fine.
  std::string full;
  for (int i = 0; i < 1024; ++i) full += "40\r\n" + std::string(64, 'a') + "\r\n";
  full += "0\r\n\r\n";
  c = cut(head + full);
  EXPECT_EQ(c.state, RequestCut::complete) << c.reason;
  EXPECT_EQ(c.size, head.size() + full.size());
}

}  // namespace
}  // namespace wharf::http
