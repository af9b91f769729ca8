// Produce (and InitProducerId): each partition's record set becomes one stored batch (v2 as
// sent; magic 0/1 message sets converted up, off the I/O thread as
// compressed batches are checked), appended through the log engine and
// answered after the durable commit. acks=0 gets no response;
// a failure then closes the connection, as Kafka does, so the client
// notices.
#include <fmt/format.h>

#include <memory>

#include "base/clock.h"
#include "broker/kafka/completion.h"
#include "broker/kafka/kafka_errors.h"
#include "broker/kafka/request_handlers.h"
#include "broker/kafka/topic_creation.h"
#include "protocol/kafka/admin_messages.h"
#include "protocol/kafka/legacy_records.h"
#include "protocol/kafka/log_messages.h"
#include "protocol/record_batch.h"

namespace wharf::kafka {

namespace pk = protocol::kafka;

namespace {

struct ProduceCall {
  KafkaSession::Reply reply;
  bool acks0 = false;
  std::size_t bytes = 0;
  pk::ProduceResponse response;
  // Per partition of the response, in order: the batch to append, and
  // whether it is an old message set still to be converted.
  std::vector<std::vector<std::uint8_t>> batches;
  std::vector<bool> legacy;
  Countdown countdown;
  status first_error;
};

// One partition's record set, checked for its framing: a v2 batch, or an
// old message set (magic 0/1) to be converted before the append.
status check_record_set(std::span<const std::uint8_t> records) {
  const std::int8_t magic = pk::record_set_magic(records);
  if (magic == protocol::batch::kMagicV2) {
    if (records.size() < protocol::batch::kHeaderSize || protocol::batch::total_size(records.data()) != records.size())
      return status(errc::corrupt_batch, "a produce must carry exactly one record batch per partition");
    return {};
  }
  if (magic == 0 || magic == 1) return {};
  return status(errc::corrupt_batch, fmt::format("record set magic {} is unknown", magic));
}

void finish(KafkaSession& s, ProduceCall& call) {
  if (call.acks0) {
    s.end_async(call.bytes);
    if (!call.first_error.ok()) s.reject(fmt::format("a produce with acks=0 failed: {}", call.first_error.to_string()));
    return;
  }
  s.respond(call.reply, [&](pk::Writer& w) { pk::encode(w, call.reply.version, call.response); });
}

void set_error(ProduceCall& call, pk::ProducePartitionResult& result, const status& st) {
  result.error = to_kafka_error(st);
  if (call.first_error.ok()) call.first_error = st;
}

// Appends every batch that passed the checks; finishes once all are done.
void append_all(KafkaSession& s, const std::shared_ptr<ProduceCall>& call) {
  auto& logs = s.context().logs;
  call->countdown.last = [call = call.get()](KafkaSession& session) { finish(session, *call); };
  const log::LogEngine::Source source = &s;
  std::size_t i = 0;
  for (auto& topic : call->response.topics) {
    for (auto& part : topic.partitions) {
      const bool legacy = call->legacy[i];
      auto& batch = call->batches[i++];
      if (part.error != pk::Error::none) continue;
      ++call->countdown.left;
      auto done = back_on(s, [call, &part](KafkaSession& session, result<std::uint64_t> base) {
        if (base) {
          part.base_offset = static_cast<std::int64_t>(*base);
        } else {
          set_error(*call, part, base.error());
        }
        call->countdown.arrive(session);
      });
      const auto index = static_cast<std::uint32_t>(part.index);
      if (!legacy) {
        logs.produce(source, topic.name, index, std::move(batch), std::move(done));
        continue;
      }
      // Decompressing an old message set costs what checking a compressed
      // batch does: it runs where those checks run.
      logs.run_checked(source, [&logs, source, name = topic.name, index, set = std::move(batch),
                                done = std::move(done)]() mutable {
        auto converted = pk::upconvert_message_set(set, wall_clock_ms(), logs.max_batch_bytes());
        if (!converted) return done(result<std::uint64_t>(converted.error()));
        logs.produce(source, name, index, std::move(*converted), std::move(done));
      });
    }
  }
  call->countdown.arrive(s);
}

}  // namespace

bool handle_produce(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::ProduceRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  auto call = std::make_shared<ProduceCall>();
  for (const auto& t : req.topics)
    for (const auto& p : t.partitions) call->bytes += p.records ? p.records->size() : 0;
  call->acks0 = req.acks == 0;
  if (call->acks0) {
    s.begin_async(call->bytes);
  } else {
    call->reply = s.reply_to(h, call->bytes);
  }
  // Over the user's produce quota: served, then the connection waits.
  const auto wait = s.context().security.produce_quota().record(s.principal().user, call->bytes,
                                                                 std::chrono::steady_clock::now());
  call->response.throttle_time_ms = static_cast<std::int32_t>(wait.count());
  s.throttle(wait);
  status refused;
  if (req.acks != 0 && req.acks != 1 && req.acks != -1)
    refused = status(errc::invalid_argument, fmt::format("acks must be -1, 0 or 1, not {}", req.acks));
  if (req.transactional_id) refused = status(errc::invalid_argument, "transactions are not supported");
  std::vector<std::string> names;
  for (const auto& t : req.topics) {
    auto& topic = call->response.topics.emplace_back();
    topic.name = t.name;
    const bool allowed = s.may(auth::ResourceType::topic, t.name, auth::Operation::write);
    if (allowed) names.push_back(t.name);
    for (const auto& p : t.partitions) {
      auto& part = topic.partitions.emplace_back();
      part.index = p.index;
      auto& batch = call->batches.emplace_back();
      call->legacy.push_back(false);
      if (!allowed) {
        set_error(*call, part, status(errc::not_authorized, fmt::format("may not write topic '{}'", t.name)));
        continue;
      }
      if (!refused.ok()) {
        set_error(*call, part, refused);
        if (req.acks != 0 && req.acks != 1 && req.acks != -1) part.error = pk::Error::invalid_required_acks;
        continue;
      }
      if (p.index < 0) {
        set_error(*call, part, status(errc::unknown_partition, fmt::format("partition {}", p.index)));
        continue;
      }
      const auto records = p.records.value_or(std::span<const std::uint8_t>());
      if (status st = check_record_set(records); !st.ok()) {
        set_error(*call, part, st);
        continue;
      }
      batch.assign(records.begin(), records.end());
      call->legacy.back() = pk::record_set_magic(records) != protocol::batch::kMagicV2;
    }
  }
  if (!refused.ok()) {
    finish(s, *call);
    return true;
  }
  create_missing_topics(s, names, [call](KafkaSession& session) { append_all(session, call); });
  return true;
}

// A new producer id (epoch 0) for an idempotent producer; its sequences
// are checked per partition from then on.
bool handle_init_producer_id(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::InitProducerIdRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  auto reply = s.reply_to(h);
  if (req.transactional_id ||
      !s.context().security.allowed_somewhere(s.principal(), auth::ResourceType::topic, auth::Operation::write)) {
    pk::InitProducerIdResponse response;
    // No transactions on a Wharf broker; idempotence needs write somewhere.
    response.error = req.transactional_id ? pk::Error::invalid_request : pk::Error::cluster_authorization_failed;
    s.respond(reply, [&](pk::Writer& w) { pk::encode(w, reply.version, response); });
    return true;
  }
  s.context().logs.init_producer_id(back_on(s, [reply](KafkaSession& session, result<std::int64_t> id) {
    pk::InitProducerIdResponse response;
    if (id) {
      response.producer_id = *id;
      response.producer_epoch = 0;
    } else {
      response.error = to_kafka_error(id.error());
    }
    session.respond(reply, [&](pk::Writer& w) { pk::encode(w, reply.version, response); });
  }));
  return true;
}

}  // namespace wharf::kafka
