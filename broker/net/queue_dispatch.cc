// Queue requests: wire tables to queue-engine values and back. Every reply
// is built on the connection's thread, after the engine's commit.
#include <fmt/format.h>

#include "broker/net/connection.h"
#include "broker/net/connection_sink.h"
#include "broker/net/dispatcher.h"
#include "broker/net/request_helpers.h"
#include "broker/net/server.h"
#include "broker/queue/queue_engine.h"
#include "wharf_generated.h"

namespace wharf::net {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// A reply handler: runs `build` on the connection's thread with the result,
// or sends the error.
template <typename T, typename Build>
std::function<void(result<T>)> reply(Connection& conn, std::uint64_t corr, std::size_t bytes, Build build) {
  return [self = conn.shared_from_this(), corr, bytes, build = std::move(build)](result<T> r) mutable {
    self->post([corr, bytes, build = std::move(build), r = std::move(r)](Connection& c) mutable {
      if (r.ok()) {
        build(c, corr, *r);
      } else {
        c.send_error(corr, r.error());
      }
      c.end_async(bytes);
    });
  };
}

Offset<wire::QueueOptions> build_options(FlatBufferBuilder& fbb, const queue::QueueConfig& c) {
  auto dlq = fbb.CreateString(c.dlq);
  const auto mode = c.dlq_mode == storage::DlqMode::none    ? wire::DlqMode::None
                    : c.dlq_mode == storage::DlqMode::named ? wire::DlqMode::Named
                                                            : wire::DlqMode::Default;
  return wire::CreateQueueOptions(fbb, c.ack_deadline_ms, c.max_deliveries, c.backoff_initial_ms,
                                  c.backoff_multiplier, c.backoff_max_ms, mode, dlq, c.max_length,
                                  c.overflow == storage::Overflow::drop_oldest ? wire::OverflowPolicy::DropOldest
                                                                               : wire::OverflowPolicy::RejectPublish,
                                  c.ttl_ms, c.priorities);
}

Offset<wire::QueueInfo> build_queue_info(FlatBufferBuilder& fbb, const queue::QueueDescription& d) {
  auto name = fbb.CreateString(d.config.name);
  auto options = build_options(fbb, d.config);
  return wire::CreateQueueInfo(fbb, name, options, d.ready, d.delayed, d.in_flight, d.consumers, d.oldest_age_ms,
                               d.stats.dead_lettered, d.stats.dropped, d.stats.expired, d.config.created_ms);
}

Offset<flatbuffers::Vector<Offset<wire::MessageHeader>>> build_headers(FlatBufferBuilder& fbb,
                                                                       const std::vector<Header>& headers) {
  std::vector<Offset<wire::MessageHeader>> out;
  out.reserve(headers.size());
  for (const auto& h : headers) {
    auto k = fbb.CreateString(h.key.data(), h.key.size());
    auto v = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(h.value.data()), h.value.size());
    out.push_back(wire::CreateMessageHeader(fbb, k, v));
  }
  return fbb.CreateVector(out);
}

std::string_view state_name(queue::MessageState s) {
  switch (s) {
    case queue::MessageState::ready: return "ready";
    case queue::MessageState::delayed: return "delayed";
    case queue::MessageState::in_flight: return "in_flight";
    case queue::MessageState::dead_lettered: return "dead_lettered";
  }
  return "unknown";
}

Offset<wire::MessageInfo> build_message_info(FlatBufferBuilder& fbb, const queue::MessageInfo& m) {
  std::vector<Header> headers;
  for (const auto& [k, v] : m.headers) headers.push_back({k, v});
  auto hdrs = build_headers(fbb, headers);
  std::vector<Offset<wire::MessageEvent>> events;
  for (const auto& e : m.history)
    events.push_back(wire::CreateMessageEvent(fbb, e.time_ms, fbb.CreateString(storage::outcome_name(e.outcome)),
                                              fbb.CreateString(e.consumer), fbb.CreateString(e.reason)));
  auto history = fbb.CreateVector(events);
  auto payload = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(m.payload.data()), m.payload.size());
  auto queue = fbb.CreateString(m.queue);
  auto state = fbb.CreateString(state_name(m.state));
  auto origin = fbb.CreateString(m.origin_queue);
  return wire::CreateMessageInfo(fbb, queue, m.id, state, m.attempts, m.deadline_ms, m.priority, m.publish_ms,
                                 m.expires_ms, origin, hdrs, payload, history);
}

