// Log requests of the native protocol: topics, produce, fetch (with its
// long poll), offsets and group offsets. Wire tables in, engine calls,
// reply frames out.
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cstring>

#include "broker/auth/security_engine.h"
#include "broker/groups/group_coordinator.h"
#include "broker/log/log_engine.h"
#include "broker/net/append_waiter.h"
#include "broker/net/dispatcher.h"
#include "broker/net/request_helpers.h"

namespace wharf::net {
namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
// Room for the FetchOk envelope around the batch bytes.
constexpr std::size_t kFetchEnvelope = 256;

// Replies with a fetch result; false if there was nothing to send yet and
// the caller may wait (only when `may_wait`).
bool reply_fetch(log::LogEngine& logs, auth::ByteRateQuota& quota, Connection& conn, std::uint64_t corr,
                 std::string_view topic, std::uint32_t partition, std::uint64_t offset, std::size_t max_bytes,
                 bool may_wait) {
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
    // Over the user's fetch quota: answered, then the connection waits.
    const auto throttle = quota.record(conn.principal().user, total, std::chrono::steady_clock::now());
    conn.throttle(throttle);
    conn.reply(corr, wire::CreateFetchOk(fbb, partition, view.log_start, view.high_watermark, vec,
                                         static_cast<std::uint32_t>(throttle.count())));
  });
  if (!err.error.ok()) {
    conn.send_error(corr, err.error, err.log_start, err.high_watermark);
    return true;
  }
  return !waiting;
}

// Long poll: waits for the log engine to say records arrived (woken by the
// writer after a commit) or until the deadline, then replies whatever is
// there.
asio::awaitable<void> long_poll(log::LogEngine& logs, auth::ByteRateQuota& quota, std::shared_ptr<Connection> conn,
                                std::uint64_t corr,
                                std::string topic, std::uint32_t partition, std::uint64_t offset,
                                std::size_t max_bytes, std::chrono::steady_clock::time_point deadline) {
  auto timer = std::make_shared<asio::steady_timer>(conn->executor());
  auto waiter = std::make_shared<AppendWaiter>(timer);
  conn->track_timer(timer);
  while (!conn->closed() && !conn->closing()) {
    auto wait = logs.wait_for_append(topic, partition, offset, waiter);
    // An error (the topic is gone) is for the reply below to report.
    if (!wait || (*wait)->ready() || std::chrono::steady_clock::now() >= deadline) break;
    timer->expires_at(deadline);
    co_await timer->async_wait(use_nothrow);
  }
  if (!conn->closed()) reply_fetch(logs, quota, *conn, corr, topic, partition, offset, max_bytes, false);
  waiter.reset();
  conn->end_async();
}

}  // namespace

void Dispatcher::create_topic(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_CreateTopic();
  if (!begin(conn, frame.correlation_id())) return;
  logs_.create_topic({std::string(str(req->name())), req->partitions(), req->retention_ms(), req->retention_bytes()},
                     reply_status(conn, frame.correlation_id()));
}

