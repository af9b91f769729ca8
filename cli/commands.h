// The `wharf` command-line tool: one function per command. Each returns
// the process exit code (0 ok, 1 broker or data error, 2 usage error) and
// prints errors to stderr. With --json, a command's result is one JSON
// object (or one per line for streams of records and messages).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wharf/client.h"

namespace wharf::cli {

struct Context {
  std::string broker;
  bool json = false;
  TlsClientOptions tls;
  std::string user;
  std::string password;
  std::chrono::milliseconds request_timeout{0};  // 0: the client's default
};

// --- operations (backup_command.cc) ---
int backup(const Context& ctx, const std::string& dir);

// --- users and ACLs (security_commands.cc) ---
struct UserArgs {
  std::string name;
  bool admin = false;
  bool password_stdin = false;
};
int user_create(const Context& ctx, const UserArgs& args);
int user_passwd(const Context& ctx, const UserArgs& args);
int user_delete(const Context& ctx, const UserArgs& args);
int user_list(const Context& ctx);
struct AclArgs {
  std::string principal;
  std::string resource_type;
  std::string resource;
  bool prefix = false;
  std::string operation;
  bool deny = false;
};
int acl_change(const Context& ctx, const AclArgs& args, bool add);
int acl_list(const Context& ctx);

// Connects, printing the error on failure.
std::unique_ptr<Client> connect(const Context& ctx);
int fail(const status& st);
int usage(const std::string& message);

// --- topics and records (topic_commands.cc, data_commands.cc) ---
struct TopicCreateArgs {
  std::string name;
  std::uint32_t partitions = 1;
  std::int64_t retention_ms = -1;
  std::int64_t retention_bytes = -1;
};
int topic_create(const Context& ctx, const TopicCreateArgs& args);
int topic_list(const Context& ctx);
int topic_describe(const Context& ctx, const std::string& name);
int topic_delete(const Context& ctx, const std::string& name);

struct TopicAlterArgs {
  std::string name;
  std::optional<std::uint32_t> partitions;
  std::optional<std::int64_t> retention_ms;
  std::optional<std::int64_t> retention_bytes;
};
int topic_alter(const Context& ctx, const TopicAlterArgs& args);

struct DeleteRecordsArgs {
  std::string topic;
  std::uint32_t partition = 0;
  std::int64_t before = 0;
};
int topic_delete_records(const Context& ctx, const DeleteRecordsArgs& args);

struct ProduceArgs {
  std::string topic;
  std::optional<std::uint32_t> partition;
  std::optional<std::string> key;
  std::optional<std::string> key_separator;  // each line is KEY<sep>VALUE
  std::vector<std::string> headers;          // "k=v"
  std::optional<std::string> timestamp;      // ms or ISO 8601
  Compression compression = Compression::none;
};
int produce(const Context& ctx, const ProduceArgs& args);

struct ConsumeArgs {
  std::string topic;
  std::optional<std::uint32_t> partition;
  bool from_beginning = false;
  std::optional<std::int64_t> from_offset;
  std::optional<std::string> from_time;
  std::optional<std::uint64_t> count;
  bool follow = false;
  std::optional<std::string> group;
  std::optional<std::string> format;  // see record_format.h
  bool print_key = false;
};
int consume(const Context& ctx, const ConsumeArgs& args);

// --- consumer groups (group_commands.cc) ---
int group_offsets(const Context& ctx, const std::string& group);
int group_list(const Context& ctx);
int group_describe(const Context& ctx, const std::string& group);
int group_delete(const Context& ctx, const std::string& group);

struct ResetOffsetsArgs {
  std::string group;
  std::string topic;
  std::optional<std::uint32_t> partition;  // else every partition
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<std::int64_t> to_offset;
  std::optional<std::string> to_time;  // ms or ISO 8601
};
int group_reset_offsets(const Context& ctx, const ResetOffsetsArgs& args);

// --- queues (queue_commands.cc, queue_data_commands.cc) ---
// The options of `queue create`, and of `queue alter` (where only the
// given ones change).
struct QueueOptionArgs {
  std::optional<std::string> ack_deadline;  // duration
  std::optional<std::uint32_t> max_deliveries;
  std::optional<std::string> backoff;       // "initial,multiplier,max"
  std::optional<std::string> dlq;           // name, "none", or "default" (alter)
  std::optional<std::int64_t> max_length;
  std::optional<std::string> overflow;      // reject-publish | drop-oldest
  std::optional<std::string> ttl;           // duration, or "none" (alter)
  std::optional<std::uint32_t> priorities;
};
int queue_create(const Context& ctx, const std::string& name, const QueueOptionArgs& args);
int queue_alter(const Context& ctx, const std::string& name, const QueueOptionArgs& args);
int queue_list(const Context& ctx);
int queue_describe(const Context& ctx, const std::string& name);
int queue_delete(const Context& ctx, const std::string& name, bool keep_dlq);
int queue_purge(const Context& ctx, const std::string& name);
int queue_peek(const Context& ctx, const std::string& name, std::uint32_t count);

struct RedriveArgs {
  std::string dlq;
  std::optional<std::string> to;
  std::optional<std::string> ids;  // "1,2,3"
  std::optional<std::uint64_t> count;
  bool all = false;
};
int queue_redrive(const Context& ctx, const RedriveArgs& args);

struct QueuePublishArgs {
  std::string queue;
  std::optional<std::string> delay;
  std::optional<std::string> ttl;
  std::uint8_t priority = 0;
  std::vector<std::string> headers;  // "k=v"
};
int queue_publish(const Context& ctx, const QueuePublishArgs& args);

struct QueueConsumeArgs {
  std::string queue;
  std::optional<std::uint64_t> count;
  bool nack = false;
  std::optional<std::string> reject;  // reason
  std::optional<std::string> idle;    // stop after this long without a message; none: run until interrupted
  std::uint32_t prefetch = 100;
  std::optional<std::string> exec;    // run per message; exit 0 acks, else nacks
  std::optional<std::string> exec_timeout;
};
int queue_consume(const Context& ctx, const QueueConsumeArgs& args);

int message_get(const Context& ctx, const std::string& queue, std::uint64_t id);

}  // namespace wharf::cli
