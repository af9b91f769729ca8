// The TCP connection a broker fuzzer drives its in-process broker through:
// sends that finish, waits that survive libFuzzer's SIGALRM, and
// reconnects that leave no TIME_WAIT behind.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace wharf::fuzz {

class FuzzConnection {
 public:
  explicit FuzzConnection(const char* who) : who_(who) {}

  // Millions of inputs mean hundreds of thousands of reconnects: close with
  // a reset, and retry a connect that a signal interrupted or that found
  // every ephemeral port still in TIME_WAIT.
  void reconnect(std::uint16_t port) {
    if (fd_ >= 0) {
      linger reset{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
      ::close(fd_);
    }
    in_.clear();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) break;
      const int err = errno;
      ::close(fd_);
      if ((err != EINTR && err != EADDRNOTAVAIL && err != EAGAIN) || std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "%s: connect: %s\n", who_, std::strerror(err));
        std::abort();
      }
      ::usleep(1000);
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }

  bool send_all(const std::vector<std::uint8_t>& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Appends what arrives within `limit` to in(); false when the broker
  // closed. Nothing arriving aborts: a request got no answer.
  bool receive(std::chrono::milliseconds limit) {
    if (!readable_within(limit)) std::abort();
    std::uint8_t chunk[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      in_.insert(in_.end(), chunk, chunk + n);
      return true;
    }
  }

  // Bytes received and not yet taken (kept across inputs).
  std::vector<std::uint8_t>& in() { return in_; }

 private:
  // The alarm makes poll() return EINTR long before the deadline: only the
  // deadline means "no answer".
  bool readable_within(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  }

  const char* who_;
  int fd_ = -1;
  std::vector<std::uint8_t> in_;
};

}  // namespace wharf::fuzz
