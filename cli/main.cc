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

  CLI11_PARSE(app, argc, argv);

  if (t_create->parsed()) return topic_create(ctx, create);
  if (t_list->parsed()) return topic_list(ctx);
  if (t_describe->parsed()) return topic_describe(ctx, name);
  if (t_delete->parsed()) return topic_delete(ctx, name);
  if (p->parsed()) return produce(ctx, produce_args);
  if (c->parsed()) return consume(ctx, consume_args);
  if (g_offsets->parsed()) return group_offsets(ctx, group);
  return 2;
}
