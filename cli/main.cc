// wharf: command-line client for topics, records, consumer groups and queues.
#include <CLI/CLI.hpp>

#include <csignal>
#include <map>
#include <cstdlib>
#include <fstream>

#include "cli/commands.h"

#ifndef WHARF_VERSION
#define WHARF_VERSION "0.0.0"
#endif

namespace {

using namespace wharf::cli;

void add_json(CLI::App* cmd, Context& ctx, const char* what = "Print the result as JSON") {
  cmd->add_flag("--json", ctx.json, what);
}

// The options `queue create` and `queue alter` share.
void add_queue_options(CLI::App* cmd, QueueOptionArgs& o) {
  cmd->add_option("--ack-deadline", o.ack_deadline, "Unacked deliveries are redelivered after this (30s)");
  cmd->add_option("--max-deliveries", o.max_deliveries, "Attempts before dead-lettering (5)");
  cmd->add_option("--backoff", o.backoff, "Retry delay INITIAL,MULTIPLIER,MAX (1s,2,60s)");
  cmd->add_option("--dlq", o.dlq, "Dead-letter queue: a queue name, none, or default (NAME.dlq)");
  cmd->add_option("--max-length", o.max_length, "Most messages waiting for delivery (in-flight ones do not count)");
  cmd->add_option("--overflow", o.overflow, "At max length: reject-publish or drop-oldest");
  cmd->add_option("--ttl", o.ttl, "Default time to live of a message, or none");
  cmd->add_option("--priorities", o.priorities, "Priority levels, 1-10 (fixed at creation)");
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"wharf - Wharf command-line client"};
  app.set_version_flag("--version", std::string("wharf ") + WHARF_VERSION);
  app.require_subcommand(1);
  Context ctx;
  const char* env = std::getenv("WHARF_BROKER");
  ctx.broker = env != nullptr && *env != '\0' ? env : "127.0.0.1:7420";
  app.add_option("--broker", ctx.broker, "Broker HOST:PORT (default $WHARF_BROKER or 127.0.0.1:7420)");
  const char* ca = std::getenv("WHARF_TLS_CA");
  if (ca != nullptr && *ca != '\0') ctx.tls.ca_file = ca;
  app.add_flag("--tls", ctx.tls.enabled, "Connect with TLS, trusting the system's CAs");
  app.add_option("--tls-ca", ctx.tls.ca_file, "Connect with TLS, trusting this PEM CA bundle (default $WHARF_TLS_CA)");
  app.add_option("--tls-cert", ctx.tls.cert_file, "Client certificate (PEM) for brokers that require one");
  app.add_option("--tls-key", ctx.tls.key_file, "Key of --tls-cert (PEM)");
  app.add_option("--tls-server-name", ctx.tls.server_name, "Name the broker's certificate must carry");
  if (const char* u = std::getenv("WHARF_USER"); u != nullptr) ctx.user = u;
  app.add_option("--user", ctx.user, "Authenticate as this user (default $WHARF_USER); password from "
                                     "$WHARF_PASSWORD or --password-file");
  std::string password_file;
  app.add_option("--password-file", password_file, "Read the password from the first line of this file");

  std::string backup_dir;
  auto* backup_cmd = app.add_subcommand(
      "backup", "Have the broker write a consistent copy of its data directory into DIR (on its machine) while it serves");
  backup_cmd->add_option("dir", backup_dir, "Directory on the broker's machine: new, or empty")->required();
  add_json(backup_cmd, ctx);

