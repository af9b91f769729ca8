// Queues: list, create, describe, alter, purge, delete; peek, lookup, the
// message browser and dead-letter redrive.
#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "broker/http/api_router.h"
#include "broker/http/content_view.h"
#include "broker/queue/queue_engine.h"

namespace wharf::http {
namespace {

using auth::Operation;
using auth::ResourceType;
using Queues = std::vector<queue::QueueDescription>;

constexpr std::uint64_t kMaxPage = 500;

std::string_view dlq_mode_name(queue::DeadLetter d) {
  switch (d) {
    case queue::DeadLetter::none: return "none";
    case queue::DeadLetter::named: return "named";
    case queue::DeadLetter::default_queue: return "default";
  }
  return "none";
}

nlohmann::json options_json(const queue::QueueConfig& c) {
  return {{"ack_deadline_ms", c.ack_deadline_ms},
          {"max_deliveries", c.max_deliveries},
          {"backoff_initial_ms", c.backoff_initial_ms},
          {"backoff_multiplier", c.backoff_multiplier},
          {"backoff_max_ms", c.backoff_max_ms},
          {"dlq_mode", dlq_mode_name(c.dead_letter)},
          {"dlq", c.dlq},
          {"max_length", c.max_length},
          {"overflow", c.overflow == queue::Overflow::drop_oldest ? "drop_oldest" : "reject_publish"},
          {"ttl_ms", c.ttl_ms},
          {"priorities", c.priorities}};
}

// Applies the options given in `o` over `c`.
status apply_options(const nlohmann::json& o, queue::QueueConfig& c) {
  if (!o.is_object()) return status(errc::invalid_argument, "options must be a JSON object");
  static const char* const kKnown[] = {"ack_deadline_ms", "max_deliveries", "backoff_initial_ms",
                                       "backoff_multiplier", "backoff_max_ms", "dlq_mode", "dlq",
                                       "max_length", "overflow", "ttl_ms", "priorities"};
  for (const auto& [key, value] : o.items())
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
      return status(errc::invalid_argument, fmt::format("unknown queue option '{}'", key));
  c.ack_deadline_ms = o.value("ack_deadline_ms", c.ack_deadline_ms);
  c.max_deliveries = o.value("max_deliveries", c.max_deliveries);
  c.backoff_initial_ms = o.value("backoff_initial_ms", c.backoff_initial_ms);
  c.backoff_multiplier = o.value("backoff_multiplier", c.backoff_multiplier);
  c.backoff_max_ms = o.value("backoff_max_ms", c.backoff_max_ms);
  c.max_length = o.value("max_length", c.max_length);
  c.ttl_ms = o.value("ttl_ms", c.ttl_ms);
  c.priorities = o.value("priorities", c.priorities);
  if (o.contains("overflow")) {
    const std::string v = o["overflow"].get<std::string>();
    if (v == "reject_publish") {
      c.overflow = queue::Overflow::reject_publish;
    } else if (v == "drop_oldest") {
      c.overflow = queue::Overflow::drop_oldest;
    } else {
      return status(errc::invalid_argument, "overflow must be reject_publish or drop_oldest");
    }
  }
  if (o.contains("dlq_mode")) {
    const std::string v = o["dlq_mode"].get<std::string>();
    if (v == "default") {
      c.dead_letter = queue::DeadLetter::default_queue;
    } else if (v == "named") {
      c.dead_letter = queue::DeadLetter::named;
    } else if (v == "none") {
      c.dead_letter = queue::DeadLetter::none;
    } else {
      return status(errc::invalid_argument, "dlq_mode must be default, named or none");
    }
  }
  if (o.contains("dlq")) c.dlq = o["dlq"].get<std::string>();
  if (c.dead_letter == queue::DeadLetter::named && c.dlq.empty())
    return status(errc::invalid_argument, "dlq_mode named needs the dlq's name");
  return {};
}

nlohmann::json queue_json(const ApiContext& ctx, const queue::QueueDescription& d, const Queues& all) {
  nlohmann::json feeders = nlohmann::json::array();
  for (const auto& q : all)
    if (q.config.dlq == d.config.name) feeders.push_back(q.config.name);
  const auto [publish, ack] = ctx.rates->queue_rates(d.config.name);
  return {{"name", d.config.name},
          {"ready", d.ready},
          {"delayed", d.delayed},
          {"in_flight", d.in_flight},
          {"consumers", d.consumers},
          {"oldest_age_ms", d.oldest_age_ms},
          {"dead_lettered", d.dead_lettered},
          {"dropped", d.dropped},
          {"expired", d.expired},
          {"created_ms", d.config.created_ms},
          {"publish_per_s", publish},
          {"ack_per_s", ack},
          {"dead_letter_for", std::move(feeders)},
          {"options", options_json(d.config)}};
}

nlohmann::json message_json(const queue::MessageInfo& m) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [k, v] : m.headers) headers.push_back({{"key", k}, {"value", content_view(v)}});
  nlohmann::json history = nlohmann::json::array();
  for (const auto& e : m.history)
    history.push_back({{"time_ms", e.time_ms}, {"outcome", e.outcome}, {"consumer", e.consumer}, {"reason", e.reason}});
  return {{"queue", m.queue},
          {"id", m.id},
          {"state", queue::message_state_name(m.state)},
          {"attempts", m.attempts},
          {"deadline_ms", m.deadline_ms},
          {"priority", m.priority},
          {"publish_ms", m.publish_ms},
          {"expires_ms", m.expires_ms},
          {"origin_queue", m.origin_queue},
          {"headers", std::move(headers)},
          {"payload", content_view(m.payload)},
          {"history", std::move(history)}};
}

