// Queue requests of the native protocol. Every reply is built on the
// connection's thread, after the engine's commit.
#include <algorithm>

#include "broker/auth/security_engine.h"
#include "broker/net/connection_sink.h"
#include "broker/net/dispatcher.h"
#include "broker/net/request_helpers.h"
#include "broker/queue/queue_engine.h"
#include "protocol/record_batch.h"

namespace wharf::net {

void Dispatcher::connection_closed(Connection& conn) {
  if (conn.has_sink()) queues_.sink_closed(conn.sink());
}

void Dispatcher::create_queue(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_CreateQueue();
  auto config = to_queue_config(str(req->name()), req->options());
  if (!config) return conn.send_error(frame.correlation_id(), config.error());
  if (!begin(conn, frame.correlation_id())) return;
  queues_.create_queue(std::move(*config), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::alter_queue(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_AlterQueue();
  auto config = to_queue_config(str(req->name()), req->options());
  if (!config) return conn.send_error(frame.correlation_id(), config.error());
  if (!begin(conn, frame.correlation_id())) return;
  queues_.alter_queue(std::move(*config), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::delete_queue(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_DeleteQueue();
  if (!begin(conn, frame.correlation_id())) return;
  queues_.delete_queue(std::string(str(req->name())), req->keep_dlq(), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::purge_queue(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  queues_.purge_queue(std::string(str(frame.body_as_PurgeQueue()->name())),
                      reply_later<std::uint64_t>(conn, frame.correlation_id(), 0, [](Builder& fbb, std::uint64_t n) {
                        return wire::CreatePurgeOk(fbb, n);
                      }));
}

void Dispatcher::list_queues(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  queues_.list_queues(reply_later<std::vector<queue::QueueDescription>>(
      conn, frame.correlation_id(), 0,
      [security = &security_, who = conn.principal()](Builder& fbb, const std::vector<queue::QueueDescription>& qs) {
        std::vector<Offset<wire::QueueInfo>> infos;
        for (const auto& d : qs)
          if (security->allowed(who, auth::ResourceType::queue, d.config.name, auth::Operation::describe))
            infos.push_back(build_queue_info(fbb, d));
        return wire::CreateQueueList(fbb, fbb.CreateVector(infos));
      }));
}

void Dispatcher::describe_queue(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  queues_.describe_queue(std::string(str(frame.body_as_DescribeQueue()->name())),
                         reply_later<queue::QueueDescription>(
                             conn, frame.correlation_id(), 0,
                             [](Builder& fbb, const queue::QueueDescription& d) { return build_queue_info(fbb, d); }));
}

void Dispatcher::publish(Connection& conn, const wire::Frame& frame) {
  auto batch = to_publish_batch(*frame.body_as_Publish());
  const std::size_t bytes = batch.arena.size();
  if (!begin(conn, frame.correlation_id(), bytes)) return;
  queues_.publish(std::move(batch), reply_later<std::vector<std::uint64_t>>(
                                        conn, frame.correlation_id(), bytes,
                                        [](Builder& fbb, const std::vector<std::uint64_t>& ids) {
                                          return build_publish_ok(fbb, ids);
                                        }));
}

void Dispatcher::subscribe(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Subscribe();
  if (!begin(conn, frame.correlation_id())) return;
  queues_.subscribe(std::string(str(req->queue())), req->prefetch(), conn.sink(),
                    reply_later<std::uint64_t>(conn, frame.correlation_id(), 0, [](Builder& fbb, std::uint64_t id) {
                      return wire::CreateSubscribeOk(fbb, id);
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
                 reply_later<std::vector<queue::SettleError>>(
                     conn, frame.correlation_id(), 0,
                     [](Builder& fbb, const std::vector<queue::SettleError>& errors) {
                       return build_settle_ok(fbb, errors);
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
      r.publishes.push_back(to_publish_batch(*p));
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
  auto reply = reply_later<queue::AckPublishResult>(
      conn, frame.correlation_id(), bytes, [](Builder& fbb, const queue::AckPublishResult& res) {
        std::vector<Offset<wire::PublishOk>> pubs;
        for (const auto& ids : res.message_ids) pubs.push_back(build_publish_ok(fbb, ids));
        auto pv = fbb.CreateVector(pubs);
        auto offsets = fbb.CreateVector(res.base_offsets);
        return wire::CreateAckPublishOk(fbb, pv, offsets);
      });
  // Its log batches are checked where a Produce's are when any is
  // compressed (decompressing holds no I/O thread), and behind this
  // connection's produces still being checked (its appends keep their order).
  const bool compressed = std::any_of(r.produces.begin(), r.produces.end(), [](const auto& p) {
    return p.batch.size() >= protocol::batch::kHeaderSize &&
           protocol::batch::codec(p.batch.data()) != protocol::Codec::none;
  });
  if (!r.produces.empty() && (compressed || logs_.checks_pending(&conn))) {
    logs_.run_checked(&conn, [this, r = std::move(r), sink = conn.sink(), reply = std::move(reply)]() mutable {
      queues_.ack_and_publish(std::move(r), std::move(sink), std::move(reply));
    });
    return;
  }
  queues_.ack_and_publish(std::move(r), conn.sink(), std::move(reply));
}

void Dispatcher::peek_queue(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_PeekQueue();
  if (!begin(conn, frame.correlation_id())) return;
  const std::uint32_t count = std::clamp<std::uint32_t>(req->count(), 1, 1000);
  queues_.peek(std::string(str(req->queue())), count,
               reply_later<std::vector<queue::MessageInfo>>(
                   conn, frame.correlation_id(), 0, [](Builder& fbb, const std::vector<queue::MessageInfo>& msgs) {
                     std::vector<Offset<wire::MessageInfo>> out;
                     for (const auto& m : msgs) out.push_back(build_message_info(fbb, m));
                     return wire::CreateMessageList(fbb, fbb.CreateVector(out));
                   }));
}

void Dispatcher::get_message(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_GetMessage();
  if (!begin(conn, frame.correlation_id())) return;
  queues_.get_message(std::string(str(req->queue())), req->id(),
                      reply_later<queue::MessageInfo>(
                          conn, frame.correlation_id(), 0,
                          [](Builder& fbb, const queue::MessageInfo& m) { return build_message_info(fbb, m); }));
}

void Dispatcher::redrive(Connection& conn, const wire::Frame& frame) {
  auto r = to_redrive(*frame.body_as_Redrive());
  if (!r) return conn.send_error(frame.correlation_id(), r.error());
  if (!begin(conn, frame.correlation_id())) return;
  queues_.redrive(std::move(*r), reply_later<std::uint64_t>(conn, frame.correlation_id(), 0,
                                                            [](Builder& fbb, std::uint64_t moved) {
                                                              return wire::CreateRedriveOk(fbb, moved);
                                                            }));
}

}  // namespace wharf::net
