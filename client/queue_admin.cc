// Client's queue administration and the atomic ack-and-publish.
#include <fmt/format.h>

#include "client/client_impl.h"
#include "protocol/names.h"
#include "protocol/record_batch.h"
#include "protocol/frame_builder.h"

namespace wharf {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

Offset<wire::QueueOptions> build_options(FlatBufferBuilder& fbb, const QueueOptions& o) {
  auto dlq = fbb.CreateString(o.dlq);
  const auto mode = o.dead_letter == DeadLetter::none    ? wire::DlqMode::None
                    : o.dead_letter == DeadLetter::named ? wire::DlqMode::Named
                                                         : wire::DlqMode::Default;
  return wire::CreateQueueOptions(fbb, o.ack_deadline.count(), o.max_deliveries, o.backoff_initial.count(),
                                  o.backoff_multiplier, o.backoff_max.count(), mode, dlq, o.max_length,
                                  o.overflow == Overflow::drop_oldest ? wire::OverflowPolicy::DropOldest
                                                                      : wire::OverflowPolicy::RejectPublish,
                                  o.ttl_ms, o.priorities);
}

QueueInfo to_queue_info(const wire::QueueInfo& q) {
  QueueInfo info;
  info.name = str(q.name());
  if (const auto* o = q.options(); o != nullptr) {
    info.options.ack_deadline = std::chrono::milliseconds(o->ack_deadline_ms());
    info.options.max_deliveries = o->max_deliveries();
    info.options.backoff_initial = std::chrono::milliseconds(o->backoff_initial_ms());
    info.options.backoff_multiplier = o->backoff_multiplier();
    info.options.backoff_max = std::chrono::milliseconds(o->backoff_max_ms());
    info.options.dead_letter = o->dlq_mode() == wire::DlqMode::None    ? DeadLetter::none
                               : o->dlq_mode() == wire::DlqMode::Named ? DeadLetter::named
                                                                       : DeadLetter::default_queue;
    info.options.dlq = str(o->dlq());
    info.options.max_length = o->max_length();
    info.options.overflow =
        o->overflow() == wire::OverflowPolicy::DropOldest ? Overflow::drop_oldest : Overflow::reject_publish;
    info.options.ttl_ms = o->ttl_ms();
    info.options.priorities = o->priorities();
  }
  info.ready = q.ready();
  info.delayed = q.delayed();
  info.in_flight = q.in_flight();
  info.consumers = q.consumers();
  info.oldest_age_ms = q.oldest_age_ms();
  info.dead_lettered = q.dead_lettered();
  info.dropped = q.dropped();
  info.expired = q.expired();
  info.created_ms = q.created_ms();
  return info;
}

MessageInfo to_message_info(const wire::MessageInfo& m) {
  MessageInfo info;
  info.queue = str(m.queue());
  info.id = m.id();
  info.state = str(m.state());
  info.attempts = m.attempts();
  info.deadline_ms = m.deadline_ms();
  info.priority = m.priority();
  info.publish_ms = m.publish_ms();
  info.expires_ms = m.expires_ms();
  info.origin_queue = str(m.origin_queue());
  if (m.headers() != nullptr)
    for (const auto* h : *m.headers())
      info.headers.emplace_back(str(h->key()), h->value() ? std::string(h->value()->begin(), h->value()->end()) : "");
  if (m.payload() != nullptr) info.payload.assign(m.payload()->begin(), m.payload()->end());
  if (m.history() != nullptr)
    for (const auto* e : *m.history())
      info.history.push_back({e->time_ms(), str(e->outcome()), str(e->consumer()), str(e->reason())});
  return info;
}

Offset<wire::Publish> build_publish(FlatBufferBuilder& fbb, const std::string& queue,
                                    const std::vector<std::string>& payloads) {
  std::vector<Offset<wire::OutMessage>> msgs;
  for (const auto& p : payloads) {
    auto payload = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(p.data()), p.size());
    msgs.push_back(wire::CreateOutMessage(fbb, payload));
  }
  auto q = fbb.CreateString(queue);
  auto v = fbb.CreateVector(msgs);
  return wire::CreatePublish(fbb, q, v);
}

}  // namespace

status Client::create_queue(std::string_view name, const QueueOptions& options) {
  if (status st = protocol::validate_name(name, "queue"); !st.ok()) return st;
  auto r = impl_->call<bool>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto o = build_options(fbb, options);
        auto body = wire::CreateCreateQueue(fbb, n, o);
        protocol::finish_frame(fbb, corr, body);
      },
      expect_ok);
  return r.error();
}

status Client::alter_queue(std::string_view name, const QueueOptions& options) {
  if (status st = protocol::validate_name(name, "queue"); !st.ok()) return st;
  auto r = impl_->call<bool>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto o = build_options(fbb, options);
        auto body = wire::CreateAlterQueue(fbb, n, o);
        protocol::finish_frame(fbb, corr, body);
      },
      expect_ok);
  return r.error();
}

status Client::delete_queue(std::string_view name, bool keep_dlq) {
  auto r = impl_->call<bool>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto body = wire::CreateDeleteQueue(fbb, n, keep_dlq);
        protocol::finish_frame(fbb, corr, body);
      },
      expect_ok);
  return r.error();
}

