// Helpers for requests answered after engine callbacks on other threads:
// back_on() wraps a callback so that it runs on the session's thread,
// Countdown finishes a response once all its parts have reported there, and
// hold_for_response() sets both up for requests whose later frames wait.
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

// A response built from parts that complete on other threads: the frames
// behind the request wait (their effects must see this request's), and once
// every part has arrived (countdown) the response goes out and they resume.
// The caller fills `response`, counts its parts and releases the extra one.
template <typename Response>
struct HeldResponse {
  KafkaSession::Reply reply;
  Response response;
  Countdown countdown;
};

template <typename Response, typename Encode>
std::shared_ptr<HeldResponse<Response>> hold_for_response(KafkaSession& s, const protocol::kafka::RequestHeader& h,
                                                          Encode encode) {
  auto call = std::make_shared<HeldResponse<Response>>();
  call->reply = s.reply_to(h);
  s.hold_frames();
  call->countdown.last = [call = call.get(), encode = std::move(encode)](KafkaSession& session) {
    session.resume_frames();
    session.respond(call->reply, [&](protocol::kafka::Writer& w) { encode(w, call->reply.version, call->response); });
  };
  return call;
}

// The same, encoding with the response type's own encode().
template <typename Response>
std::shared_ptr<HeldResponse<Response>> hold_for_response(KafkaSession& s, const protocol::kafka::RequestHeader& h) {
  return hold_for_response<Response>(
      s, h, [](protocol::kafka::Writer& w, std::int16_t version, const Response& r) { encode(w, version, r); });
}

}  // namespace wharf::kafka
