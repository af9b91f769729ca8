// OffsetCommit and OffsetFetch: a group's committed offsets, the same ones
// Wharf's own consumers and `wharf group offsets` use. Commits go through
// the coordinator, so only the group's current members commit while it has
// any (v0, without a generation, commits from outside the group).
#include <map>
#include <memory>

#include "broker/kafka/completion.h"
#include "broker/kafka/kafka_errors.h"
#include "broker/kafka/request_handlers.h"
#include "protocol/kafka/group_messages.h"

namespace wharf::kafka {

namespace pk = protocol::kafka;

namespace {

// A commit from outside a group that has members: Kafka's answer.
pk::Error commit_error(const status& st) {
  if (st.code() == errc::group_not_empty) return pk::Error::unknown_member_id;
  return to_kafka_group_error(st);
}

}  // namespace

bool handle_offset_commit(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::OffsetCommitRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  // An OffsetFetch right behind must see the commit.
  auto call = hold_for_response<pk::OffsetCommitResponse>(s, h);
  call->response.topics.resize(req.topics.size());
  const bool group_allowed = s.may(auth::ResourceType::group, req.group, auth::Operation::read);
  for (std::size_t i = 0; i < req.topics.size(); ++i) {
    auto& t = req.topics[i];
    auto& result = call->response.topics[i];
    result.name = t.name;
    const pk::Error refused = !group_allowed ? pk::Error::group_authorization_failed
                              : !s.may(auth::ResourceType::topic, t.name, auth::Operation::read)
                                  ? pk::Error::topic_authorization_failed
                                  : pk::Error::none;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets;
    for (const auto& p : t.partitions) {
      result.partitions.push_back({p.index, refused});
      if (refused != pk::Error::none) continue;
      if (p.index < 0 || p.offset < 0) {
        result.partitions.back().error = p.index < 0 ? pk::Error::unknown_topic_or_partition
                                                     : pk::Error::offset_out_of_range;
        continue;
      }
      offsets.emplace_back(static_cast<std::uint32_t>(p.index), static_cast<std::uint64_t>(p.offset));
    }
    if (offsets.empty()) continue;
    ++call->countdown.left;
    s.context().groups.commit(req.group, req.generation, req.member_id, req.group_instance_id, t.name,
                              std::move(offsets), back_on(s, [call, i](KafkaSession& session, status st) {
                                for (auto& p : call->response.topics[i].partitions)
                                  if (p.error == pk::Error::none) p.error = commit_error(st);
                                call->countdown.arrive(session);
                              }));
  }
  call->countdown.arrive(s);
  return true;
}

bool handle_offset_fetch(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::OffsetFetchRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  pk::OffsetFetchResponse resp;
  auto committed = s.may(auth::ResourceType::group, req.group, auth::Operation::describe)
                       ? s.context().logs.group_offsets(req.group, "")
                       : result<std::vector<log::GroupOffset>>(status(errc::not_authorized));
  if (!committed) {
    const pk::Error error = to_kafka_group_error(committed.error());
    if (h.api_version >= 2) {
      resp.error = error;
    } else if (req.topics) {
      // v0-1 have no top-level error: each partition carries it.
      for (const auto& t : *req.topics) {
        auto& topic = resp.topics.emplace_back();
        topic.name = t.name;
        for (auto p : t.partitions) topic.partitions.push_back({p, -1, error});
      }
    }
  } else {
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> by_partition;
    for (const auto& o : *committed)
      by_partition[{o.topic, static_cast<std::int32_t>(o.partition)}] = static_cast<std::int64_t>(o.offset);
    if (req.topics) {
      for (const auto& t : *req.topics) {
        auto& topic = resp.topics.emplace_back();
        topic.name = t.name;
        const bool visible = s.may(auth::ResourceType::topic, t.name, auth::Operation::describe);
        for (auto p : t.partitions) {
          auto it = by_partition.find({t.name, p});
          if (!visible) {
            topic.partitions.push_back({p, -1, pk::Error::topic_authorization_failed});
            continue;
          }
          topic.partitions.push_back({p, it == by_partition.end() ? -1 : it->second, pk::Error::none});
        }
      }
    } else {
      for (const auto& [tp, offset] : by_partition) {
        if (!s.may(auth::ResourceType::topic, tp.first, auth::Operation::describe)) continue;
        if (resp.topics.empty() || resp.topics.back().name != tp.first) resp.topics.push_back({tp.first, {}});
        resp.topics.back().partitions.push_back({tp.second, offset, pk::Error::none});
      }
    }
  }
  s.respond(s.reply_to(h), [&](pk::Writer& w) { pk::encode(w, h.api_version, resp); });
  return true;
}

}  // namespace wharf::kafka
