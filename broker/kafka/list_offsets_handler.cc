// ListOffsets: a partition's earliest or latest offset, or the first
// offset at or after a timestamp (-1 when no record is that late, as
// Kafka answers).
#include "broker/kafka/kafka_errors.h"
#include "broker/kafka/request_handlers.h"
#include "protocol/kafka/log_messages.h"

namespace wharf::kafka {

namespace pk = protocol::kafka;

bool handle_list_offsets(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::ListOffsetsRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  auto& logs = s.context().logs;
  pk::ListOffsetsResponse resp;
  for (const auto& t : req.topics) {
    auto& topic = resp.topics.emplace_back();
    topic.name = t.name;
    const bool allowed = s.may(auth::ResourceType::topic, t.name, auth::Operation::describe);
    for (const auto& p : t.partitions) {
      auto& part = topic.partitions.emplace_back();
      part.index = p.index;
      if (!allowed) {
        part.error = pk::Error::topic_authorization_failed;
        continue;
      }
      if (p.index < 0) {
        part.error = pk::Error::unknown_topic_or_partition;
        continue;
      }
      const auto index = static_cast<std::uint32_t>(p.index);
      if (p.timestamp == pk::kLatestTimestamp || p.timestamp == pk::kEarliestTimestamp) {
        auto r = logs.list_offset(t.name, index,
                                  p.timestamp == pk::kLatestTimestamp ? log::OffsetSpec::latest
                                                                      : log::OffsetSpec::earliest,
                                  0);
        if (r) {
          part.offset = static_cast<std::int64_t>(*r);
        } else {
          part.error = to_kafka_error(r.error());
        }
        continue;
      }
      auto found = logs.find_by_time(t.name, index, p.timestamp);
      if (!found) {
        part.error = to_kafka_error(found.error());
      } else if (*found) {
        part.offset = static_cast<std::int64_t>((*found)->offset);
        part.timestamp = (*found)->timestamp_ms;
      }
    }
  }
  s.respond(s.reply_to(h), [&](pk::Writer& w) { pk::encode(w, h.api_version, resp); });
  return true;
}

}  // namespace wharf::kafka
