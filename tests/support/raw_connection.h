// A blocking TCP connection that speaks raw bytes, for feeding a broker
// hostile or broken input and reading exactly what comes back.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <flatbuffers/flatbuffers.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/frame.h"
#include "protocol/varint.h"
#include "wharf_generated.h"
#include "protocol/frame_builder.h"

namespace wharf::test {

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool send_bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }
  bool send_bytes(const std::vector<std::uint8_t>& v) { return send_bytes(v.data(), v.size()); }

  // Frames a finished builder and sends it.
  bool send_frame(const flatbuffers::FlatBufferBuilder& fbb) {
    std::vector<std::uint8_t> out;
    protocol::append_frame(out, fbb);
    return send_bytes(out);
  }

  bool hello(std::uint16_t version = protocol::kProtocolVersion) {
    flatbuffers::FlatBufferBuilder fbb;
    auto id = fbb.CreateString("raw");
    auto h = wire::CreateHello(fbb, version, id);
    protocol::finish_frame(fbb, 1, h);
    return send_frame(fbb);
  }

  // Reads one frame's payload; nullopt on close or timeout.
  std::optional<std::vector<std::uint8_t>> read_frame(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::uint8_t header[protocol::kFrameHeaderSize];
    if (!read_exact(header, sizeof(header), timeout)) return std::nullopt;
    const auto len = protocol::load_le<std::uint32_t>(header);
    if (len > (64u << 20)) return std::nullopt;
    std::vector<std::uint8_t> payload(len);
    if (!read_exact(payload.data(), len, timeout)) return std::nullopt;
    return payload;
  }

  // True once the peer has closed the connection (EOF or reset) within timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
      if (r <= 0) return true;
    }
    return false;
  }

  // True once the peer has closed, without reading anything (data the
  // broker sent stays unread in the socket).
  bool peer_hung_up(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLRDHUP, 0};
      if (::poll(&p, 1, 50) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) return true;
    }
    return false;
  }

  int fd() const { return fd_; }

  // Reads exactly n bytes; false on close or timeout.
  bool read_exact(std::uint8_t* out, std::size_t n, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (n > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      const ssize_t r = ::recv(fd_, out, n, 0);
      if (r <= 0) return false;
      out += r;
      n -= static_cast<std::size_t>(r);
    }
    return true;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// The error code of a reply frame, or nullopt if it is not an Error.
inline std::optional<errc> error_of(const std::vector<std::uint8_t>& payload) {
  const wire::Frame* f = protocol::verify_frame(payload);
  if (f == nullptr || f->body_type() != wire::Body::Error) return std::nullopt;
  return errc_from_wire(f->body_as_Error()->code());
}

}  // namespace wharf::test