result<Queues> all_queues(ApiContext& ctx) {
  auto qs = await_result<Queues>([&](auto done) { ctx.src.queues.list_queues(std::move(done)); });
  if (qs) std::sort(qs->begin(), qs->end(), [](const auto& a, const auto& b) { return a.config.name < b.config.name; });
  return qs;
}

ApiResult described(ApiContext& ctx, const std::string& name, int http_status) {
  auto all = all_queues(ctx);
  if (!all) return all.error();
  for (const auto& q : *all)
    if (q.config.name == name) return ApiReply{http_status, queue_json(ctx, q, *all)};
  return status(errc::unknown_queue, fmt::format("no queue named '{}'", name));
}

status need_queue(ApiContext& ctx, const Call& call, const std::string& name, Operation op) {
  return ctx.need(call.who, ResourceType::queue, name, op);
}

ApiResult list_queues(ApiContext& ctx, const Call& call) {
  auto limit = call.query_number("limit", 100, 1000);
  if (!limit) return limit.error();
  auto all = all_queues(ctx);
  if (!all) return all.error();
  nlohmann::json out;
  auto page = page_of(
      *all, [](const queue::QueueDescription& q) -> std::string_view { return q.config.name; },
      [&](const queue::QueueDescription& q) { return ctx.may(call.who, ResourceType::queue, q.config.name, Operation::describe); },
      call, out, std::max<std::uint64_t>(*limit, 1));
  out["queues"] = nlohmann::json::array();
  for (const auto* q : page) out["queues"].push_back(queue_json(ctx, *q, *all));
  return ApiReply{200, std::move(out)};
}

ApiResult create_queue(ApiContext& ctx, const Call& call) {
  queue::QueueConfig c;
  c.name = call.body.value("name", "");
  if (status st = need_queue(ctx, call, c.name, Operation::create); !st.ok()) return st;
  if (call.body.contains("options"))
    if (status st = apply_options(call.body["options"], c); !st.ok()) return st;
  const std::string name = c.name;
  if (status st = await_status([&](auto done) { ctx.src.queues.create_queue(std::move(c), std::move(done)); });
      !st.ok())
    return st;
  return described(ctx, name, 201);
}

ApiResult get_queue(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = need_queue(ctx, call, name, Operation::describe); !st.ok()) return st;
  return described(ctx, name, 200);
}

ApiResult alter_queue(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = need_queue(ctx, call, name, Operation::alter); !st.ok()) return st;
  if (!call.body.contains("options")) return status(errc::invalid_argument, "nothing to change: give options");
  auto current = await_result<queue::QueueDescription>(
      [&](auto done) { ctx.src.queues.describe_queue(name, std::move(done)); });
  if (!current) return current.error();
  queue::QueueConfig c = current->config;
  if (status st = apply_options(call.body["options"], c); !st.ok()) return st;
  if (status st = await_status([&](auto done) { ctx.src.queues.alter_queue(std::move(c), std::move(done)); });
      !st.ok())
    return st;
  return described(ctx, name, 200);
}

ApiResult delete_queue(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = need_queue(ctx, call, name, Operation::del); !st.ok()) return st;
  const bool keep_dlq = call.query("keep_dlq").value_or("false") == "true";
  if (status st =
          await_status([&](auto done) { ctx.src.queues.delete_queue(name, keep_dlq, std::move(done)); });
      !st.ok())
    return st;
  return ApiReply{204, nullptr};
}

