// Publisher: messages for a queue are serialized straight into that
// queue's open batch (a FlatBuffers builder); a batch is sent when full,
// when its linger passed, or as soon as an in-flight slot is free.
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>

#include "client/client_impl.h"
#include "protocol/frame_builder.h"

namespace wharf {
namespace {
using Clock = std::chrono::steady_clock;
}

struct Publisher::Impl : std::enable_shared_from_this<Publisher::Impl> {
  struct Batch {
    std::string queue;
    flatbuffers::FlatBufferBuilder fbb{64u << 10};
    std::vector<flatbuffers::Offset<wire::OutMessage>> messages;
    std::vector<Completion> done;
    std::size_t bytes = 0;
    Clock::time_point first_at;
  };
  using BatchPtr = std::unique_ptr<Batch>;

  Impl(Client::Impl& c, PublisherOptions o) : client(c), opts(o), linger_timer(c.conn.io()) {}

  Client::Impl& client;
  PublisherOptions opts;
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, BatchPtr, std::less<>> open;  // guarded by mu
  std::deque<BatchPtr> ready;                         // guarded by mu
  std::size_t buffered = 0;                           // guarded by mu
  std::size_t in_flight = 0;                          // guarded by mu
  bool drain_posted = false;                          // guarded by mu
  asio::steady_timer linger_timer;                    // I/O thread
  bool linger_armed = false;                          // I/O thread

  // Caller holds the lock.
  void seal(std::map<std::string, BatchPtr, std::less<>>::iterator it) {
    ready.push_back(std::move(it->second));
    open.erase(it);
  }

  void schedule_drain(std::unique_lock<std::mutex>& lock) {
    if (drain_posted) return;
    drain_posted = true;
    lock.unlock();
    asio::post(client.conn.io(), [self = shared_from_this()] { self->drain(); });
    lock.lock();
  }

  void drain() {
    std::vector<BatchPtr> to_send;
    Clock::time_point next_due = Clock::time_point::max();
    {
      std::lock_guard lock(mu);
      drain_posted = false;
      const auto now = Clock::now();
      while (in_flight < opts.max_in_flight && !ready.empty()) {
        to_send.push_back(std::move(ready.front()));
        ready.pop_front();
        ++in_flight;
      }
      for (auto it = open.begin(); it != open.end();) {
        const auto due = it->second->first_at + opts.linger;
        if (due <= now && in_flight < opts.max_in_flight) {
          to_send.push_back(std::move(it->second));
          it = open.erase(it);
          ++in_flight;
        } else {
          next_due = std::min(next_due, due);
          ++it;
        }
      }
    }
    for (auto& b : to_send) send(std::move(b));
    if (next_due != Clock::time_point::max() && !linger_armed) {
      linger_armed = true;
      linger_timer.expires_at(next_due);
      linger_timer.async_wait([self = shared_from_this()](asio::error_code) {
        self->linger_armed = false;
        self->drain();
      });
    }
  }

  void send(BatchPtr b) {
    const std::uint64_t corr = client.conn.next_correlation_id();
    auto q = b->fbb.CreateString(b->queue);
    auto v = b->fbb.CreateVector(b->messages);
    auto body = wire::CreatePublish(b->fbb, q, v);
    protocol::finish_frame(b->fbb, corr, body);
    const std::size_t size = b->bytes;
    std::vector<Completion> done = std::move(b->done);
    client.conn.send(corr, b->fbb,
                     [self = shared_from_this(), size, done = std::move(done)](const status& st, const wire::Frame* f) {
                       const wire::PublishOk* ok = st.ok() ? f->body_as_PublishOk() : nullptr;
                       status err = st;
                       if (st.ok() && (ok == nullptr || ok->ids() == nullptr || ok->ids()->size() != done.size()))
                         err = st.ok() ? unexpected_reply(*f) : st;
                       // A message the queue refused (max length) has id 0 and an error entry.
                       std::vector<status> refused;
                       if (err.ok() && ok->errors() != nullptr) {
                         refused.resize(done.size());
                         for (const auto* e : *ok->errors())
                           if (e->index() < refused.size())
                             refused[e->index()] = status(errc_from_wire(e->code()),
                                                          e->message() ? e->message()->str() : std::string());
                       }
                       for (std::size_t i = 0; i < done.size(); ++i) {
                         if (!done[i]) continue;
                         if (!err.ok()) {
                           done[i](err);
                           continue;
                         }
                         const std::uint64_t id = ok->ids()->Get(static_cast<flatbuffers::uoffset_t>(i));
                         if (id != 0) {
                           done[i](id);
                         } else if (i < refused.size() && !refused[i].ok()) {
                           done[i](refused[i]);
                         } else {
                           done[i](status(errc::internal, "the broker returned no id for a message"));
                         }
                       }
                       {
                         std::lock_guard lock(self->mu);
                         --self->in_flight;
                         self->buffered -= size;
                       }
                       self->cv.notify_all();
                       self->drain();
                     });
  }
};

Publisher::Publisher(Client& client, PublisherOptions options)
    : impl_(std::make_shared<Impl>(client.impl(), options)) {
  if (impl_->opts.max_in_flight == 0) impl_->opts.max_in_flight = 1;
}

Publisher::~Publisher() { flush(); }

void Publisher::publish(std::string_view queue, const OutgoingMessage& m, Completion done) {
  const std::size_t size = m.payload.size() + 64 + [&] {
    std::size_t n = 0;
    for (const auto& h : m.headers) n += h.key.size() + h.value.size() + 16;
    return n;
  }();
  std::unique_lock lock(impl_->mu);
  if (impl_->buffered >= impl_->opts.buffer_bytes) {
    if (impl_->client.conn.on_io_thread()) {
      lock.unlock();
      if (done) done(status(errc::too_many_requests, "publisher buffer is full (publish from a completion)"));
      return;
    }
    if (!impl_->cv.wait_for(lock, std::chrono::seconds(30), [&] { return impl_->buffered < impl_->opts.buffer_bytes; })) {
      lock.unlock();
      if (done) done(status(errc::timeout, "publisher buffer stayed full"));
      return;
    }
  }
  auto it = impl_->open.find(queue);
  if (it != impl_->open.end() && it->second->bytes + size > impl_->opts.batch_bytes) {
    impl_->seal(it);
    it = impl_->open.end();
  }
  if (it == impl_->open.end()) {
    auto b = std::make_unique<Impl::Batch>();
    b->queue = std::string(queue);
    b->first_at = Clock::now();
    it = impl_->open.emplace(std::string(queue), std::move(b)).first;
  }
  Impl::Batch& b = *it->second;
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
  impl_->buffered += size;
  if (b.bytes >= impl_->opts.batch_bytes) impl_->seal(it);
  impl_->schedule_drain(lock);
}

result<std::uint64_t> Publisher::publish_and_wait(std::string_view queue, const OutgoingMessage& message) {
  if (impl_->client.conn.on_io_thread())
    return status(errc::internal, "publish_and_wait called from the client's I/O thread");
  std::promise<result<std::uint64_t>> p;
  auto f = p.get_future();
  publish(queue, message, [&p](result<std::uint64_t> r) { p.set_value(std::move(r)); });
  return f.get();
}

void Publisher::flush() {
  if (impl_->client.conn.on_io_thread()) return;
  std::unique_lock lock(impl_->mu);
  while (!impl_->open.empty()) impl_->seal(impl_->open.begin());
  impl_->schedule_drain(lock);
  impl_->cv.wait(lock, [&] { return impl_->buffered == 0 && impl_->in_flight == 0; });
}

}  // namespace wharf
