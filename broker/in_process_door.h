// How clients of the broker's own process get in without TCP: each open()
// makes a socket pair, hands one end to the server and returns the other.
// Shared with those clients (ClientOptions::dial), so it outlives the
// broker and refuses them once the broker has stopped.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/mutex.h"

#include "broker/net/server.h"
#include "wharf/errors.h"

namespace wharf {

class InProcessDoor {
 public:
  explicit InProcessDoor(net::Server& server) : server_(&server) {}

  result<int> open() {
    MutexLock lock(mu_);
    if (server_ == nullptr) return status(errc::connection_failed, "the in-process broker has stopped");
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      return status(errc::connection_failed, std::string("socketpair: ") + std::strerror(errno));
    if (status st = server_->adopt(fds[0]); !st.ok()) {
      ::close(fds[1]);
      return status(errc::connection_failed, std::string(st.message()));
    }
    return fds[1];
  }

  // The broker stops: no more connections.
  void close() {
    MutexLock lock(mu_);
    server_ = nullptr;
  }

 private:
  Mutex mu_;
  net::Server* server_ WHARF_GUARDED_BY(mu_);
};

}  // namespace wharf
