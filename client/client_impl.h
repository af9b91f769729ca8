// What a Client is made of, and the blocking request helper the facade,
// producer and consumer share.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <future>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "client/connection.h"
#include "wharf/client.h"
#include "wharf/queue.h"
#include "wharf_generated.h"

namespace wharf {

struct Client::Impl {
  explicit Impl(ClientOptions o) : options(o), conn(std::move(o)) {
    conn.set_push_handler([this](const wire::Frame& f, std::span<const std::uint8_t> payload) { on_push(f, payload); });
    conn.set_drop_handler([this](const status& why) { on_drop(why); });
  }
  ClientOptions options;

  // Sends a request built by build(fbb, corr) and waits for its reply;
  // parse(frame) turns the reply into result<T>. Not on the I/O thread.
  template <typename T, typename Build, typename Parse>
  result<T> call(Build&& build, Parse&& parse, std::chrono::milliseconds extra = {}) {
    if (conn.on_io_thread())
      return status(errc::internal, "blocking call made from the client's I/O thread (inside a callback)");
    flatbuffers::FlatBufferBuilder fbb(256);
    const std::uint64_t corr = conn.next_correlation_id();
    build(fbb, corr);
    std::promise<result<T>> p;
    auto f = p.get_future();
    conn.send(corr, fbb,
              [&p, &parse](const status& st, const wire::Frame* frame) {
                if (!st.ok()) {
                  p.set_value(st);
                } else {
                  p.set_value(parse(*frame));
                }
              },
              extra);
    return f.get();
  }

  // Queue consumers by subscription id, for pushed deliveries. Routes are
  // added on the I/O thread when SubscribeOk arrives, so no delivery of a
  // subscription can arrive before its route.
  void route(std::uint64_t subscription, std::weak_ptr<QueueConsumer::Impl> consumer);
  void unroute(std::uint64_t subscription);
  void on_push(const wire::Frame& frame, std::span<const std::uint8_t> payload);
  void on_drop(const status& why);
  Mutex routes_mu;
  std::unordered_map<std::uint64_t, std::weak_ptr<QueueConsumer::Impl>> routes WHARF_GUARDED_BY(routes_mu);

  // Commits offsets; a group member passes its generation and id, an
  // outsider -1 and none.
  status commit_offsets(std::string_view group, std::string_view topic,
                        const std::vector<std::pair<std::uint32_t, std::int64_t>>& offsets,
                        std::int32_t generation, std::string_view member_id);

  // Partition counts per topic, cached for key-hash partitioning.
  result<std::uint32_t> partition_count(std::string_view topic);
  Mutex metadata_mu;
  std::unordered_map<std::string, std::uint32_t> partitions WHARF_GUARDED_BY(metadata_mu);

  // Last, so it is destroyed first: its destructor runs the drop handler,
  // which uses the members above.
  client::Connection conn;
};

// The reply had a body type other than the one expected.
status unexpected_reply(const wire::Frame& frame);

// Helpers of the request/reply code.
inline std::string str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }
inline result<bool> expect_ok(const wire::Frame& f) {
  if (f.body_type() != wire::Body::Ok) return unexpected_reply(f);
  return true;
}
inline status to_status(const result<bool>& r) { return r.ok() ? status() : r.error(); }

}  // namespace wharf