// Copies a wire Publish into an engine batch: one arena for all bytes.
queue::PublishBatch to_batch(const wire::Publish& p) {
  queue::PublishBatch b;
  b.queue = std::string(str(p.queue()));
  if (p.messages() == nullptr) return b;
  std::size_t bytes = 0;
  std::size_t header_count = 0;
  for (const auto* m : *p.messages()) {
    if (m->payload() != nullptr) bytes += m->payload()->size();
    if (m->headers() == nullptr) continue;
    for (const auto* h : *m->headers()) {
      ++header_count;
      bytes += str(h->key()).size() + (h->value() ? h->value()->size() : 0);
    }
  }
  b.arena.reserve(bytes);
  b.headers.reserve(header_count);
  b.messages.reserve(p.messages()->size());
  auto copy = [&](const std::uint8_t* data, std::size_t n) {
    const std::size_t at = b.arena.size();
    b.arena.insert(b.arena.end(), data, data + n);
    return at;
  };
  // Offsets first: the arena is final only after every copy.
  struct Spans {
    std::size_t payload_at, payload_size, headers_from, headers_count;
  };
  std::vector<Spans> spans;
  std::vector<std::array<std::size_t, 4>> header_at;  // key at, key size, value at, value size
  for (const auto* m : *p.messages()) {
    Spans s{};
    if (m->payload() != nullptr) {
      s.payload_size = m->payload()->size();
      s.payload_at = copy(m->payload()->data(), s.payload_size);
    }
    s.headers_from = header_at.size();
    if (m->headers() != nullptr) {
      for (const auto* h : *m->headers()) {
        const auto key = str(h->key());
        const std::size_t key_at = copy(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
        const std::size_t value_size = h->value() ? h->value()->size() : 0;
        const std::size_t value_at = copy(h->value() ? h->value()->data() : nullptr, value_size);
        header_at.push_back({key_at, key.size(), value_at, value_size});
      }
    }
    s.headers_count = header_at.size() - s.headers_from;
    spans.push_back(s);
    queue::OutgoingMessage out;
    out.priority = m->priority();
    out.delay_ms = m->delay_ms();
    out.ttl_ms = m->ttl_ms();
    b.messages.push_back(out);
  }
  const char* base = reinterpret_cast<const char*>(b.arena.data());
  for (const auto& h : header_at)
    b.headers.push_back({std::string_view(base + h[0], h[1]), std::string_view(base + h[2], h[3])});
  for (std::size_t i = 0; i < spans.size(); ++i) {
    b.messages[i].payload = {b.arena.data() + spans[i].payload_at, spans[i].payload_size};
    b.messages[i].headers = std::span<const Header>(b.headers.data() + spans[i].headers_from, spans[i].headers_count);
  }
  return b;
}

queue::Settlement to_settlement(const wire::SettleItem& s) {
  queue::Settlement out;
  out.subscription = s.subscription();
  out.message_id = s.message_id();
  out.tag = s.tag();
  switch (s.kind()) {
    case wire::SettleKind::Ack: out.action = queue::SettleAction::ack; break;
    case wire::SettleKind::Nack: out.action = queue::SettleAction::nack; break;
    case wire::SettleKind::Reject: out.action = queue::SettleAction::reject; break;
    case wire::SettleKind::Extend: out.action = queue::SettleAction::extend; break;
    default: out.action = static_cast<queue::SettleAction>(255);
  }
  out.delay_ms = s.delay_ms();
  out.extend_ms = s.extend_ms();
  out.reason = std::string(str(s.reason()));
  return out;
}

// Id 0 marks a message the queue refused at its max length.
Offset<wire::PublishOk> build_publish_ok(FlatBufferBuilder& fbb, const std::vector<std::uint64_t>& ids) {
  std::vector<Offset<wire::PublishError>> errors;
  for (std::uint32_t i = 0; i < ids.size(); ++i)
    if (ids[i] == 0)
      errors.push_back(wire::CreatePublishError(fbb, i, static_cast<std::uint16_t>(errc::queue_full),
                                                fbb.CreateString("the queue is at its max length")));
  auto v = fbb.CreateVector(ids);
  auto e = errors.empty() ? Offset<flatbuffers::Vector<Offset<wire::PublishError>>>() : fbb.CreateVector(errors);
  return wire::CreatePublishOk(fbb, v, e);
}

// Wire options to an engine config; false (and an error sent) if they are
// contradictory.
bool to_config(Connection& conn, std::uint64_t corr, std::string_view name, const wire::QueueOptions* o,
               queue::QueueConfig* c) {
  c->name = std::string(name);
  if (o == nullptr) return true;
  c->ack_deadline_ms = o->ack_deadline_ms();
  c->max_deliveries = o->max_deliveries();
  c->backoff_initial_ms = o->backoff_initial_ms();
  c->backoff_multiplier = o->backoff_multiplier();
  c->backoff_max_ms = o->backoff_max_ms();
  c->max_length = o->max_length();
  c->overflow = o->overflow() == wire::OverflowPolicy::DropOldest ? storage::Overflow::drop_oldest
                                                                  : storage::Overflow::reject_publish;
  c->ttl_ms = o->ttl_ms();
  c->priorities = o->priorities();
  switch (o->dlq_mode()) {
    case wire::DlqMode::None:
      c->dlq_mode = storage::DlqMode::none;
      return true;
    case wire::DlqMode::Named:
      c->dlq_mode = storage::DlqMode::named;
      c->dlq = std::string(str(o->dlq()));
      if (!c->dlq.empty()) return true;
      conn.send_error(corr, status(errc::invalid_argument, "dlq mode Named needs a dlq name"));
      return false;
    case wire::DlqMode::Default:
      c->dlq_mode = storage::DlqMode::default_queue;
      return true;
  }
  conn.send_error(corr, status(errc::invalid_argument, "unknown dlq mode"));
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------

void ConnectionSink::deliver(queue::DeliveryBatch batch) {
  auto conn = conn_.lock();
  if (!conn) return;
  const std::size_t bytes = batch.arena.size() + 64 * batch.deliveries.size();
  gauge_->posted.fetch_add(bytes, std::memory_order_relaxed);
  conn->post([batch = std::move(batch), bytes, gauge = gauge_](Connection& c) {
    gauge->posted.fetch_sub(bytes, std::memory_order_relaxed);
    auto& fbb = c.builder();
    std::vector<Offset<wire::Delivery>> items;
    items.reserve(batch.deliveries.size());
    for (const auto& d : batch.deliveries) {
      auto headers = build_headers(fbb, storage::decode_message_headers(d.headers, d.header_count));
      auto payload = fbb.CreateVector(d.payload.data(), d.payload.size());
      items.push_back(wire::CreateDelivery(fbb, d.message_id, d.tag, d.attempt, d.deadline_ms, d.priority,
                                           d.publish_ms, headers, payload));
    }
    auto vec = fbb.CreateVector(items);
    auto body = wire::CreateDeliveries(fbb, batch.subscription, vec);
    fbb.Finish(wire::CreateFrame(fbb, 0, wire::Body::Deliveries, body.Union()));
    c.send(fbb);
  });
}

void Dispatcher::connection_closed(Connection& conn) {
  if (conn.has_sink()) queues_.sink_closed(conn.sink());
}

void Dispatcher::create_queue(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_CreateQueue();
  queue::QueueConfig c;
  if (!to_config(conn, frame.correlation_id(), str(req->name()), req->options(), &c)) return;
  if (!begin(conn, frame.correlation_id())) return;
  queues_.create_queue(std::move(c), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::alter_queue(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_AlterQueue();
  queue::QueueConfig c;
  if (!to_config(conn, frame.correlation_id(), str(req->name()), req->options(), &c)) return;
  if (!begin(conn, frame.correlation_id())) return;
  queues_.alter_queue(std::move(c), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::delete_queue(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_DeleteQueue();
  if (!begin(conn, frame.correlation_id())) return;
  queues_.delete_queue(std::string(str(req->name())), req->keep_dlq(), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::purge_queue(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  queues_.purge_queue(std::string(str(frame.body_as_PurgeQueue()->name())),
                      reply<std::uint64_t>(conn, frame.correlation_id(), 0,
                                           [](Connection& c, std::uint64_t corr, std::uint64_t n) {
                                             auto& fbb = c.builder();
                                             auto body = wire::CreatePurgeOk(fbb, n);
                                             fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::PurgeOk, body.Union()));
                                             c.send(fbb);
                                           }));
}

void Dispatcher::list_queues(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  queues_.list_queues(reply<std::vector<queue::QueueDescription>>(
      conn, frame.correlation_id(), 0, [](Connection& c, std::uint64_t corr, const std::vector<queue::QueueDescription>& qs) {
        auto& fbb = c.builder();
        std::vector<Offset<wire::QueueInfo>> infos;
        for (const auto& d : qs) infos.push_back(build_queue_info(fbb, d));
        auto vec = fbb.CreateVector(infos);
        auto body = wire::CreateQueueList(fbb, vec);
        fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::QueueList, body.Union()));
        c.send(fbb);
      }));
}

void Dispatcher::describe_queue(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  queues_.describe_queue(std::string(str(frame.body_as_DescribeQueue()->name())),
                         reply<queue::QueueDescription>(
                             conn, frame.correlation_id(), 0,
                             [](Connection& c, std::uint64_t corr, const queue::QueueDescription& d) {
                               auto& fbb = c.builder();
                               auto info = build_queue_info(fbb, d);
                               fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::QueueInfo, info.Union()));
                               c.send(fbb);
                             }));
}

void Dispatcher::publish(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Publish();
  auto batch = to_batch(*req);
  const std::size_t bytes = batch.arena.size();
  if (!begin(conn, frame.correlation_id(), bytes)) return;
  queues_.publish(std::move(batch),
                  reply<std::vector<std::uint64_t>>(conn, frame.correlation_id(), bytes,
                                                    [](Connection& c, std::uint64_t corr, const std::vector<std::uint64_t>& ids) {
                                                      auto& fbb = c.builder();
                                                      auto body = build_publish_ok(fbb, ids);
                                                      fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::PublishOk, body.Union()));
                                                      c.send(fbb);
                                                    }));
}

