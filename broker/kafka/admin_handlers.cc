// CreateTopics, DeleteTopics and DeleteRecords: Kafka's admin calls on
// Wharf's topics. One node means a replication factor of 1 and replica
// assignments that name node 0 only.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>

#include "broker/kafka/completion.h"
#include "broker/kafka/kafka_errors.h"
#include "broker/kafka/request_handlers.h"
#include "protocol/kafka/admin_messages.h"
#include "protocol/names.h"

namespace wharf::kafka {

namespace pk = protocol::kafka;

namespace {

// Topic configs that change nothing for a single node keeping whole
// batches in LMDB: accepted so that tools setting them work.
bool config_without_effect(const pk::TopicConfigEntry& c) {
  static const std::set<std::string, std::less<>> kIgnored = {
      "segment.bytes", "segment.ms", "segment.index.bytes", "segment.jitter.ms", "min.insync.replicas",
      "unclean.leader.election.enable", "max.message.bytes", "flush.messages", "flush.ms", "index.interval.bytes",
      "file.delete.delay.ms", "preallocate", "message.downconversion.enable", "local.retention.ms",
      "local.retention.bytes"};
  if (kIgnored.contains(c.name)) return true;
  const std::string value = c.value.value_or("");
  if (c.name == "cleanup.policy") return value == "delete";
  if (c.name == "compression.type") return value == "producer";
  if (c.name == "message.timestamp.type") return value == "CreateTime";
  return false;
}

// The topic a CreateTopics entry asks for, or why it cannot be made.
result<log::TopicConfig> to_topic_config(const pk::CreatableTopic& t, std::uint32_t default_partitions,
                                         pk::Error* error) {
  auto fail = [&](pk::Error e, std::string message) -> result<log::TopicConfig> {
    *error = e;
    return status(errc::invalid_argument, std::move(message));
  };
  if (status st = protocol::validate_name(t.name, "topic"); !st.ok()) return fail(pk::Error::invalid_topic_exception, std::string(st.message()));
  if (t.replication_factor != -1 && t.replication_factor != 1)
    return fail(pk::Error::invalid_replication_factor,
                fmt::format("replication factor {}: this broker is a single node (use 1)", t.replication_factor));
  log::TopicConfig config;
  config.name = t.name;
  config.partitions = t.partitions == -1 ? default_partitions : static_cast<std::uint32_t>(std::max(t.partitions, 0));
  if (!t.assignments.empty()) {
    if (t.partitions != -1) return fail(pk::Error::invalid_request, "give either a partition count or assignments");
    for (const auto& brokers : t.assignments)
      if (brokers.size() != 1 || brokers[0] != kNodeId)
        return fail(pk::Error::invalid_replica_assignment, "every partition must be assigned to node 0 alone");
    config.partitions = static_cast<std::uint32_t>(t.assignments.size());
  }
  if (t.partitions != -1 && (t.partitions < 1 || static_cast<std::uint32_t>(t.partitions) > protocol::kMaxPartitions))
    return fail(pk::Error::invalid_partitions,
                fmt::format("{} partitions: a topic has 1-{}", t.partitions, protocol::kMaxPartitions));
  for (const auto& c : t.configs) {
    if (c.name == "retention.ms" || c.name == "retention.bytes") {
      std::int64_t v = 0;
      const std::string value = c.value.value_or("");
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size() || (v < 1 && v != -1))
        return fail(pk::Error::invalid_config, fmt::format("{} must be -1 or a positive number, not '{}'", c.name, value));
      (c.name == "retention.ms" ? config.retention_ms : config.retention_bytes) = v;
    } else if (!config_without_effect(c)) {
      return fail(pk::Error::invalid_config,
                  fmt::format("topic config {}={} is not supported", c.name, c.value.value_or("null")));
    }
  }
  return config;
}

}  // namespace

