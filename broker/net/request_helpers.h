// Small pieces every request handler uses: reading wire strings, starting
// an async request under the connection's in-flight limit, and replying
// Ok-or-error from an engine callback on the connection's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "broker/net/connection.h"
#include "wharf/errors.h"
#include "wharf_generated.h"

namespace wharf::net {

inline std::string_view str(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

// Starts an async request; replies too_many_requests (and returns false)
// when the connection has too many in flight.
inline bool begin(Connection& conn, std::uint64_t corr, std::size_t bytes = 0) {
  if (conn.try_begin_async(bytes)) return true;
  conn.send_error(corr, status(errc::too_many_requests, "too many requests in flight on this connection"));
  return false;
}

// The completion of a request begun with begin(): Ok or the error.
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