void Dispatcher::subscribe(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Subscribe();
  if (!begin(conn, frame.correlation_id())) return;
  queues_.subscribe(std::string(str(req->queue())), req->prefetch(), conn.sink(),
                    reply<std::uint64_t>(conn, frame.correlation_id(), 0,
                                         [](Connection& c, std::uint64_t corr, std::uint64_t id) {
                                           auto& fbb = c.builder();
                                           auto body = wire::CreateSubscribeOk(fbb, id);
                                           fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::SubscribeOk, body.Union()));
                                           c.send(fbb);
                                         }));
}

void Dispatcher::unsubscribe(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  const auto* req = frame.body_as_Unsubscribe();
  queues_.unsubscribe_for(req->subscription(), req->release_from_tag(), conn.sink(),
                          reply_status(conn, frame.correlation_id()));
}

void Dispatcher::settle(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Settle();
  std::vector<queue::Settlement> items;
  if (req->items() != nullptr) {
    items.reserve(req->items()->size());
    for (const auto* s : *req->items()) items.push_back(to_settlement(*s));
  }
  if (items.empty()) return conn.send_error(frame.correlation_id(), status(errc::invalid_argument, "nothing to settle"));
  if (!begin(conn, frame.correlation_id())) return;
  queues_.settle(std::move(items), conn.sink(), req->durable(),
                 reply<std::vector<queue::SettleError>>(
                     conn, frame.correlation_id(), 0,
                     [](Connection& c, std::uint64_t corr, const std::vector<queue::SettleError>& errors) {
                       auto& fbb = c.builder();
                       std::vector<Offset<wire::SettleError>> out;
                       for (const auto& e : errors)
                         out.push_back(wire::CreateSettleError(fbb, e.index, static_cast<std::uint16_t>(e.error.code()),
                                                               fbb.CreateString(e.error.message().data(), e.error.message().size())));
                       auto vec = fbb.CreateVector(out);
                       auto body = wire::CreateSettleOk(fbb, vec);
                       fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::SettleOk, body.Union()));
                       c.send(fbb);
                     }));
}

void Dispatcher::ack_publish(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_AckPublish();
  queue::AckPublishRequest r;
  std::size_t bytes = 0;
  if (req->acks() != nullptr)
    for (const auto* a : *req->acks()) r.acks.push_back(to_settlement(*a));
  if (req->publishes() != nullptr)
    for (const auto* p : *req->publishes()) {
      r.publishes.push_back(to_batch(*p));
      bytes += r.publishes.back().arena.size();
    }
  if (req->produces() != nullptr)
    for (const auto* p : *req->produces()) {
      queue::AckPublishRequest::Produce out;
      out.topic = std::string(str(p->topic()));
      out.partition = p->partition();
      if (p->batch() != nullptr) out.batch.assign(p->batch()->begin(), p->batch()->end());
      bytes += out.batch.size();
      r.produces.push_back(std::move(out));
    }
  if (!begin(conn, frame.correlation_id(), bytes)) return;
  queues_.ack_and_publish(std::move(r), conn.sink(),
                          reply<queue::AckPublishResult>(
                              conn, frame.correlation_id(), bytes,
                              [](Connection& c, std::uint64_t corr, const queue::AckPublishResult& res) {
                                auto& fbb = c.builder();
                                std::vector<Offset<wire::PublishOk>> pubs;
                                for (const auto& ids : res.message_ids) pubs.push_back(build_publish_ok(fbb, ids));
                                auto pv = fbb.CreateVector(pubs);
                                auto offsets = fbb.CreateVector(res.base_offsets);
                                auto body = wire::CreateAckPublishOk(fbb, pv, offsets);
                                fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::AckPublishOk, body.Union()));
                                c.send(fbb);
                              }));
}