bool handle_create_topics(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::CreateTopicsRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  auto call = hold_for_response<pk::CreateTopicsResponse>(s, h);
  auto& ctx = s.context();
  call->response.topics.resize(req.topics.size());
  for (std::size_t i = 0; i < req.topics.size(); ++i) {
    const auto& t = req.topics[i];
    auto& result = call->response.topics[i];
    result.name = t.name;
    const auto same_name = [&](const pk::CreatableTopic& o) { return o.name == t.name; };
    if (std::count_if(req.topics.begin(), req.topics.end(), same_name) > 1) {
      result.error = pk::Error::invalid_request;
      result.message = "the topic is named more than once";
      continue;
    }
    if (!s.may(auth::ResourceType::topic, t.name, auth::Operation::create)) {
      result.error = pk::Error::topic_authorization_failed;
      result.message = fmt::format("may not create topic '{}'", t.name);
      continue;
    }
    auto config = to_topic_config(t, ctx.config.default_partitions, &result.error);
    if (!config) {
      result.message = config.error().message();
      continue;
    }
    if (req.validate_only) {
      if (ctx.logs.describe_topic(t.name)) {
        result.error = pk::Error::topic_already_exists;
        result.message = fmt::format("topic '{}' already exists", t.name);
      }
      continue;
    }
    ++call->countdown.left;
    ctx.logs.create_topic(std::move(*config), back_on(s, [call, i](KafkaSession& session, status st) {
                            auto& r = call->response.topics[i];
                            r.error = to_kafka_error(st);
                            if (!st.ok()) r.message = st.message();
                            call->countdown.arrive(session);
                          }));
  }
  call->countdown.arrive(s);
  return true;
}

bool handle_delete_topics(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::DeleteTopicsRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  using Results = std::vector<pk::TopicResult>;
  auto call = hold_for_response<Results>(
      s, h, [](pk::Writer& w, std::int16_t version, const Results& r) { pk::encode_delete_topics(w, version, r); });
  call->response.resize(req.topics.size());
  for (std::size_t i = 0; i < req.topics.size(); ++i) {
    call->response[i].name = req.topics[i];
    if (!s.may(auth::ResourceType::topic, req.topics[i], auth::Operation::del)) {
      call->response[i].error = pk::Error::topic_authorization_failed;
      continue;
    }
    ++call->countdown.left;
    s.context().logs.delete_topic(req.topics[i], back_on(s, [call, i](KafkaSession& session, status st) {
                                    call->response[i].error = to_kafka_error(st);
                                    call->countdown.arrive(session);
                                  }));
  }
  call->countdown.arrive(s);
  return true;
}

bool handle_delete_records(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::DeleteRecordsRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  auto call = hold_for_response<pk::DeleteRecordsResponse>(s, h);
  auto& logs = s.context().logs;
  call->response.topics.resize(req.topics.size());
  for (std::size_t i = 0; i < req.topics.size(); ++i) {
    const auto& t = req.topics[i];
    auto& topic = call->response.topics[i];
    topic.name = t.name;
    topic.partitions.resize(t.partitions.size());
    const bool allowed = s.may(auth::ResourceType::topic, t.name, auth::Operation::del);
    for (std::size_t j = 0; j < t.partitions.size(); ++j) {
      const auto& p = t.partitions[j];
      auto& part = topic.partitions[j];
      part.index = p.index;
      if (!allowed) {
        part.error = pk::Error::topic_authorization_failed;
        continue;
      }
      if (p.index < 0 || (p.offset < 0 && p.offset != pk::kDeleteToHighWatermark)) {
        part.error = p.index < 0 ? pk::Error::unknown_topic_or_partition : pk::Error::offset_out_of_range;
        continue;
      }
      std::uint64_t before = static_cast<std::uint64_t>(p.offset);
      if (p.offset == pk::kDeleteToHighWatermark) {
        auto end = logs.list_offset(t.name, static_cast<std::uint32_t>(p.index), log::OffsetSpec::latest, 0);
        if (!end) {
          part.error = to_kafka_error(end.error());
          continue;
        }
        before = *end;
      }
      ++call->countdown.left;
      logs.delete_records(t.name, static_cast<std::uint32_t>(p.index), before,
                          back_on(s, [call, i, j](KafkaSession& session, result<std::uint64_t> start) {
                            auto& r = call->response.topics[i].partitions[j];
                            if (start) {
                              r.low_watermark = static_cast<std::int64_t>(*start);
                            } else {
                              r.error = to_kafka_error(start.error());
                            }
                            call->countdown.arrive(session);
                          }));
    }
  }
  call->countdown.arrive(s);
  return true;
}

}  // namespace wharf::kafka
