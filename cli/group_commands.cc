// `wharf group ...`: consumer groups of both protocols, their members,
// offsets and lag.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/time_arg.h"

namespace wharf::cli {

namespace {

std::string partitions_text(const std::vector<TopicPartition>& tps) {
  std::string out;
  for (const auto& tp : tps) {
    if (!out.empty()) out += ",";
    out += tp.topic + "/" + std::to_string(tp.partition);
  }
  return out.empty() ? "-" : out;
}

nlohmann::json to_json(const GroupInfo& g) {
  nlohmann::json members = nlohmann::json::array();
  for (const auto& m : g.members) {
    nlohmann::json assignment = nlohmann::json::array();
    for (const auto& tp : m.assignment) assignment.push_back({{"topic", tp.topic}, {"partition", tp.partition}});
    members.push_back({{"member_id", m.member_id},
                       {"instance_id", m.instance_id ? nlohmann::json(*m.instance_id) : nlohmann::json()},
                       {"client_id", m.client_id},
                       {"client_host", m.client_host},
                       {"assignment", assignment}});
  }
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& p : g.partitions) {
    auto opt = [](std::int64_t v) { return v < 0 ? nlohmann::json() : nlohmann::json(v); };
    partitions.push_back({{"topic", p.topic},
                          {"partition", p.partition},
                          {"committed", opt(p.committed)},
                          {"log_end", opt(p.log_end)},
                          {"lag", opt(p.lag())},
                          {"member_id", p.member_id.empty() ? nlohmann::json() : nlohmann::json(p.member_id)}});
  }
  return {{"group", g.group},         {"state", g.state},   {"protocol_type", g.protocol_type},
          {"protocol", g.protocol},   {"generation", g.generation}, {"leader", g.leader},
          {"members", members},       {"partitions", partitions}};
}

}  // namespace

int group_offsets(const Context& ctx, const std::string& group) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto offsets = client->committed_offsets(group);
  if (!offsets) return fail(offsets.error());
  // A group exists once it has committed an offset.
  if (offsets->empty())
    return fail(status(errc::unknown_group, "group '" + group + "' has no committed offsets: there is no such group"));
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& o : *offsets)
      out.push_back({{"topic", o.topic}, {"partition", o.partition}, {"offset", o.offset},
                     {"commit_time_ms", o.commit_time_ms}});
    print_json(out);
    return 0;
  }
  std::printf("topic\tpartition\toffset\n");
  for (const auto& o : *offsets)
    std::printf("%s\t%u\t%lld\n", o.topic.c_str(), o.partition, static_cast<long long>(o.offset));
  return 0;
}

int group_list(const Context& ctx) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto groups = client->list_groups();
  if (!groups) return fail(groups.error());
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& g : *groups)
      out.push_back({{"group", g.group}, {"state", g.state}, {"protocol_type", g.protocol_type},
                     {"members", g.members}});
    print_json(out);
    return 0;
  }
  std::printf("group\tstate\tmembers\n");
  for (const auto& g : *groups) std::printf("%s\t%s\t%u\n", g.group.c_str(), g.state.c_str(), g.members);
  return 0;
}

int group_describe(const Context& ctx, const std::string& group) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto g = client->describe_group(group);
  if (!g) return fail(g.error());
  if (ctx.json) {
    print_json(to_json(*g));
    return 0;
  }
  std::printf("group %s: %s, generation %d, %zu member(s)%s%s\n", g->group.c_str(), g->state.c_str(), g->generation,
              g->members.size(), g->protocol.empty() ? "" : ", assignor ", g->protocol.c_str());
  for (const auto& m : g->members)
    std::printf("  member %s (%s%s%s from %s): %s\n", m.member_id.c_str(), m.client_id.c_str(),
                m.instance_id ? ", instance " : "", m.instance_id ? m.instance_id->c_str() : "",
                m.client_host.c_str(), partitions_text(m.assignment).c_str());
  std::printf("topic\tpartition\tcommitted\tlog_end\tlag\tmember\n");
  auto num = [](std::int64_t v) { return v < 0 ? std::string("-") : std::to_string(v); };
  for (const auto& p : g->partitions)
    std::printf("%s\t%u\t%s\t%s\t%s\t%s\n", p.topic.c_str(), p.partition, num(p.committed).c_str(),
                num(p.log_end).c_str(), num(p.lag()).c_str(), p.member_id.empty() ? "-" : p.member_id.c_str());
  return 0;
}

int group_delete(const Context& ctx, const std::string& group) {
  auto client = connect(ctx);
  if (!client) return 1;
  if (status st = client->delete_group(group); !st.ok()) return fail(st);
  if (ctx.json) {
    print_json({{"group", group}, {"deleted", true}});
  } else {
    std::printf("deleted group %s\n", group.c_str());
  }
  return 0;
}

int group_reset_offsets(const Context& ctx, const ResetOffsetsArgs& a) {
  const int targets = int(a.to_earliest) + int(a.to_latest) + int(a.to_offset.has_value()) + int(a.to_time.has_value());
  if (targets != 1) return usage("say where to: exactly one of --to-earliest, --to-latest, --to-offset N, --to-time T");
  std::optional<std::int64_t> time_ms;
  if (a.to_time) {
    time_ms = parse_time_ms(*a.to_time);
    if (!time_ms) return usage("--to-time wants milliseconds since the epoch or an ISO 8601 time, not '" + *a.to_time + "'");
  }
  auto client = connect(ctx);
  if (!client) return 1;
  auto info = client->describe_topic(a.topic);
  if (!info) return fail(info.error());
  std::vector<std::uint32_t> partitions;
  if (a.partition) {
    partitions.push_back(*a.partition);
  } else {
    for (std::uint32_t p = 0; p < info->partitions; ++p) partitions.push_back(p);
  }
  std::vector<std::pair<std::uint32_t, std::int64_t>> offsets;
  for (auto p : partitions) {
    result<std::int64_t> to = a.to_offset ? result<std::int64_t>(*a.to_offset)
                              : a.to_latest ? client->latest_offset(a.topic, p)
                              : time_ms    ? client->offset_for_time(a.topic, p, *time_ms)
                                           : client->earliest_offset(a.topic, p);
    if (!to) return fail(to.error());
    offsets.emplace_back(p, *to);
  }
  // The broker refuses while the group has members (group_not_empty): they
  // would overwrite the reset with their next commit.
  if (status st = client->commit_offsets(a.group, a.topic, offsets); !st.ok()) return fail(st);
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [p, o] : offsets) out.push_back({{"topic", a.topic}, {"partition", p}, {"offset", o}});
    print_json({{"group", a.group}, {"offsets", out}});
    return 0;
  }
  std::printf("topic\tpartition\tnew offset\n");
  for (const auto& [p, o] : offsets) std::printf("%s\t%u\t%lld\n", a.topic.c_str(), p, static_cast<long long>(o));
  return 0;
}

}  // namespace wharf::cli
