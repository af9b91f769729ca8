#include "broker/net/dispatcher.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <cstring>

#include "broker/log/log_engine.h"
#include "broker/net/connection.h"
#include "broker/net/request_helpers.h"
#include "protocol/frame.h"
#include "wharf_generated.h"

namespace wharf::net {
namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
// Room for the FetchOk envelope around the batch bytes.
constexpr std::size_t kFetchEnvelope = 256;

flatbuffers::Offset<wire::TopicInfo> build_topic_info(flatbuffers::FlatBufferBuilder& fbb,
                                                      const log::TopicDescription& d) {
  std::vector<flatbuffers::Offset<wire::PartitionInfo>> parts;
  parts.reserve(d.partitions.size());
  for (const auto& p : d.partitions)
    parts.push_back(wire::CreatePartitionInfo(fbb, p.partition, p.log_start, p.high_watermark, p.bytes, p.batches));
  auto name = fbb.CreateString(d.config.name);
  auto vec = fbb.CreateVector(parts);
  return wire::CreateTopicInfo(fbb, name, d.config.partitions, d.config.retention_ms,
                               d.config.retention_bytes, d.created_ms, vec);
}

// Replies with a fetch result; false if there was nothing to send yet and
// the caller may wait (only when `may_wait`).
bool reply_fetch(log::LogEngine& logs, Connection& conn, std::uint64_t corr, std::string_view topic,
                 std::uint32_t partition, std::uint64_t offset, std::size_t max_bytes, bool may_wait) {
  // A client that does not read its replies cannot make the broker buffer
  // more than its output limit plus one batch per fetch.
  max_bytes = std::min(max_bytes, std::max<std::size_t>(conn.output_budget(), 1));
  bool waiting = false;
  auto err = logs.fetch(topic, partition, offset, max_bytes, [&](const log::FetchView& view) {
    if (view.batches.empty() && may_wait) {
      waiting = true;
      return;
    }
    std::size_t total = 0;
    for (const auto& b : view.batches) total += b.size();
    auto& fbb = conn.builder();
    std::uint8_t* dst = nullptr;
    auto vec = fbb.CreateUninitializedVector(total, 1, &dst);
    for (const auto& b : view.batches) {
      std::memcpy(dst, b.data(), b.size());
      dst += b.size();
    }
    auto body = wire::CreateFetchOk(fbb, partition, view.log_start, view.high_watermark, vec);
    fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::FetchOk, body.Union()));
    conn.send(fbb);
  });
  if (!err.error.ok()) {
    conn.send_error(corr, err.error, err.log_start, err.high_watermark);
    return true;
  }
  return !waiting;
}

// Long poll: waits on the partition's WaitList (woken by the writer after a
// commit) or until the deadline, then replies whatever is there.
// The wait list holds the waiter, the coroutine owns the timer: a waiter
// left in a list after shutdown does not keep a timer past its io_context.
class FetchWaiter final : public log::Waiter {
 public:
  explicit FetchWaiter(const std::shared_ptr<asio::steady_timer>& timer) : timer_(timer), executor_(timer->get_executor()) {}
  void wake() override {
    if (timer_.expired()) return;
    asio::post(executor_, [t = timer_] {
      if (auto timer = t.lock()) timer->cancel();
    });
  }

 private:
  std::weak_ptr<asio::steady_timer> timer_;
  asio::any_io_executor executor_;
};

asio::awaitable<void> long_poll(log::LogEngine& logs, std::shared_ptr<Connection> conn,
                                std::uint64_t corr, std::string topic, std::uint32_t partition,
                                std::uint64_t offset, std::size_t max_bytes,
                                std::chrono::steady_clock::time_point deadline) {
  auto timer = std::make_shared<asio::steady_timer>(conn->executor());
  auto waiter = std::make_shared<FetchWaiter>(timer);
  conn->track_timer(timer);
  while (!conn->closed() && !conn->closing()) {
    auto wait = logs.wait_for_append(topic, partition, offset, waiter);
    // An error (the topic is gone) is for the reply below to report.
    if (!wait || (*wait)->ready() || std::chrono::steady_clock::now() >= deadline) break;
    timer->expires_at(deadline);
    co_await timer->async_wait(use_nothrow);
  }
  if (!conn->closed()) reply_fetch(logs, *conn, corr, topic, partition, offset, max_bytes, false);
  waiter.reset();
  conn->end_async();
}

}  // namespace

bool Dispatcher::hello(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Hello();
  if (req->protocol_version() != protocol::kProtocolVersion) {
    conn.send_error(frame.correlation_id(),
                    status(errc::unsupported_version,
                           fmt::format("client speaks protocol version {}, this broker speaks {}",
                                       req->protocol_version(), protocol::kProtocolVersion)));
    return false;
  }
  auto& fbb = conn.builder();
  auto version = fbb.CreateString(broker_version_);
  auto durability = fbb.CreateString(options_.durability);
  auto body = wire::CreateHelloOk(fbb, protocol::kProtocolVersion, version, options_.max_frame_bytes, durability);
  fbb.Finish(wire::CreateFrame(fbb, frame.correlation_id(), wire::Body::HelloOk, body.Union()));
  conn.send(fbb);
  return true;
}

