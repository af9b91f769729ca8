// Turns verified request frames into engine calls (logs, queues, consumer
// groups) and engine results into
// reply frames. Every request gets exactly one reply: its result or a typed
// Error with the same correlation id.
#pragma once

#include <functional>
#include <string>

#include "broker/net/net_options.h"
#include "wharf/client.h"

namespace wharf::log {
class LogEngine;
}
namespace wharf::queue {
class QueueEngine;
}
namespace wharf::groups {
class GroupCoordinator;
}
namespace wharf::auth {
class SecurityEngine;
}

namespace wharf::wire {
struct Frame;
struct Fetch;
}  // namespace wharf::wire

namespace wharf::net {

class Connection;

// Writes an online backup into a directory and reports it (from another
// thread); the composition root gives the storage's.
using BackupWriter = std::function<void(std::string dir, std::function<void(result<BackupInfo>)> done)>;

class Dispatcher {
 public:
  Dispatcher(log::LogEngine& logs, queue::QueueEngine& queues, groups::GroupCoordinator& groups,
             auth::SecurityEngine& security, BackupWriter backups, const NetOptions& options,
             std::string broker_version)
      : logs_(logs),
        queues_(queues),
        groups_(groups),
        security_(security),
        backups_(std::move(backups)),
        options_(options),
        broker_version_(std::move(broker_version)) {}

  // The handshake (native_auth.cc): a Hello, and with SASL the client's
  // SaslResponse. `handshaken` once the connection may send requests;
  // `closing` when it failed and the connection closes (after the delay
  // of a failed login).
  enum class Handshake { handshaken, continuing, closing };
  Handshake hello(Connection& conn, const wire::Frame& frame);
  Handshake sasl_response(Connection& conn, const wire::Frame& frame);
  void handle(Connection& conn, const wire::Frame& frame);
  // The connection closed: its queue subscriptions end.
  void connection_closed(Connection& conn);

 private:
  void create_topic(Connection& conn, const wire::Frame& frame);
  void delete_topic(Connection& conn, const wire::Frame& frame);
  void alter_topic(Connection& conn, const wire::Frame& frame);
  void delete_records(Connection& conn, const wire::Frame& frame);
  void list_topics(Connection& conn, const wire::Frame& frame);
  void describe_topic(Connection& conn, const wire::Frame& frame);
  void produce(Connection& conn, const wire::Frame& frame);
  void init_producer(Connection& conn, const wire::Frame& frame);
  void fetch(Connection& conn, const wire::Frame& frame);
  void list_offsets(Connection& conn, const wire::Frame& frame);
  void commit_offsets(Connection& conn, const wire::Frame& frame);
  void fetch_offsets(Connection& conn, const wire::Frame& frame);
  // Consumer groups: group_requests.cc.
  void join_group(Connection& conn, const wire::Frame& frame);
  void group_heartbeat(Connection& conn, const wire::Frame& frame);
  void leave_group(Connection& conn, const wire::Frame& frame);
  void list_groups(Connection& conn, const wire::Frame& frame);
  void describe_group(Connection& conn, const wire::Frame& frame);
  void delete_group(Connection& conn, const wire::Frame& frame);
  // Queue requests: queue_dispatch.cc.
  void create_queue(Connection& conn, const wire::Frame& frame);
  void alter_queue(Connection& conn, const wire::Frame& frame);
  void delete_queue(Connection& conn, const wire::Frame& frame);
  void purge_queue(Connection& conn, const wire::Frame& frame);
  void list_queues(Connection& conn, const wire::Frame& frame);
  void describe_queue(Connection& conn, const wire::Frame& frame);
  void publish(Connection& conn, const wire::Frame& frame);
  void subscribe(Connection& conn, const wire::Frame& frame);
  void unsubscribe(Connection& conn, const wire::Frame& frame);
  void settle(Connection& conn, const wire::Frame& frame);
  void ack_publish(Connection& conn, const wire::Frame& frame);
  void peek_queue(Connection& conn, const wire::Frame& frame);
  void get_message(Connection& conn, const wire::Frame& frame);
  void redrive(Connection& conn, const wire::Frame& frame);
  // Users and ACLs: security_requests.cc.
  void create_user(Connection& conn, const wire::Frame& frame);
  void set_user_credentials(Connection& conn, const wire::Frame& frame);
  void delete_user(Connection& conn, const wire::Frame& frame);
  void list_users(Connection& conn, const wire::Frame& frame);
  void change_acl(Connection& conn, const wire::Frame& frame);
  void list_acls(Connection& conn, const wire::Frame& frame);
  // Online backup: backup_requests.cc.
  void backup(Connection& conn, const wire::Frame& frame);
  void hello_ok(Connection& conn, std::uint64_t correlation_id, std::string_view sasl_data);
  // Answers a failed login after `delay` (the login limiter's), then closes.
  Handshake refuse_login(Connection& conn, std::uint64_t correlation_id, const std::string& why,
                         std::chrono::milliseconds delay);

  log::LogEngine& logs_;
  queue::QueueEngine& queues_;
  groups::GroupCoordinator& groups_;
  auth::SecurityEngine& security_;
  BackupWriter backups_;
  const NetOptions& options_;
  std::string broker_version_;
};

}  // namespace wharf::net