  auto* user_cmd = app.add_subcommand("user", "Create, list, delete users and change passwords");
  user_cmd->require_subcommand(1);
  UserArgs user_args;
  auto* u_create = user_cmd->add_subcommand("create", "Create a user");
  u_create->add_option("name", user_args.name, "User name")->required();
  u_create->add_flag("--password-stdin", user_args.password_stdin, "Read the password from standard input");
  u_create->add_flag("--admin", user_args.admin, "The user may do everything");
  add_json(u_create, ctx);
  auto* u_list = user_cmd->add_subcommand("list", "List users");
  add_json(u_list, ctx);
  auto* u_delete = user_cmd->add_subcommand("delete", "Delete a user");
  u_delete->add_option("name", user_args.name, "User name")->required();
  add_json(u_delete, ctx);
  auto* u_passwd = user_cmd->add_subcommand("passwd", "Change a user's password (yours, or any as an admin)");
  u_passwd->add_option("name", user_args.name, "User name")->required();
  u_passwd->add_flag("--password-stdin", user_args.password_stdin, "Read the password from standard input");
  add_json(u_passwd, ctx);

  auto* acl_cmd = app.add_subcommand("acl", "Add, list and remove permissions");
  acl_cmd->require_subcommand(1);
  AclArgs acl_args;
  auto add_acl_options = [&](CLI::App* cmd) {
    cmd->add_option("--principal", acl_args.principal, "A user name, or * for every user")->required();
    cmd->add_option("--resource-type", acl_args.resource_type, "topic, queue, group or cluster")->required();
    cmd->add_option("--resource", acl_args.resource, "A name, * for all, or with --prefix a prefix")->required();
    cmd->add_flag("--prefix", acl_args.prefix, "--resource is a prefix");
    cmd->add_option("--operation", acl_args.operation, "read, write, create, delete, alter or describe")->required();
    cmd->add_flag("--deny", acl_args.deny, "Deny instead of allow (deny wins)");
    add_json(cmd, ctx);
  };
  auto* a_add = acl_cmd->add_subcommand("add", "Grant (or with --deny refuse) an operation");
  add_acl_options(a_add);
  auto* a_remove = acl_cmd->add_subcommand("remove", "Remove an entry (the same flags as add)");
  add_acl_options(a_remove);
  auto* a_list = acl_cmd->add_subcommand("list", "List the entries");
  add_json(a_list, ctx);

  auto* topic = app.add_subcommand("topic", "Create, list, describe, alter and delete topics");
  topic->require_subcommand(1);
  TopicCreateArgs create;
  auto* t_create = topic->add_subcommand("create", "Create a topic");
  t_create->add_option("name", create.name, "Topic name")->required();
  t_create->add_option("--partitions", create.partitions, "Number of partitions")
      ->check(CLI::Range(1u, 10000u))
      ->capture_default_str();
  t_create->add_option("--retention-ms", create.retention_ms, "Delete batches older than this");
  t_create->add_option("--retention-bytes", create.retention_bytes, "Keep at most this many bytes per partition");
  add_json(t_create, ctx);
  auto* t_list = topic->add_subcommand("list", "List topics");
  add_json(t_list, ctx);
  std::string name;
  auto* t_describe = topic->add_subcommand("describe", "Show a topic's partitions and offsets");
  t_describe->add_option("name", name, "Topic name")->required();
  add_json(t_describe, ctx);
  auto* t_delete = topic->add_subcommand("delete", "Delete a topic and its data");
  t_delete->add_option("name", name, "Topic name")->required();
  add_json(t_delete, ctx);
  TopicAlterArgs alter;
  auto* t_alter = topic->add_subcommand("alter", "Add partitions or change retention (-1: none)");
  t_alter->add_option("name", alter.name, "Topic name")->required();
  t_alter->add_option("--partitions", alter.partitions, "New number of partitions (only up)");
  t_alter->add_option("--retention-ms", alter.retention_ms, "Delete batches older than this; -1 keeps them");
  t_alter->add_option("--retention-bytes", alter.retention_bytes, "Bytes kept per partition; -1 for no limit");
  add_json(t_alter, ctx);
  DeleteRecordsArgs delete_records;
  auto* t_delete_records =
      topic->add_subcommand("delete-records", "Drop a partition's records before an offset (its new start)");
  t_delete_records->add_option("name", delete_records.topic, "Topic name")->required();
  t_delete_records->add_option("--partition", delete_records.partition, "Partition")->required();
  t_delete_records->add_option("--before", delete_records.before, "First offset to keep")->required();
  add_json(t_delete_records, ctx);

  ProduceArgs produce_args;
  auto* p = app.add_subcommand("produce", "Send one record per line of standard input");
  p->add_option("topic", produce_args.topic, "Topic")->required();
  p->add_option("--partition", produce_args.partition, "Partition (default: by key, else spread)");
  p->add_option("--key", produce_args.key, "Key for every record");
  p->add_option("--key-separator", produce_args.key_separator,
                "Each line is KEY<SEP>VALUE (a line without SEP has no key), like kcat -K");
  p->add_option("--header", produce_args.headers, "Header KEY=VALUE on every record (repeatable)");
  p->add_option("--timestamp", produce_args.timestamp, "Record timestamp: milliseconds or ISO 8601 (default: now)");
  p->add_option("--compression", produce_args.compression, "Batch compression: none, gzip, snappy, lz4, zstd")
      ->transform(CLI::CheckedTransformer(std::map<std::string, wharf::Compression>{{"none", wharf::Compression::none},
                                                                              {"gzip", wharf::Compression::gzip},
                                                                              {"snappy", wharf::Compression::snappy},
                                                                              {"lz4", wharf::Compression::lz4},
                                                                              {"zstd", wharf::Compression::zstd}}));
  add_json(p, ctx);

  ConsumeArgs consume_args;
  auto* c = app.add_subcommand("consume", "Print records of a topic");
  c->add_option("topic", consume_args.topic, "Topic")->required();
  c->add_option("--partition", consume_args.partition, "Only this partition");
  c->add_flag("--from-beginning", consume_args.from_beginning, "Start at the first stored record");
  c->add_option("--from-offset", consume_args.from_offset, "Start at this offset");
  c->add_option("--from-time", consume_args.from_time, "Start at the first record at or after this time (ISO 8601 or ms)");
  c->add_option("--count", consume_args.count, "Stop after this many records");
  c->add_flag("--follow", consume_args.follow, "Keep waiting for new records");
  c->add_option("--group", consume_args.group, "Start from and commit to this consumer group");
  c->add_option("--format", consume_args.format,
                "One line per record: %t topic, %p partition, %o offset, %k key, %v value, %T timestamp, %h headers");
  c->add_flag("--print-key", consume_args.print_key, "Print KEY<TAB>VALUE");
  add_json(c, ctx, "One JSON object per record");

  auto* g = app.add_subcommand("group", "Consumer groups");
  g->require_subcommand(1);
  std::string group;
  auto* g_offsets = g->add_subcommand("offsets", "Show a group's committed offsets");
  g_offsets->add_option("group", group, "Group name")->required();
  add_json(g_offsets, ctx);
  auto* g_list = g->add_subcommand("list", "List consumer groups (Wharf's and Kafka clients')");
  add_json(g_list, ctx);
  auto* g_describe =
      g->add_subcommand("describe", "A group's state, members, assignment, and committed offset, log end and lag");
  g_describe->add_option("group", group, "Group name")->required();
  add_json(g_describe, ctx);
  auto* g_delete = g->add_subcommand("delete", "Delete a group without members, and its committed offsets");
  g_delete->add_option("group", group, "Group name")->required();
  add_json(g_delete, ctx);
  ResetOffsetsArgs reset;
  auto* g_reset = g->add_subcommand("reset-offsets", "Move a group's committed offsets (only while it has no members)");
  g_reset->add_option("group", reset.group, "Group name")->required();
  g_reset->add_option("--topic", reset.topic, "Topic")->required();
  g_reset->add_option("--partition", reset.partition, "Only this partition");
  g_reset->add_flag("--to-earliest", reset.to_earliest, "To the first stored record");
  g_reset->add_flag("--to-latest", reset.to_latest, "To the end (skip everything stored)");
  g_reset->add_option("--to-offset", reset.to_offset, "To this offset");
  g_reset->add_option("--to-time", reset.to_time, "To the first record at or after this time (ISO 8601 or ms)");
  add_json(g_reset, ctx);

