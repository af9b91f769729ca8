// wharf: command-line client for topics, records and consumer groups.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  using namespace wharf::cli;
  CLI::App app{"wharf - Wharf command-line client"};
  app.require_subcommand(1);
  Context ctx;
  const char* env = std::getenv("WHARF_BROKER");
  ctx.broker = env != nullptr && *env != '\0' ? env : "127.0.0.1:7420";
  app.add_option("--broker", ctx.broker, "Broker HOST:PORT (default $WHARF_BROKER or 127.0.0.1:7420)");

  auto* topic = app.add_subcommand("topic", "Create, list, describe and delete topics");
  topic->require_subcommand(1);
  TopicCreateArgs create;
  auto* t_create = topic->add_subcommand("create", "Create a topic");
  t_create->add_option("name", create.name, "Topic name")->required();
  t_create->add_option("--partitions", create.partitions, "Number of partitions")->required()->check(CLI::Range(1u, 10000u));
  t_create->add_option("--retention-ms", create.retention_ms, "Delete batches older than this");
  t_create->add_option("--retention-bytes", create.retention_bytes, "Keep at most this many bytes per partition");
  auto* t_list = topic->add_subcommand("list", "List topics");
  t_list->add_flag("--json", ctx.json, "Print JSON");
  std::string name;
  auto* t_describe = topic->add_subcommand("describe", "Show a topic's partitions and offsets");
  t_describe->add_option("name", name, "Topic name")->required();
  t_describe->add_flag("--json", ctx.json, "Print JSON");
  auto* t_delete = topic->add_subcommand("delete", "Delete a topic and its data");
  t_delete->add_option("name", name, "Topic name")->required();

  ProduceArgs produce_args;
  auto* p = app.add_subcommand("produce", "Send one record per line of standard input");
  p->add_option("topic", produce_args.topic, "Topic")->required();
  p->add_option("--partition", produce_args.partition, "Partition (default: by key, else spread)");
  p->add_option("--key", produce_args.key, "Key for every record");

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
  c->add_flag("--json", ctx.json, "One JSON object per record");

  auto* g = app.add_subcommand("group", "Consumer groups");
  g->require_subcommand(1);
  std::string group;
  auto* g_offsets = g->add_subcommand("offsets", "Show a group's committed offsets");
  g_offsets->add_option("group", group, "Group name")->required();
  g_offsets->add_flag("--json", ctx.json, "Print JSON");

  auto* q = app.add_subcommand("queue", "Work queues");
  q->require_subcommand(1);
  QueueCreateArgs qcreate;
  auto* q_create = q->add_subcommand("create", "Create a queue (and NAME.dlq unless --dlq says otherwise)");
  q_create->add_option("name", qcreate.name, "Queue name")->required();
  q_create->add_option("--ack-deadline", qcreate.ack_deadline, "Unacked deliveries are redelivered after this (30s)");
  q_create->add_option("--max-deliveries", qcreate.max_deliveries, "Attempts before dead-lettering (5)");
  q_create->add_option("--backoff", qcreate.backoff, "Retry delay INITIAL,MULTIPLIER,MAX (1s,2,60s)");
  q_create->add_option("--dlq", qcreate.dlq, "Dead-letter queue name, or none");
  q_create->add_option("--max-length", qcreate.max_length, "Most messages the queue holds");
  q_create->add_option("--overflow", qcreate.overflow, "At max length: reject-publish or drop-oldest");
  q_create->add_option("--ttl", qcreate.ttl, "Default time to live of a message");
  q_create->add_option("--priorities", qcreate.priorities, "Priority levels, 1-10");
  auto* q_list = q->add_subcommand("list", "List queues");
  q_list->add_flag("--json", ctx.json, "Print JSON");
  std::string qname;
  auto* q_describe = q->add_subcommand("describe", "Show a queue's counts and options");
  q_describe->add_option("name", qname, "Queue name")->required();
  q_describe->add_flag("--json", ctx.json, "Print JSON");
  auto* q_delete = q->add_subcommand("delete", "Delete a queue and its messages");
  q_delete->add_option("name", qname, "Queue name")->required();
  auto* q_purge = q->add_subcommand("purge", "Delete a queue's ready and delayed messages");
  q_purge->add_option("name", qname, "Queue name")->required();
  std::uint32_t peek_count = 10;
  auto* q_peek = q->add_subcommand("peek", "Show the next ready messages without delivering them");
  q_peek->add_option("name", qname, "Queue name")->required();
  q_peek->add_option("--count", peek_count, "How many")->capture_default_str();
  q_peek->add_flag("--json", ctx.json, "One JSON object per message");
  RedriveArgs redrive_args;
  auto* q_redrive = q->add_subcommand("redrive", "Move messages from a dead-letter queue back");
  q_redrive->add_option("dlq", redrive_args.dlq, "Dead-letter queue")->required();
  q_redrive->add_option("--to", redrive_args.to, "Target queue (default: each message's original queue)");
  q_redrive->add_option("--ids", redrive_args.ids, "Message ids, comma-separated");
  q_redrive->add_option("--count", redrive_args.count, "The oldest N messages");
  q_redrive->add_flag("--all", redrive_args.all, "All messages");
  QueuePublishArgs qpub;
  auto* q_publish = q->add_subcommand("publish", "Publish one message per line of standard input");
  q_publish->add_option("name", qpub.queue, "Queue name")->required();
  q_publish->add_option("--delay", qpub.delay, "Deliver no earlier than this from now");
  q_publish->add_option("--ttl", qpub.ttl, "Time to live of each message");
  q_publish->add_option("--priority", qpub.priority, "Priority level");
  q_publish->add_option("--header", qpub.headers, "Header KEY=VALUE (repeatable)");
  QueueConsumeArgs qcon;
  auto* q_consume = q->add_subcommand("consume", "Print messages, acking each (or --nack / --reject)");
  q_consume->add_option("name", qcon.queue, "Queue name")->required();
  q_consume->add_option("--count", qcon.count, "Stop after this many");
  q_consume->add_flag("--nack", qcon.nack, "Nack instead of ack (retry with backoff)");
  q_consume->add_option("--reject", qcon.reject, "Reject with this reason (to the dead-letter queue)");
  q_consume->add_option("--idle", qcon.idle, "Stop after this long without a message")->capture_default_str();
  q_consume->add_option("--prefetch", qcon.prefetch, "Deliveries held at once")->capture_default_str();
  q_consume->add_flag("--json", ctx.json, "One JSON object per message");

  auto* msg = app.add_subcommand("message", "Look at one queue message");
  msg->require_subcommand(1);
  std::uint64_t msg_id = 0;
  auto* msg_get = msg->add_subcommand("get", "State, attempts, deadline and history of a message");
  msg_get->add_option("queue", qname, "Queue name")->required();
  msg_get->add_option("id", msg_id, "Message id")->required();
  msg_get->add_flag("--json", ctx.json, "Print JSON");

  CLI11_PARSE(app, argc, argv);

  if (q_create->parsed()) return queue_create(ctx, qcreate);
  if (q_list->parsed()) return queue_list(ctx);
  if (q_describe->parsed()) return queue_describe(ctx, qname);
  if (q_delete->parsed()) return queue_delete(ctx, qname);
  if (q_purge->parsed()) return queue_purge(ctx, qname);
  if (q_peek->parsed()) return queue_peek(ctx, qname, peek_count);
  if (q_redrive->parsed()) return queue_redrive(ctx, redrive_args);
  if (q_publish->parsed()) return queue_publish(ctx, qpub);
  if (q_consume->parsed()) return queue_consume(ctx, qcon);
  if (msg_get->parsed()) return message_get(ctx, qname, msg_id);

  if (t_create->parsed()) return topic_create(ctx, create);
  if (t_list->parsed()) return topic_list(ctx);
  if (t_describe->parsed()) return topic_describe(ctx, name);
  if (t_delete->parsed()) return topic_delete(ctx, name);
  if (p->parsed()) return produce(ctx, produce_args);
  if (c->parsed()) return consume(ctx, consume_args);
  if (g_offsets->parsed()) return group_offsets(ctx, group);
  return 2;
}
