// Consumer-group requests of the native protocol: membership (join,
// heartbeat, leave) on the coordinator Kafka clients use too, and the
// admin views (list, describe with offsets and lag, delete).
#include <map>

#include "broker/auth/security_engine.h"
#include "broker/groups/assignors.h"
#include "broker/groups/group_coordinator.h"
#include "broker/groups/group_lag.h"
#include "broker/log/log_engine.h"
#include "broker/net/dispatcher.h"
#include "broker/net/request_helpers.h"

namespace wharf::net {

namespace {

Offset<flatbuffers::Vector<Offset<wire::TopicPartitions>>> build_partitions(
    Builder& fbb, const std::vector<protocol::kafka::TopicPartitions>& parts) {
  std::vector<Offset<wire::TopicPartitions>> out;
  for (const auto& tp : parts) {
    std::vector<std::uint32_t> ps(tp.partitions.begin(), tp.partitions.end());
    out.push_back(wire::CreateTopicPartitions(fbb, fbb.CreateString(tp.topic), fbb.CreateVector(ps)));
  }
  return fbb.CreateVector(out);
}

}  // namespace

void Dispatcher::join_group(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_JoinGroup();
  const auto corr = frame.correlation_id();
  groups::JoinRequest join;
  join.group = std::string(str(req->group()));
  join.member_id = std::string(str(req->member_id()));
  if (req->instance_id() != nullptr) join.instance_id = req->instance_id()->str();
  join.client_id = conn.client_id();
  join.client_host = conn.peer_address();
  join.session_timeout = std::chrono::milliseconds(req->session_timeout_ms());
  join.rebalance_timeout = std::chrono::milliseconds(std::max(req->rebalance_timeout_ms(), req->session_timeout_ms()));
  join.protocol_type = "consumer";
  std::vector<std::string> topics;
  if (req->topics() != nullptr)
    for (const auto* t : *req->topics()) topics.emplace_back(str(t));
  if (topics.empty()) return conn.send_error(corr, status(errc::invalid_argument, "a member subscribes to topics"));
  join.protocols = groups::wharf_member_protocols(topics);
  join.broker_assigned = true;
  if (!begin(conn, corr)) return;
  // The join answers once the generation is complete; the member's
  // assignment then comes from the sync (at once when the broker assigned).
  auto reply = reply_later<std::pair<groups::JoinResult, groups::Bytes>>(
      conn, corr, 0, [](Builder& fbb, const std::pair<groups::JoinResult, groups::Bytes>& r) {
        const auto& [joined, assignment] = r;
        return wire::CreateJoinGroupOk(fbb, joined.generation, fbb.CreateString(joined.member_id),
                                       fbb.CreateString(joined.leader), fbb.CreateString(joined.protocol),
                                       build_partitions(fbb, groups::assigned_partitions(assignment)));
      });
  groups_.join(std::move(join), [this, reply, group = std::string(str(req->group()))](groups::JoinResult joined) {
    if (!joined.error.ok()) return reply(joined.error);
    groups::SyncRequest sync;
    sync.group = group;
    sync.generation = joined.generation;
    sync.member_id = joined.member_id;
    groups_.sync(std::move(sync), [reply, joined](result<groups::Bytes> assignment) mutable {
      if (!assignment) return reply(assignment.error());
      reply(std::make_pair(std::move(joined), std::move(*assignment)));
    });
  });
}

void Dispatcher::group_heartbeat(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_GroupHeartbeat();
  status st = groups_.heartbeat(std::string(str(req->group())), req->generation(), std::string(str(req->member_id())));
  if (!st.ok()) return conn.send_error(frame.correlation_id(), st);
  conn.send_ok(frame.correlation_id());
}

void Dispatcher::leave_group(Connection& conn, const wire::Frame& frame) {
  const auto* req = frame.body_as_LeaveGroup();
  status st = groups_.leave(std::string(str(req->group())), std::string(str(req->member_id())));
  if (!st.ok()) return conn.send_error(frame.correlation_id(), st);
  conn.send_ok(frame.correlation_id());
}

void Dispatcher::list_groups(Connection& conn, const wire::Frame& frame) {
  auto list = groups_.list();
  if (!list) return conn.send_error(frame.correlation_id(), list.error());
  auto& fbb = conn.builder();
  std::vector<Offset<wire::GroupSummary>> out;
  for (const auto& g : *list)
    if (security_.allowed(conn.principal(), auth::ResourceType::group, g.group, auth::Operation::describe))
      out.push_back(wire::CreateGroupSummary(fbb, fbb.CreateString(g.group), fbb.CreateString(g.state),
                                           fbb.CreateString(g.protocol_type), static_cast<std::uint32_t>(g.members)));
  conn.reply(frame.correlation_id(), wire::CreateGroupList(fbb, fbb.CreateVector(out)));
}

void Dispatcher::describe_group(Connection& conn, const wire::Frame& frame) {
  const std::string group(str(frame.body_as_DescribeGroup()->group()));
  auto d = groups_.describe(group);
  if (!d) return conn.send_error(frame.correlation_id(), d.error());
  auto rows = groups::partition_lags(*d, logs_);
  if (!rows) return conn.send_error(frame.correlation_id(), rows.error());
  auto& fbb = conn.builder();
  std::vector<Offset<wire::GroupMember>> members;
  for (const auto& m : d->members)
    members.push_back(wire::CreateGroupMember(fbb, fbb.CreateString(m.member_id),
                                              m.instance_id ? fbb.CreateString(*m.instance_id) : 0,
                                              fbb.CreateString(m.client_id), fbb.CreateString(m.client_host),
                                              build_partitions(fbb, groups::assigned_partitions(m.assignment))));
  std::vector<Offset<wire::GroupPartition>> partitions;
  for (const auto& row : *rows)
    partitions.push_back(wire::CreateGroupPartition(fbb, fbb.CreateString(row.topic), row.partition, row.committed,
                                                    row.log_end, fbb.CreateString(row.member_id)));
  conn.reply(frame.correlation_id(),
             wire::CreateGroupInfo(fbb, fbb.CreateString(d->group), fbb.CreateString(d->state),
                                   fbb.CreateString(d->protocol_type), fbb.CreateString(d->protocol), d->generation,
                                   fbb.CreateString(d->leader), fbb.CreateVector(members),
                                   fbb.CreateVector(partitions)));
}

void Dispatcher::delete_group(Connection& conn, const wire::Frame& frame) {
  if (!begin(conn, frame.correlation_id())) return;
  groups_.delete_group(std::string(str(frame.body_as_DeleteGroup()->group())),
                       reply_status(conn, frame.correlation_id()));
}

}  // namespace wharf::net
