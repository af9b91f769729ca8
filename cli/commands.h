// The `wharf` command-line tool: one function per command. Each returns
// the process exit code (0 ok, 1 broker or data error, 2 usage error) and
// prints errors to stderr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "wharf/client.h"

namespace wharf::cli {

struct Context {
  std::string broker;
  bool json = false;
};

// Connects, printing the error on failure.
std::unique_ptr<Client> connect(const Context& ctx);
int fail(const status& st);

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

struct ProduceArgs {
  std::string topic;
  std::optional<std::uint32_t> partition;
  std::optional<std::string> key;
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
};
int consume(const Context& ctx, const ConsumeArgs& args);

int group_offsets(const Context& ctx, const std::string& group);

}  // namespace wharf::cli
