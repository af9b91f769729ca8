// Topics: list, create, describe, alter, delete, and the message browser.
#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>

#include "broker/http/api_router.h"
#include "broker/http/content_view.h"
#include "broker/log/log_engine.h"
#include "protocol/record_batch.h"

namespace wharf::http {
namespace {

using auth::Operation;
using auth::ResourceType;

constexpr std::uint64_t kMaxRecords = 500;
constexpr std::size_t kFetchBytes = 1u << 20;
// Enough rounds for kMaxRecords one-record batches, bounded against a
// log that does not advance.
constexpr int kMaxFetches = 1000;

nlohmann::json topic_json(const ApiContext& ctx, const log::TopicDescription& t, bool with_partitions) {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : t.partitions) {
    records += p.high_watermark - p.log_start;
    bytes += p.bytes;
    if (with_partitions)
      parts.push_back({{"partition", p.partition},
                       {"log_start", p.log_start},
                       {"high_watermark", p.high_watermark},
                       {"bytes", p.bytes},
                       {"batches", p.batches},
                       {"records_in_per_s", ctx.rates->partition_rate(t.config.name, p.partition)}});
  }
  nlohmann::json j{{"name", t.config.name},
                   {"partitions", t.config.partitions},
                   {"retention_ms", t.config.retention_ms},
                   {"retention_bytes", t.config.retention_bytes},
                   {"created_ms", t.created_ms},
                   {"records", records},
                   {"bytes", bytes},
                   {"records_in_per_s", ctx.rates->topic_rate(t.config.name)}};
  if (with_partitions) j["partition_info"] = std::move(parts);
  return j;
}

ApiResult described(ApiContext& ctx, const std::string& name, int http_status) {
  auto d = ctx.src.logs.describe_topic(name);
  if (!d) return d.error();
  return ApiReply{http_status, topic_json(ctx, *d, true)};
}

ApiResult list_topics(ApiContext& ctx, const Call& call) {
  auto limit = call.query_number("limit", 100, 1000);
  if (!limit) return limit.error();
  const auto topics = ctx.src.logs.list_topics();
  nlohmann::json out;
  auto page = page_of(
      topics, [](const log::TopicDescription& t) -> std::string_view { return t.config.name; },
      [&](const log::TopicDescription& t) { return ctx.may(call.who, ResourceType::topic, t.config.name, Operation::describe); },
      call, out, std::max<std::uint64_t>(*limit, 1));
  out["topics"] = nlohmann::json::array();
  for (const auto* t : page) out["topics"].push_back(topic_json(ctx, *t, false));
  return ApiReply{200, std::move(out)};
}

ApiResult create_topic(ApiContext& ctx, const Call& call) {
  log::TopicConfig c;
  c.name = call.body.value("name", "");
  c.partitions = call.body.value("partitions", 1u);
  c.retention_ms = call.body.value("retention_ms", std::int64_t{-1});
  c.retention_bytes = call.body.value("retention_bytes", std::int64_t{-1});
  if (status st = ctx.need(call.who, ResourceType::topic, c.name, Operation::create); !st.ok()) return st;
  const std::string name = c.name;
  if (status st = await_status([&](auto done) { ctx.src.logs.create_topic(std::move(c), std::move(done)); }); !st.ok())
    return st;
  return described(ctx, name, 201);
}

ApiResult get_topic(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = ctx.need(call.who, ResourceType::topic, name, Operation::describe); !st.ok()) return st;
  return described(ctx, name, 200);
}

ApiResult alter_topic(ApiContext& ctx, const Call& call) {
  log::TopicChange change;
  change.name = call.arg(1);
  if (status st = ctx.need(call.who, ResourceType::topic, change.name, Operation::alter); !st.ok()) return st;
  const auto& b = call.body;
  if (b.contains("partitions")) change.partitions = b["partitions"].get<std::uint32_t>();
  if (b.contains("retention_ms")) change.retention_ms = b["retention_ms"].get<std::int64_t>();
  if (b.contains("retention_bytes")) change.retention_bytes = b["retention_bytes"].get<std::int64_t>();
  if (!change.partitions && !change.retention_ms && !change.retention_bytes)
    return status(errc::invalid_argument, "nothing to change: give partitions, retention_ms or retention_bytes");
  const std::string name = change.name;
  if (status st = await_status([&](auto done) { ctx.src.logs.alter_topic(std::move(change), std::move(done)); });
      !st.ok())
    return st;
  return described(ctx, name, 200);
}

ApiResult delete_topic(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = ctx.need(call.who, ResourceType::topic, name, Operation::del); !st.ok()) return st;
  if (status st = await_status([&](auto done) { ctx.src.logs.delete_topic(name, std::move(done)); }); !st.ok())
    return st;
  return ApiReply{204, nullptr};
}

nlohmann::json record_json(const protocol::batch::RecordFields& r) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& h : protocol::batch::decode_headers(r.headers, r.headers_end, r.header_count))
    headers.push_back({{"key", h.key}, {"value", content_view(h.value)}});
  return {{"offset", r.offset},
          {"timestamp_ms", r.timestamp_ms},
          {"key", r.key ? content_view(*r.key) : nlohmann::json(nullptr)},
          {"value", content_view(r.value)},
          {"headers", std::move(headers)}};
}

