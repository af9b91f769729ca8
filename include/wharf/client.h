// wharf/client.h — a connection to a broker, and the admin calls on it.
//
// A Client owns one TCP connection and one I/O thread. Producers and
// consumers are built on a Client and share its connection; the Client
// must outlive them. Every method is thread-safe and blocking unless its
// name says otherwise. Errors are wharf::errc values (wharf/errors.h):
//   connection_failed  broker unreachable: check the address, retry later
//   disconnected       the connection dropped before the reply; the outcome
//                      of a write is unknown; the next call reconnects
//   timeout            no reply within request_timeout
// plus the per-call errors listed below.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wharf/errors.h"
#include "wharf/options.h"
#include "wharf/queue.h"
#include "wharf/record.h"

namespace wharf {

struct TopicSpec {
  std::string name;
  std::uint32_t partitions = 1;
  std::int64_t retention_ms = -1;     // -1: keep forever
  std::int64_t retention_bytes = -1;  // -1: no size limit; per partition
};

// What alter_topic changes; fields left empty stay as they are.
struct TopicChanges {
  std::optional<std::uint32_t> partitions = std::nullopt;     // may only grow
  std::optional<std::int64_t> retention_ms = std::nullopt;     // -1: keep forever
  std::optional<std::int64_t> retention_bytes = std::nullopt;  // -1: no size limit
};

struct PartitionInfo {
  std::uint32_t partition = 0;
  std::int64_t log_start = 0;       // first offset still stored
  std::int64_t high_watermark = 0;  // offset the next record will get
  std::uint64_t bytes = 0;
  std::uint64_t batches = 0;
};

struct TopicInfo {
  std::string name;
  std::uint32_t partitions = 0;
  std::int64_t retention_ms = -1;
  std::int64_t retention_bytes = -1;
  std::int64_t created_ms = 0;
  std::vector<PartitionInfo> partition_info;
};

struct CommittedOffset {
  std::string topic;
  std::uint32_t partition = 0;
  std::int64_t offset = 0;  // the next offset the group will read
  std::int64_t commit_time_ms = 0;
};

// A user, as `list_users` shows it.
struct UserSummary {
  std::string name;
  bool admin = false;
  std::vector<std::string> mechanisms;  // "SCRAM-SHA-256", "SCRAM-SHA-512"
};

// An online backup the broker wrote (Client::backup): its directory on the
// broker's machine, the data file's size and SHA-256, and what it holds.
struct BackupInfo {
  struct Partition {
    std::string topic;
    std::uint32_t partition = 0;
    std::uint64_t log_start = 0;
    std::uint64_t next_offset = 0;  // the backup holds [log_start, next_offset)
  };
  std::string dir;
  std::int64_t created_ms = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
  std::vector<Partition> partitions;
  std::vector<std::string> queues;
};

// One ACL entry (docs/SECURITY.md). Deny wins over allow; with auth on,
// nothing is allowed unless granted.
struct AclRule {
  std::string principal;      // a user name, or "*" for every user
  std::string resource_type;  // topic, queue, group, cluster
  std::string resource_name;  // a name, "*", or (pattern prefix) a prefix; cluster: "cluster"
  std::string pattern = "literal";  // literal, prefix
  std::string operation;            // read, write, create, delete, alter, describe
  std::string permission = "allow";  // allow, deny
};

// A consumer group, as `list_groups` shows it.
struct GroupSummary {
  std::string group;
  std::string state;          // Empty, PreparingRebalance, CompletingRebalance, Stable
  std::string protocol_type;  // "consumer" for Kafka clients and Wharf's consumers
  std::uint32_t members = 0;
};

struct GroupMemberInfo {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  std::vector<TopicPartition> assignment;
};

// A partition the group has an offset for or a member is assigned.
struct GroupPartitionInfo {
  std::string topic;
  std::uint32_t partition = 0;
  std::int64_t committed = -1;  // -1: no committed offset
  std::int64_t log_end = -1;
  std::string member_id;        // empty: no member owns it
  // Records not yet consumed: log end - committed; -1 when either is unknown.
  std::int64_t lag() const { return committed < 0 || log_end < 0 ? -1 : log_end - committed; }
};

struct GroupInfo {
  std::string group;
  std::string state;
  std::string protocol_type;
  std::string protocol;  // the assignor of the current generation
  std::int32_t generation = 0;
  std::string leader;
  std::vector<GroupMemberInfo> members;
  std::vector<GroupPartitionInfo> partitions;
};

// What the broker said about itself in the handshake.
struct BrokerInfo {
  std::string version;
  std::string durability;  // "sync" or "relaxed"
  std::uint32_t max_frame_bytes = 0;
};

class Client {
 public:
  // Connects and completes the handshake. Errors: connection_failed,
  // unsupported_version (broker too old or too new), timeout.
  static result<std::unique_ptr<Client>> connect(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Errors: invalid_name, invalid_argument (partitions 1-10000, retention
  // positive or -1), topic_exists.
  status create_topic(const TopicSpec& spec);
  // Deletes the topic, its data (in the background) and its group offsets.
  // Errors: unknown_topic.
  status delete_topic(std::string_view name);
  // Adds partitions and changes retention. Records keep their partitions;
  // keys hash over the new count from now on. Errors: unknown_topic,
  // invalid_argument (fewer partitions, a retention of 0).
  status alter_topic(std::string_view name, const TopicChanges& changes);
  // Makes `before_offset` the partition's first offset (as Kafka's
  // DeleteRecords): older records are no longer served and their batches
  // are deleted. Returns the new first offset. Errors: unknown_topic,
  // unknown_partition, offset_out_of_range (past the end).
  result<std::int64_t> delete_records(std::string_view topic, std::uint32_t partition, std::int64_t before_offset);
  result<std::vector<TopicInfo>> list_topics();
  // Errors: unknown_topic.
  result<TopicInfo> describe_topic(std::string_view name);

  // First offset, next offset, or first offset whose timestamp >= ts
  // (the next offset when there is none). Errors: unknown_topic,
  // unknown_partition.
  result<std::int64_t> earliest_offset(std::string_view topic, std::uint32_t partition);
  result<std::int64_t> latest_offset(std::string_view topic, std::uint32_t partition);
  result<std::int64_t> offset_for_time(std::string_view topic, std::uint32_t partition,
                                       std::int64_t timestamp_ms);

  // Durably records offsets for a group, from outside it (an application
  // tracking its own progress, a reset). Errors: invalid_name,
  // unknown_topic, unknown_partition, offset_out_of_range (past the end),
  // group_not_empty (the group has members: only they commit).
  status commit_offsets(std::string_view group, std::string_view topic,
                        const std::vector<std::pair<std::uint32_t, std::int64_t>>& offsets);
  // A group's committed offsets, for one topic or (empty) all.
  result<std::vector<CommittedOffset>> committed_offsets(std::string_view group,
                                                         std::string_view topic = {});

  // Consumer groups with members or committed offsets; Kafka clients'
  // groups too.
  result<std::vector<GroupSummary>> list_groups();
  // State, members, assignment, and per partition the committed offset and
  // log end. Errors: unknown_group.
  result<GroupInfo> describe_group(std::string_view group);
  // Deletes a group and its committed offsets. Errors: group_not_empty
  // (members are connected), unknown_group.
  status delete_group(std::string_view group);

  // --- users and ACLs (docs/SECURITY.md; admins, or cluster alter) ---
  // The password is turned into salted SCRAM-SHA-256 and SCRAM-SHA-512
  // keys here: it never reaches the broker. Errors: invalid_name,
  // user_exists, unknown_user, not_authorized.
  status create_user(std::string_view name, std::string_view password, bool admin = false);
  status set_password(std::string_view name, std::string_view password);
  status delete_user(std::string_view name);
  result<std::vector<UserSummary>> list_users();
  // Errors: invalid_argument (an unknown word), invalid_name, unknown_acl.
  status add_acl(const AclRule& rule);
  status remove_acl(const AclRule& rule);
  result<std::vector<AclRule>> list_acls();

  // --- operations ---
  // Has the broker write a consistent, compacted copy of its data directory
  // into `dir` (on the broker's machine; created, or empty) while it keeps
  // serving, with a manifest, backup.json. `wharfd --data-dir DIR` serves
  // the copy (docs/OPERATIONS.md, "Backup and restore"). Takes as long as
  // copying the data once: raise ClientOptions::request_timeout for large
  // brokers. Errors: invalid_argument (no directory, or not empty),
  // too_many_requests (a backup is being written; retry later),
  // not_authorized (needs cluster alter), io_error.
  result<BackupInfo> backup(std::string_view dir);

  // --- queues (see wharf/queue.h) ---
  // Errors: invalid_name, invalid_argument (an option out of range),
  // queue_exists, unknown_queue (a named dead-letter queue is missing).
  status create_queue(std::string_view name, const QueueOptions& options = {});
  // Sets every option of a queue but `priorities` (fixed at creation:
  // invalid_argument if it differs). Take the current options from
  // describe_queue and change what you need. New publishes and deliveries
  // follow the new options. Errors: as create_queue, and unknown_queue.
  status alter_queue(std::string_view name, const QueueOptions& options);
  // The queue's messages are deleted in the background. Its default
  // dead-letter queue ("<name>.dlq") goes with it unless keep_dlq, or
  // another queue sends dead letters there too; a dead-letter queue named
  // at creation is never deleted with it. Errors: unknown_queue.
  status delete_queue(std::string_view name, bool keep_dlq = false);
  // Deletes the ready and delayed messages; returns how many.
  result<std::uint64_t> purge_queue(std::string_view name);
  result<std::vector<QueueInfo>> list_queues();
  result<QueueInfo> describe_queue(std::string_view name);
  // The next `count` ready messages in delivery order, without delivering them.
  result<std::vector<MessageInfo>> peek(std::string_view queue, std::uint32_t count = 10);
  // State, attempts, deadline and history of a message; a dead-lettered
  // message is found through its original queue too. Errors: unknown_message.
  result<MessageInfo> get_message(std::string_view queue, std::uint64_t id);
  // Moves messages from a dead-letter queue back (to their original queue or
  // options.to), keeping ids and history; attempts restart. Returns how many moved.
  result<std::uint64_t> redrive(std::string_view dlq, const RedriveOptions& options);
  // See AckPublish in wharf/queue.h. Errors: those of each part; nothing
  // is written when any part fails.
  result<AckPublishResult> ack_and_publish(const AckPublish& request);

  // Drops the connection (failing what is pending with `disconnected`) and
  // connects again.
  status reconnect();
  bool connected() const;
  const ClientOptions& options() const noexcept;
  // From the last handshake.
  BrokerInfo broker_info() const;

  struct Impl;
  Impl& impl() noexcept { return *impl_; }

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf
