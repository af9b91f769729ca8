#include "broker/net/wire_conversions.h"

#include <array>

namespace wharf::net {
namespace {

wire::DlqMode to_wire(queue::DeadLetter d) {
  switch (d) {
    case queue::DeadLetter::none: return wire::DlqMode::None;
    case queue::DeadLetter::named: return wire::DlqMode::Named;
    case queue::DeadLetter::default_queue: return wire::DlqMode::Default;
  }
  return wire::DlqMode::None;
}

Offset<wire::QueueOptions> build_queue_options(Builder& fbb, const queue::QueueConfig& c) {
  auto dlq = fbb.CreateString(c.dlq);
  return wire::CreateQueueOptions(
      fbb, c.ack_deadline_ms, c.max_deliveries, c.backoff_initial_ms, c.backoff_multiplier, c.backoff_max_ms,
      to_wire(c.dead_letter), dlq, c.max_length,
      c.overflow == queue::Overflow::drop_oldest ? wire::OverflowPolicy::DropOldest : wire::OverflowPolicy::RejectPublish,
      c.ttl_ms, c.priorities);
}

}  // namespace

Offset<wire::TopicInfo> build_topic_info(Builder& fbb, const log::TopicDescription& d) {
  std::vector<Offset<wire::PartitionInfo>> parts;
  parts.reserve(d.partitions.size());
  for (const auto& p : d.partitions)
    parts.push_back(wire::CreatePartitionInfo(fbb, p.partition, p.log_start, p.high_watermark, p.bytes, p.batches));
  auto name = fbb.CreateString(d.config.name);
  auto vec = fbb.CreateVector(parts);
  return wire::CreateTopicInfo(fbb, name, d.config.partitions, d.config.retention_ms, d.config.retention_bytes,
                               d.created_ms, vec);
}

Offset<wire::QueueInfo> build_queue_info(Builder& fbb, const queue::QueueDescription& d) {
  auto name = fbb.CreateString(d.config.name);
  auto options = build_queue_options(fbb, d.config);
  return wire::CreateQueueInfo(fbb, name, options, d.ready, d.delayed, d.in_flight, d.consumers, d.oldest_age_ms,
                               d.dead_lettered, d.dropped, d.expired, d.config.created_ms);
}

Offset<flatbuffers::Vector<Offset<wire::MessageHeader>>> build_headers(Builder& fbb,
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

Offset<wire::MessageInfo> build_message_info(Builder& fbb, const queue::MessageInfo& m) {
  std::vector<Header> headers;
  for (const auto& [k, v] : m.headers) headers.push_back({k, v});
  auto hdrs = build_headers(fbb, headers);
  std::vector<Offset<wire::MessageEvent>> events;
  for (const auto& e : m.history)
    events.push_back(wire::CreateMessageEvent(fbb, e.time_ms, fbb.CreateString(e.outcome),
                                              fbb.CreateString(e.consumer), fbb.CreateString(e.reason)));
  auto history = fbb.CreateVector(events);
  auto payload = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(m.payload.data()), m.payload.size());
  auto queue = fbb.CreateString(m.queue);
  auto state = fbb.CreateString(queue::message_state_name(m.state));
  auto origin = fbb.CreateString(m.origin_queue);
  return wire::CreateMessageInfo(fbb, queue, m.id, state, m.attempts, m.deadline_ms, m.priority, m.publish_ms,
                                 m.expires_ms, origin, hdrs, payload, history);
}

Offset<wire::PublishOk> build_publish_ok(Builder& fbb, const std::vector<std::uint64_t>& ids) {
  std::vector<Offset<wire::PublishError>> errors;
  for (std::uint32_t i = 0; i < ids.size(); ++i)
    if (ids[i] == 0)
      errors.push_back(wire::CreatePublishError(fbb, i, static_cast<std::uint16_t>(errc::queue_full),
                                                fbb.CreateString("the queue is at its max length")));
  auto v = fbb.CreateVector(ids);
  auto e = errors.empty() ? Offset<flatbuffers::Vector<Offset<wire::PublishError>>>() : fbb.CreateVector(errors);
  return wire::CreatePublishOk(fbb, v, e);
}

Offset<wire::SettleOk> build_settle_ok(Builder& fbb, const std::vector<queue::SettleError>& errors) {
  std::vector<Offset<wire::SettleError>> out;
  for (const auto& e : errors)
    out.push_back(wire::CreateSettleError(fbb, e.index, static_cast<std::uint16_t>(e.error.code()),
                                          fbb.CreateString(e.error.message().data(), e.error.message().size())));
  auto vec = fbb.CreateVector(out);
  return wire::CreateSettleOk(fbb, vec);
}

result<queue::QueueConfig> to_queue_config(std::string_view name, const wire::QueueOptions* o) {
  queue::QueueConfig c;
  c.name = std::string(name);
  if (o == nullptr) return c;
  c.ack_deadline_ms = o->ack_deadline_ms();
  c.max_deliveries = o->max_deliveries();
  c.backoff_initial_ms = o->backoff_initial_ms();
  c.backoff_multiplier = o->backoff_multiplier();
  c.backoff_max_ms = o->backoff_max_ms();
  c.max_length = o->max_length();
  c.overflow = o->overflow() == wire::OverflowPolicy::DropOldest ? queue::Overflow::drop_oldest
                                                                 : queue::Overflow::reject_publish;
  c.ttl_ms = o->ttl_ms();
  c.priorities = o->priorities();
  switch (o->dlq_mode()) {
    case wire::DlqMode::None:
      c.dead_letter = queue::DeadLetter::none;
      return c;
    case wire::DlqMode::Named:
      c.dead_letter = queue::DeadLetter::named;
      c.dlq = std::string(str(o->dlq()));
      if (c.dlq.empty()) return status(errc::invalid_argument, "dlq mode Named needs a dlq name");
      return c;
    case wire::DlqMode::Default:
      c.dead_letter = queue::DeadLetter::default_queue;
      return c;
  }
  return status(errc::invalid_argument, "unknown dlq mode");
}

queue::PublishBatch to_publish_batch(const wire::Publish& p) {
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

result<queue::RedriveRequest> to_redrive(const wire::Redrive& req) {
  queue::RedriveRequest r;
  r.dlq = std::string(str(req.dlq()));
  r.target = std::string(str(req.to()));
  switch (req.select()) {
    case wire::RedriveSelect::Ids: r.select = queue::RedriveSelect::ids; break;
    case wire::RedriveSelect::Count: r.select = queue::RedriveSelect::count; break;
    case wire::RedriveSelect::All: r.select = queue::RedriveSelect::all; break;
    default: return status(errc::invalid_argument, "unknown redrive selection");
  }
  if (req.ids() != nullptr) r.ids.assign(req.ids()->begin(), req.ids()->end());
  r.count = req.count();
  return r;
}

log::TopicChange to_topic_change(const wire::AlterTopic& a) {
  log::TopicChange change;
  change.name = std::string(str(a.name()));
  if (a.partitions()) change.partitions = *a.partitions();
  if (a.retention_ms()) change.retention_ms = *a.retention_ms();
  if (a.retention_bytes()) change.retention_bytes = *a.retention_bytes();
  return change;
}

}  // namespace wharf::net
