// What a Client is made of, and the blocking request helper the facade,
// producer and consumer share.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <future>
#include <mutex>
#include <string>
#include <unordered_map>

#include "client/connection.h"
#include "wharf/client.h"
#include "wharf_generated.h"

namespace wharf {

struct Client::Impl {
  explicit Impl(ClientOptions o) : options(o), conn(std::move(o)) {}
  ClientOptions options;
  client::Connection conn;

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

  // Partition counts per topic, cached for key-hash partitioning.
  result<std::uint32_t> partition_count(std::string_view topic);
  std::mutex metadata_mu;
  std::unordered_map<std::string, std::uint32_t> partitions;  // guarded by metadata_mu
};

// The reply had a body type other than the one expected.
status unexpected_reply(const wire::Frame& frame);

}  // namespace wharf
