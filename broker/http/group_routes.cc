// Consumer groups: list with lag, describe, reset offsets, delete.
#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>

#include "broker/groups/assignors.h"
#include "broker/groups/group_coordinator.h"
#include "broker/groups/group_lag.h"
#include "broker/http/api_router.h"
#include "broker/log/log_engine.h"

namespace wharf::http {
namespace {

using auth::Operation;
using auth::ResourceType;

std::int64_t total_lag(const std::vector<groups::PartitionLag>& rows) {
  std::int64_t sum = 0;
  for (const auto& r : rows) sum += std::max<std::int64_t>(r.lag(), 0);
  return sum;
}

ApiResult list_groups(ApiContext& ctx, const Call& call) {
  auto limit = call.query_number("limit", 100, 1000);
  if (!limit) return limit.error();
  auto all = ctx.src.groups.list();
  if (!all) return all.error();
  std::sort(all->begin(), all->end(), [](const auto& a, const auto& b) { return a.group < b.group; });
  nlohmann::json out;
  auto page = page_of(
      *all, [](const groups::GroupSummary& g) -> std::string_view { return g.group; },
      [&](const groups::GroupSummary& g) { return ctx.may(call.who, ResourceType::group, g.group, Operation::describe); },
      call, out, std::max<std::uint64_t>(*limit, 1));
  out["groups"] = nlohmann::json::array();
  for (const auto* g : page) {
    nlohmann::json j{{"group", g->group}, {"state", g->state}, {"protocol_type", g->protocol_type},
                     {"members", g->members}, {"lag", nullptr}};
    // A group may end between the list and here: it is shown without lag.
    if (auto d = ctx.src.groups.describe(g->group))
      if (auto rows = groups::partition_lags(*d, ctx.src.logs)) j["lag"] = total_lag(*rows);
    out["groups"].push_back(std::move(j));
  }
  return ApiReply{200, std::move(out)};
}

ApiResult get_group(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = ctx.need(call.who, ResourceType::group, name, Operation::describe); !st.ok()) return st;
  auto d = ctx.src.groups.describe(name);
  if (!d) return d.error();
  auto rows = groups::partition_lags(*d, ctx.src.logs);
  if (!rows) return rows.error();
  nlohmann::json members = nlohmann::json::array();
  for (const auto& m : d->members) {
    nlohmann::json assignment = nlohmann::json::array();
    for (const auto& tp : groups::assigned_partitions(m.assignment))
      assignment.push_back({{"topic", tp.topic}, {"partitions", tp.partitions}});
    members.push_back({{"member_id", m.member_id},
                       {"instance_id", m.instance_id ? nlohmann::json(*m.instance_id) : nlohmann::json(nullptr)},
                       {"client_id", m.client_id},
                       {"client_host", m.client_host},
                       {"assignment", std::move(assignment)}});
  }
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& r : *rows)
    partitions.push_back({{"topic", r.topic},
                          {"partition", r.partition},
                          {"committed", r.committed},
                          {"log_end", r.log_end},
                          {"lag", r.lag()},
                          {"member_id", r.member_id}});
  return ApiReply{200,
                  {{"group", d->group},
                   {"state", d->state},
                   {"protocol_type", d->protocol_type},
                   {"protocol", d->protocol},
                   {"generation", d->generation},
                   {"leader", d->leader},
                   {"members", std::move(members)},
                   {"partitions", std::move(partitions)},
                   {"lag", total_lag(*rows)}}};
}

// The offset a reset moves one partition to.
result<std::uint64_t> reset_target(log::LogEngine& logs, const std::string& topic, std::uint32_t partition,
                                   const nlohmann::json& body) {
  const std::string to = body.value("to", "");
  if (to == "earliest") return logs.list_offset(topic, partition, log::OffsetSpec::earliest, 0);
  if (to == "latest") return logs.list_offset(topic, partition, log::OffsetSpec::latest, 0);
  if (to == "time") {
    if (!body.contains("time_ms")) return status(errc::invalid_argument, "to=time needs time_ms");
    return logs.list_offset(topic, partition, log::OffsetSpec::timestamp, body["time_ms"].get<std::int64_t>());
  }
  if (to == "offset") {
    if (!body.contains("offset")) return status(errc::invalid_argument, "to=offset needs offset");
    return body["offset"].get<std::uint64_t>();
  }
  return status(errc::invalid_argument, "to must be earliest, latest, offset or time");
}

ApiResult reset_offsets(ApiContext& ctx, const Call& call) {
  const std::string group = call.arg(1);
  const std::string topic = call.body.value("topic", "");
  if (status st = ctx.need(call.who, ResourceType::group, group, Operation::read); !st.ok()) return st;
  if (status st = ctx.need(call.who, ResourceType::topic, topic, Operation::read); !st.ok()) return st;
  auto info = ctx.src.logs.describe_topic(topic);
  if (!info) return info.error();
  std::vector<std::uint32_t> partitions;
  if (call.body.contains("partition") && !call.body["partition"].is_null()) {
    partitions.push_back(call.body["partition"].get<std::uint32_t>());
  } else {
    for (std::uint32_t p = 0; p < info->config.partitions; ++p) partitions.push_back(p);
  }
  std::vector<std::pair<std::uint32_t, std::uint64_t>> offsets;
  for (auto p : partitions) {
    auto to = reset_target(ctx.src.logs, topic, p, call.body);
    if (!to) return to.error();
    offsets.emplace_back(p, *to);
  }
  // Refused (group_not_empty) while the group has members: they would
  // overwrite the reset with their next commit.
  if (status st = await_status([&](auto done) {
        ctx.src.groups.commit(group, -1, "", std::nullopt, topic, offsets, std::move(done));
      });
      !st.ok())
    return st;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [p, o] : offsets) list.push_back({{"partition", p}, {"offset", o}});
  return ApiReply{200, {{"group", group}, {"topic", topic}, {"offsets", std::move(list)}}};
}

ApiResult delete_group(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = ctx.need(call.who, ResourceType::group, name, Operation::del); !st.ok()) return st;
  if (status st = await_status([&](auto done) { ctx.src.groups.delete_group(name, std::move(done)); }); !st.ok())
    return st;
  return ApiReply{204, nullptr};
}

}  // namespace

void add_group_routes(Router& r) {
  r.get("/api/v1/groups", list_groups);
  r.get("/api/v1/groups/([^/]+)", get_group);
  r.post("/api/v1/groups/([^/]+)/reset-offsets", reset_offsets);
  r.del("/api/v1/groups/([^/]+)", delete_group);
}

}  // namespace wharf::http
