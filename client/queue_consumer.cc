// QueueConsumer and Delivery: pushed deliveries are kept in the frame bytes
// they came in (one copy per frame); settlements are batched into Settle
// requests, one per I/O-thread turn.
#include <asio/post.hpp>

#include <deque>
#include <future>

#include "base/mutex.h"
#include "client/client_impl.h"
#include "protocol/frame_builder.h"

namespace wharf {

struct Delivery::Internal {
  static void fill(Delivery& x, std::shared_ptr<const std::vector<std::uint8_t>> frame,
                   std::weak_ptr<QueueConsumer::Impl> consumer, std::uint64_t subscription, const wire::Delivery& w) {
    x.frame_ = std::move(frame);
    x.consumer_ = std::move(consumer);
    x.subscription_ = subscription;
    x.id_ = w.message_id();
    x.tag_ = w.tag();
    x.attempt_ = w.attempt();
    x.deadline_ms_ = w.deadline_ms();
    x.priority_ = w.priority();
    x.publish_ms_ = w.publish_ms();
    if (w.payload() != nullptr)
      x.payload_ = std::string_view(reinterpret_cast<const char*>(w.payload()->data()), w.payload()->size());
    if (w.headers() != nullptr) {
      x.headers_.reserve(w.headers()->size());
      for (const auto* h : *w.headers()) {
        std::string_view k = h->key() ? std::string_view(h->key()->data(), h->key()->size()) : std::string_view();
        std::string_view v = h->value() ? std::string_view(reinterpret_cast<const char*>(h->value()->data()),
                                                           h->value()->size())
                                        : std::string_view();
        x.headers_.push_back({k, v});
      }
    }
  }
  static void settle(const Delivery& x, wire::SettleKind kind, std::int64_t delay, std::int64_t extend,
                     std::string reason, bool durable, Delivery::Done done);
};

struct QueueConsumer::Impl : std::enable_shared_from_this<QueueConsumer::Impl> {
  struct PendingSettle {
    std::uint64_t subscription;
    std::uint64_t id;
    std::uint64_t tag;
    wire::SettleKind kind;
    std::int64_t delay_ms;
    std::int64_t extend_ms;
    std::string reason;
    bool durable;
    Delivery::Done done;
  };

  Impl(Client::Impl& c, std::string q, QueueConsumerOptions o) : client(c), queue(std::move(q)), opts(o) {}

  Client::Impl& client;
  std::string queue;
  QueueConsumerOptions opts;

  Mutex mu;
  CondVar cv;
  std::deque<Delivery> ready WHARF_GUARDED_BY(mu);
  std::function<void(Delivery)> handler WHARF_GUARDED_BY(mu);
  std::uint64_t subscription WHARF_GUARDED_BY(mu) = 0;
  // Deliveries are pushed in tag order; those up to this tag were handed
  // to the application, the rest were not (released, not charged, at close).
  std::uint64_t last_handed_tag WHARF_GUARDED_BY(mu) = 0;
  bool lost WHARF_GUARDED_BY(mu) = false;  // the connection dropped
  status lost_reason WHARF_GUARDED_BY(mu);
  bool closed WHARF_GUARDED_BY(mu) = false;
  std::vector<PendingSettle> settles WHARF_GUARDED_BY(mu);
  bool flush_posted WHARF_GUARDED_BY(mu) = false;

  status subscribe_now() {
    auto self = shared_from_this();
    auto r = client.call<std::uint64_t>(
        [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
          auto q = fbb.CreateString(queue);
          auto body = wire::CreateSubscribe(fbb, q, opts.prefetch);
          protocol::finish_frame(fbb, corr, body);
        },
        [&](const wire::Frame& f) -> result<std::uint64_t> {
          const auto* ok = f.body_as_SubscribeOk();
          if (ok == nullptr) return unexpected_reply(f);
          // On the I/O thread, before any delivery of this subscription.
          client.route(ok->subscription(), self);
          MutexLock lock(mu);
          subscription = ok->subscription();
          last_handed_tag = 0;
          lost = false;
          return ok->subscription();
        });
    return r.error();
  }

  // I/O thread: a Deliveries frame for this consumer; `bytes` owns the frame.
  void on_deliveries(std::shared_ptr<const std::vector<std::uint8_t>> bytes, const wire::Deliveries& d) {
    std::vector<Delivery> fresh;
    if (d.deliveries() != nullptr) {
      fresh.reserve(d.deliveries()->size());
      std::weak_ptr<Impl> self = weak_from_this();
      for (const auto* w : *d.deliveries()) {
        Delivery x;
        Delivery::Internal::fill(x, bytes, self, d.subscription(), *w);
        fresh.push_back(std::move(x));
      }
    }
    std::function<void(Delivery)> h;
    {
      MutexLock lock(mu);
      if (closed) return;
      h = handler;
      if (!h) {
        for (auto& x : fresh) ready.push_back(std::move(x));
      } else if (!fresh.empty()) {
        last_handed_tag = std::max(last_handed_tag, fresh.back().tag());
      }
    }
    if (h) {
      for (auto& x : fresh) h(std::move(x));
    } else {
      cv.notify_all();
    }
  }