void Dispatcher::handle(Connection& conn, const wire::Frame& frame) {
  switch (frame.body_type()) {
    case wire::Body::CreateTopic:
      return create_topic(conn, frame);
    case wire::Body::DeleteTopic:
      return delete_topic(conn, frame);
    case wire::Body::AlterTopic:
      return alter_topic(conn, frame);
    case wire::Body::DeleteRecords:
      return delete_records(conn, frame);
    case wire::Body::ListTopics:
      return list_topics(conn, frame);
    case wire::Body::DescribeTopic:
      return describe_topic(conn, frame);
    case wire::Body::Produce:
      return produce(conn, frame);
    case wire::Body::Fetch:
      return fetch(conn, frame);
    case wire::Body::ListOffsets:
      return list_offsets(conn, frame);
    case wire::Body::CommitOffsets:
      return commit_offsets(conn, frame);
    case wire::Body::FetchOffsets:
      return fetch_offsets(conn, frame);
    case wire::Body::CreateQueue:
      return create_queue(conn, frame);
    case wire::Body::DeleteQueue:
      return delete_queue(conn, frame);
    case wire::Body::AlterQueue:
      return alter_queue(conn, frame);
    case wire::Body::PurgeQueue:
      return purge_queue(conn, frame);
    case wire::Body::ListQueues:
      return list_queues(conn, frame);
    case wire::Body::DescribeQueue:
      return describe_queue(conn, frame);
    case wire::Body::Publish:
      return publish(conn, frame);
    case wire::Body::Subscribe:
      return subscribe(conn, frame);
    case wire::Body::Unsubscribe:
      return unsubscribe(conn, frame);
    case wire::Body::Settle:
      return settle(conn, frame);
    case wire::Body::AckPublish:
      return ack_publish(conn, frame);
    case wire::Body::PeekQueue:
      return peek_queue(conn, frame);
    case wire::Body::GetMessage:
      return get_message(conn, frame);
    case wire::Body::Redrive:
      return redrive(conn, frame);
    case wire::Body::Hello:
      return conn.send_error(frame.correlation_id(),
                             status(errc::unsupported_request, "the handshake is already done"));
    default:
      return conn.send_error(
          frame.correlation_id(),
          status(errc::unsupported_request,
                 fmt::format("frame body type {} is not a request this broker serves",
                             static_cast<int>(frame.body_type()))));
  }
}

void Dispatcher::create_topic(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_CreateTopic();
  if (!begin(conn, frame.correlation_id())) return;
  logs_.create_topic({std::string(str(req->name())), req->partitions(), req->retention_ms(),
                      req->retention_bytes()},
                     reply_status(conn, frame.correlation_id()));
}