ApiResult purge_queue(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = need_queue(ctx, call, name, Operation::del); !st.ok()) return st;
  auto n = await_result<std::uint64_t>([&](auto done) { ctx.src.queues.purge_queue(name, std::move(done)); });
  if (!n) return n.error();
  return ApiReply{200, {{"purged", *n}}};
}

ApiResult peek(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = need_queue(ctx, call, name, Operation::read); !st.ok()) return st;
  auto count = call.query_number("count", 20, 1000);
  if (!count) return count.error();
  auto msgs = await_result<std::vector<queue::MessageInfo>>([&](auto done) {
    ctx.src.queues.peek(name, static_cast<std::uint32_t>(std::max<std::uint64_t>(*count, 1)), std::move(done));
  });
  if (!msgs) return msgs.error();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : *msgs) list.push_back(message_json(m));
  return ApiReply{200, {{"messages", std::move(list)}}};
}

ApiResult browse(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = need_queue(ctx, call, name, Operation::read); !st.ok()) return st;
  auto after = call.query_number("after", 0, std::numeric_limits<std::uint64_t>::max());
  if (!after) return after.error();
  auto limit = call.query_number("limit", 50, kMaxPage);
  if (!limit) return limit.error();
  auto page = await_result<queue::MessagePage>([&](auto done) {
    ctx.src.queues.browse(name, *after, static_cast<std::uint32_t>(std::max<std::uint64_t>(*limit, 1)),
                          std::move(done));
  });
  if (!page) return page.error();
  nlohmann::json out{{"total", page->total}, {"messages", nlohmann::json::array()}};
  for (const auto& m : page->messages) out["messages"].push_back(message_json(m));
  if (page->next != 0) out["next"] = page->next;
  return ApiReply{200, std::move(out)};
}

ApiResult get_message(ApiContext& ctx, const Call& call) {
  const std::string name = call.arg(1);
  if (status st = need_queue(ctx, call, name, Operation::read); !st.ok()) return st;
  auto id = parse_number(call.arg(2), "the message id", std::numeric_limits<std::uint64_t>::max());
  if (!id) return id.error();
  auto m = await_result<queue::MessageInfo>([&](auto done) { ctx.src.queues.get_message(name, *id, std::move(done)); });
  if (!m) return m.error();
  return ApiReply{200, message_json(*m)};
}

ApiResult redrive(ApiContext& ctx, const Call& call) {
  queue::RedriveRequest r;
  r.dlq = call.arg(1);
  r.target = call.body.value("to", "");
  if (status st = need_queue(ctx, call, r.dlq, Operation::read); !st.ok()) return st;
  if (!r.target.empty())
    if (status st = need_queue(ctx, call, r.target, Operation::write); !st.ok()) return st;
  const auto& b = call.body;
  const int selectors = int(b.contains("ids")) + int(b.contains("count")) + int(b.value("all", false));
  if (selectors != 1) return status(errc::invalid_argument, "say which messages: exactly one of ids, count, all");
  if (b.contains("ids")) {
    r.select = queue::RedriveSelect::ids;
    r.ids = b["ids"].get<std::vector<std::uint64_t>>();
  } else if (b.contains("count")) {
    r.select = queue::RedriveSelect::count;
    r.count = b["count"].get<std::uint64_t>();
  } else {
    r.select = queue::RedriveSelect::all;
  }
  auto moved = await_result<std::uint64_t>([&](auto done) { ctx.src.queues.redrive(std::move(r), std::move(done)); });
  if (!moved) return moved.error();
  return ApiReply{200, {{"moved", *moved}}};
}

}  // namespace

void add_queue_routes(Router& r) {
  r.get("/api/v1/queues", list_queues);
  r.post("/api/v1/queues", create_queue);
  r.get("/api/v1/queues/([^/]+)", get_queue);
  r.patch("/api/v1/queues/([^/]+)", alter_queue);
  r.del("/api/v1/queues/([^/]+)", delete_queue);
  r.post("/api/v1/queues/([^/]+)/purge", purge_queue);
  r.get("/api/v1/queues/([^/]+)/peek", peek);
  r.get("/api/v1/queues/([^/]+)/messages", browse);
  r.get("/api/v1/queues/([^/]+)/messages/([^/]+)", get_message);
  r.post("/api/v1/queues/([^/]+)/redrive", redrive);
}

}  // namespace wharf::http
