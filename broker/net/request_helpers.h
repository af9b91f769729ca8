// What every request handler uses: starting an async request under the
// connection's in-flight limit, and replying from an engine callback on the
// connection's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include "broker/net/connection.h"
#include "broker/net/wire_conversions.h"
#include "wharf/errors.h"

namespace wharf::net {

// Starts an async request; replies too_many_requests (and returns false)
// when the connection has too many in flight.
inline bool begin(Connection& conn, std::uint64_t corr, std::size_t bytes = 0) {
  if (conn.try_begin_async(bytes)) return true;
  conn.send_error(corr, status(errc::too_many_requests, "too many requests in flight on this connection"));
  return false;
}

// The completion of a request begun with begin(): on the connection's
// thread, replies with the body `build(fbb, value)` makes, or the error,
// and ends the request (`bytes` as given to begin()).
template <typename T, typename Build>
std::function<void(result<T>)> reply_later(Connection& conn, std::uint64_t corr, std::size_t bytes, Build build) {
  return [self = conn.shared_from_this(), corr, bytes, build = std::move(build)](result<T> r) mutable {
    self->post([corr, bytes, build = std::move(build), r = std::move(r)](Connection& c) mutable {
      if (r.ok()) {
        auto& fbb = c.builder();
        c.reply(corr, build(fbb, *r));
      } else {
        c.send_error(corr, r.error());
      }
      c.end_async(bytes);
    });
  };
}

// The completion of a request begun with begin() that answers Ok.
inline std::function<void(status)> reply_status(Connection& conn, std::uint64_t corr) {
  return [self = conn.shared_from_this(), corr](status st) {
    self->post([corr, st = std::move(st)](Connection& c) {
      if (st.ok()) {
        c.send_ok(corr);
      } else {
        c.send_error(corr, st);
      }
      c.end_async();
    });
  };
}

}  // namespace wharf::net