// Where a page of records starts: ?from=latest (the last `limit`),
// offset (?offset=N) or time (?time_ms=T, the first record at or after T).
result<std::uint64_t> first_offset(ApiContext& ctx, const Call& call, const std::string& topic,
                                   std::uint32_t partition, std::uint64_t limit) {
  auto& logs = ctx.src.logs;
  const std::string from = call.query("from").value_or("latest");
  if (from == "offset") {
    if (!call.query("offset")) return status(errc::invalid_argument, "from=offset needs offset=N");
    return call.query_number("offset", 0, std::numeric_limits<std::int64_t>::max());
  }
  if (from == "time") {
    auto t = call.query_number("time_ms", 0, std::numeric_limits<std::int64_t>::max());
    if (!t) return t.error();
    auto found = logs.find_by_time(topic, partition, static_cast<std::int64_t>(*t));
    if (!found) return found.error();
    if (*found) return (*found)->offset;
    return logs.list_offset(topic, partition, log::OffsetSpec::latest, 0);
  }
  if (from != "latest") return status(errc::invalid_argument, "from must be latest, offset or time");
  auto start = logs.list_offset(topic, partition, log::OffsetSpec::earliest, 0);
  if (!start) return start.error();
  auto end = logs.list_offset(topic, partition, log::OffsetSpec::latest, 0);
  if (!end) return end.error();
  return *end - std::min(*end - *start, limit);
}

ApiResult records(ApiContext& ctx, const Call& call) {
  const std::string topic = call.arg(1);
  if (status st = ctx.need(call.who, ResourceType::topic, topic, Operation::read); !st.ok()) return st;
  auto p = parse_number(call.arg(2), "the partition", std::numeric_limits<std::uint32_t>::max());
  if (!p) return p.error();
  const auto part = static_cast<std::uint32_t>(*p);
  auto limit = call.query_number("limit", 50, kMaxRecords);
  if (!limit) return limit.error();
  auto start = first_offset(ctx, call, topic, part, *limit);
  if (!start) return start.error();

  nlohmann::json list = nlohmann::json::array();
  std::uint64_t next = *start;
  std::uint64_t log_start = 0;
  std::uint64_t high_watermark = 0;
  std::vector<std::uint8_t> scratch;
  status bad;
  for (int round = 0; round < kMaxFetches && list.size() < *limit; ++round) {
    bool empty = false;
    auto err = ctx.src.logs.fetch(topic, part, next, kFetchBytes, [&](const log::FetchView& view) {
      log_start = view.log_start;
      high_watermark = view.high_watermark;
      empty = view.batches.empty();
      for (const auto& b : view.batches) {
        scratch.clear();
        protocol::batch::Reader reader(b, &scratch);
        protocol::batch::RecordFields r;
        while (list.size() < *limit && reader.next(&r)) {
          if (r.offset < 0 || static_cast<std::uint64_t>(r.offset) < next) continue;
          list.push_back(record_json(r));
          next = static_cast<std::uint64_t>(r.offset) + 1;
        }
        if (!reader.ok()) {
          bad = reader.error().ok() ? status(errc::corrupt_batch, "a stored batch could not be read") : reader.error();
          return;
        }
        // Past a batch with nothing left to show (all below `next`).
        const std::uint64_t batch_end = static_cast<std::uint64_t>(protocol::batch::base_offset(b.data())) +
                                        protocol::batch::record_count(b.data());
        if (list.size() < *limit) next = std::max(next, batch_end);
      }
    });
    if (!err.error.ok()) {
      // Below the log start (retention or a delete moved it): start there,
      // as a Kafka consumer resetting to earliest does.
      if (err.error.code() == errc::offset_out_of_range && next < err.log_start) {
        next = err.log_start;
        continue;
      }
      if (err.error.code() == errc::offset_out_of_range)
        return status(errc::offset_out_of_range,
                      fmt::format("offset {} is outside [{}, {}]", next, err.log_start, err.high_watermark));
      return err.error;
    }
    if (!bad.ok()) return bad;
    if (empty || next >= high_watermark) break;
  }
  return ApiReply{200,
                  {{"topic", topic},
                   {"partition", part},
                   {"log_start", log_start},
                   {"high_watermark", high_watermark},
                   {"next_offset", next},
                   {"records", std::move(list)}}};
}

}  // namespace

void add_topic_routes(Router& r) {
  r.get("/api/v1/topics", list_topics);
  r.post("/api/v1/topics", create_topic);
  r.get("/api/v1/topics/([^/]+)", get_topic);
  r.patch("/api/v1/topics/([^/]+)", alter_topic);
  r.del("/api/v1/topics/([^/]+)", delete_topic);
  r.get("/api/v1/topics/([^/]+)/partitions/([^/]+)/records", records);
}

}  // namespace wharf::http