void Dispatcher::peek_queue(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_PeekQueue();
  if (!begin(conn, frame.correlation_id())) return;
  const std::uint32_t count = std::clamp<std::uint32_t>(req->count(), 1, 1000);
  queues_.peek(std::string(str(req->queue())), count,
               reply<std::vector<queue::MessageInfo>>(
                   conn, frame.correlation_id(), 0,
                   [](Connection& c, std::uint64_t corr, const std::vector<queue::MessageInfo>& msgs) {
                     auto& fbb = c.builder();
                     std::vector<Offset<wire::MessageInfo>> out;
                     for (const auto& m : msgs) out.push_back(build_message_info(fbb, m));
                     auto vec = fbb.CreateVector(out);
                     auto body = wire::CreateMessageList(fbb, vec);
                     fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::MessageList, body.Union()));
                     c.send(fbb);
                   }));
}

void Dispatcher::get_message(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_GetMessage();
  if (!begin(conn, frame.correlation_id())) return;
  queues_.get_message(std::string(str(req->queue())), req->id(),
                      reply<queue::MessageInfo>(conn, frame.correlation_id(), 0,
                                                [](Connection& c, std::uint64_t corr, const queue::MessageInfo& m) {
                                                  auto& fbb = c.builder();
                                                  auto info = build_message_info(fbb, m);
                                                  fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::MessageInfo, info.Union()));
                                                  c.send(fbb);
                                                }));
}

void Dispatcher::redrive(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Redrive();
  queue::RedriveRequest r;
  r.dlq = std::string(str(req->dlq()));
  r.target = std::string(str(req->to()));
  switch (req->select()) {
    case wire::RedriveSelect::Ids: r.select = queue::RedriveSelect::ids; break;
    case wire::RedriveSelect::Count: r.select = queue::RedriveSelect::count; break;
    case wire::RedriveSelect::All: r.select = queue::RedriveSelect::all; break;
    default:
      return conn.send_error(frame.correlation_id(), status(errc::invalid_argument, "unknown redrive selection"));
  }
  if (req->ids() != nullptr) r.ids.assign(req->ids()->begin(), req->ids()->end());
  r.count = req->count();
  if (!begin(conn, frame.correlation_id())) return;
  queues_.redrive(std::move(r), reply<std::uint64_t>(conn, frame.correlation_id(), 0,
                                                     [](Connection& c, std::uint64_t corr, std::uint64_t moved) {
                                                       auto& fbb = c.builder();
                                                       auto body = wire::CreateRedriveOk(fbb, moved);
                                                       fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::RedriveOk, body.Union()));
                                                       c.send(fbb);
                                                     }));
}

}  // namespace wharf::net