void Dispatcher::delete_topic(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_DeleteTopic();
  if (!begin(conn, frame.correlation_id())) return;
  logs_.delete_topic(std::string(str(req->name())), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::alter_topic(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  logs_.alter_topic(to_topic_change(*frame.body_as_AlterTopic()), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::delete_records(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_DeleteRecords();
  if (!begin(conn, frame.correlation_id())) return;
  logs_.delete_records(std::string(str(req->topic())), req->partition(), req->before_offset(),
                       reply_later<std::uint64_t>(conn, frame.correlation_id(), 0, [](Builder& fbb, std::uint64_t start) {
                         return wire::CreateDeleteRecordsOk(fbb, start);
                       }));
}

void Dispatcher::list_topics(Connection& conn, const wire::Frame& frame) {
  const auto topics = logs_.list_topics();
  auto& fbb = conn.builder();
  std::vector<Offset<wire::TopicInfo>> infos;
  infos.reserve(topics.size());
  for (const auto& t : topics)
    if (security_.allowed(conn.principal(), auth::ResourceType::topic, t.config.name, auth::Operation::describe))
      infos.push_back(build_topic_info(fbb, t));
  conn.reply(frame.correlation_id(), wire::CreateTopicList(fbb, fbb.CreateVector(infos)));
}

void Dispatcher::describe_topic(Connection& conn, const wire::Frame& frame) {
  auto d = logs_.describe_topic(str(frame.body_as_DescribeTopic()->name()));
  if (!d) return conn.send_error(frame.correlation_id(), d.error());
  auto& fbb = conn.builder();
  conn.reply(frame.correlation_id(), build_topic_info(fbb, *d));
}

void Dispatcher::produce(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Produce();
  const auto corr = frame.correlation_id();
  if (req->batch() == nullptr || req->batch()->size() == 0)
    return conn.send_error(corr, status(errc::corrupt_batch, "produce carries no batch"));
  const std::size_t bytes = req->batch()->size();
  if (!begin(conn, corr, bytes)) return;
  // Over the user's produce quota: served, then the connection waits.
  const auto throttle =
      security_.produce_quota().record(conn.principal().user, bytes, std::chrono::steady_clock::now());
  conn.throttle(throttle);
  std::vector<std::uint8_t> batch(req->batch()->begin(), req->batch()->end());
  logs_.produce(&conn, str(req->topic()), req->partition(), std::move(batch),
                reply_later<std::uint64_t>(conn, corr, bytes,
                                           [throttle = static_cast<std::uint32_t>(throttle.count())](
                                               Builder& fbb, std::uint64_t base) {
                                             return wire::CreateProduceOk(fbb, base, 0, throttle);
                                           }));
}

void Dispatcher::init_producer(Connection& conn, const wire::Frame& frame) {
  const auto corr = frame.correlation_id();
  if (!begin(conn, corr)) return;
  logs_.init_producer_id(reply_later<std::int64_t>(conn, corr, 0, [](Builder& fbb, std::int64_t id) {
    return wire::CreateInitProducerOk(fbb, id, 0);
  }));
}

void Dispatcher::fetch(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_Fetch();
  const auto corr = frame.correlation_id();
  const std::size_t frame_room = options_.max_frame_bytes - kFetchEnvelope - str(req->topic()).size();
  std::size_t max_bytes = req->max_bytes() == 0 ? frame_room : std::min<std::size_t>(req->max_bytes(), frame_room);
  const bool may_wait = req->max_wait_ms() > 0;
  if (reply_fetch(logs_, security_.fetch_quota(), conn, corr, str(req->topic()), req->partition(), req->offset(),
                  max_bytes, may_wait))
    return;
  if (!begin(conn, corr)) return;
  const auto wait = std::min(std::chrono::milliseconds(req->max_wait_ms()), options_.max_fetch_wait);
  asio::co_spawn(conn.executor(),
                 long_poll(logs_, security_.fetch_quota(), conn.shared_from_this(), corr,
                           std::string(str(req->topic())), req->partition(), req->offset(), max_bytes,
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
  conn.reply(frame.correlation_id(), wire::CreateOffsetOk(fbb, *r));
}

void Dispatcher::commit_offsets(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_CommitOffsets();
  std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets;
  if (req->offsets() != nullptr) {
    offsets.reserve(req->offsets()->size());
    for (const auto* o : *req->offsets()) offsets.emplace_back(o->partition(), o->offset());
  }
  if (!begin(conn, frame.correlation_id())) return;
  groups_.commit(std::string(str(req->group())), req->generation(), std::string(str(req->member_id())), std::nullopt,
                 std::string(str(req->topic())), std::move(offsets), reply_status(conn, frame.correlation_id()));
}

void Dispatcher::fetch_offsets(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_FetchOffsets();
  auto r = logs_.group_offsets(str(req->group()), str(req->topic()));
  if (!r) return conn.send_error(frame.correlation_id(), r.error());
  auto& fbb = conn.builder();
  std::vector<Offset<wire::GroupOffset>> entries;
  entries.reserve(r->size());
  for (const auto& o : *r)
    entries.push_back(wire::CreateGroupOffset(fbb, fbb.CreateString(o.topic), o.partition, o.offset, o.commit_time_ms));
  auto group = fbb.CreateString(str(req->group()));
  conn.reply(frame.correlation_id(), wire::CreateGroupOffsets(fbb, group, fbb.CreateVector(entries)));
}

}  // namespace wharf::net