  // I/O thread: the connection dropped; held deliveries went back to the queue.
  void on_drop(const status& why) {
    {
      MutexLock lock(mu);
      ready.clear();
      lost = true;
      lost_reason = why;
    }
    cv.notify_all();
  }

  void settle(PendingSettle s) {
    bool refused = false;
    bool post = false;
    {
      MutexLock lock(mu);
      refused = closed;
      if (!refused) {
        settles.push_back(std::move(s));
        post = !flush_posted;
        flush_posted = true;
      }
    }
    if (refused && s.done) s.done(status(errc::closed, "the consumer was closed; the message went back to the queue"));
    if (post) asio::post(client.conn.io(), [self = shared_from_this()] { self->flush_settles(); });
  }

  // I/O thread: sends everything settled since the last turn as one request.
  void flush_settles() {
    std::vector<PendingSettle> batch;
    {
      MutexLock lock(mu);
      batch.swap(settles);
      flush_posted = false;
    }
    if (batch.empty()) return;
    flatbuffers::FlatBufferBuilder fbb(64 + 48 * batch.size());
    const std::uint64_t corr = client.conn.next_correlation_id();
    std::vector<flatbuffers::Offset<wire::SettleItem>> items;
    items.reserve(batch.size());
    for (const auto& s : batch) {
      auto reason = s.reason.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(s.reason);
      items.push_back(wire::CreateSettleItem(fbb, s.subscription, s.id, s.tag, s.kind, s.delay_ms, s.extend_ms, reason));
    }
    bool durable = false;
    for (const auto& s : batch) durable = durable || s.durable;
    auto v = fbb.CreateVector(items);
    auto body = wire::CreateSettle(fbb, v, durable);
    protocol::finish_frame(fbb, corr, body);
    std::vector<Delivery::Done> done;
    bool any = false;
    for (auto& s : batch) {
      any = any || static_cast<bool>(s.done);
      done.push_back(std::move(s.done));
    }
    client::Connection::Handler h;
    if (any) {
      h = [done = std::move(done)](const status& st, const wire::Frame* f) {
        std::vector<status> outcome(done.size(), st);
        if (st.ok()) {
          const auto* ok = f->body_as_SettleOk();
          if (ok == nullptr) {
            outcome.assign(done.size(), unexpected_reply(*f));
          } else if (ok->errors() != nullptr) {
            for (const auto* e : *ok->errors())
              if (e->index() < outcome.size())
                outcome[e->index()] =
                    status(errc_from_wire(e->code()), e->message() ? e->message()->str() : std::string());
          }
        }
        for (std::size_t i = 0; i < done.size(); ++i)
          if (done[i]) done[i](outcome[i]);
      };
    } else {
      h = [](const status&, const wire::Frame*) {};
    }
    client.conn.send(corr, fbb, std::move(h));
  }
};

// ---------------------------------------------------------------------------
// Delivery

void Delivery::Internal::settle(const Delivery& x, wire::SettleKind kind, std::int64_t delay, std::int64_t extend,
                                std::string reason, bool durable, Delivery::Done done) {
  if (x.tag_ == 0) {
    if (done) done(status(errc::invalid_argument, "an empty Delivery cannot be settled"));
    return;
  }
  auto consumer = x.consumer_.lock();
  if (!consumer) {
    if (done) done(status(errc::closed, "the consumer is gone; the message went back to the queue"));
    return;
  }
  consumer->settle({x.subscription_, x.id_, x.tag_, kind, delay, extend, std::move(reason), durable, std::move(done)});
}

void Delivery::ack(Done done) const {
  Internal::settle(*this, wire::SettleKind::Ack, -1, -1, {}, false, std::move(done));
}
void Delivery::nack(std::chrono::milliseconds delay, Done done) const {
  Internal::settle(*this, wire::SettleKind::Nack, delay.count() < 0 ? -1 : delay.count(), -1, {}, false,
                   std::move(done));
}
void Delivery::reject(std::string reason, Done done) const {
  Internal::settle(*this, wire::SettleKind::Reject, -1, -1, std::move(reason), false, std::move(done));
}
void Delivery::extend(std::chrono::milliseconds extra, Done done) const {
  Internal::settle(*this, wire::SettleKind::Extend, -1, extra.count() < 0 ? -1 : extra.count(), {}, false,
                   std::move(done));
}
status Delivery::ack_and_wait() const {
  std::promise<status> p;
  auto f = p.get_future();
  Internal::settle(*this, wire::SettleKind::Ack, -1, -1, {}, true, [&p](status st) { p.set_value(std::move(st)); });
  return f.get();
}

// ---------------------------------------------------------------------------
// QueueConsumer

QueueConsumer::QueueConsumer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

result<std::unique_ptr<QueueConsumer>> QueueConsumer::subscribe(Client& client, std::string_view queue,
                                                                QueueConsumerOptions options) {
  auto impl = std::make_shared<Impl>(client.impl(), std::string(queue), options);
  if (status st = impl->subscribe_now(); !st.ok()) return st;
  return std::unique_ptr<QueueConsumer>(new QueueConsumer(std::move(impl)));
}

QueueConsumer::~QueueConsumer() { (void)close(); }

result<Delivery> QueueConsumer::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool resubscribe = false;
  {
    MutexLock lock(impl_->mu);
    if (impl_->closed) return status(errc::closed, "the consumer is closed");
    if (impl_->lost) {
      // Report the drop once, then subscribe again on the next call.
      if (!impl_->lost_reason.ok()) {
        status why = impl_->lost_reason;
        impl_->lost_reason = status();
        return why;
      }
      resubscribe = true;
    }
  }
  if (resubscribe)
    if (status st = impl_->subscribe_now(); !st.ok()) return st;
  MutexLock lock(impl_->mu);
  while (impl_->ready.empty() && !impl_->lost && !impl_->closed)
    if (!impl_->cv.wait_until(impl_->mu, deadline) && impl_->ready.empty() && !impl_->lost && !impl_->closed)
      return status(errc::timeout, "no delivery in time");
  if (impl_->closed) return status(errc::closed, "the consumer is closed");
  if (impl_->ready.empty()) return status(errc::disconnected, "the connection dropped");
  Delivery d = std::move(impl_->ready.front());
  impl_->ready.pop_front();
  impl_->last_handed_tag = std::max(impl_->last_handed_tag, d.tag());
  return d;
}

