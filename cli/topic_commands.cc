#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/commands.h"
#include "cli/json_output.h"

namespace wharf::cli {

std::unique_ptr<Client> connect(const Context& ctx) {
  ClientOptions o;
  o.broker = ctx.broker;
  o.client_id = "wharf-cli";
  o.tls = ctx.tls;
  o.user = ctx.user;
  o.password = ctx.password;
  if (ctx.request_timeout.count() > 0) o.request_timeout = ctx.request_timeout;
  auto c = Client::connect(o);
  if (!c) {
    std::fprintf(stderr, "wharf: %s (broker %s)\n", c.error().to_string().c_str(), ctx.broker.c_str());
    return nullptr;
  }
  return std::move(*c);
}

int fail(const status& st) {
  std::fprintf(stderr, "wharf: %s\n", st.to_string().c_str());
  return 1;
}

int usage(const std::string& message) {
  std::fprintf(stderr, "wharf: %s\n", message.c_str());
  return 2;
}

namespace {

nlohmann::json topic_json(const TopicInfo& t) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : t.partition_info)
    parts.push_back({{"partition", p.partition},
                     {"log_start", p.log_start},
                     {"high_watermark", p.high_watermark},
                     {"bytes", p.bytes},
                     {"batches", p.batches}});
  return {{"name", t.name},
          {"partitions", t.partitions},
          {"retention_ms", t.retention_ms},
          {"retention_bytes", t.retention_bytes},
          {"created_ms", t.created_ms},
          {"partition_info", parts}};
}

std::string limit_text(std::int64_t v, const char* unit) {
  return v < 0 ? std::string("none") : std::to_string(v) + unit;
}

}  // namespace

int topic_create(const Context& ctx, const TopicCreateArgs& a) {
  auto client = connect(ctx);
  if (!client) return 1;
  if (status st = client->create_topic({a.name, a.partitions, a.retention_ms, a.retention_bytes}); !st.ok())
    return fail(st);
  if (ctx.json) {
    print_json({{"created", "topic"}, {"name", a.name}, {"partitions", a.partitions}});
  } else {
    std::printf("created topic %s with %u partition(s)\n", a.name.c_str(), a.partitions);
  }
  return 0;
}

int topic_list(const Context& ctx) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto topics = client->list_topics();
  if (!topics) return fail(topics.error());
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : *topics) out.push_back(topic_json(t));
    print_json(out);
    return 0;
  }
  for (const auto& t : *topics) {
    std::uint64_t records = 0;
    for (const auto& p : t.partition_info) records += static_cast<std::uint64_t>(p.high_watermark - p.log_start);
    std::printf("%s\tpartitions=%u\trecords=%llu\n", t.name.c_str(), t.partitions,
                static_cast<unsigned long long>(records));
  }
  return 0;
}

int topic_describe(const Context& ctx, const std::string& name) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto t = client->describe_topic(name);
  if (!t) return fail(t.error());
  if (ctx.json) {
    print_json(topic_json(*t));
    return 0;
  }
  std::printf("topic %s: %u partition(s), retention %s / %s\n", t->name.c_str(), t->partitions,
              limit_text(t->retention_ms, " ms").c_str(), limit_text(t->retention_bytes, " bytes").c_str());
  std::printf("partition\tearliest\tlatest\tbytes\n");
  for (const auto& p : t->partition_info)
    std::printf("%u\t%lld\t%lld\t%llu\n", p.partition, static_cast<long long>(p.log_start),
                static_cast<long long>(p.high_watermark), static_cast<unsigned long long>(p.bytes));
  return 0;
}

int topic_delete(const Context& ctx, const std::string& name) {
  auto client = connect(ctx);
  if (!client) return 1;
  if (status st = client->delete_topic(name); !st.ok()) return fail(st);
  if (ctx.json) {
    print_json({{"deleted", "topic"}, {"name", name}});
  } else {
    std::printf("deleted topic %s\n", name.c_str());
  }
  return 0;
}

int topic_alter(const Context& ctx, const TopicAlterArgs& a) {
  if (!a.partitions && !a.retention_ms && !a.retention_bytes)
    return usage("say what to change: --partitions, --retention-ms or --retention-bytes");
  auto client = connect(ctx);
  if (!client) return 1;
  if (status st = client->alter_topic(a.name, {a.partitions, a.retention_ms, a.retention_bytes}); !st.ok())
    return fail(st);
  auto t = client->describe_topic(a.name);
  if (!t) return fail(t.error());
  if (ctx.json) {
    print_json(topic_json(*t));
  } else {
    std::printf("altered topic %s: %u partition(s), retention %s / %s\n", t->name.c_str(), t->partitions,
                limit_text(t->retention_ms, " ms").c_str(), limit_text(t->retention_bytes, " bytes").c_str());
  }
  return 0;
}

int topic_delete_records(const Context& ctx, const DeleteRecordsArgs& a) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto start = client->delete_records(a.topic, a.partition, a.before);
  if (!start) return fail(start.error());
  if (ctx.json) {
    print_json({{"topic", a.topic}, {"partition", a.partition}, {"log_start", *start}});
  } else {
    std::printf("partition %u of %s now starts at offset %lld\n", a.partition, a.topic.c_str(),
                static_cast<long long>(*start));
  }
  return 0;
}

}  // namespace wharf::cli
