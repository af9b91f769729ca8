// The native protocol's front door: the handshake and the switch that
// hands each request to its handler (log_requests.cc, queue_requests.cc).
#include "broker/net/dispatcher.h"

#include <fmt/format.h>

#include "broker/net/authorization.h"
#include "broker/net/connection.h"
#include "broker/net/server.h"
#include "protocol/frame.h"
#include "wharf_generated.h"

namespace wharf::net {

void Dispatcher::handle(Connection& conn, const wire::Frame& frame) {
  conn.server().requests().request(static_cast<std::size_t>(frame.body_type()));
  if (status st = authorize(security_, conn.principal(), frame); !st.ok()) {
    conn.send_error(frame.correlation_id(), st);
    return;
  }
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
    case wire::Body::JoinGroup:
      return join_group(conn, frame);
    case wire::Body::GroupHeartbeat:
      return group_heartbeat(conn, frame);
    case wire::Body::LeaveGroup:
      return leave_group(conn, frame);
    case wire::Body::ListGroups:
      return list_groups(conn, frame);
    case wire::Body::DescribeGroup:
      return describe_group(conn, frame);
    case wire::Body::DeleteGroup:
      return delete_group(conn, frame);
    case wire::Body::InitProducer:
      return init_producer(conn, frame);
    case wire::Body::CreateUser:
      return create_user(conn, frame);
    case wire::Body::SetUserCredentials:
      return set_user_credentials(conn, frame);
    case wire::Body::DeleteUser:
      return delete_user(conn, frame);
    case wire::Body::ListUsers:
      return list_users(conn, frame);
    case wire::Body::AddAcl:
    case wire::Body::RemoveAcl:
      return change_acl(conn, frame);
    case wire::Body::ListAcls:
      return list_acls(conn, frame);
    case wire::Body::Backup:
      return backup(conn, frame);
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

}  // namespace wharf::net
