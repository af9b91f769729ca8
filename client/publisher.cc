// Publisher: messages for a queue are serialized straight into that
// queue's open batch (a FlatBuffers builder); the shared pipeline
// (batch_pipeline.h) seals, sends and confirms them.
#include <future>
#include <map>

#include "client/batch_pipeline.h"
#include "client/client_impl.h"
#include "protocol/frame_builder.h"

namespace wharf {
namespace {

// One queue's messages on their way.
struct PublishBatch {
  std::string queue;
  flatbuffers::FlatBufferBuilder fbb{64u << 10};
  std::vector<flatbuffers::Offset<wire::OutMessage>> messages;
  std::vector<Publisher::Completion> done;
  std::size_t bytes = 0;
  std::chrono::steady_clock::time_point first_at;
};

client::PipelineLimits limits_of(const PublisherOptions& o) {
  return {o.linger, o.batch_bytes, o.max_in_flight, o.buffer_bytes, o.max_block};
}

std::size_t size_of(const OutgoingMessage& m) {
  std::size_t n = m.payload.size() + 64;
  for (const auto& h : m.headers) n += h.key.size() + h.value.size() + 16;
  return n;
}

// What the publisher's completions get from a PublishOk: the id of each
// message, or why the queue refused it.
std::vector<result<std::uint64_t>> outcomes(const status& st, const wire::Frame* f, std::size_t count) {
  const wire::PublishOk* ok = st.ok() ? f->body_as_PublishOk() : nullptr;
  if (!st.ok()) return std::vector<result<std::uint64_t>>(count, st);
  if (ok == nullptr || ok->ids() == nullptr || ok->ids()->size() != count)
    return std::vector<result<std::uint64_t>>(count, unexpected_reply(*f));
  std::vector<result<std::uint64_t>> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.emplace_back(ok->ids()->Get(static_cast<flatbuffers::uoffset_t>(i)));
  // A message the queue refused (max length) has id 0 and an error entry.
  if (ok->errors() != nullptr)
    for (const auto* e : *ok->errors())
      if (e->index() < count)
        out[e->index()] = status(errc_from_wire(e->code()), e->message() ? e->message()->str() : std::string());
  for (auto& r : out)
    if (r.ok() && *r == 0) r = status(errc::internal, "the broker returned no id for a message");
  return out;
}

}  // namespace

struct Publisher::Impl final : client::BatchPipeline<PublishBatch>, std::enable_shared_from_this<Publisher::Impl> {
  Impl(Client::Impl& c, const PublisherOptions& o) : BatchPipeline(c.conn, limits_of(o)), client(c) {}

  Client::Impl& client;
  std::map<std::string, BatchPtr, std::less<>> open WHARF_GUARDED_BY(mu());

  // Serializes one message into its queue's open batch; on error (buffer
  // full past max_block) the caller completes `done`.
  status add(std::string_view queue, const OutgoingMessage& m, Completion& done) WHARF_REQUIRES(mu()) {
    if (status st = wait_for_room(); !st.ok()) return st;
    const std::size_t size = size_of(m);
    auto it = open.find(queue);
    if (it != open.end() && it->second->bytes + size > limits().batch_bytes) {
      seal(std::move(it->second));
      open.erase(it);
      it = open.end();
    }
    if (it == open.end()) {
      auto b = std::make_unique<PublishBatch>();
      b->queue = std::string(queue);
      b->first_at = Clock::now();
      it = open.emplace(std::string(queue), std::move(b)).first;
    }
    PublishBatch& b = *it->second;
    auto& fbb = b.fbb;
    std::vector<flatbuffers::Offset<wire::MessageHeader>> headers;
    for (const auto& h : m.headers)
      headers.push_back(wire::CreateMessageHeader(
          fbb, fbb.CreateString(h.key.data(), h.key.size()),
          fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(h.value.data()), h.value.size())));
    auto hv = headers.empty() ? flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<wire::MessageHeader>>>()
                              : fbb.CreateVector(headers);
    auto payload = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(m.payload.data()), m.payload.size());
    b.messages.push_back(wire::CreateOutMessage(fbb, payload, hv, m.priority, m.delay.count(), m.ttl_ms));
    b.done.push_back(std::move(done));
    b.bytes += size;
    buffered(size);
    if (b.bytes >= limits().batch_bytes) {
      seal(std::move(it->second));
      open.erase(it);
    }
    return {};
  }

  Clock::time_point seal_lingering(Clock::time_point now, std::size_t room) override WHARF_REQUIRES(mu()) {
    Clock::time_point next_due = Clock::time_point::max();
    for (auto it = open.begin(); it != open.end();) {
      const auto due = it->second->first_at + limits().linger;
      if (due <= now && room > 0) {
        seal(std::move(it->second));
        it = open.erase(it);
        --room;
      } else {
        next_due = std::min(next_due, due);
        ++it;
      }
    }
    return next_due;
  }

  void seal_all() override WHARF_REQUIRES(mu()) {
    for (auto& [queue, b] : open) seal(std::move(b));
    open.clear();
  }

  void send_batch(BatchPtr b) override {
    const std::uint64_t corr = client.conn.next_correlation_id();
    auto q = b->fbb.CreateString(b->queue);
    auto v = b->fbb.CreateVector(b->messages);
    protocol::finish_frame(b->fbb, corr, wire::CreatePublish(b->fbb, q, v));
    const std::size_t size = b->bytes;
    auto done = std::make_shared<std::vector<Completion>>(std::move(b->done));
    client.conn.send(corr, b->fbb, [self = shared_from_this(), size, done](const status& st, const wire::Frame* f) {
      auto results = outcomes(st, f, done->size());
      for (std::size_t i = 0; i < done->size(); ++i)
        if ((*done)[i]) (*done)[i](std::move(results[i]));
      self->finished(size);
    });
  }

  std::shared_ptr<BatchPipeline> keep_alive() override { return shared_from_this(); }
};

Publisher::Publisher(Client& client, PublisherOptions options)
    : impl_(std::make_shared<Impl>(client.impl(), options)) {}

Publisher::~Publisher() { flush(); }

void Publisher::publish(std::string_view queue, const OutgoingMessage& m, Completion done) {
  status st;
  bool post = false;
  {
    MutexLock lock(impl_->mu());
    st = impl_->add(queue, m, done);
    post = st.ok() && impl_->drain_needed();
  }
  if (post) impl_->post_drain();
  if (!st.ok() && done) done(st);
}

result<std::uint64_t> Publisher::publish_and_wait(std::string_view queue, const OutgoingMessage& message) {
  if (impl_->client.conn.on_io_thread())
    return status(errc::internal, "publish_and_wait called from the client's I/O thread");
  std::promise<result<std::uint64_t>> p;
  auto f = p.get_future();
  publish(queue, message, [&p](result<std::uint64_t> r) { p.set_value(std::move(r)); });
  return f.get();
}

void Publisher::flush() { impl_->flush(); }

}  // namespace wharf