  auto* q = app.add_subcommand("queue", "Work queues");
  q->require_subcommand(1);
  std::string qname;
  QueueOptionArgs qoptions;
  auto* q_create = q->add_subcommand("create", "Create a queue (and NAME.dlq unless --dlq says otherwise)");
  q_create->add_option("name", qname, "Queue name")->required();
  add_queue_options(q_create, qoptions);
  add_json(q_create, ctx);
  auto* q_alter = q->add_subcommand("alter", "Change a queue's options; new publishes and deliveries follow them");
  q_alter->add_option("name", qname, "Queue name")->required();
  add_queue_options(q_alter, qoptions);
  add_json(q_alter, ctx);
  auto* q_list = q->add_subcommand("list", "List queues");
  add_json(q_list, ctx);
  auto* q_describe = q->add_subcommand("describe", "Show a queue's counts and options");
  q_describe->add_option("name", qname, "Queue name")->required();
  add_json(q_describe, ctx);
  bool keep_dlq = false;
  auto* q_delete = q->add_subcommand("delete", "Delete a queue, its messages and its default dead-letter queue");
  q_delete->add_option("name", qname, "Queue name")->required();
  q_delete->add_flag("--keep-dlq", keep_dlq, "Keep NAME.dlq and its messages");
  add_json(q_delete, ctx);
  auto* q_purge = q->add_subcommand("purge", "Delete a queue's ready and delayed messages");
  q_purge->add_option("name", qname, "Queue name")->required();
  add_json(q_purge, ctx);
  std::uint32_t peek_count = 10;
  auto* q_peek = q->add_subcommand("peek", "Show the next ready messages without delivering them");
  q_peek->add_option("name", qname, "Queue name")->required();
  q_peek->add_option("--count", peek_count, "How many")->capture_default_str();
  add_json(q_peek, ctx, "One JSON object per message");
  RedriveArgs redrive_args;
  auto* q_redrive = q->add_subcommand("redrive", "Move messages from a dead-letter queue back");
  q_redrive->add_option("dlq", redrive_args.dlq, "Dead-letter queue")->required();
  q_redrive->add_option("--to", redrive_args.to, "Target queue (default: each message's original queue)");
  q_redrive->add_option("--ids", redrive_args.ids, "Message ids, comma-separated");
  q_redrive->add_option("--count", redrive_args.count, "The oldest N messages");
  q_redrive->add_flag("--all", redrive_args.all, "All messages");
  add_json(q_redrive, ctx);
  QueuePublishArgs qpub;
  auto* q_publish = q->add_subcommand("publish", "Publish one message per line of standard input");
  q_publish->add_option("name", qpub.queue, "Queue name")->required();
  q_publish->add_option("--delay", qpub.delay, "Deliver no earlier than this from now");
  q_publish->add_option("--ttl", qpub.ttl, "Time to live of each message");
  q_publish->add_option("--priority", qpub.priority, "Priority level");
  q_publish->add_option("--header", qpub.headers, "Header KEY=VALUE (repeatable)");
  add_json(q_publish, ctx);
  QueueConsumeArgs qcon;
  auto* q_consume = q->add_subcommand("consume", "Print messages and ack each (or --nack, --reject, --exec)");
  q_consume->add_option("name", qcon.queue, "Queue name")->required();
  q_consume->add_option("--count", qcon.count, "Stop after this many");
  q_consume->add_flag("--nack", qcon.nack, "Nack instead of ack (retry with backoff)");
  q_consume->add_option("--reject", qcon.reject, "Reject with this reason (to the dead-letter queue)");
  q_consume->add_option("--exec", qcon.exec,
                        "Run this shell command per message, payload on its stdin: exit 0 acks, other nacks; "
                        "the lease is extended while it runs");
  q_consume->add_option("--exec-timeout", qcon.exec_timeout, "Stop an --exec command after this long (then nack)");
  q_consume->add_option("--idle", qcon.idle,
                        "Stop after this long without a message (default: run until interrupted, as a worker does)");
  q_consume->add_option("--prefetch", qcon.prefetch, "Deliveries held at once")->capture_default_str();
  add_json(q_consume, ctx, "One JSON object per message");

