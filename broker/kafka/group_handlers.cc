// The classic consumer group protocol for Kafka clients: FindCoordinator
// (always this node), JoinGroup, SyncGroup, Heartbeat and LeaveGroup on
// the shared coordinator, and ListGroups, DescribeGroups, DeleteGroups.
#include <memory>

#include "broker/kafka/completion.h"
#include "broker/kafka/kafka_errors.h"
#include "broker/kafka/request_handlers.h"
#include "protocol/kafka/group_messages.h"
#include "protocol/names.h"

namespace wharf::kafka {

namespace pk = protocol::kafka;

bool handle_find_coordinator(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::FindCoordinatorRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  pk::FindCoordinatorResponse resp;
  const auto& config = s.context().config;
  if (req.key_type != 0) {
    resp.error = pk::Error::invalid_request;
    resp.message = "transactions are not supported";
  } else if (status st = protocol::validate_name(req.key, "group"); !st.ok()) {
    resp.error = pk::Error::invalid_group_id;
    resp.message = st.message();
  } else if (!s.may(auth::ResourceType::group, req.key, auth::Operation::describe)) {
    resp.error = pk::Error::group_authorization_failed;
  } else {
    resp.node_id = kNodeId;
    resp.host = config.advertised_host;
    resp.port = config.advertised_port;
  }
  if (resp.error != pk::Error::none) resp.node_id = -1;
  s.respond(s.reply_to(h), [&](pk::Writer& w) { pk::encode(w, h.api_version, resp); });
  return true;
}

bool handle_join_group(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::JoinGroupRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  if (!s.may(auth::ResourceType::group, req.group, auth::Operation::read)) {
    const auto reply = s.reply_to(h);
    pk::JoinGroupResponse resp;
    resp.error = pk::Error::group_authorization_failed;
    s.respond(reply, [&](pk::Writer& w) { pk::encode(w, reply.version, resp); });
    return true;
  }
  groups::JoinRequest join;
  join.group = std::move(req.group);
  join.member_id = std::move(req.member_id);
  join.instance_id = std::move(req.group_instance_id);
  join.client_id = std::string(h.client_id.value_or(""));
  join.client_host = s.peer_address();
  join.session_timeout = std::chrono::milliseconds(req.session_timeout_ms);
  join.rebalance_timeout = std::chrono::milliseconds(std::max(req.rebalance_timeout_ms, req.session_timeout_ms));
  join.protocol_type = std::move(req.protocol_type);
  for (auto& p : req.protocols) join.protocols.push_back({std::move(p.name), std::move(p.metadata)});
  s.context().groups.join(std::move(join), back_on(s, [reply = s.reply_to(h)](KafkaSession& session,
                                                                                groups::JoinResult r) {
                            pk::JoinGroupResponse resp;
                            resp.error = to_kafka_group_error(r.error);
                            resp.generation = r.generation;
                            resp.protocol_name = std::move(r.protocol);
                            resp.leader = std::move(r.leader);
                            resp.member_id = std::move(r.member_id);
                            for (auto& m : r.members)
                              resp.members.push_back({std::move(m.member_id), std::move(m.instance_id),
                                                      std::move(m.metadata)});
                            session.respond(reply, [&](pk::Writer& w) { pk::encode(w, reply.version, resp); });
                          }));
  return true;
}

bool handle_sync_group(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::SyncGroupRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  if (!s.may(auth::ResourceType::group, req.group, auth::Operation::read)) {
    const auto reply = s.reply_to(h);
    pk::SyncGroupResponse resp;
    resp.error = pk::Error::group_authorization_failed;
    s.respond(reply, [&](pk::Writer& w) { pk::encode(w, reply.version, resp); });
    return true;
  }
  groups::SyncRequest sync;
  sync.group = std::move(req.group);
  sync.generation = req.generation;
  sync.member_id = std::move(req.member_id);
  sync.instance_id = std::move(req.group_instance_id);
  for (auto& a : req.assignments) sync.assignments.emplace_back(std::move(a.member_id), std::move(a.assignment));
  s.context().groups.sync(std::move(sync), back_on(s, [reply = s.reply_to(h)](KafkaSession& session,
                                                                                result<groups::Bytes> r) {
                            pk::SyncGroupResponse resp;
                            if (r) {
                              resp.assignment = std::move(*r);
                            } else {
                              resp.error = to_kafka_group_error(r.error());
                            }
                            session.respond(reply, [&](pk::Writer& w) { pk::encode(w, reply.version, resp); });
                          }));
  return true;
}

bool handle_heartbeat(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::HeartbeatRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  const status st = s.may(auth::ResourceType::group, req.group, auth::Operation::read)
                        ? s.context().groups.heartbeat(req.group, req.generation, req.member_id, req.group_instance_id)
                        : status(errc::not_authorized);
  s.respond(s.reply_to(h), [&](pk::Writer& w) { pk::encode_error_only(w, h.api_version, to_kafka_group_error(st)); });
  return true;
}

bool handle_leave_group(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::LeaveGroupRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  const status st = s.may(auth::ResourceType::group, req.group, auth::Operation::read)
                        ? s.context().groups.leave(req.group, req.member_id)
                        : status(errc::not_authorized);
  s.respond(s.reply_to(h), [&](pk::Writer& w) { pk::encode_error_only(w, h.api_version, to_kafka_group_error(st)); });
  return true;
}

bool handle_list_groups(KafkaSession& s, const RequestHeader& h, Reader& /*body*/) {
  pk::ListGroupsResponse resp;
  auto groups = s.context().groups.list();
  if (groups) {
    for (auto& g : *groups)
      if (s.may(auth::ResourceType::group, g.group, auth::Operation::describe))
        resp.groups.push_back({std::move(g.group), std::move(g.protocol_type)});
  } else {
    resp.error = to_kafka_group_error(groups.error());
  }
  s.respond(s.reply_to(h), [&](pk::Writer& w) { pk::encode(w, h.api_version, resp); });
  return true;
}

bool handle_describe_groups(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::DescribeGroupsRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  pk::DescribeGroupsResponse resp;
  for (auto& name : req.groups) {
    auto& out = resp.groups.emplace_back();
    out.group = name;
    if (!s.may(auth::ResourceType::group, name, auth::Operation::describe)) {
      out.error = pk::Error::group_authorization_failed;
      continue;
    }
    auto d = s.context().groups.describe(name);
    if (!d) {
      // Kafka describes a group it does not know as Dead, without an error.
      if (d.code() == errc::unknown_group) {
        out.state = "Dead";
      } else {
        out.error = to_kafka_group_error(d.error());
      }
      continue;
    }
    out.state = std::move(d->state);
    out.protocol_type = std::move(d->protocol_type);
    out.protocol = std::move(d->protocol);
    for (auto& m : d->members)
      out.members.push_back({std::move(m.member_id), std::move(m.instance_id), std::move(m.client_id),
                             std::move(m.client_host), std::move(m.metadata), std::move(m.assignment)});
  }
  s.respond(s.reply_to(h), [&](pk::Writer& w) { pk::encode(w, h.api_version, resp); });
  return true;
}

bool handle_delete_groups(KafkaSession& s, const RequestHeader& h, Reader& body) {
  pk::DeleteGroupsRequest req;
  if (!pk::decode(body, h.api_version, &req)) return false;
  auto call = hold_for_response<pk::DeleteGroupsResponse>(s, h);
  call->response.results.resize(req.groups.size());
  for (std::size_t i = 0; i < req.groups.size(); ++i) {
    call->response.results[i].group = req.groups[i];
    if (!s.may(auth::ResourceType::group, req.groups[i], auth::Operation::del)) {
      call->response.results[i].error = pk::Error::group_authorization_failed;
      continue;
    }
    ++call->countdown.left;
    s.context().groups.delete_group(req.groups[i], back_on(s, [call, i](KafkaSession& session, status st) {
                                      call->response.results[i].error = to_kafka_group_error(st);
                                      call->countdown.arrive(session);
                                    }));
  }
  call->countdown.arrive(s);
  return true;
}

}  // namespace wharf::kafka
