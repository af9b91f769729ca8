// Client's consumer-group administration: list, describe, delete.
#include "client/client_impl.h"
#include "protocol/frame_builder.h"
#include "protocol/names.h"

namespace wharf {
namespace {

std::vector<TopicPartition> to_partitions(
    const flatbuffers::Vector<flatbuffers::Offset<wire::TopicPartitions>>* parts) {
  std::vector<TopicPartition> out;
  if (parts == nullptr) return out;
  for (const auto* tp : *parts)
    if (tp->partitions() != nullptr)
      for (auto p : *tp->partitions()) out.push_back({str(tp->topic()), p});
  return out;
}

GroupInfo to_group_info(const wire::GroupInfo& g) {
  GroupInfo info;
  info.group = str(g.group());
  info.state = str(g.state());
  info.protocol_type = str(g.protocol_type());
  info.protocol = str(g.protocol());
  info.generation = g.generation();
  info.leader = str(g.leader());
  if (g.members() != nullptr)
    for (const auto* m : *g.members()) {
      GroupMemberInfo member;
      member.member_id = str(m->member_id());
      if (m->instance_id() != nullptr) member.instance_id = m->instance_id()->str();
      member.client_id = str(m->client_id());
      member.client_host = str(m->client_host());
      member.assignment = to_partitions(m->assignment());
      info.members.push_back(std::move(member));
    }
  if (g.partitions() != nullptr)
    for (const auto* p : *g.partitions())
      info.partitions.push_back({str(p->topic()), p->partition(), p->committed(), p->log_end(), str(p->member_id())});
  return info;
}

}  // namespace

result<std::vector<GroupSummary>> Client::list_groups() {
  return impl_->call<std::vector<GroupSummary>>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        protocol::finish_frame(fbb, corr, wire::CreateListGroups(fbb));
      },
      [](const wire::Frame& f) -> result<std::vector<GroupSummary>> {
        const auto* list = f.body_as_GroupList();
        if (list == nullptr) return unexpected_reply(f);
        std::vector<GroupSummary> out;
        if (list->groups() != nullptr)
          for (const auto* g : *list->groups())
            out.push_back({str(g->group()), str(g->state()), str(g->protocol_type()), g->members()});
        return out;
      });
}

result<GroupInfo> Client::describe_group(std::string_view group) {
  if (status st = protocol::validate_name(group, "group"); !st.ok()) return st;
  return impl_->call<GroupInfo>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto g = fbb.CreateString(group.data(), group.size());
        protocol::finish_frame(fbb, corr, wire::CreateDescribeGroup(fbb, g));
      },
      [](const wire::Frame& f) -> result<GroupInfo> {
        const auto* g = f.body_as_GroupInfo();
        if (g == nullptr) return unexpected_reply(f);
        return to_group_info(*g);
      });
}

status Client::delete_group(std::string_view group) {
  if (status st = protocol::validate_name(group, "group"); !st.ok()) return st;
  return to_status(impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto g = fbb.CreateString(group.data(), group.size());
        protocol::finish_frame(fbb, corr, wire::CreateDeleteGroup(fbb, g));
      },
      expect_ok));
}

}  // namespace wharf