  auto* msg = app.add_subcommand("message", "Look at one queue message");
  msg->require_subcommand(1);
  std::uint64_t msg_id = 0;
  auto* msg_get = msg->add_subcommand("get", "State, attempts, deadline and history of a message");
  msg_get->add_option("queue", qname, "Queue name")->required();
  msg_get->add_option("id", msg_id, "Message id")->required();
  add_json(msg_get, ctx);

  CLI11_PARSE(app, argc, argv);
  if (!ctx.tls.ca_file.empty() || !ctx.tls.cert_file.empty()) ctx.tls.enabled = true;
  if (!ctx.user.empty()) {
    if (!password_file.empty()) {
      std::ifstream in(password_file);
      if (!in || !std::getline(in, ctx.password)) return usage("cannot read a password from " + password_file);
    } else if (const char* pw = std::getenv("WHARF_PASSWORD"); pw != nullptr) {
      ctx.password = pw;
    } else {
      return usage("--user needs a password: set $WHARF_PASSWORD or give --password-file");
    }
  }

  if (backup_cmd->parsed()) return backup(ctx, backup_dir);
  if (u_create->parsed()) return user_create(ctx, user_args);
  if (u_list->parsed()) return user_list(ctx);
  if (u_delete->parsed()) return user_delete(ctx, user_args);
  if (u_passwd->parsed()) return user_passwd(ctx, user_args);
  if (a_add->parsed()) return acl_change(ctx, acl_args, true);
  if (a_remove->parsed()) return acl_change(ctx, acl_args, false);
  if (a_list->parsed()) return acl_list(ctx);

  if (q_create->parsed()) return queue_create(ctx, qname, qoptions);
  if (q_alter->parsed()) return queue_alter(ctx, qname, qoptions);
  if (q_list->parsed()) return queue_list(ctx);
  if (q_describe->parsed()) return queue_describe(ctx, qname);
  if (q_delete->parsed()) return queue_delete(ctx, qname, keep_dlq);
  if (q_purge->parsed()) return queue_purge(ctx, qname);
  if (q_peek->parsed()) return queue_peek(ctx, qname, peek_count);
  if (q_redrive->parsed()) return queue_redrive(ctx, redrive_args);
  if (q_publish->parsed()) return queue_publish(ctx, qpub);
  if (q_consume->parsed()) return queue_consume(ctx, qcon);
  if (msg_get->parsed()) return message_get(ctx, qname, msg_id);

  if (t_create->parsed()) return topic_create(ctx, create);
  if (t_alter->parsed()) return topic_alter(ctx, alter);
  if (t_delete_records->parsed()) return topic_delete_records(ctx, delete_records);
  if (t_list->parsed()) return topic_list(ctx);
  if (t_describe->parsed()) return topic_describe(ctx, name);
  if (t_delete->parsed()) return topic_delete(ctx, name);
  if (p->parsed()) return produce(ctx, produce_args);
  if (c->parsed()) return consume(ctx, consume_args);
  if (g_offsets->parsed()) return group_offsets(ctx, group);
  if (g_list->parsed()) return group_list(ctx);
  if (g_describe->parsed()) return group_describe(ctx, group);
  if (g_delete->parsed()) return group_delete(ctx, group);
  if (g_reset->parsed()) return group_reset_offsets(ctx, reset);
  return 2;
}