void QueueConsumer::set_handler(std::function<void(Delivery)> handler) {
  std::deque<Delivery> backlog;
  {
    MutexLock lock(impl_->mu);
    impl_->handler = handler;
    backlog.swap(impl_->ready);
    if (!backlog.empty()) impl_->last_handed_tag = std::max(impl_->last_handed_tag, backlog.back().tag());
  }
  for (auto& d : backlog) handler(std::move(d));
}

status QueueConsumer::close() {
  std::uint64_t sub = 0;
  std::uint64_t release_from_tag = 0;
  {
    MutexLock lock(impl_->mu);
    if (impl_->closed) return {};
    impl_->closed = true;
    sub = impl_->subscription;
    // Whatever arrives after the last delivery handed out was never seen.
    release_from_tag = impl_->last_handed_tag + 1;
    impl_->ready.clear();
  }
  impl_->cv.notify_all();
  impl_->client.unroute(sub);
  if (impl_->client.conn.on_io_thread() || !impl_->client.conn.connected()) return {};
  auto r = impl_->client.call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto body = wire::CreateUnsubscribe(fbb, sub, release_from_tag);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<bool> {
        if (f.body_type() != wire::Body::Ok) return unexpected_reply(f);
        return true;
      });
  return r.error();
}

// ---------------------------------------------------------------------------
// Client routing of pushed deliveries

void Client::Impl::route(std::uint64_t subscription, std::weak_ptr<QueueConsumer::Impl> consumer) {
  MutexLock lock(routes_mu);
  routes[subscription] = std::move(consumer);
}

void Client::Impl::unroute(std::uint64_t subscription) {
  MutexLock lock(routes_mu);
  routes.erase(subscription);
}

void Client::Impl::on_push(const wire::Frame& frame, std::span<const std::uint8_t> payload) {
  if (frame.body_type() != wire::Body::Deliveries) return;
  const auto* d = frame.body_as_Deliveries();
  std::shared_ptr<QueueConsumer::Impl> consumer;
  {
    MutexLock lock(routes_mu);
    auto it = routes.find(d->subscription());
    if (it != routes.end()) consumer = it->second.lock();
  }
  if (!consumer) return;  // closed meanwhile: the broker returns the messages at unsubscribe
  // Keep the frame: deliveries point into it.
  auto bytes = std::make_shared<const std::vector<std::uint8_t>>(payload.begin(), payload.end());
  const auto* copy = wire::GetFrame(bytes->data())->body_as_Deliveries();
  consumer->on_deliveries(std::move(bytes), *copy);
}

void Client::Impl::on_drop(const status& why) {
  std::vector<std::shared_ptr<QueueConsumer::Impl>> consumers;
  {
    MutexLock lock(routes_mu);
    for (auto& [id, weak] : routes)
      if (auto c = weak.lock()) consumers.push_back(std::move(c));
    routes.clear();
  }
  for (auto& c : consumers) c->on_drop(why);
}

}  // namespace wharf
