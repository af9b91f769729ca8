// Metadata: the one node, and the topics asked for (all of them when the
// request names none), creating unknown ones when allowed.
#include "broker/kafka/request_handlers.h"
#include "broker/kafka/kafka_errors.h"
#include "broker/kafka/topic_creation.h"
#include "protocol/kafka/log_messages.h"

namespace wharf::kafka {

namespace pk = protocol::kafka;

namespace {

pk::MetadataTopic describe(const log::TopicDescription& d) {
  pk::MetadataTopic t;
  t.name = d.config.name;
  t.partitions.resize(d.config.partitions);
  for (std::uint32_t p = 0; p < d.config.partitions; ++p) t.partitions[p].index = static_cast<std::int32_t>(p);
  return t;
}

void answer(KafkaSession& s, const KafkaSession::Reply& reply, const std::optional<std::vector<std::string>>& names) {
  auto& ctx = s.context();
  pk::MetadataResponse resp;
  resp.node_id = kNodeId;
  resp.host = ctx.config.advertised_host;
  resp.port = ctx.config.advertised_port;
  resp.cluster_id = ctx.config.cluster_id;
  const auto describable = [&s](const std::string& name) {
    return s.may(auth::ResourceType::topic, name, auth::Operation::describe);
  };
  if (!names) {
    // All topics: those the user may describe, as Kafka lists them.
    for (const auto& d : ctx.logs.list_topics())
      if (describable(d.config.name)) resp.topics.push_back(describe(d));
  } else {
    for (const auto& name : *names) {
      if (!describable(name)) {
        auto& t = resp.topics.emplace_back();
        t.name = name;
        t.error = pk::Error::topic_authorization_failed;
        continue;
      }
      auto d = ctx.logs.describe_topic(name);
      if (d) {
        resp.topics.push_back(describe(*d));
      } else {
        auto& t = resp.topics.emplace_back();
        t.name = name;
        t.error = to_kafka_error(d.error());
      }
    }
  }
  s.respond(reply, [&](pk::Writer& w) { pk::encode(w, reply.version, resp); });
}

}  // namespace

bool handle_metadata(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::MetadataRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  const auto reply = s.reply_to(h);
  if (!req.topics || !req.allow_auto_topic_creation) {
    answer(s, reply, req.topics);
    return true;
  }
  auto names = *req.topics;
  create_missing_topics(s, names, [reply, names = std::move(req.topics)](KafkaSession& session) {
    answer(session, reply, names);
  });
  return true;
}

}  // namespace wharf::kafka