result<std::uint64_t> Client::purge_queue(std::string_view name) {
  return impl_->call<std::uint64_t>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto body = wire::CreatePurgeQueue(fbb, n);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::uint64_t> {
        const auto* ok = f.body_as_PurgeOk();
        if (ok == nullptr) return unexpected_reply(f);
        return ok->purged();
      });
}

result<std::vector<QueueInfo>> Client::list_queues() {
  return impl_->call<std::vector<QueueInfo>>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto body = wire::CreateListQueues(fbb);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::vector<QueueInfo>> {
        const auto* list = f.body_as_QueueList();
        if (list == nullptr) return unexpected_reply(f);
        std::vector<QueueInfo> out;
        if (list->queues() != nullptr)
          for (const auto* q : *list->queues()) out.push_back(to_queue_info(*q));
        return out;
      });
}

result<QueueInfo> Client::describe_queue(std::string_view name) {
  return impl_->call<QueueInfo>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto body = wire::CreateDescribeQueue(fbb, n);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<QueueInfo> {
        const auto* q = f.body_as_QueueInfo();
        if (q == nullptr) return unexpected_reply(f);
        return to_queue_info(*q);
      });
}

result<std::vector<MessageInfo>> Client::peek(std::string_view queue, std::uint32_t count) {
  return impl_->call<std::vector<MessageInfo>>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto q = fbb.CreateString(queue.data(), queue.size());
        auto body = wire::CreatePeekQueue(fbb, q, count);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::vector<MessageInfo>> {
        const auto* list = f.body_as_MessageList();
        if (list == nullptr) return unexpected_reply(f);
        std::vector<MessageInfo> out;
        if (list->messages() != nullptr)
          for (const auto* m : *list->messages()) out.push_back(to_message_info(*m));
        return out;
      });
}

result<MessageInfo> Client::get_message(std::string_view queue, std::uint64_t id) {
  return impl_->call<MessageInfo>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto q = fbb.CreateString(queue.data(), queue.size());
        auto body = wire::CreateGetMessage(fbb, q, id);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<MessageInfo> {
        const auto* m = f.body_as_MessageInfo();
        if (m == nullptr) return unexpected_reply(f);
        return to_message_info(*m);
      });
}

result<std::uint64_t> Client::redrive(std::string_view dlq, const RedriveOptions& o) {
  const int selections = (o.ids.empty() ? 0 : 1) + (o.count > 0 ? 1 : 0) + (o.all ? 1 : 0);
  if (selections != 1) return status(errc::invalid_argument, "redrive wants exactly one of ids, count or all");
  return impl_->call<std::uint64_t>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto d = fbb.CreateString(dlq.data(), dlq.size());
        auto to = fbb.CreateString(o.to);
        auto ids = fbb.CreateVector(o.ids);
        const auto select = !o.ids.empty() ? wire::RedriveSelect::Ids
                            : o.all        ? wire::RedriveSelect::All
                                           : wire::RedriveSelect::Count;
        auto body = wire::CreateRedrive(fbb, d, to, select, ids, o.count);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::uint64_t> {
        const auto* ok = f.body_as_RedriveOk();
        if (ok == nullptr) return unexpected_reply(f);
        return ok->moved();
      });
}

result<AckPublishResult> Client::ack_and_publish(const AckPublish& request) {
  // Log records travel as record batches, built here like a producer's.
  std::vector<std::vector<std::uint8_t>> batches;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (const auto& a : request.appends) {
    if (a.values.empty()) return status(errc::invalid_argument, "an append has no records");
    protocol::batch::Builder b;
    for (const auto& v : a.values) {
      ProducerRecord r;
      r.value = v;
      b.add(r, now);
    }
    auto bytes = b.finish();
    batches.emplace_back(bytes.begin(), bytes.end());
  }
  return impl_->call<AckPublishResult>(
      [&](FlatBufferBuilder& fbb, std::uint64_t corr) {
        std::vector<Offset<wire::SettleItem>> acks;
        for (const auto& d : request.acks)
          acks.push_back(wire::CreateSettleItem(fbb, d.subscription(), d.id(), d.tag(), wire::SettleKind::Ack));
        std::vector<Offset<wire::Publish>> pubs;
        for (const auto& p : request.publishes) pubs.push_back(build_publish(fbb, p.queue, p.payloads));
        std::vector<Offset<wire::LogAppend>> appends;
        for (std::size_t i = 0; i < request.appends.size(); ++i) {
          auto t = fbb.CreateString(request.appends[i].topic);
          auto b = fbb.CreateVector(batches[i]);
          appends.push_back(wire::CreateLogAppend(fbb, t, request.appends[i].partition, b));
        }
        auto av = fbb.CreateVector(acks);
        auto pv = fbb.CreateVector(pubs);
        auto lv = fbb.CreateVector(appends);
        auto body = wire::CreateAckPublish(fbb, av, pv, lv);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<AckPublishResult> {
        const auto* ok = f.body_as_AckPublishOk();
        if (ok == nullptr) return unexpected_reply(f);
        AckPublishResult out;
        if (ok->publishes() != nullptr)
          for (const auto* p : *ok->publishes())
            out.message_ids.emplace_back(p->ids() ? std::vector<std::uint64_t>(p->ids()->begin(), p->ids()->end())
                                                  : std::vector<std::uint64_t>());
        if (ok->base_offsets() != nullptr)
          for (auto b : *ok->base_offsets()) out.base_offsets.push_back(static_cast<std::int64_t>(b));
        return out;
      });
}

}  // namespace wharf