void Dispatcher::delete_topic(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_DeleteTopic();
  if (!begin(conn, frame.correlation_id())) return;
  logs_.delete_topic(std::string(str(req->name())), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::alter_topic(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_AlterTopic();
  log::TopicChange change;
  change.name = std::string(str(req->name()));
  if (req->partitions()) change.partitions = *req->partitions();
  if (req->retention_ms()) change.retention_ms = *req->retention_ms();
  if (req->retention_bytes()) change.retention_bytes = *req->retention_bytes();
  if (!begin(conn, frame.correlation_id())) return;
  logs_.alter_topic(std::move(change), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::delete_records(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_DeleteRecords();
  const auto corr = frame.correlation_id();
  if (!begin(conn, corr)) return;
  logs_.delete_records(std::string(str(req->topic())), req->partition(), req->before_offset(),
                       [self = conn.shared_from_this(), corr](result<std::uint64_t> r) {
                         self->post([corr, r = std::move(r)](Connection& c) {
                           if (r.ok()) {
                             auto& fbb = c.builder();
                             auto body = wire::CreateDeleteRecordsOk(fbb, *r);
                             fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::DeleteRecordsOk, body.Union()));
                             c.send(fbb);
                           } else {
                             c.send_error(corr, r.error());
                           }
                           c.end_async();
                         });
                       });
}

void Dispatcher::list_topics(Connection& conn, const wire::Frame& frame) {
  const auto topics = logs_.list_topics();
  auto& fbb = conn.builder();
  std::vector<flatbuffers::Offset<wire::TopicInfo>> infos;
  infos.reserve(topics.size());
  for (const auto& t : topics) infos.push_back(build_topic_info(fbb, t));
  auto vec = fbb.CreateVector(infos);
  auto body = wire::CreateTopicList(fbb, vec);
  fbb.Finish(wire::CreateFrame(fbb, frame.correlation_id(), wire::Body::TopicList, body.Union()));
  conn.send(fbb);
}

void Dispatcher::describe_topic(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_DescribeTopic();
  auto d = logs_.describe_topic(str(req->name()));
  if (!d) return conn.send_error(frame.correlation_id(), d.error());
  auto& fbb = conn.builder();
  auto info = build_topic_info(fbb, *d);
  fbb.Finish(wire::CreateFrame(fbb, frame.correlation_id(), wire::Body::TopicInfo, info.Union()));
  conn.send(fbb);
}

void Dispatcher::produce(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Produce();
  const auto corr = frame.correlation_id();
  if (req->batch() == nullptr || req->batch()->size() == 0)
    return conn.send_error(corr, status(errc::corrupt_batch, "produce carries no batch"));
  const std::size_t bytes = req->batch()->size();
  if (!begin(conn, corr, bytes)) return;
  std::vector<std::uint8_t> batch(req->batch()->begin(), req->batch()->end());
  logs_.produce(str(req->topic()), req->partition(), std::move(batch),
                [self = conn.shared_from_this(), corr, bytes](result<std::uint64_t> r) {
                  self->post([corr, bytes, r = std::move(r)](Connection& c) {
                    if (r.ok()) {
                      auto& fbb = c.builder();
                      auto body = wire::CreateProduceOk(fbb, *r, 0);
                      fbb.Finish(wire::CreateFrame(fbb, corr, wire::Body::ProduceOk, body.Union()));
                      c.send(fbb);
                    } else {
                      c.send_error(corr, r.error());
                    }
                    c.end_async(bytes);
                  });
                });
}

void Dispatcher::fetch(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Fetch();
  const auto corr = frame.correlation_id();
  const std::size_t frame_room = options_.max_frame_bytes - kFetchEnvelope - str(req->topic()).size();
  std::size_t max_bytes = req->max_bytes() == 0 ? frame_room : std::min<std::size_t>(req->max_bytes(), frame_room);
  const bool may_wait = req->max_wait_ms() > 0;
  if (reply_fetch(logs_, conn, corr, str(req->topic()), req->partition(), req->offset(), max_bytes, may_wait))
    return;
  if (!begin(conn, corr)) return;
  const auto wait = std::min(std::chrono::milliseconds(req->max_wait_ms()), options_.max_fetch_wait);
  asio::co_spawn(conn.executor(),
                 long_poll(logs_, conn.shared_from_this(), corr, std::string(str(req->topic())),
                           req->partition(), req->offset(), max_bytes,
                           std::chrono::steady_clock::now() + wait),
                 [self = conn.shared_from_this()](std::exception_ptr e) {
                   if (e) self->close();
                 });
}

void Dispatcher::list_offsets(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_ListOffsets();
  log::OffsetSpec spec = log::OffsetSpec::earliest;
  switch (req->spec()) {
    case wire::OffsetSpec::Earliest:
      spec = log::OffsetSpec::earliest;
      break;
    case wire::OffsetSpec::Latest:
      spec = log::OffsetSpec::latest;
      break;
    case wire::OffsetSpec::Timestamp:
      spec = log::OffsetSpec::timestamp;
      break;
    default:
      return conn.send_error(frame.correlation_id(), status(errc::invalid_argument, "unknown offset spec"));
  }
  auto r = logs_.list_offset(str(req->topic()), req->partition(), spec, req->timestamp_ms());
  if (!r) return conn.send_error(frame.correlation_id(), r.error());
  auto& fbb = conn.builder();
  auto body = wire::CreateOffsetOk(fbb, *r);
  fbb.Finish(wire::CreateFrame(fbb, frame.correlation_id(), wire::Body::OffsetOk, body.Union()));
  conn.send(fbb);
}

void Dispatcher::commit_offsets(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_CommitOffsets();
  std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets;
  if (req->offsets() != nullptr) {
    offsets.reserve(req->offsets()->size());
    for (const auto* o : *req->offsets()) offsets.emplace_back(o->partition(), o->offset());
  }
  if (!begin(conn, frame.correlation_id())) return;
  logs_.commit_offsets(std::string(str(req->group())), std::string(str(req->topic())),
                       std::move(offsets), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::fetch_offsets(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_FetchOffsets();
  auto r = logs_.group_offsets(str(req->group()), str(req->topic()));
  if (!r) return conn.send_error(frame.correlation_id(), r.error());
  auto& fbb = conn.builder();
  std::vector<flatbuffers::Offset<wire::GroupOffset>> entries;
  entries.reserve(r->size());
  for (const auto& o : *r)
    entries.push_back(wire::CreateGroupOffset(fbb, fbb.CreateString(o.topic), o.partition, o.offset, o.commit_time_ms));
  auto group = fbb.CreateString(str(req->group()));
  auto vec = fbb.CreateVector(entries);
  auto body = wire::CreateGroupOffsets(fbb, group, vec);
  fbb.Finish(wire::CreateFrame(fbb, frame.correlation_id(), wire::Body::GroupOffsets, body.Union()));
  conn.send(fbb);
}

}  // namespace wharf::net
