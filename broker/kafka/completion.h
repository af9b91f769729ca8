// Helpers for requests answered after engine callbacks on other threads:
// back_on() wraps a callback so that it runs on the session's thread, and
// Countdown finishes a response once all its parts have reported there.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

#include "broker/kafka/kafka_session.h"

namespace wharf::kafka {

// A callback (taking one value) that, from any thread, runs fn(session,
// value) on the session's thread.
template <typename Fn>
auto back_on(KafkaSession& s, Fn fn) {
  return [self = s.self(), fn = std::move(fn)](auto value) mutable {
    net::post_to(self, [fn = std::move(fn), value = std::move(value)](KafkaSession& session) mutable {
      fn(session, std::move(value));
    });
  };
}

// Session thread only: `last` runs when arrive() has been called once per
// part (start with one extra part, released by the caller, so that parts
// finishing synchronously cannot finish early). `last` lives inside the
// call it finishes, so it must not own that call (a cycle would leak it):
// it captures a plain pointer, and every caller of arrive() holds an owner.
struct Countdown {
  std::size_t left = 1;
  std::function<void(KafkaSession&)> last;
  void arrive(KafkaSession& s) {
    if (--left == 0) last(s);
  }
};

}  // namespace wharf::kafka
